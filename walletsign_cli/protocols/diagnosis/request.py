"""Lint a request deeplink before (or after) it is sent to the wallet.

What makes a wallet answer ``-32603 Unexpected error`` or show nothing at all: a transaction
in base64 instead of base58, a fee payer that is not the session's account, a zero recent
blockhash, signature slots the wallet cannot fill, a session token for another cluster, an
``https`` redirect link, a deeplink opened twice, a URL longer than a phone accepts.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from walletsign_cli.core import base58, solana_tx
from walletsign_cli.errors import BadInputError, WalletsignError
from walletsign_cli.protocols import deeplink, simulator
from walletsign_cli.protocols.dapp.sessions import resolve_session
from walletsign_cli.protocols.diagnosis.checks import Check, ok, problem, warning
from walletsign_cli.protocols.state import Document

# The figures a deeplink's length is judged by (research/deeplinks.md §7). Phantom staff
# (phantom/docs discussion #448): "no hard limit ... iOS may impose practical limits around
# 2,000 characters, so keeping it under ~1,500 is generally safe". Phantom's limitations page:
# Android crashes with TransactionTooLarge near its ~500 KB binder buffer, which it gives as
# "over 31k characters". Neither OS documents a URL limit: these are practical, uncertain.
SAFE_URL_CHARS = deeplink.IOS_SAFE_URL_CHARS
IOS_PRACTICAL_URL_CHARS = 2_000
ANDROID_URL_CHARS = 31_000
ZERO_BLOCKHASH = bytes(solana_tx.BLOCKHASH_SIZE)


def is_request(url: str) -> bool:
    """Whether ``url`` looks like a deeplink to a wallet rather than a wallet's answer."""
    return deeplink.looks_like_request(url)


def lint_request(url: str, doc: Document | None) -> list[Check]:
    """Every check of a request deeplink; ``doc`` (the keystore) opens an encrypted payload."""
    try:
        request = simulator.parse_request(url)
    except BadInputError as exc:
        return [problem("request.parse", exc.message, exc.hint)]
    who = request.wallet or "a wallet not in walletsign's table"
    checks = [ok("request.method", f"a {request.method} request to {who}")]
    if request.method not in deeplink.METHODS:
        checks[0] = problem(
            "request.method",
            f"{request.method!r} is not a method of the protocol",
            hint="one of: " + ", ".join(deeplink.METHODS),
        )
    info = deeplink.WALLETS.get(request.wallet or "")
    if info is not None and request.method in info.deprecated:
        checks.append(
            warning(
                "request.deprecated",
                f"{info.name} deprecated {request.method}",
                hint="use signTransaction and send the signed transaction yourself",
            )
        )
    checks += [_redirect_link(request.redirect_link), _length(url)]
    checks += [
        problem("request.duplicate", f"parameter {name} appears more than once")
        for name in request.duplicates
    ]
    checks.append(_dapp_key(request, doc))
    if request.method == deeplink.CONNECT:
        return checks + _connect(request)
    return checks + _encrypted(request, doc)


def _redirect_link(link: str) -> Check:
    if urlsplit(link).scheme.lower() in ("http", "https"):
        return warning(
            "request.redirect_link",
            f"redirect_link {link} is https: Phantom opens it in the mobile browser instead "
            "of returning to the app (its docs; seen on iOS even with a valid AASA file)",
            hint="use a custom scheme the app registers, e.g. myapp://onConnect",
        )
    return ok("request.redirect_link", f"redirect_link {link} (a custom scheme: back to the app)")


def _length(url: str) -> Check:
    size = len(url)
    source = "Phantom's guidance, phantom/docs #448 and limitations.md; no OS documents a limit"
    if size > ANDROID_URL_CHARS:
        return problem(
            "request.length",
            f"the deeplink is {size:,} characters: over ~{ANDROID_URL_CHARS:,}, Android "
            "crashes the wallet (TransactionTooLarge)",
            hint=f"send fewer or smaller transactions ({source})",
        )
    if size > SAFE_URL_CHARS:
        over = (
            f"over iOS's practical ~{IOS_PRACTICAL_URL_CHARS:,}"
            if size > IOS_PRACTICAL_URL_CHARS
            else f"over the ~{SAFE_URL_CHARS:,} known to be safe"
        )
        return warning(
            "request.length",
            f"the deeplink is {size:,} characters, {over}: the phone may not open it",
            hint=f"keep deeplinks under {SAFE_URL_CHARS:,} characters ({source})",
        )
    return ok("request.length", f"the deeplink is {size:,} characters (under {SAFE_URL_CHARS:,})")


def _dapp_key(request: simulator.Request, doc: Document | None) -> Check:
    value = request.params.get(deeplink.DAPP_KEY_PARAM)
    if not value:
        return problem("request.dapp_key", f"{deeplink.DAPP_KEY_PARAM} is missing")
    try:
        base58.decode_exact(value, 32, name=deeplink.DAPP_KEY_PARAM)
    except BadInputError as exc:
        return problem("request.dapp_key", exc.message)
    if doc is None:
        return ok("request.dapp_key", f"dapp key {value}")
    names = [name for name, entry in doc.keys.items() if entry.public_key == value]
    if not names:
        return warning(
            "request.dapp_key",
            f"dapp key {value} is not in this keystore: its answer can only be decoded where "
            "that key is",
            hint="run doctor (and decode-redirect) with the keystore that built the request",
        )
    return ok("request.dapp_key", f"dapp key {names[0]!r} ({value})")


def _connect(request: simulator.Request) -> list[Check]:
    params = request.params
    cluster = params.get("cluster") or "mainnet-beta"
    allowed = simulator.BACKPACK_CLUSTERS if request.wallet == "backpack" else deeplink.CLUSTERS
    checks = [
        ok("request.cluster", f"cluster {cluster}")
        if cluster in allowed
        else problem(
            "request.cluster", f"cluster {cluster!r} is not one the wallet knows: {allowed}"
        )
    ]
    app_url = params.get("app_url")
    if not app_url:
        checks.append(problem("request.app_url", "app_url is missing: the wallet refuses"))
    else:
        checks.append(ok("request.app_url", f"app_url {app_url}"))
    return checks


def _encrypted(request: simulator.Request, doc: Document | None) -> list[Check]:
    params = request.params
    missing = [name for name in ("nonce", "payload") if not params.get(name)]
    if missing:
        return [problem("request.payload", f"{', '.join(missing)} missing from the request")]
    reused = _reused(params["nonce"], doc)
    checks = [reused] if reused is not None else []
    if doc is None:
        return [
            *checks,
            warning(
                "request.payload",
                "the payload is encrypted: it can be read only with the dapp key and session",
                hint="run doctor with the keystore that built the request (--keystore PATH)",
            ),
        ]
    return checks + _payload(request, doc)


def _reused(nonce: str, doc: Document | None) -> Check | None:
    entry = doc.requests.get(nonce) if doc is not None else None
    if entry is None:
        return None
    if entry.answered_at:
        return warning(
            "request.reused",
            f"this deeplink was already answered at {entry.answered_at}: opened again, the "
            "wallet shows nothing",
            hint="build a new request (sign-url): every deeplink needs a fresh nonce",
        )
    return ok("request.reused", f"a request built at {entry.created_at}, not answered yet")


def _payload(request: simulator.Request, doc: Document) -> list[Check]:
    dapp_key = request.params.get(deeplink.DAPP_KEY_PARAM)
    names = sorted(n for n, s in doc.sessions.items() if s.dapp_public_key == dapp_key)
    try:
        nonce = base58.decode_exact(request.params["nonce"], 24, name="nonce")
        sealed = base58.decode(request.params["payload"], name="payload")
    except BadInputError as exc:
        return [problem("request.payload", exc.message)]
    for name in names:
        try:
            session = resolve_session(doc, name)
            payload = deeplink.open_json(sealed, nonce, session.shared, name="payload")
        except WalletsignError:
            continue
        opened = ok("request.payload", f"opened with session {name!r}")
        return [
            opened,
            *_session_token(payload, doc, name),
            *_content(request.method, payload, doc, name),
        ]
    return [
        problem(
            "request.payload",
            f"no saved session opens the payload ({len(names)} with this dapp key)",
            hint="the session was replaced or belongs to another keystore: connect again",
        )
    ]


def _session_token(payload: dict[str, object], doc: Document, name: str) -> list[Check]:
    entry = doc.sessions[name]
    token = payload.get("session")
    if not isinstance(token, str) or not token:
        return [problem("request.session", "the payload carries no session token")]
    info = deeplink.parse_session_token(token)
    if info is None:
        return [ok("request.session", "the session token is opaque (not Phantom's layout)")]
    checks = []
    cluster = info.data.get("cluster", "mainnet-beta")
    if entry.cluster is not None and cluster != entry.cluster:
        checks.append(
            problem(
                "request.cluster",
                f"the session token is for {cluster} but the session was requested for "
                f"{entry.cluster}: the wallet refuses it ('Session is not valid')",
                hint=f"connect again with --cluster {entry.cluster}, or use a {cluster} session",
            )
        )
    else:
        checks.append(ok("request.cluster", f"the session token is for {cluster}"))
    return checks


def _content(method: str, payload: dict[str, object], doc: Document, name: str) -> list[Check]:
    account = _account(doc, name)
    if method == deeplink.SIGN_MESSAGE:
        return _message(payload)
    if method == deeplink.SIGN_ALL_TRANSACTIONS:
        texts = payload.get("transactions")
    else:
        texts = [payload.get("transaction")]
    if method == deeplink.DISCONNECT:
        return []
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        return [problem("request.transaction", "the payload carries no base58 transaction")]
    checks: list[Check] = []
    for i, text in enumerate(texts):
        checks += lint_transaction(str(text), account, f"request.transaction.{i + 1}")
    return checks


def _account(doc: Document, name: str) -> bytes | None:
    try:
        return base58.decode_exact(doc.sessions[name].public_key or "", 32, name="public key")
    except BadInputError:
        return None


def _message(payload: dict[str, object]) -> list[Check]:
    text = payload.get("message")
    if not isinstance(text, str):
        return [problem("request.message", "the payload carries no message")]
    try:
        raw = base58.decode(text, name="message")
    except BadInputError as exc:
        return [problem("request.message", exc.message)]
    display = payload.get("display", "utf8")
    checks = [ok("request.message", f"a {len(raw)}-byte message, display {display}")]
    if _parses_as_transaction(raw):
        checks.append(
            problem(
                "request.message",
                "the message parses as a Solana transaction: wallets refuse to signMessage it",
                hint="send it with signTransaction (sign-url --transaction)",
            )
        )
    if display == "utf8":
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            checks.append(
                warning(
                    "request.display",
                    "display is utf8 but the message is not UTF-8 text",
                    hint="use --display hex for binary messages",
                )
            )
    return checks


def _parses_as_transaction(raw: bytes) -> bool:
    for parse in (solana_tx.parse_transaction, solana_tx.parse_message):
        try:
            parse(raw)
        except BadInputError:
            continue
        return True
    return False


def lint_transaction(text: str, account: bytes | None, id_: str) -> list[Check]:
    """The checks of one transaction a request asks the wallet to sign."""
    try:
        raw = deeplink.decode_b58(text, id_)
    except BadInputError as exc:
        return [problem(id_, _encoding_reason(text, exc), hint="encode the transaction with bs58")]
    try:
        tx = solana_tx.parse_transaction(raw, what="the transaction")
    except BadInputError as exc:
        return [problem(id_, exc.message, hint="serialize it with requireAllSignatures: false")]
    message = tx.message
    checks = [
        ok(
            id_,
            f"a {tx.version} transaction: {len(message.instructions)} instruction(s), "
            f"{len(tx.signatures)} signature slot(s)",
        )
    ]
    if account is not None and message.fee_payer != account:
        checks.append(
            problem(
                f"{id_}.fee_payer",
                f"the fee payer {base58.encode(message.fee_payer)} is not the session's account "
                f"{base58.encode(account)}: the wallet refuses to sign",
                hint="set feePayer to the public key of the connect answer",
            )
        )
    if message.recent_blockhash == ZERO_BLOCKHASH:
        checks.append(
            problem(
                f"{id_}.blockhash",
                "the recent blockhash is missing (all zeros)",
                hint="set recentBlockhash from getLatestBlockhash just before building the request",
            )
        )
    return checks + _slots(tx, account, id_)


def _encoding_reason(text: str, exc: BadInputError) -> str:
    try:
        decoded = base64.b64decode(text, validate=True)
        solana_tx.parse_transaction(decoded)
    except (binascii.Error, ValueError):
        return exc.message
    return "the transaction is base64, not base58 (it parses as a transaction from base64)"


def _slots(tx: solana_tx.Transaction, account: bytes | None, id_: str) -> list[Check]:
    checks = []
    for slot in solana_tx.signature_slots(tx):
        who = base58.encode(slot.signer)
        if slot.signer == account:
            continue  # the wallet fills it
        if slot.status == solana_tx.SLOT_EMPTY:
            checks.append(
                problem(
                    f"{id_}.slot.{slot.index}",
                    f"signature slot {slot.index} ({who}) is empty and the wallet cannot fill it",
                    hint="sign with that key before sending (partialSign), keeping every slot",
                )
            )
        elif slot.status == solana_tx.SLOT_INVALID:
            checks.append(
                problem(
                    f"{id_}.slot.{slot.index}",
                    f"signature slot {slot.index} ({who}) does not verify over the message",
                    hint="sign after the message is final (blockhash and fee payer set)",
                )
            )
        else:
            checks.append(ok(f"{id_}.slot.{slot.index}", f"slot {slot.index} ({who}) is signed"))
    return checks
