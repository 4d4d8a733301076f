"""What a built request and a decoded answer show a person, as rows: the data, not the drawing.

``decode-redirect`` and ``listen`` print these rows as ``name  value`` lines or as tables
with a verdict; ``connect-url``, ``sign-url`` and ``disconnect-url`` show a request's
parameters and payload the same way. Pure functions of a
:class:`~walletsign_cli.protocols.dapp.result.RedirectResult` (or a request): every value is
a ``str``, long opaque values shortened. Text from the wallet is left as it came: the output
layer (``cli.output.shown``) escapes unsafe characters in every line and table it writes, and
says so once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from walletsign_cli.core import base58
from walletsign_cli.errors import BadInputError
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp.result import RedirectResult
from walletsign_cli.protocols.state import PendingRequest
from walletsign_cli.text import Tone, abbreviate, aligned, shown_message

Rows = list[tuple[str, str]]
Tables = list[tuple[str, Rows]]


# -- a built request -------------------------------------------------------------------------


def request_payload_rows(payload: dict[str, Any]) -> Rows:
    """A request's decrypted payload as rows, long opaque values shortened."""
    rows: Rows = []
    for name, value in payload.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((name, abbreviate(text) if name in ("session", "data", "payload") else text))
    return rows


def request_tables(
    request: deeplink.DeeplinkRequest, extra: Sequence[tuple[str, str]] = ()
) -> Tables:
    """The parameter table and the decrypted payload table of a built request."""
    params = [(k, abbreviate(v) if k == "payload" else v) for k, v in request.params]
    tables: Tables = [(f"{request.method} parameters", params)]
    if request.payload is not None:
        tables.append(("decrypted payload", [*request_payload_rows(request.payload), *extra]))
    return tables


def message_rows(raw: bytes, display: str | None) -> Rows:
    """A signMessage request's message as the wallet shows it."""
    return [("message (decoded)", shown_message(raw, display))]


# -- a decoded answer ------------------------------------------------------------------------


def answer_lines(result: RedirectResult) -> list[str]:
    """The ``name  value`` lines of an answer (what a pipe gets without ``--json``)."""
    options = result.request.send_options if result.request is not None else None
    extra = [("send_options", options)] if options is not None else []
    return aligned(summary_rows(result) + payload_rows(result) + extra + recheck_rows(result))


def answer_tables(result: RedirectResult) -> Tables:
    """The answer, its payload, the request it answers and the redirect's parameters."""
    params = [(k, abbreviate(v) if k == "data" else v) for k, v in result.params]
    title = "wallet error" if result.status == "rejected" else "answer"
    return [
        (title, summary_rows(result)),
        ("decrypted payload", payload_rows(result)),
        (RECHECK_TITLE, recheck_rows(result)),
        ("the request it answers", request_rows(result.request)),
        ("redirect parameters", params),
    ]


def answer_notes(result: RedirectResult) -> list[str]:
    """What else a person should know: a session saved or removed, and the result's notes."""
    found = []
    if result.saved:
        replaced = ", replacing the previous one" if result.replaced else ""
        found.append(
            f"saved session {result.session_name!r} (dapp key {result.key_name!r}{replaced})"
        )
    if result.session_removed:
        found.append(f"the wallet ended session {result.session_name!r}; it was removed")
    return found + result.notes


def summary_rows(result: RedirectResult) -> Rows:
    """Status, method, wallet, session and verdict (or the wallet's error)."""
    if result.status == "rejected":
        return [
            ("status", "rejected"),
            ("error_code", str(result.error_code)),
            ("error_name", str(result.error_name)),
            ("error_message", str(result.error_message)),
        ]
    rows = [("status", "approved"), ("method", str(result.method or "unknown"))]
    if result.wallet:
        rows.append(("wallet", result.wallet))
    if result.session_name:
        rows.append(("session_name", result.session_name))
    if result.method != deeplink.CONNECT:
        verified = {True: "true", False: "false", None: "not checked"}[result.verified]
        rows.append(("verified", verified))
    return rows


def payload_rows(result: RedirectResult) -> Rows:
    """The decrypted answer, and what its session token says."""
    if result.status == "rejected":
        return []
    rows = []
    for name, value in result.data.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((name, abbreviate(text, 24) if name == "session" else text))
    token = result.session_token
    if token is not None:
        signed = (
            "signed by public_key" if token["signed_by_public_key"] else "NOT signed by public_key"
        )
        rows.append(("session_token", f"{signed}: {json.dumps(token['data'], ensure_ascii=False)}"))
    return rows


RECHECK_TITLE = "to verify it again"
"""The title of a signMessage answer's :func:`recheck_rows` table."""


def recheck_rows(result: RedirectResult) -> Rows:
    """A signMessage answer's signer, the message it signed (text and hex) and the
    ``walletsign verify`` command that checks it again; never shortened (they are for
    copying). Empty for other answers."""
    found = result.recheck()
    if found is None:
        return []
    rows = [("public_key", found.public_key)]
    if found.message is not None:
        text = found.message_text
        rows.append(("message", text if text is not None else "(not UTF-8 text)"))
        rows.append(("message_hex", found.message_hex or ""))
    command = found.verify_command()
    if command is not None:
        rows.append(("verify_command", command))
    return rows  # escaped where it is printed (the output layer's one rule)


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
    if request.send_options is not None:
        rows.append(("sendOptions", request.send_options))
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
        ("message", shown_message(raw, display)),
        ("display", f"{display or 'utf8'} ({len(raw)} bytes)"),
    ]


def verdict(result: RedirectResult) -> tuple[Tone, str]:
    """One line for a terminal (coloured by its tone): what the answer means."""
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


def _signature_verdict(result: RedirectResult) -> tuple[Tone, str]:
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
