"""Diagnose a wallet's answer: everything that can be told without the dapp key, then (with a
keystore) which stored key or session opens it and what decoding it would find.

Without a keystore an answer still tells its kind (an error, a connect answer, a session
answer), the wallet (by its key parameter), the wallet's encryption key, and whether its
``nonce`` and ``data`` have the lengths a sealed answer has (a cut-off paste is the likelier
cause of "cannot decrypt" when ``data`` is shorter than the smallest answer).
"""

from __future__ import annotations

import math
from dataclasses import replace

from walletsign_cli.core import base58, box, ed25519
from walletsign_cli.errors import BadInputError, InvalidSignatureError, WalletsignError
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp import answers
from walletsign_cli.protocols.dapp.result import RedirectResult
from walletsign_cli.protocols.dapp.sessions import resolve_session
from walletsign_cli.protocols.dapp.transactions import describe_difference
from walletsign_cli.protocols.diagnosis.checks import PROBLEM, Check, ok, problem, warning
from walletsign_cli.protocols.state import Document

# The smallest sealed answers: ``{"public_key":"<32 chars>","session":"<80 chars>"}`` (a
# base58 key and a token of at least a 64-byte signature), ``{"signature":"<80 chars>"}``; each
# plus box's 16-byte tag. 64 random bytes are 86 to 88 base58 characters; fewer than 80 has a
# chance of about 2^-43, so a shorter ``data`` was cut off.
MIN_B58_SIGNATURE = 80
MIN_CONNECT_DATA = len('{"public_key":"","session":""}') + 32 + MIN_B58_SIGNATURE + box.TAG_SIZE
MIN_ANSWER_DATA = len('{"signature":""}') + MIN_B58_SIGNATURE + box.TAG_SIZE

B58_PER_BYTE = math.log(256) / math.log(58)
CUT_SLACK = 4  # base58 lengths vary by a character or two; the public key by up to 12

ERROR_HINTS: dict[int, str] = {
    4001: "the user pressed Reject: nothing is wrong with the request",
    4100: "the wallet has not authorized this dapp: connect again",
    4900: "the wallet is disconnected: connect again",
    -32000: "the wallet could not read the request: run walletsign doctor on the deeplink",
    -32002: "the wallet is busy with another request: try again",
    -32003: "the wallet refused the transaction: run walletsign doctor on the deeplink "
    "(fee payer, blockhash, signature slots)",
    -32601: "the wallet does not know this method",
    -32603: "the wallet failed on the request: run walletsign doctor on the deeplink "
    "(transaction encoding, fee payer, blockhash, signature slots, length)",
}


def diagnose_answer(url: str, doc: Document | None, keystore: str | None) -> list[Check]:
    """Every check of a wallet's answer (``doc`` is the keystore, ``None`` when there is none)."""
    try:
        redirect = deeplink.parse_redirect(url)
    except BadInputError as exc:
        return [problem("answer.parse", exc.message, exc.hint)]
    if redirect.kind == "error":
        return [_error(redirect)]
    if redirect.kind == "empty":
        return [
            ok(
                "answer.kind",
                "no nonce, data or errorCode: a disconnect answer, or the redirect link alone",
            )
        ]
    checks = _shape(redirect)
    if doc is None:
        return [*checks, _no_keystore(keystore, redirect.kind)]
    found = checks + (
        _connect(redirect, doc) if redirect.kind == "connect" else _encrypted(redirect, doc)
    )
    return _blame_the_cut(found)


def _blame_the_cut(checks: list[Check]) -> list[Check]:
    # A cut-off data value is the likelier reason nothing opens it: say so where it fails.
    if not any(c.id == "answer.data" and c.status == PROBLEM for c in checks):
        return checks
    return [
        replace(c, hint="the data value was cut off (see answer.data): nothing can open it")
        if c.id == "answer.decrypt" and c.status == PROBLEM
        else c
        for c in checks
    ]


def _error(redirect: deeplink.Redirect) -> Check:
    code = redirect.error_code
    assert code is not None  # noqa: S101 - kind "error"
    message = redirect.error_message or ""
    hint = ERROR_HINTS.get(code, "see the wallet's error table")
    if "sharing secret" in message.lower():
        hint = "the wallet holds no session for this dapp key (reinstalled, or disconnected): "
        hint += "connect again"
    return problem(
        "answer.error",
        f"the wallet answered with error {code} {deeplink.error_name(code)}: {message}",
        hint=hint,
    )


def _shape(redirect: deeplink.Redirect) -> list[Check]:
    assert redirect.data is not None  # noqa: S101 - kinds connect and encrypted
    size = len(redirect.data)
    if redirect.kind == "connect":
        wallet = redirect.wallet_hint or "a wallet that names no wallet"
        kind = ok(
            "answer.kind",
            f"a connect answer from {wallet} ({redirect.key_param}); its encryption key is "
            f"{redirect.wallet_public_key}",
        )
        least, what = MIN_CONNECT_DATA, "a connect answer"
    else:
        kind = ok(
            "answer.kind",
            "an answer to a session request (signMessage, a transaction method): its method "
            "shows once it is decrypted",
        )
        least, what = MIN_ANSWER_DATA, "any session answer"
    checks = [kind, ok("answer.nonce", "nonce: 24 bytes")]
    if size < least:
        checks.append(
            problem(
                "answer.data",
                f"data is {size} bytes, shorter than {what} can be ({least}): the URL was cut "
                "off (a truncated paste), not sealed for another key",
                hint="copy the whole redirect URL again",
            )
        )
    else:
        checks.append(
            ok("answer.data", f"data: {size} bytes sealed ({size - box.TAG_SIZE} of JSON)")
        )
    return checks


def _no_keystore(keystore: str | None, kind: str) -> Check:
    where = f"keystore {keystore}" if keystore else "no keystore"
    needed = (
        "the dapp's secret key that made the connect-url request"
        if kind == "connect"
        else "the session the dapp saved when it decoded the wallet's connect answer"
    )
    return warning(
        "answer.keystore",
        f"{where}: the rest (decrypting, matching, verifying) needs {needed}",
        hint="run doctor where connect-url ran, or pass --keystore PATH of that keystore",
    )


def _connect(redirect: deeplink.Redirect, doc: Document) -> list[Check]:
    assert redirect.wallet_public_key is not None and redirect.data is not None  # noqa: S101
    assert redirect.nonce is not None  # noqa: S101
    candidates = []
    for name in sorted(doc.keys):
        try:
            candidates.append(
                (name, deeplink.connect_shared(redirect.wallet_public_key, doc.dapp_keypair(name)))
            )
        except WalletsignError:
            continue
    opened = deeplink.try_open(redirect.data, redirect.nonce, candidates)
    if opened is None:
        cut = _cut_connect(len(redirect.data), doc)
        return [_no_key_opens(doc, len(candidates)), *cut]
    checks = [ok("answer.decrypt", f"opened with dapp key {opened[0]!r}")]
    return checks + _decode(redirect, doc)


def expected_connect_size(app_url: str, cluster: str) -> int:
    """About how many bytes a connect answer's ``data`` has for a request, if the wallet
    uses Phantom's documented session layout (uncertain: the token is opaque to dapps)."""
    claims = {"app_url": app_url, "timestamp": 1_700_000_000, "chain": "solana", "cluster": cluster}
    token = math.ceil((64 + len(deeplink.payload_json(claims))) * B58_PER_BYTE)
    plain = {"public_key": "x" * 44, "session": "x" * token}
    return len(deeplink.payload_json(plain)) + box.TAG_SIZE


def _cut_connect(size: int, doc: Document) -> list[Check]:
    requests = [r for r in doc.requests.values() if r.method == deeplink.CONNECT and r.app_url]
    for req in sorted(requests, key=lambda r: r.created_at or "", reverse=True):
        expected = expected_connect_size(req.app_url or "", req.cluster or "mainnet-beta")
        if size < expected - CUT_SLACK:
            return [
                problem(
                    "answer.data",
                    f"data is {size} bytes; the answer to the connect request of "
                    f"{req.created_at} would be about {expected} (with Phantom's documented "
                    "session layout): the URL was probably cut off (a truncated paste)",
                    hint="copy the whole redirect URL again",
                )
            ]
    return []


def _no_key_opens(doc: Document, tried: int) -> Check:
    stored = {entry.public_key for entry in doc.keys.values()}
    orphans = [
        r
        for r in doc.requests.values()
        if r.method == deeplink.CONNECT and r.dapp_public_key not in stored
    ]
    if orphans:
        hint = (
            f"connect-url made a request at {orphans[0].created_at} with dapp key "
            f"{orphans[0].dapp_key!r} = {orphans[0].dapp_public_key}, since replaced (keygen "
            "--force?): connect again"
        )
    elif tried == 0:
        hint = "this keystore has no dapp key: use the keystore that ran connect-url"
    else:
        hint = "sealed for a dapp key of another keystore (or a web reload lost the keypair)"
    return problem("answer.decrypt", f"no stored dapp key opens it ({tried} tried)", hint=hint)


def _encrypted(redirect: deeplink.Redirect, doc: Document) -> list[Check]:
    assert redirect.data is not None and redirect.nonce is not None  # noqa: S101
    candidates = []
    unusable: list[WalletsignError] = []
    for name in sorted(doc.sessions):
        try:
            candidates.append((name, resolve_session(doc, name).shared))
        except WalletsignError as exc:
            unusable.append(exc)
    opened = deeplink.try_open(redirect.data, redirect.nonce, candidates)
    if opened is not None:
        checks = [ok("answer.decrypt", f"opened with session {opened[0]!r}")]
        return checks + _decode(redirect, doc)
    if unusable:
        hint = f"{len(unusable)} saved session(s) cannot be used: {unusable[0].message}"
    elif not candidates:
        hint = "decode the wallet's connect answer first: it saves the session"
    else:
        hint = "the answer is for a session of another keystore, or one replaced since"
    return [
        problem("answer.decrypt", f"no saved session opens it ({len(candidates)} tried)", hint=hint)
    ]


def _decode(redirect: deeplink.Redirect, doc: Document) -> list[Check]:
    """What decode-redirect would find (nothing is saved)."""
    try:
        result, _ = answers.answer(redirect, doc)
    except WalletsignError as exc:
        return [problem("answer.decode", exc.message, exc.hint)]
    return result_checks(result, doc)


def result_checks(result: RedirectResult, doc: Document) -> list[Check]:
    """The checks of a decoded answer."""
    checks = [ok("answer.method", f"method {result.method or 'unknown'}"), _request(result)]
    # The verdict below says whether (and how) the signature verifies.
    said = "the signature does not verify against the requested message"
    checks += [_stale_or_replay(text) for text in result.warnings if not text.startswith(said)]
    checks += [ok("answer.note", text) for text in result.notes]
    if result.method == deeplink.CONNECT:
        return checks + _token(result)
    if result.method == deeplink.DISCONNECT:
        return checks
    return [*checks, *_differences(result), _verdict(result, doc)]


def _differences(result: RedirectResult) -> list[Check]:
    out = []
    for check in result.transaction_checks or ():
        if check["diff"]:
            lines = "; ".join(describe_difference(d) for d in check["diff"])
            out.append(warning(f"answer.transaction.{check['index'] + 1}.diff", lines))
    return out


def _request(result: RedirectResult) -> Check:
    req = result.request
    if req is None:
        return warning(
            "answer.request",
            "it answers no request this keystore remembers",
            hint="requests built with connect-url and sign-url are remembered, and checked",
        )
    where = f" ({req.cluster})" if req.method == deeplink.CONNECT and req.cluster else ""
    return ok("answer.request", f"it answers the {req.method} request of {req.created_at}{where}")


def _stale_or_replay(text: str) -> Check:
    if "does not verify" in text or "is not a signer" in text:
        return problem("answer.signature", text)
    return warning("answer.warning", text)


def _token(result: RedirectResult) -> list[Check]:
    token = result.session_token
    if token is None:
        return [ok("answer.session", "the session token is opaque (not Phantom's layout)")]
    signed = token["signed_by_public_key"]
    checks = [
        ok("answer.session", "the session token is signed by the account")
        if signed
        else warning("answer.session", "the session token is NOT signed by the account")
    ]
    cluster = token["data"].get("cluster", "mainnet-beta")
    asked = result.request.cluster if result.request is not None else None
    if asked is not None and cluster != asked:
        checks.append(
            problem(
                "answer.cluster",
                f"the wallet issued the session for {cluster}, but the request asked {asked}",
                hint="switch the wallet's network (or connect with --cluster "
                f"{cluster}): a {asked} transaction will fail on {cluster}",
            )
        )
    else:
        checks.append(ok("answer.cluster", f"the session is for {cluster}"))
    return checks


def _verdict(result: RedirectResult, doc: Document) -> Check:
    if result.verified is True:
        return ok("answer.signature", "the signature verifies with the session's public key")
    if result.verified is None:
        return warning(
            "answer.signature",
            "the signature was not checked: no remembered request fits this answer",
            hint="build requests with walletsign sign-url so that their answers can be checked",
        )
    form = signature_form(result, doc)
    if form is not None:
        return warning("answer.signature", form, hint="use the 64-byte signature named above")
    return problem(
        "answer.signature",
        "the signature does not verify with the session's public key",
        hint="the answer was signed by another key or over other bytes",
    )


def signature_form(result: RedirectResult, doc: Document) -> str | None:
    """Say what a signMessage signature that does not verify really is, when it is a known
    mistake: a signature over the hex text of the message instead of its bytes, or over the
    bytes a hex text spells instead of the text (utf8 vs hex display)."""
    text = result.data.get("signature")
    req = result.request
    entry = doc.sessions.get(result.session_name or "")
    if not isinstance(text, str) or req is None or req.message is None or entry is None:
        return None
    try:
        raw = base58.decode(text, name="signature")
        message = base58.decode(req.message, name="message")
        account = base58.decode_exact(entry.public_key or "", 32, name="public key")
    except BadInputError:
        return None
    for label, signature, signed in _forms(raw, message):
        try:
            ed25519.verify(account, signed, signature)
        except (InvalidSignatureError, BadInputError):
            continue
        return label
    return None


def _forms(raw: bytes, message: bytes) -> list[tuple[str, bytes, bytes]]:
    # message || signature is accepted (with a warning) by the decoding itself.
    if len(raw) != ed25519.SIGNATURE_SIZE:
        return []
    forms = [
        ("the signature is over the message's hex text, not its bytes", raw, message.hex().encode())
    ]
    try:
        spelled = bytes.fromhex(message.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return forms
    forms.append(
        ("the signature is over the bytes the hex text spells, not the text", raw, spelled)
    )
    return forms
