"""How a decoded wallet answer is shown: shared by ``decode-redirect`` and ``listen``.

JSON, or ``name  value`` lines, on stdout; on a terminal, tables and a coloured verdict on
stderr instead of the lines (which are printed whenever stdout is not a terminal, so a pipe
always gets them); notes and warnings on stderr.
"""

from __future__ import annotations

import json

from walletsign_cli.cli import render
from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.output import emit, emit_json, note, printable, warn
from walletsign_cli.core import base58
from walletsign_cli.errors import BadInputError
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp import RedirectResult
from walletsign_cli.protocols.state import PendingRequest

Rows = list[tuple[str, str]]


def report(env: Environment, result: RedirectResult) -> int:
    """Print ``result`` and return the exit code (:attr:`RedirectResult.exit_code`)."""
    for text in result.warnings:
        warn(text)
    if env.as_json:
        emit_json(result.to_json())
    else:
        _show(env, result)
    if result.saved:
        replaced = ", replacing the previous one" if result.replaced else ""
        note(f"saved session {result.session_name!r} (dapp key {result.key_name!r}{replaced})")
    if result.session_removed:
        note(f"the wallet ended session {result.session_name!r}; it was removed")
    for text in result.notes:
        note(text)
    return result.exit_code


def _show(env: Environment, result: RedirectResult) -> None:
    if not render.interactive():
        rows = summary_rows(result) + payload_rows(result)
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            emit(f"{name.ljust(width)}  {value}")
    params = [(k, render.abbreviate(v) if k == "data" else v) for k, v in result.params]
    title = "wallet error" if result.status == "rejected" else "answer"
    render.show_tables(
        env,
        [
            (title, summary_rows(result)),
            ("decrypted payload", payload_rows(result)),
            ("the request it answers", request_rows(result.request)),
            ("redirect parameters", params),
        ],
        verdict=verdict(result),
    )


def summary_rows(result: RedirectResult) -> Rows:
    """Status, method, wallet, session and verdict (or the wallet's error)."""
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


def payload_rows(result: RedirectResult) -> Rows:
    """The decrypted answer, and what its session token says."""
    if result.status == "rejected":
        return []
    rows = []
    for name, value in result.data.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((name, render.abbreviate(text, 24) if name == "session" else text))
    token = result.session_token
    if token is not None:
        signed = (
            "signed by public_key" if token["signed_by_public_key"] else "NOT signed by public_key"
        )
        rows.append(("session_token", f"{signed}: {json.dumps(token['data'], ensure_ascii=False)}"))
    return [(name, printable(value)) for name, value in rows]


def request_rows(request: PendingRequest | None) -> Rows:
    """The remembered request an answer was matched to, its message as ``display`` says."""
    if request is None:
        return []
    rows = [
        (k, v) for k, v in (("method", request.method), ("created_at", request.created_at)) if v
    ]
    if request.message is not None:
        rows += _message_rows(request.message, request.display)
    if request.transactions is not None:
        rows.append(("transactions", str(len(request.transactions))))
    extra = (
        ("app_url", request.app_url),
        ("cluster", request.cluster),
        ("redirect_link", request.redirect_link),
    )
    return rows + [(k, v) for k, v in extra if v]


def _message_rows(message: str, display: str | None) -> Rows:
    try:
        raw = base58.decode(message, name="message")
    except BadInputError:
        return [("message", f"(unreadable in the keystore: {message})")]
    return [
        ("message", render.shown_message(raw, display)),
        ("display", f"{display or 'utf8'} ({len(raw)} bytes)"),
    ]


def verdict(result: RedirectResult) -> tuple[render.Tone, str]:
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
    return _signature_verdict(result)


def _signature_verdict(result: RedirectResult) -> tuple[render.Tone, str]:
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
