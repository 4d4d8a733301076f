"""``walletsign decode-redirect``: open what a wallet sent back to the redirect link.

:func:`decode_redirect` does the work and returns a :class:`RedirectResult` (raising the
typed errors); :func:`report` prints it and returns the exit code. ``listen`` reuses both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from walletsign_cli.cli.completion import complete_keys, complete_sessions
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.output import json_option, printable
from walletsign_cli.errors import BadInputError, DecryptionError, ExitCode, KeystoreError
from walletsign_cli.keystore import Data, damaged
from walletsign_cli.protocols import deeplink

if TYPE_CHECKING:
    from walletsign_cli.cli.render import Tone

Apply = Callable[[Data], None]


@dataclass
class RedirectResult:
    """A decoded wallet answer; the human and JSON renderers both take this."""

    status: str  # "approved" or "rejected"
    method: str | None = None
    wallet: str | None = None
    session_name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    verified: bool | None = None
    error_code: int | None = None
    error_name: str | None = None
    error_message: str | None = None
    replay: bool = False
    saved: bool = False
    session_removed: bool = False
    replaced: bool = False
    key_name: str | None = None
    request_id: str | None = None
    request: dict[str, Any] | None = None  # the remembered request it answers (for humans)
    session_token: dict[str, Any] | None = None
    params: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """4 for a wallet error, 1 for a signature that does not verify, else 0."""
        if self.status == "rejected":
            return int(ExitCode.WALLET_REJECTED)
        if self.verified is False:
            return int(ExitCode.INVALID_SIGNATURE)
        return int(ExitCode.OK)

    def to_json(self) -> dict[str, Any]:
        """The SPEC's JSON document for this answer."""
        if self.status == "rejected":
            return {
                "status": "rejected",
                "error_code": self.error_code,
                "error_name": self.error_name,
                "error_message": self.error_message,
            }
        doc: dict[str, Any] = {"status": "approved", "method": self.method}
        if self.method == deeplink.CONNECT:
            doc |= {
                "wallet": self.wallet,
                "session_name": self.session_name,
                "data": self.data,
                "saved": self.saved,
                "key": self.key_name,
            }
            if self.session_token is not None:
                doc["session_token"] = self.session_token
        else:
            doc |= {
                "session_name": self.session_name,
                "data": self.data,
                "verified": self.verified,
                "wallet": self.wallet,
            }
            if self.session_removed:
                doc["session_removed"] = True
        if self.replay:
            doc["replay"] = True
        return doc


# -- decoding ----------------------------------------------------------------------------------


def decode_redirect(
    env: Environment, url: str, *, key: str | None, session: str | None, no_save: bool
) -> RedirectResult:
    """Decode a redirect URL against the keystore, saving what it establishes.

    Raises :class:`BadInputError` (malformed, undecryptable) or :class:`KeystoreError`
    (a named key or session that does not exist). A wallet error or a signature that does
    not verify is a result, not an exception: see :attr:`RedirectResult.exit_code`.
    """
    from walletsign_cli.keystore import check_name, dapp_keypair
    from walletsign_cli.limits import MAX_URL_CHARS, check_size

    check_size(len(url), MAX_URL_CHARS, "the redirect URL")
    url = deeplink.clean_pasted_url(url)
    if key is not None:
        check_name(key, option="--key")
    if session is not None:
        check_name(session, option="--session")
    redirect = deeplink.parse_redirect(url)
    if redirect.kind == "error":
        code = redirect.error_code
        assert code is not None  # noqa: S101 - kind says so
        return RedirectResult(
            "rejected",
            error_code=code,
            error_name=deeplink.error_name(code),
            error_message=redirect.error_message or "",
            params=redirect.params,
        )

    store = env.keystore()
    data = store.load()
    if key is not None:
        dapp_keypair(data, key)  # exit 5 when it does not exist
    if redirect.kind == "connect":
        result, apply = _connect(redirect, data, key, session)
    elif redirect.kind == "encrypted":
        result, apply = _answer(redirect, data, key, session)
    else:
        result, apply = _disconnect(redirect, data, session)
    result.params = redirect.params
    if no_save:
        if result.method == deeplink.CONNECT:
            result.notes.append("the session was not saved (--no-save)")
    else:
        with store.transaction() as fresh:
            apply(fresh)
        result.saved = result.method == deeplink.CONNECT
    return result


def _newest_first(items: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    # Unanswered requests first, then the most recent.
    return sorted(
        items,
        key=lambda item: (not item[1].get("answered_at"), str(item[1].get("created_at", ""))),
        reverse=True,
    )


def _clean(entry: dict[str, Any]) -> dict[str, Any]:
    # A hand-edited keystore may hold anything: read only well-typed fields.
    out: dict[str, Any] = {k: v for k, v in entry.items() if isinstance(v, str)}
    transactions = entry.get("transactions")
    if isinstance(transactions, list) and all(isinstance(t, str) for t in transactions):
        out["transactions"] = transactions
    return out


def _requests(data: Data, **match: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for rid, raw in data["requests"].items():
        if not isinstance(raw, dict):
            continue
        entry = _clean(raw)
        if all(
            (entry.get(k) in v) if isinstance(v, tuple) else entry.get(k) == v
            for k, v in match.items()
        ):
            out.append((rid, entry))
    return _newest_first(out)


def _mark_answered(rid: str | None, **changes: Any) -> Apply:
    from walletsign_cli.keystore import now_iso

    def apply(data: Data) -> None:
        entry = data["requests"].get(rid) if rid else None
        if isinstance(entry, dict):
            entry.update(changes)
            entry.setdefault("answered_at", now_iso())

    return apply


def _replay_warning(entry: dict[str, Any] | None) -> list[str]:
    if entry and entry.get("answered_at"):
        return [
            f"this {entry.get('method')} request was already answered at "
            f"{entry['answered_at']}: a replayed answer?"
        ]
    return []


def _safe_name(text: str) -> str:
    from walletsign_cli.keystore import check_name

    try:
        return check_name(text)
    except BadInputError:
        return "wallet"


def _connect(
    redirect: deeplink.Redirect, data: Data, key: str | None, session: str | None
) -> tuple[RedirectResult, Apply]:
    from walletsign_cli.core.ed25519 import Ed25519PublicKey
    from walletsign_cli.keystore import dapp_keypair, now_iso

    assert redirect.wallet_public_key is not None  # noqa: S101 - kind says so
    assert redirect.data is not None and redirect.nonce is not None  # noqa: S101
    names = [key] if key is not None else sorted(data["keys"])
    if not names:
        raise KeystoreError(
            "the keystore has no dapp key to open the connect answer",
            hint="the answer belongs to a connect-url made with another keystore",
        )
    candidates = []
    for name in names:
        try:
            keypair = dapp_keypair(data, name)
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
    key_name, plaintext = opened
    answer = deeplink.parse_plaintext(plaintext)
    public_key = answer.get("public_key")
    token = answer.get("session")
    if not isinstance(public_key, str):
        raise BadInputError("data.public_key is missing from the connect answer")
    account = Ed25519PublicKey.from_base58(public_key, name="data.public_key")
    if not isinstance(token, str) or not token:
        raise BadInputError("data.session is missing from the connect answer")

    dapp_public = str(dapp_keypair(data, key_name).public)
    # phantom_/solflare_ name their wallet; the generic wallet_ defers to what connect-url stored.
    specific = {
        w.key_param: w.name
        for w in deeplink.WALLETS.values()
        if w.key_param != "wallet_encryption_public_key"
    }
    requests = _requests(data, method=deeplink.CONNECT, dapp_public_key=dapp_public)
    wallet_from_param = specific.get(redirect.key_param or "")
    if wallet_from_param is not None:
        requests.sort(key=lambda item: item[1].get("wallet") != wallet_from_param)
    rid, req = requests[0] if requests else (None, None)
    wallet = wallet_from_param or (req or {}).get("wallet") or redirect.wallet_hint or "wallet"
    session_name = session or _safe_name(wallet)

    token_info = deeplink.parse_session_token(token)
    token_doc = None
    if token_info is not None:
        token_doc = {
            "layout": "base58(signature64 || JSON)",
            "signed_by_public_key": token_info.signed_by(account.raw),
            "data": token_info.data,
        }
    base_url = None
    if req is not None and req.get("wallet") in (wallet, None):
        base_url = req.get("base_url")
    if base_url is None and wallet in deeplink.WALLETS:
        base_url = deeplink.WALLETS[wallet].universal_base
    from_token = token_info.data if token_info else {}
    entry = {
        "wallet": wallet,
        "base_url": base_url,
        "dapp_key": key_name,
        "dapp_public_key": dapp_public,
        "wallet_encryption_public_key": str(redirect.wallet_public_key),
        "public_key": public_key,
        "session": token,
        "cluster": (req or {}).get("cluster") or from_token.get("cluster"),
        "app_url": (req or {}).get("app_url") or from_token.get("app_url"),
        "redirect_link": (req or {}).get("redirect_link") or redirect.link,
        "created_at": now_iso(),
    }
    result = RedirectResult(
        "approved",
        method=deeplink.CONNECT,
        wallet=wallet,
        session_name=session_name,
        data=answer,
        key_name=key_name,
        request_id=rid,
        request=req,
        session_token=token_doc,
        replay=bool(req and req.get("answered_at")),
        warnings=_replay_warning(req),
    )
    result.replaced = session_name in data["sessions"]
    mark = _mark_answered(rid, session_name=session_name)

    def apply(fresh: Data) -> None:
        fresh["sessions"][session_name] = entry
        mark(fresh)

    return result, apply


def _answer(
    redirect: deeplink.Redirect, data: Data, key: str | None, session: str | None
) -> tuple[RedirectResult, Apply]:
    from walletsign_cli.cli.sign_url import resolve_session
    from walletsign_cli.core import base58
    from walletsign_cli.core.ed25519 import Ed25519PublicKey
    from walletsign_cli.errors import InvalidSignatureError

    assert redirect.data is not None and redirect.nonce is not None  # noqa: S101
    # Both directions of a session share one key, so a request opens like an answer: refuse
    # walletsign's own requests (remembered under their nonce) pasted back.
    if base58.encode(redirect.nonce) in data["requests"]:
        raise BadInputError(
            "nonce: this is the nonce of a request walletsign built, not of a wallet answer",
            hint="pass the URL the wallet opened (its own nonce and data), not the deeplink",
        )
    sessions = data["sessions"]
    if session is not None:
        resolve_session(data, session)  # exit 5 when it does not exist
        names = [session]
    else:
        names = sorted(
            n
            for n in sessions
            if key is None or (isinstance(sessions[n], dict) and sessions[n].get("dapp_key") == key)
        )
    candidates = []
    unusable: list[KeystoreError | BadInputError] = []
    for name in names:
        try:
            candidates.append((name, resolve_session(data, name).shared))
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
        raise DecryptionError(
            "data: no saved session can open it",
            hint="decode the wallet's connect answer first: it saves the session",
        )
    opened = deeplink.try_open(redirect.data, redirect.nonce, candidates)
    if opened is None:
        raise DecryptionError(
            f"data: no saved session opens it ({len(candidates)} tried): tampered with, "
            "or sealed for another dapp key",
        )
    session_name, plaintext = opened
    answer = deeplink.parse_plaintext(plaintext)
    if "session" in answer:
        # Only requests (and connect answers, handled elsewhere) carry a session token.
        raise BadInputError(
            "data: this decrypts to a request payload (it carries a session), not a wallet answer",
            hint="pass the URL the wallet opened, not the deeplink sent to it",
        )
    entry = sessions[session_name]
    methods = deeplink.method_for_answer(answer)
    requests = _requests(data, session_name=session_name, method=methods)

    chosen: tuple[str, dict[str, Any]] | None = None
    verified: bool | None = None
    if deeplink.SIGN_MESSAGE in methods:
        signature_text = answer["signature"]
        if not isinstance(signature_text, str):
            raise BadInputError("data.signature is not a string")
        signature = deeplink.decode_b58_exact(signature_text, 64, "data.signature")
        try:
            account = Ed25519PublicKey.from_base58(
                str(entry["public_key"]), name="session public key"
            )
        except BadInputError as exc:
            raise damaged(exc) from None
        for candidate_id, candidate in requests:
            if candidate.get("method") != deeplink.SIGN_MESSAGE:
                continue
            try:
                account.verify(base58.decode(str(candidate.get("message", ""))), signature)
            except (InvalidSignatureError, BadInputError):
                continue
            chosen, verified = (candidate_id, candidate), True
            break
    if chosen is None and requests:
        chosen = requests[0]
        if chosen[1].get("method") == deeplink.SIGN_MESSAGE:
            verified = False
    rid: str | None = chosen[0] if chosen else None
    req: dict[str, Any] | None = chosen[1] if chosen else None
    method = (req or {}).get("method") or (methods[0] if len(methods) == 1 else None)
    result = RedirectResult(
        "approved",
        method=method,
        wallet=_clean(entry).get("wallet"),
        session_name=session_name,
        data=answer,
        verified=verified,
        request_id=rid,
        request=req,
        replay=bool(req and req.get("answered_at")),
        warnings=_replay_warning(req),
    )
    if req is None:
        result.notes.append("no remembered request matches this answer; nothing was checked")
    if verified is False:
        result.warnings.append(
            "the signature does not verify against the requested message and the "
            "session's public key"
        )
    asked = (req or {}).get("transactions")
    got = answer.get("transactions")
    if (
        method == deeplink.SIGN_ALL_TRANSACTIONS
        and isinstance(asked, list)
        and (not isinstance(got, list) or len(got) != len(asked))
    ):
        count = len(got) if isinstance(got, list) else "no"
        result.warnings.append(f"asked for {len(asked)} transactions, got {count}")
    if verified is False:
        # A forged or mismatched answer must not use up the request: the genuine answer
        # that follows would otherwise be flagged as a replay.
        return result, _no_change
    return result, _mark_answered(rid)


def _no_change(data: Data) -> None:
    """An :data:`Apply` that leaves the keystore as it is."""


def _disconnect(
    redirect: deeplink.Redirect, data: Data, session: str | None
) -> tuple[RedirectResult, Apply]:
    match: dict[str, Any] = {"method": deeplink.DISCONNECT}
    if session is not None:
        match["session_name"] = session
    requests = [
        item
        for item in _requests(data, **match)
        if item[1].get("redirect_link") in (redirect.url, redirect.link)
    ]
    if not requests:
        raise BadInputError(
            "the redirect URL has no nonce, data or errorCode parameter",
            hint="only a disconnect answer is empty, and no disconnect-url used this link",
        )
    rid, req = requests[0]
    name = req.get("session_name")
    stored = data["sessions"].get(name) if isinstance(name, str) else None
    # A session saved after the disconnect request is a new connection: keep it.
    remove = isinstance(stored, dict) and str(stored.get("created_at", "")) <= str(
        req.get("created_at", "")
    )
    result = RedirectResult(
        "approved",
        method=deeplink.DISCONNECT,
        wallet=req.get("wallet"),
        session_name=name,
        request_id=rid,
        request=req,
        replay=bool(req.get("answered_at")),
        warnings=_replay_warning(req),
        session_removed=remove,
    )
    mark = _mark_answered(rid)

    def apply(fresh: Data) -> None:
        mark(fresh)
        if remove and isinstance(name, str):
            fresh["sessions"].pop(name, None)

    return result, apply


# -- reporting -------------------------------------------------------------------------------


def _summary_rows(result: RedirectResult) -> list[tuple[str, str]]:
    if result.status == "rejected":
        rows = [
            ("status", "rejected"),
            ("error_code", str(result.error_code)),
            ("error_name", str(result.error_name)),
            ("error_message", str(result.error_message)),
        ]
        return [(name, printable(value)) for name, value in rows]
    rows = [("status", "approved"), ("method", str(result.method or "unknown"))]
    if result.wallet:
        rows.append(("wallet", result.wallet))
    if result.session_name:
        rows.append(("session_name", result.session_name))
    if result.method != deeplink.CONNECT:
        verified = {True: "true", False: "false", None: "not checked"}[result.verified]
        rows.append(("verified", verified))
    return [(name, printable(value)) for name, value in rows]


def _payload_rows(result: RedirectResult) -> list[tuple[str, str]]:
    import json

    from walletsign_cli.cli.render import abbreviate

    if result.status == "rejected":
        return []
    rows = []
    for name, value in result.data.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((name, abbreviate(text, 24) if name == "session" else text))
    if result.session_token is not None:
        signed = (
            "signed by public_key"
            if result.session_token["signed_by_public_key"]
            else ("NOT signed by public_key")
        )
        token_json = json.dumps(result.session_token["data"], ensure_ascii=False)
        rows.append(("session_token", f"{signed}: {token_json}"))
    return [(name, printable(value)) for name, value in rows]


def _rows(result: RedirectResult) -> list[tuple[str, str]]:
    return _summary_rows(result) + _payload_rows(result)


def _request_rows(request: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The remembered request an answer was matched to, its message as ``display`` says."""
    from walletsign_cli.cli.render import shown_message
    from walletsign_cli.core import base58

    if request is None:
        return []
    rows = [(k, str(request[k])) for k in ("method", "created_at") if request.get(k)]
    message = request.get("message")
    if isinstance(message, str):
        display = request.get("display")
        try:
            raw = base58.decode(message, name="message")
        except BadInputError:
            rows.append(("message", f"(unreadable in the keystore: {message})"))
        else:
            rows.append(
                ("message", shown_message(raw, display if isinstance(display, str) else None))
            )
            rows.append(("display", f"{display or 'utf8'} ({len(raw)} bytes)"))
    transactions = request.get("transactions")
    if isinstance(transactions, list):
        rows.append(("transactions", str(len(transactions))))
    rows += [
        (k, str(request[k])) for k in ("app_url", "cluster", "redirect_link") if request.get(k)
    ]
    return rows


def _verdict(result: RedirectResult) -> tuple[Tone, str]:
    """One coloured line for a terminal: what the answer means."""
    if result.status == "rejected":
        return "bad", (
            f"rejected by the wallet: {result.error_code} {result.error_name}: "
            f"{result.error_message}"
        )
    if result.method == deeplink.CONNECT:
        token = result.session_token
        if token is not None and not token["signed_by_public_key"]:
            return "unknown", "connected, but the session token is NOT signed by public_key"
        return "good", f"connected as {result.data.get('public_key')}"
    if result.method == deeplink.DISCONNECT:
        removed = f": session {result.session_name!r} removed" if result.session_removed else ""
        return "good", f"disconnected{removed}"
    if result.verified is True:
        return "good", (
            "verified: the signature matches the requested message and the session's public key"
        )
    if result.verified is False:
        return "bad", (
            "NOT verified: the signature does not match the requested message and the "
            "session's public key"
        )
    if result.request is None:
        return "unknown", "not checked: no remembered request matches this answer"
    return "unknown", f"not checked: {result.method} answers are shown, not verified"


def report(env: Environment, result: RedirectResult) -> int:
    """Print ``result`` and return the exit code.

    JSON, or ``name  value`` lines, on stdout; on a terminal, tables and a coloured verdict
    on stderr instead of the lines (which are printed whenever stdout is not a terminal,
    so a pipe always gets them); notes and warnings on stderr.
    """
    from walletsign_cli.cli import render
    from walletsign_cli.cli.output import emit, emit_json, note, warn

    for text in result.warnings:
        warn(text)
    if env.as_json:
        emit_json(result.to_json())
    else:
        if not render.interactive():
            rows = _rows(result)
            width = max(len(name) for name, _ in rows)
            for name, value in rows:
                emit(f"{name.ljust(width)}  {value}")
        params = [(k, render.abbreviate(v) if k == "data" else v) for k, v in result.params]
        title = "wallet error" if result.status == "rejected" else "answer"
        render.show_tables(
            env,
            [
                (title, _summary_rows(result)),
                ("decrypted payload", _payload_rows(result)),
                ("the request it answers", _request_rows(result.request)),
                ("redirect parameters", params),
            ],
            verdict=_verdict(result),
        )
    if result.saved:
        replaced = ", replacing the previous one" if result.replaced else ""
        note(f"saved session {result.session_name!r} (dapp key {result.key_name!r}{replaced})")
    if result.session_removed:
        note(f"the wallet ended session {result.session_name!r}; it was removed")
    for text in result.notes:
        note(text)
    return result.exit_code


@click.command(
    cls=HelpCommand,
    help_groups={"Keystore": ["--key", "--session", "--no-save"], "Output": ["--json"]},
)
@click.argument("url", metavar="URL|-")
@click.option(
    "--key",
    metavar="NAME",
    shell_complete=complete_keys,
    help="Only try this dapp key [default: every stored key].",
)
@click.option(
    "--session",
    metavar="NAME",
    shell_complete=complete_sessions,
    help="Name to save a connect answer under [default: the wallet's name]; for other "
    "answers, only try this session.",
)
@click.option("--no-save", is_flag=True, help="Change nothing in the keystore.")
@json_option
@pass_env
def command(
    env: Environment, url: str, key: str | None, session: str | None, no_save: bool, as_json: bool
) -> None:
    """Decode what a wallet sent back to the redirect link.

    A connect answer is decrypted with the dapp key and saved as a session; any other
    answer is opened with the session whose shared secret fits, matched to the request
    sign-url remembered, and a signMessage signature is verified (exit 1 if it does not).
    An error redirect prints the wallet's code and message (exit 4). '-' reads the URL
    from stdin; whitespace and line breaks from a chat paste are removed.

    \b
    Examples:
      walletsign decode-redirect 'myapp://onConnect?phantom_encryption_public_key=...'
      pbpaste | walletsign decode-redirect - --json
      walletsign decode-redirect "$URL" --session phantom-devnet
    """
    if url == "-":
        from walletsign_cli.cli.inputs import read_stdin_bytes
        from walletsign_cli.limits import MAX_URL_CHARS

        raw = read_stdin_bytes(MAX_URL_CHARS, "the redirect URL")
        try:
            url = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInputError("the redirect URL on standard input is not UTF-8") from None
    result = decode_redirect(env, url, key=key, session=session, no_save=no_save)
    code = report(env, result)
    if code:
        click.get_current_context().exit(code)
