"""The wallet side of Phantom-style deeplinks: what Phantom, Solflare or Backpack would answer.

Pure: a request URL and the wallet's state (the keystore's ``wallets[NAME]`` entry) in, the
redirect URL and the new state out. Keys, nonces and time are injectable so answers can be
compared byte for byte with vectors. The behaviour follows research/deeplinks.md §3-§6 and
§11: one fresh x25519 key per dapp key at ``connect``, a session in Phantom's documented
layout (``base58(ed25519 sign_attached(JSON{app_url, timestamp, chain, cluster}))`` by the
account key), checked on every later request (signed by the account, same app, same chain).

What is not a deeplink at all (no method, no usable ``redirect_link``) raises
:class:`BadInputError`: there is nobody to answer. Everything else (an unknown dapp key, a
payload that does not decrypt, a bad session, a malformed transaction) becomes the error
redirect a wallet sends, never an exception.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from walletsign_cli.core import base58, box, ed25519, solana_tx
from walletsign_cli.core.box import X25519KeyPair, X25519PublicKey
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.errors import (
    BadInputError,
    DecryptionError,
    InvalidSignatureError,
    KeystoreError,
)
from walletsign_cli.limits import MAX_URL_CHARS, check_size
from walletsign_cli.protocols import deeplink, paste
from walletsign_cli.protocols.dapp import links
from walletsign_cli.protocols.dapp.send_options import read_send_options
from walletsign_cli.protocols.state import WalletDapp, WalletEntry

CHAIN = "solana"
# The key parameter of a wallet this simulator cannot name: Backpack's documented generic
# name, which decode-redirect (and any tolerant dapp) reads first (§4.1.1).
GENERIC_KEY_PARAM = "wallet_encryption_public_key"
# What the simulated Backpack accepts: its documented mainnet-beta and Eclipse (BP-docs
# connect) and, tolerant when reading (uncertain what it refuses), the other clusters too.
BACKPACK_CLUSTERS = deeplink.ALL_CLUSTERS

INVALID_INPUT = -32000
TRANSACTION_REJECTED = -32003
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603
USER_REJECTED = 4001

# What the wallet says with each code when the user presses Reject. -32603's "Unexpected
# error" is observed (phantom/docs #448); the others' exact texts were not found (uncertain).
DEFAULT_MESSAGES: dict[int, str] = {
    4900: "Disconnected",
    4100: "The requested method and/or account has not been authorized by the user.",
    USER_REJECTED: "User rejected the request.",
    INVALID_INPUT: "Invalid input",
    -32002: "Requested resource not available",
    TRANSACTION_REJECTED: "Transaction rejected",
    METHOD_NOT_FOUND: "Method not found",
    INTERNAL_ERROR: "Unexpected error",
}
# What Phantom answers for a dapp key it holds no shared secret for (phantom/docs #39).
MISSING_SHARED_SECRET = "Missing sharing secret"

# Faults the simulated wallet can commit on purpose, to reproduce what goes wrong in the wild.
FAULTS: dict[str, str] = {
    "message-signature": "signMessage: return message || signature (some wallets do)",
    "other-key": "sign with another key than the connected account",
    "add-instruction": "transactions: put a compute-budget instruction first, then sign",
    "change-blockhash": "transactions: replace the recent blockhash, then sign",
    "other-cluster": "connect: issue the session for another cluster than requested",
    "other-dapp-key": "seal the answer for another dapp key (the dapp cannot decrypt it)",
    "truncate-data": "cut the end off the answer's data value (a truncated paste)",
}
COMPUTE_BUDGET_PROGRAM = base58.decode("ComputeBudget111111111111111111111111111111")
# SetComputeUnitPrice (instruction 3) of 1000 micro-lamports, as wallets add it.
SET_COMPUTE_UNIT_PRICE = bytes([3]) + (1000).to_bytes(8, "little")
TRUNCATED_CHARS = 24


@dataclass(frozen=True)
class Request:
    """A deeplink the wallet received, parsed but not decrypted."""

    url: str
    method: str
    wallet: str | None
    key_param: str
    redirect_link: str
    params: dict[str, str]
    duplicates: tuple[str, ...] = ()


@dataclass
class Answer:
    """What the wallet did: the redirect it opens and the state it keeps."""

    redirect: str
    request: Request
    payload: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] | None = None
    error_code: int | None = None
    error_message: str | None = None
    state: WalletEntry | None = None
    account: str | None = None
    sent: bool | None = None
    send_options: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``approved`` or ``rejected``."""
        return "rejected" if self.error_code is not None else "approved"

    @property
    def error_name(self) -> str | None:
        """The error table's name of :attr:`error_code`."""
        return None if self.error_code is None else deeplink.error_name(self.error_code)


class _Refusal(Exception):
    """Internal: the wallet answers with an error redirect."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- reading the request -----------------------------------------------------------------------


def wallet_of(url: str) -> str | None:
    """The wallet a deeplink is addressed to, from its host (``phantom.app`` or
    ``phantom.com`` ...) or its custom scheme (``phantom://``)."""
    parts = urlsplit(url)
    return deeplink.wallet_for_host(parts.scheme, parts.hostname or "")


def key_param_for(wallet: str | None) -> str:
    """``<wallet>_encryption_public_key``; the generic name for a wallet not in the table."""
    if wallet is None:
        return GENERIC_KEY_PARAM
    return deeplink.WALLETS[wallet].key_param


def parse_request(text: str, *, wallet: str | None = None) -> Request:
    """Parse a request URL; raise :class:`BadInputError` when there is no one to answer.

    ``wallet`` overrides the wallet read from the URL (for a custom ``--base-url``).
    """
    check_size(len(text), MAX_URL_CHARS, "the deeplink URL")
    url, _ = paste.unwrap(text)  # quotes, brackets, wrapped lines, &amp; ...
    if not url:
        raise BadInputError("the deeplink URL is empty")
    deeplink.check_text(url, "the deeplink URL")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise BadInputError(f"the deeplink URL cannot be parsed: {exc}") from None
    if not parts.scheme:
        raise BadInputError(
            f"the deeplink URL has no scheme: {url[:40]!r}",
            hint="pass the whole URL that connect-url or sign-url printed",
        )
    segments = [s for s in parts.path.split("/") if s]
    method = (
        segments[-1]
        if segments
        else (parts.netloc if parts.scheme not in ("http", "https") else "")
    )
    if not method:
        raise BadInputError(
            f"the deeplink URL names no method: {url[:60]!r}",
            hint="a deeplink looks like https://phantom.app/ul/v1/connect?...",
        )
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params: dict[str, str] = {}
    duplicates: list[str] = []
    for name, value in pairs:
        if name in params:
            duplicates.append(name)
        params.setdefault(name, value)
    if "redirect_link" in duplicates:
        raise BadInputError("redirect_link appears more than once in the deeplink URL")
    redirect_link = params.get("redirect_link")
    if redirect_link is None:
        raise BadInputError(
            f"the {method} deeplink has no redirect_link: the wallet would have nowhere to answer",
            hint="simulate answers connect, signMessage, the transaction methods and disconnect",
        )
    deeplink.check_url(redirect_link, option="redirect_link")
    named = wallet if wallet is not None else wallet_of(url)
    return Request(
        url, method, named, key_param_for(named), redirect_link, params, tuple(duplicates)
    )


def open_link(text: str, *, wallet: str | None = None) -> links.Link:
    """What the wallet does with a browse, fungible or swap link: it opens a page and sends
    no answer, so no state changes. ``wallet`` overrides the wallet read from the URL. A
    malformed link, or a browse target that is not a web page, is bad input (exit 3)."""
    link = links.parse_link(text)
    if wallet is not None:
        link = replace(link, wallet=wallet)
    if link.method == links.BROWSE:
        target = link.values["url"]
        if urlsplit(target).scheme.lower() not in ("http", "https"):
            raise BadInputError(
                f"the in-app browser opens web pages only, not {target[:60]!r}",
                hint="browse an http or https URL",
            )
    return link


# -- writing the answer ------------------------------------------------------------------------


def redirect_url(redirect_link: str, params: list[tuple[str, str]]) -> str:
    """``redirect_link`` with the answer appended: ``?`` or, if it has a query, ``&``.

    Uncertain how wallets merge (§7): this is the naive append of helium's wallet side,
    which every tolerant dapp reads; decode-redirect does.
    """
    if not params:
        return redirect_link
    joiner = "&" if "?" in redirect_link else "?"
    return redirect_link + joiner + deeplink.encode_query(params)


def error_redirect(redirect_link: str, code: int, message: str) -> str:
    """The error answer: ``errorCode`` and ``errorMessage``, as the wallets send them."""
    return redirect_url(redirect_link, [("errorCode", str(code)), ("errorMessage", message)])


def session_token(account: Ed25519SigningKey, *, app_url: str, cluster: str, timestamp: int) -> str:
    """Phantom's documented session: ``base58(sign_attached(JSON{app_url, timestamp, chain,
    cluster}))`` by the account key (§5; key order as the docs list the fields)."""
    claims = {"app_url": app_url, "timestamp": timestamp, "chain": CHAIN, "cluster": cluster}
    return base58.encode(account.sign_attached(deeplink.payload_json(claims)))


def check_session(token: Any, account: Ed25519SigningKey, dapp: WalletDapp) -> None:
    """Refuse a session not signed by the account, or issued for another app or chain."""
    if not isinstance(token, str) or not token:
        raise _Refusal(INVALID_INPUT, "Session is missing")
    try:
        signed = base58.decode(token, name="session")
        claims = json.loads(ed25519.open_attached(signed, account.public.raw).decode("utf-8"))
    except (BadInputError, InvalidSignatureError):
        raise _Refusal(INVALID_INPUT, "Session is not valid: not signed by this account") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Refusal(INVALID_INPUT, "Session is not valid: its data is not JSON") from None
    if not isinstance(claims, dict):
        raise _Refusal(INVALID_INPUT, "Session is not valid: its data is not a JSON object")
    if claims.get("chain") != CHAIN:
        raise _Refusal(INVALID_INPUT, "Session is not valid: it is for another chain")
    if claims.get("app_url") != dapp.app_url:
        raise _Refusal(INVALID_INPUT, "Session is not valid: it was issued to another app")
    if claims.get("cluster", "mainnet-beta") != (dapp.cluster or "mainnet-beta"):
        raise _Refusal(INVALID_INPUT, "Session is not valid: it is for another cluster")


# -- the wallet ----------------------------------------------------------------------------------


def _iso(seconds: float) -> str:
    moment = _dt.datetime.fromtimestamp(int(seconds), _dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


def load_account(state: WalletEntry | None, name: str) -> Ed25519SigningKey | None:
    """The account key of a stored wallet (``None`` for a wallet not created yet)."""
    if state is None:
        return None
    where = f"wallets.{name}"
    if state.account_secret_key is None:
        raise KeystoreError(f"keystore: {where}.account_secret_key is missing")
    try:
        account = Ed25519SigningKey.from_base58(
            state.account_secret_key, name=f"{where}.account_secret_key"
        )
    except BadInputError as exc:
        raise KeystoreError(f"keystore: {exc.message}") from None
    if state.account_public_key not in (None, str(account.public)):
        raise KeystoreError(f"keystore: {where}.account_public_key does not match its secret key")
    return account


def respond(
    request: Request,
    state: WalletEntry | None,
    *,
    wallet_name: str = "sim",
    reject: int | None = None,
    error_message: str | None = None,
    account: Ed25519SigningKey | None = None,
    wallet_keypair: X25519KeyPair | None = None,
    nonce: bytes | None = None,
    now: float | None = None,
    fault: str | None = None,
) -> Answer:
    """Answer ``request`` as the wallet would, from ``state`` (not modified).

    ``reject`` makes the user press Reject with that code (after the request was found
    valid: a request the wallet cannot read gets its own error instead). ``account``,
    ``wallet_keypair``, ``nonce`` and ``now`` pin the randomness and the clock; ``account``
    is only used when the wallet has none yet. The new state is in ``Answer.state``
    (``None`` when nothing changed). ``fault`` (a key of :data:`FAULTS`) makes the wallet
    answer wrongly on purpose.
    """
    if fault is not None and fault not in FAULTS:
        raise BadInputError(f"--fault {fault!r} is not one of: {', '.join(FAULTS)}")
    seconds = time.time() if now is None else now
    stored = load_account(state, wallet_name)
    answer = Answer(redirect=request.redirect_link, request=request)
    try:
        if request.duplicates:
            raise _Refusal(
                INVALID_INPUT, f"Parameter {request.duplicates[0]} appears more than once"
            )
        if request.method == deeplink.CONNECT:
            _connect(
                answer,
                state,
                stored or account or Ed25519SigningKey.generate(),
                reject=reject,
                error_message=error_message,
                wallet_keypair=wallet_keypair,
                nonce=nonce,
                seconds=seconds,
                fault=fault,
            )
        elif request.method in deeplink.METHODS:
            _encrypted(
                answer,
                state,
                stored,
                reject=reject,
                error_message=error_message,
                nonce=nonce,
                fault=fault,
            )
        else:
            raise _Refusal(METHOD_NOT_FOUND, f"Method not found: {request.method}")
    except _Refusal as refusal:
        answer.error_code = refusal.code
        answer.error_message = refusal.message
        answer.data = None
        answer.state = None
        answer.sent = None
        answer.redirect = error_redirect(request.redirect_link, refusal.code, refusal.message)
    if fault == "truncate-data" and answer.data is not None:
        answer.redirect = answer.redirect[:-TRUNCATED_CHARS]
    return answer


def _seal_for(shared: box.SharedSecret, mine: X25519KeyPair, fault: str | None) -> box.SharedSecret:
    # other-dapp-key: the shared secret of a dapp key nobody holds.
    if fault == "other-dapp-key":
        return box.shared_secret(X25519KeyPair.generate().public, mine)
    return shared


def _signer(account: Ed25519SigningKey, fault: str | None) -> Ed25519SigningKey:
    return Ed25519SigningKey.generate() if fault == "other-key" else account


def _user_rejects(reject: int | None, error_message: str | None) -> None:
    if reject is not None:
        raise _Refusal(reject, error_message or DEFAULT_MESSAGES.get(reject, "Rejected"))


def _connect(
    answer: Answer,
    state: WalletEntry | None,
    account: Ed25519SigningKey,
    *,
    reject: int | None,
    error_message: str | None,
    wallet_keypair: X25519KeyPair | None,
    nonce: bytes | None,
    seconds: float,
    fault: str | None = None,
) -> None:
    request = answer.request
    params = request.params
    answer.payload = {
        k: params[k]
        for k in (deeplink.DAPP_KEY_PARAM, "cluster", "app_url", "redirect_link")
        if k in params
    }
    dapp_public = _dapp_key(params)
    app_url = params.get("app_url")
    if not app_url:
        raise _Refusal(INVALID_INPUT, "Missing app_url")
    cluster = params.get("cluster") or deeplink.DEFAULT_CLUSTER
    documented = deeplink.clusters_for(request.wallet)
    allowed = BACKPACK_CLUSTERS if request.wallet in ("backpack", None) else documented
    if cluster not in allowed:
        raise _Refusal(
            INVALID_INPUT, f"Unsupported cluster: {cluster} (supported: {', '.join(allowed)})"
        )
    if cluster not in documented:
        answer.notes.append(
            f"{request.wallet}'s docs list no cluster {cluster} ({', '.join(documented)}): "
            "a real wallet may refuse it"
        )
    _user_rejects(reject, error_message)

    mine = wallet_keypair or X25519KeyPair.generate()
    shared = box.shared_secret(dapp_public, mine)
    if fault == "other-cluster":
        cluster = "devnet" if cluster != "devnet" else "mainnet-beta"
    token = session_token(account, app_url=app_url, cluster=cluster, timestamp=int(seconds))
    data = {"public_key": str(account.public), "session": token}
    sealed_nonce, sealed = box.seal(
        deeplink.payload_json(data), _seal_for(shared, mine, fault), nonce
    )
    answer.redirect = redirect_url(
        request.redirect_link,
        [
            (request.key_param, str(mine.public)),
            ("nonce", base58.encode(sealed_nonce)),
            ("data", base58.encode(sealed)),
        ],
    )
    answer.data = data
    answer.account = str(account.public)
    created = _iso(seconds)
    wallet = state or WalletEntry(
        account_secret_key=account.seed_base58(),
        account_public_key=str(account.public),
        created_at=created,
    )
    if str(dapp_public) in wallet.dapps:
        answer.notes.append("this dapp key was connected before: a new wallet key and session")
    dapp = WalletDapp(
        secret_key=mine.secret_base58(),
        session=token,
        app_url=app_url,
        cluster=cluster,
        created_at=created,
    )
    answer.state = wallet.with_dapp(str(dapp_public), dapp)


def _dapp_key(params: dict[str, str]) -> X25519PublicKey:
    value = params.get(deeplink.DAPP_KEY_PARAM)
    if not value:
        raise _Refusal(INVALID_INPUT, f"Missing {deeplink.DAPP_KEY_PARAM}")
    try:
        return X25519PublicKey(base58.decode_exact(value, 32, name=deeplink.DAPP_KEY_PARAM))
    except BadInputError as exc:
        raise _Refusal(INVALID_INPUT, f"Invalid {deeplink.DAPP_KEY_PARAM}: {exc.message}") from None


def _encrypted(
    answer: Answer,
    state: WalletEntry | None,
    account: Ed25519SigningKey | None,
    *,
    reject: int | None,
    error_message: str | None,
    nonce: bytes | None,
    fault: str | None = None,
) -> None:
    request = answer.request
    dapp_public = _dapp_key(request.params)
    dapp = None if state is None else state.dapps.get(str(dapp_public))
    if state is None or account is None or dapp is None:
        raise _Refusal(INTERNAL_ERROR, MISSING_SHARED_SECRET)
    try:
        mine = X25519KeyPair.from_base58(
            dapp.secret_key or "", name=f"wallet key of dapp {dapp_public}"
        )
    except BadInputError as exc:
        raise KeystoreError(f"keystore: {exc.message}") from None
    shared = box.shared_secret(dapp_public, mine)
    payload = _open_payload(request.params, shared)
    answer.payload = payload
    answer.account = str(account.public)
    check_session(payload.get("session"), account, dapp)
    method = request.method

    if method == deeplink.DISCONNECT:
        _user_rejects(reject, error_message)
        answer.state = state.without_dapp(str(dapp_public))
        answer.redirect = request.redirect_link
        return

    if method == deeplink.SIGN_MESSAGE:
        message = _message(payload)
        _user_rejects(reject, error_message)
        signature = _signer(account, fault).sign(message)
        if fault == "message-signature":
            signature = message + signature
        data: dict[str, Any] = {"signature": base58.encode(signature)}
    else:
        data = _sign_transactions(
            answer, account, reject=reject, error_message=error_message, fault=fault
        )
    sealed_nonce, sealed = box.seal(
        deeplink.payload_json(data), _seal_for(shared, mine, fault), nonce
    )
    answer.redirect = redirect_url(
        request.redirect_link,
        [("nonce", base58.encode(sealed_nonce)), ("data", base58.encode(sealed))],
    )
    answer.data = data


def _sign_transactions(
    answer: Answer,
    account: Ed25519SigningKey,
    *,
    reject: int | None,
    error_message: str | None,
    fault: str | None = None,
) -> dict[str, Any]:
    """The answer data of the three transaction methods (after the checks a wallet makes)."""
    method = answer.request.method
    texts = _transaction_texts(method, answer.payload)
    transactions = [_transaction(text, i, len(texts)) for i, text in enumerate(texts)]
    for i, tx in enumerate(transactions):
        if tx.message.fee_payer != account.public.raw:
            where = f"transaction {i + 1}" if len(texts) > 1 else "the transaction"
            raise _Refusal(
                TRANSACTION_REJECTED,
                f"The fee payer of {where} ({base58.encode(tx.message.fee_payer)}) "
                f"is not this account ({account.public})",
            )
    _user_rejects(reject, error_message)
    if fault == "add-instruction":
        transactions = [_with_compute_budget(tx) for tx in transactions]
    elif fault == "change-blockhash":
        transactions = [_with_new_blockhash(tx) for tx in transactions]
    signer = _signer(account, fault)
    signed = [tx.with_signature(0, signer.sign(tx.message.raw)) for tx in transactions]
    if method == deeplink.SIGN_ALL_TRANSACTIONS:
        return {"transactions": [base58.encode(tx.serialize()) for tx in signed]}
    if method == deeplink.SIGN_TRANSACTION:
        return {"transaction": base58.encode(signed[0].serialize())}
    # The first signature is the transaction id; there is no network to send it to.
    answer.send_options, odd = read_send_options(answer.payload)
    answer.notes.extend(odd)
    answer.sent = False
    answer.notes.append("nothing was sent: the simulated wallet has no network")
    return {"signature": base58.encode(signed[0].signatures[0])}


def _with_compute_budget(tx: solana_tx.Transaction) -> solana_tx.Transaction:
    message = solana_tx.prepend_instruction(
        tx.message, COMPUTE_BUDGET_PROGRAM, SET_COMPUTE_UNIT_PRICE
    )
    # The wallet changed the message: the dapp's other signatures no longer cover it.
    return solana_tx.Transaction(tuple(solana_tx.EMPTY_SIGNATURE for _ in tx.signatures), message)


def _with_new_blockhash(tx: solana_tx.Transaction) -> solana_tx.Transaction:
    # A wallet that fetched a fresher blockhash: the bytes reversed stand in for it.
    changed = replace(tx.message, recent_blockhash=tx.message.recent_blockhash[::-1], raw=b"")
    message = solana_tx.parse_message(solana_tx.serialize_message(changed))
    return solana_tx.Transaction(tuple(solana_tx.EMPTY_SIGNATURE for _ in tx.signatures), message)


def _open_payload(params: dict[str, str], shared: box.SharedSecret) -> dict[str, Any]:
    for name in ("nonce", "payload"):
        if not params.get(name):
            raise _Refusal(INVALID_INPUT, f"Missing {name}")
    try:
        nonce = base58.decode_exact(params["nonce"], box.NONCE_SIZE, name="nonce")
        sealed = base58.decode(params["payload"], name="payload")
    except BadInputError as exc:
        raise _Refusal(INVALID_INPUT, f"Invalid input: {exc.message}") from None
    try:
        plaintext = box.open_sealed(sealed, nonce, shared)
    except DecryptionError:
        raise _Refusal(INVALID_INPUT, "Unable to decrypt payload") from None
    try:
        return deeplink.parse_plaintext(plaintext, name="payload")
    except BadInputError as exc:
        raise _Refusal(INVALID_INPUT, f"Invalid payload: {exc.message}") from None
    except RecursionError:  # json.loads on absurd nesting
        raise _Refusal(INVALID_INPUT, "Invalid payload: JSON nested too deeply") from None


def _message(payload: dict[str, Any]) -> bytes:
    text = payload.get("message")
    if not isinstance(text, str) or not text:
        raise _Refusal(INVALID_INPUT, "Missing message")
    try:
        message = base58.decode(text, name="message")
    except BadInputError as exc:
        raise _Refusal(INVALID_INPUT, f"Invalid message: {exc.message}") from None
    if _looks_like_transaction(message):
        # Phantom's own words (phantom-connect-sdk #288); the code it uses is uncertain.
        raise _Refusal(INVALID_INPUT, "You cannot sign solana transactions using sign message")
    return message


def _looks_like_transaction(message: bytes) -> bool:
    for parse in (solana_tx.parse_transaction, solana_tx.parse_message):
        try:
            parse(message)
        except BadInputError:
            continue
        return True
    return False


def _transaction_texts(method: str, payload: dict[str, Any]) -> list[str]:
    if method == deeplink.SIGN_ALL_TRANSACTIONS:
        value = payload.get("transactions")
        if not isinstance(value, list) or not value:
            raise _Refusal(INVALID_INPUT, "Missing transactions")
        if not all(isinstance(t, str) for t in value):
            raise _Refusal(INVALID_INPUT, "Invalid transactions: not a list of strings")
        return list(value)
    value = payload.get("transaction")
    if not isinstance(value, str) or not value:
        raise _Refusal(INVALID_INPUT, "Missing transaction")
    return [value]


def _transaction(text: str, index: int, count: int) -> solana_tx.Transaction:
    what = f"transaction {index + 1}" if count > 1 else "transaction"
    try:
        return solana_tx.parse_transaction(base58.decode(text, name=what), what=what)
    except BadInputError as exc:
        raise _Refusal(INVALID_INPUT, f"Invalid transaction: {exc.message}") from None
