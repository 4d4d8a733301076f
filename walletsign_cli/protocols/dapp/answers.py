"""Decode what a wallet sent back to the redirect link, against the keystore document.

Pure, like :func:`walletsign_cli.protocols.simulator.respond`: a redirect and a
:class:`Document` in, a :class:`RedirectResult` and the new document out. A connect answer
saves a session; any other answer is opened with the session whose shared secret fits and
matched to the request :func:`plan_request` remembered; a disconnect answer removes its
session. A forged or mismatched answer leaves the document as it was.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from walletsign_cli.core import base58, ed25519
from walletsign_cli.core.box import SharedSecret
from walletsign_cli.core.ed25519 import Ed25519PublicKey
from walletsign_cli.errors import (
    BadInputError,
    DecryptionError,
    InvalidSignatureError,
    KeystoreError,
)
from walletsign_cli.limits import MAX_URL_CHARS, check_size
from walletsign_cli.protocols import deeplink, paste
from walletsign_cli.protocols.dapp import transactions
from walletsign_cli.protocols.dapp.matching import match_connect
from walletsign_cli.protocols.dapp.recheck import signature_part
from walletsign_cli.protocols.dapp.result import RedirectResult, replay_warning
from walletsign_cli.protocols.dapp.sessions import mark_answered, pending_requests, resolve_session
from walletsign_cli.protocols.state import (
    Document,
    PendingRequest,
    SessionEntry,
    check_name,
    damaged,
    now_iso,
)

Candidates = list[tuple[str, SharedSecret]]
Chosen = tuple[str, PendingRequest] | None


def read_redirect(
    url: str, *, key: str | None = None, session: str | None = None
) -> deeplink.Redirect:
    """Parse a pasted redirect URL, checking the ``key`` and ``session`` names first; nothing
    is decrypted. What a paste adds (whitespace, quotes, brackets, a markdown link, ``&amp;``,
    percent-encoding) is removed and listed in :attr:`~deeplink.Redirect.repairs`."""
    check_size(len(url), MAX_URL_CHARS, "the redirect URL")
    url, repairs = paste.unwrap(url)
    read_names(key, session)
    if deeplink.looks_like_request(url):
        raise BadInputError(
            f"this is the {deeplink.request_method(url)} request deeplink (sent to the wallet), "
            "not the wallet's answer",
            hint="open it on the phone (or walletsign simulate it) and pass the URL the wallet "
            "opens; walletsign doctor shows what the request asks for",
        )
    redirect = deeplink.parse_redirect(url)
    return replace(redirect, repairs=tuple(repairs)) if repairs else redirect


def rejection(redirect: deeplink.Redirect) -> RedirectResult:
    """The result of an error redirect (``errorCode``/``errorMessage``)."""
    code = redirect.error_code
    assert code is not None  # noqa: S101 - only for kind "error"
    return RedirectResult(
        "rejected",
        error_code=code,
        error_name=deeplink.error_name(code),
        error_message=redirect.error_message or "",
        params=redirect.params,
    )


def answer(
    redirect: str | deeplink.Redirect,
    doc: Document,
    *,
    key: str | None = None,
    session: str | None = None,
    now: str | None = None,
) -> tuple[RedirectResult, Document]:
    """Decode a wallet's answer (a URL or a parsed :class:`~deeplink.Redirect`) against
    ``doc``; return the result and the document to save (``doc`` itself when nothing changes).

    ``key`` only tries that dapp key; ``session`` names the session a connect answer is
    saved under, or the only session other answers are opened with. Raises
    :class:`BadInputError` (malformed, undecryptable) or :class:`KeystoreError` (a named key
    or session that does not exist). A wallet error or a signature that does not verify is a
    result, not an exception: see :attr:`RedirectResult.exit_code`.
    """
    if isinstance(redirect, str):
        redirect = read_redirect(redirect, key=key, session=session)
    else:
        read_names(key, session)
    if redirect.kind == "error":
        return rejection(redirect), doc
    if key is not None:
        doc.dapp_keypair(key)  # exit 5 when it does not exist
    at = now or now_iso()
    if redirect.kind == "connect":
        result, new = _connect(redirect, doc, key, session, at)
    elif redirect.kind == "encrypted":
        result, new = _encrypted(redirect, doc, key, session, at)
    else:
        result, new = _disconnect(redirect, doc, session, at)
    result.params = redirect.params
    silent = [r for r in redirect.repairs if r.startswith("removed") and "whitespace" in r]
    result.notes += [
        f"the pasted URL was repaired: {r}" for r in redirect.repairs if r not in silent
    ]
    return result, new


def read_names(key: str | None, session: str | None) -> None:
    """Refuse a malformed ``--key`` or ``--session`` name (exit 3)."""
    if key is not None:
        check_name(key, option="--key")
    if session is not None:
        check_name(session, option="--session")


# -- connect ---------------------------------------------------------------------------------


def _connect(
    redirect: deeplink.Redirect, doc: Document, key: str | None, session: str | None, at: str
) -> tuple[RedirectResult, Document]:
    key_name, answer = _open_connect(redirect, doc, key)
    public_key, token, account = _connect_fields(answer)
    dapp_public = str(doc.dapp_keypair(key_name).public)
    wallet_from_param = _wallet_named_by(redirect.key_param)
    token_info = deeplink.parse_session_token(token)
    from_token: dict[str, Any] = token_info.data if token_info else {}
    match = match_connect(
        doc, dapp_public, wallet_from_param, str(redirect.wallet_public_key), from_token, token
    )
    rid, req = match.request_id, match.request
    wallet = wallet_from_param or (req and req.wallet) or redirect.wallet_hint or "wallet"
    session_name = session or _safe_name(wallet)
    entry = SessionEntry(
        wallet=wallet,
        base_url=_session_base(req, wallet),
        dapp_key=key_name,
        dapp_public_key=dapp_public,
        wallet_encryption_public_key=str(redirect.wallet_public_key),
        public_key=public_key,
        session=token,
        cluster=(req and req.cluster) or _text(from_token.get("cluster")),
        app_url=(req and req.app_url) or _text(from_token.get("app_url")),
        redirect_link=(req and req.redirect_link) or redirect.link,
        created_at=at,
    )
    # An older answer is not saved over the current session unless --session names one.
    save = not match.older or session is not None
    result = RedirectResult(
        "approved",
        method=deeplink.CONNECT,
        wallet=wallet,
        session_name=session_name,
        data=answer,
        key_name=key_name,
        request_id=rid,
        request=req,
        session_token=_token_doc(token_info, account),
        replay=match.older,
        warnings=match.warnings + _answered_before(req),
        saved=save,
        replaced=save and session_name in doc.sessions,
    )
    if not save:
        result.notes.append("the session was not saved: pass --session NAME to save it anyway")
        return result, doc
    new = doc.with_session(session_name, entry)
    if not match.fits:
        return result, new
    return result, mark_answered(new, rid, at, session_name=session_name)


def _answered_before(req: PendingRequest | None) -> list[str]:
    # A new wallet key: the user approved the same connect request again. Not a replay.
    if req is None or not req.answered_at:
        return []
    return [
        f"the connect request of {req.created_at} was answered before (at {req.answered_at}); "
        "this is a new answer, with a new session"
    ]


def _open_connect(
    redirect: deeplink.Redirect, doc: Document, key: str | None
) -> tuple[str, dict[str, Any]]:
    assert redirect.wallet_public_key is not None  # noqa: S101 - kind says so
    assert redirect.data is not None and redirect.nonce is not None  # noqa: S101
    names = [key] if key is not None else sorted(doc.keys)
    if not names:
        raise KeystoreError(
            "the keystore has no dapp key to open the connect answer",
            hint="the answer belongs to a connect-url made with another keystore",
        )
    candidates: Candidates = []
    for name in names:
        try:
            keypair = doc.dapp_keypair(name)
        except (KeystoreError, BadInputError):
            if key is not None:
                raise
            continue
        candidates.append((name, deeplink.connect_shared(redirect.wallet_public_key, keypair)))
    opened = deeplink.try_open(redirect.data, redirect.nonce, candidates)
    if opened is None:
        raise DecryptionError(
            f"data: no stored dapp key opens it ({len(candidates)} tried): tampered with, "
            "or sealed for another dapp key",
            hint="decode it with the keystore that made the connect-url (--keystore)",
        )
    return opened[0], deeplink.parse_plaintext(opened[1])


def _connect_fields(answer: dict[str, Any]) -> tuple[str, str, Ed25519PublicKey]:
    public_key = answer.get("public_key")
    token = answer.get("session")
    if not isinstance(public_key, str):
        raise BadInputError("data.public_key is missing from the connect answer")
    account = Ed25519PublicKey.from_base58(public_key, name="data.public_key")
    if not isinstance(token, str) or not token:
        raise BadInputError("data.session is missing from the connect answer")
    return public_key, token, account


def _wallet_named_by(key_param: str | None) -> str | None:
    # phantom_/solflare_ name their wallet; the generic wallet_ defers to what connect-url stored.
    for wallet in deeplink.WALLETS.values():
        if wallet.key_param == key_param and key_param != "wallet_encryption_public_key":
            return wallet.name
    return None


def _session_base(req: PendingRequest | None, wallet: str) -> str | None:
    if req is not None and req.wallet in (wallet, None) and req.base_url is not None:
        return req.base_url
    if wallet in deeplink.WALLETS:
        return deeplink.WALLETS[wallet].universal_base
    return None


def _token_doc(
    token_info: deeplink.SessionToken | None, account: Ed25519PublicKey
) -> dict[str, Any] | None:
    if token_info is None:
        return None
    return {
        "layout": "base58(signature64 || JSON)",
        "signed_by_public_key": token_info.signed_by(account.raw),
        "data": token_info.data,
    }


def _text(value: Any) -> str | None:
    # The session token is the wallet's JSON: only text fits a stored session field.
    return value if isinstance(value, str) else None


def _safe_name(text: str) -> str:
    try:
        return check_name(text)
    except BadInputError:
        return "wallet"


# -- encrypted answers -----------------------------------------------------------------------


def _encrypted(
    redirect: deeplink.Redirect, doc: Document, key: str | None, session: str | None, at: str
) -> tuple[RedirectResult, Document]:
    assert redirect.data is not None and redirect.nonce is not None  # noqa: S101
    # Both directions of a session share one key, so a request opens like an answer: refuse
    # walletsign's own requests (remembered under their nonce) pasted back.
    if base58.encode(redirect.nonce) in doc.requests:
        raise BadInputError(
            "nonce: this is the nonce of a request walletsign built, not of a wallet answer",
            hint="pass the URL the wallet opened (its own nonce and data), not the deeplink",
        )
    candidates = _session_candidates(doc, key, session)
    session_name, answer = _open_answer(redirect, candidates)
    entry = doc.sessions[session_name]
    methods = deeplink.method_for_answer(answer)
    requests = pending_requests(
        doc, lambda r: r.session_name == session_name and r.method in methods
    )
    chosen, verified = _match(answer, methods, entry, requests)
    req = chosen[1] if chosen else None
    method = (req and req.method) or (methods[0] if len(methods) == 1 else None)
    checks = _transaction_checks(method, answer, req, entry)
    if checks is not None:
        verified = transactions.summary(checks)
    result = RedirectResult(
        "approved",
        method=method,
        wallet=entry.wallet,
        session_name=session_name,
        data=answer,
        verified=verified,
        request_id=chosen[0] if chosen else None,
        request=req,
        replay=bool(req and req.answered_at),
        warnings=replay_warning(req),
        public_key=entry.public_key,
    )
    if checks is not None:
        _add_transaction_findings(result, checks)
    _add_findings(result, answer)
    if verified is False:
        # A forged or mismatched answer must not use up the request: the genuine answer
        # that follows would otherwise be flagged as a replay.
        return result, doc
    return result, mark_answered(doc, result.request_id, at)


def _session_candidates(doc: Document, key: str | None, session: str | None) -> Candidates:
    if session is not None:
        resolve_session(doc, session)  # exit 5 when it does not exist
        names = [session]
    else:
        names = sorted(n for n, s in doc.sessions.items() if key is None or s.dapp_key == key)
    candidates: Candidates = []
    unusable: list[KeystoreError | BadInputError] = []
    for name in names:
        try:
            candidates.append((name, resolve_session(doc, name).shared))
        except (KeystoreError, BadInputError) as exc:
            if session is not None:
                raise
            unusable.append(exc)
    if not candidates and unusable:
        raise KeystoreError(
            f"data: no saved session is usable ({len(unusable)} damaged or stale): "
            f"{unusable[0].message}",
            hint=unusable[0].hint,
        )
    if not candidates:
        hint = "decode the wallet's connect answer first: it saves the session"
        if not doc.keys:
            hint = (
                "this keystore holds no dapp key: use the one that built the request (--keystore)"
            )
        raise DecryptionError("data: no saved session can open it", hint=hint)
    return candidates


def _open_answer(redirect: deeplink.Redirect, candidates: Candidates) -> tuple[str, dict[str, Any]]:
    assert redirect.data is not None and redirect.nonce is not None  # noqa: S101
    opened = deeplink.try_open(redirect.data, redirect.nonce, candidates)
    if opened is None:
        raise DecryptionError(
            f"data: no saved session opens it ({len(candidates)} tried): tampered with, "
            "or sealed for another dapp key",
        )
    answer = deeplink.parse_plaintext(opened[1])
    if "session" in answer:
        # Only requests (and connect answers, handled elsewhere) carry a session token.
        raise BadInputError(
            "data: this decrypts to a request payload (it carries a session), not a wallet answer",
            hint="pass the URL the wallet opened, not the deeplink sent to it",
        )
    return opened[0], answer


def _match(
    answer: dict[str, Any],
    methods: tuple[str, ...],
    entry: SessionEntry,
    requests: list[tuple[str, PendingRequest]],
) -> tuple[Chosen, bool | None]:
    """The remembered request ``answer`` answers, and whether its signature verifies."""
    if deeplink.SIGN_MESSAGE in methods:
        signed = _signed_request(answer, entry, requests)
        if signed is not None:
            return signed, True
    if not requests:
        return None, None
    chosen = _same_transaction(answer, requests) or requests[0]
    return chosen, (False if chosen[1].method == deeplink.SIGN_MESSAGE else None)


def _same_transaction(answer: dict[str, Any], requests: list[tuple[str, PendingRequest]]) -> Chosen:
    """The request whose first transaction has the returned first transaction's message."""
    texts = answer.get("transactions") or [answer.get("transaction")]
    if not isinstance(texts, list) or not isinstance(texts[0], str):
        return None
    try:
        got = transactions.parse_b58_transaction(texts[0], "data.transaction").message.raw
    except BadInputError:
        return None
    for candidate in requests:
        asked = candidate[1].transactions or ()
        try:
            if asked and transactions.parse_b58_transaction(asked[0], "").message.raw == got:
                return candidate
        except BadInputError:
            continue
    return None


def _account(entry: SessionEntry) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_base58(entry.public_key or "", name="session public key")
    except BadInputError as exc:
        raise damaged(exc) from None


def _transaction_checks(
    method: str | None, answer: dict[str, Any], req: PendingRequest | None, entry: SessionEntry
) -> list[transactions.TransactionCheck] | None:
    """The checks of a transaction answer (signAndSend only against a remembered request)."""
    if method in (deeplink.SIGN_TRANSACTION, deeplink.SIGN_ALL_TRANSACTIONS) or (
        method == deeplink.SIGN_AND_SEND_TRANSACTION and req is not None
    ):
        asked = req.transactions if req is not None else None
        return transactions.check_answer(method, answer, asked, _account(entry).raw)
    return None


def _add_transaction_findings(
    result: RedirectResult, checks: list[transactions.TransactionCheck]
) -> None:
    result.transaction_checks = [c.to_json() for c in checks]
    result.modified = any(c.modified for c in checks)
    many = len(checks) > 1
    for check in checks:
        where = f"transaction {check.index + 1}: " if many else ""
        if check.problem is not None:
            result.warnings.append(where + check.problem)
        if check.modified:
            result.warnings.append(
                f"{where}the wallet changed the transaction: {len(check.differences)} "
                "difference(s) from the requested message (see the diff)"
            )
        for slot in check.slots:
            if slot.index != check.account_slot and slot.status != "valid":
                result.notes.append(
                    f"{where}signature slot {slot.index} ({base58.encode(slot.signer)}) is "
                    f"{slot.status}: another signer must still sign"
                )


def _signed_request(
    answer: dict[str, Any], entry: SessionEntry, requests: list[tuple[str, PendingRequest]]
) -> Chosen:
    """The first signMessage (or signAndSendTransaction) request whose message (or
    transaction message) the answer's signature signs."""
    signature_text = answer["signature"]
    if not isinstance(signature_text, str):
        raise BadInputError("data.signature is not a string")
    raw = deeplink.decode_b58(signature_text, "data.signature")
    account = _account(entry)
    for candidate in requests:
        try:
            message = _signed_bytes(candidate[1])
            if message is None:
                continue
            ed25519.verify(account.raw, message, signature_part(raw, message))
        except (InvalidSignatureError, BadInputError):
            continue
        return candidate
    if len(raw) != ed25519.SIGNATURE_SIZE:
        raise BadInputError(f"data.signature must be 64 bytes, got {len(raw)}")
    return None


def _signed_bytes(req: PendingRequest) -> bytes | None:
    """What a signature answering ``req`` signs: the message, or the transaction's message."""
    if req.method == deeplink.SIGN_MESSAGE:
        return base58.decode(req.message or "")
    if req.method == deeplink.SIGN_AND_SEND_TRANSACTION and req.transactions:
        tx = transactions.parse_b58_transaction(req.transactions[0], "the requested transaction")
        return tx.message.raw
    return None


def signature_layout(raw: bytes, message: bytes) -> str | None:
    """``message || signature`` or ``signature || message`` when ``raw`` is one of those."""
    size = ed25519.SIGNATURE_SIZE
    if len(raw) != size + len(message):
        return None
    if raw[:-size] == message:
        return "message || signature"
    if raw[size:] == message:
        return "signature || message"
    return None


def _add_findings(result: RedirectResult, answer: dict[str, Any]) -> None:
    """Notes and warnings about what was (not) checked."""
    req = result.request
    if result.verified and req is not None and req.method == deeplink.SIGN_MESSAGE:
        raw = base58.decode(str(answer["signature"]))
        layout = signature_layout(raw, base58.decode(req.message or ""))
        if layout is not None:
            result.warnings.append(
                f"data.signature is {layout} ({len(raw)} bytes), not a 64-byte signature: "
                "its 64-byte signature part verifies"
            )
    if req is None:
        checked = (
            "the signatures were checked, not what was signed"
            if result.transaction_checks
            else "nothing was checked"
        )
        result.notes.append(f"no remembered request matches this answer; {checked}")
    if result.verified is False and result.method == deeplink.SIGN_MESSAGE:
        result.warnings.append(
            "the signature does not verify against the requested message and the "
            "session's public key"
        )
    asked = req.transactions if req is not None else None
    got = answer.get("transactions")
    if (
        result.method == deeplink.SIGN_ALL_TRANSACTIONS
        and asked is not None
        and (not isinstance(got, list) or len(got) != len(asked))
    ):
        count = len(got) if isinstance(got, list) else "no"
        result.warnings.append(f"asked for {len(asked)} transactions, got {count}")


# -- disconnect ------------------------------------------------------------------------------


def _disconnect(
    redirect: deeplink.Redirect, doc: Document, session: str | None, at: str
) -> tuple[RedirectResult, Document]:
    requests = pending_requests(
        doc,
        lambda r: (
            r.method == deeplink.DISCONNECT
            and (session is None or r.session_name == session)
            and r.redirect_link in (redirect.url, redirect.link)
        ),
    )
    if not requests:
        raise BadInputError(
            "the redirect URL has no nonce, data or errorCode parameter",
            hint="only a disconnect answer is empty, and no disconnect-url used this link",
        )
    rid, req = requests[0]
    name = req.session_name
    stored = doc.sessions.get(name) if name is not None else None
    # A session saved after the disconnect request is a new connection: keep it.
    remove = stored is not None and (stored.created_at or "") <= (req.created_at or "")
    result = RedirectResult(
        "approved",
        method=deeplink.DISCONNECT,
        wallet=req.wallet,
        session_name=name,
        request_id=rid,
        request=req,
        replay=bool(req.answered_at),
        warnings=replay_warning(req),
        session_removed=remove,
    )
    new = mark_answered(doc, rid, at)
    if remove and name is not None:
        new = new.without_session(name)
    return result, new
