"""What decoding a wallet's answer found: one result type for the human and JSON renderers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from walletsign_cli.errors import ExitCode
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp.recheck import Recheck, recheck
from walletsign_cli.protocols.state import PendingRequest


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
    request: PendingRequest | None = None  # the remembered request it answers (for humans)
    session_token: dict[str, Any] | None = None
    params: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    modified: bool | None = None  # a transaction answer's message differs from the request
    transaction_checks: list[dict[str, Any]] | None = None
    public_key: str | None = None  # the session's account: who signs its answers

    def recheck(self) -> Recheck | None:
        """A signMessage answer's signer, message and signature as ``walletsign verify``
        takes them (None for other answers)."""
        if self.status != "approved" or self.method != deeplink.SIGN_MESSAGE:
            return None
        message = self.request.message if self.request is not None else None
        return recheck(self.public_key, self.data.get("signature"), message)

    @property
    def exit_code(self) -> int:
        """4 for a wallet error, 1 for a signature that does not verify, else 0."""
        if self.status == "rejected":
            return int(ExitCode.WALLET_REJECTED)
        if self.verified is False:
            return int(ExitCode.INVALID_SIGNATURE)
        return int(ExitCode.OK)

    @property
    def send_options(self) -> Any:
        """The ``sendOptions`` the answered request carried (``None`` when it had none)."""
        text = self.request.send_options if self.request is not None else None
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:  # a hand-edited keystore: show the text as it is
            return text

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
            if self.transaction_checks is not None:
                doc["modified"] = self.modified
                doc["transactions_checked"] = self.transaction_checks
            options = self.send_options
            if options is not None:
                doc["send_options"] = options
            if self.method == deeplink.SIGN_MESSAGE:
                doc |= _recheck_keys(self.recheck())
        if self.replay:
            doc["replay"] = True
        return doc


def _recheck_keys(found: Recheck | None) -> dict[str, Any]:
    """A signMessage answer's ``public_key``, ``message_text``, ``message_hex`` and
    ``verify_command`` (null when not known: no remembered request, no signer)."""
    if found is None:
        return dict.fromkeys(("public_key", "message_text", "message_hex", "verify_command"))
    return {
        "public_key": found.public_key,
        "message_text": found.message_text,
        "message_hex": found.message_hex,
        "verify_command": found.verify_command(),
    }


def replay_warning(entry: PendingRequest | None) -> list[str]:
    """A warning when ``entry`` was answered before (the answer may be replayed)."""
    if entry is not None and entry.answered_at:
        return [
            f"this {entry.method} request was already answered at "
            f"{entry.answered_at}: a replayed answer?"
        ]
    return []
