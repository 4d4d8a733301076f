"""One error hierarchy; each class carries the exit code the SPEC gives it.

The CLI translates these in exactly one place (``cli.root``). Library code raises them and
never prints. Each class also subclasses the builtin a Python caller would expect
(``ValueError`` for bad input, ``OSError`` for keystore trouble), as pynacl does.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """The exit codes of the command-line contract."""

    OK = 0
    INVALID_SIGNATURE = 1
    USAGE = 2
    BAD_INPUT = 3
    WALLET_REJECTED = 4
    KEYSTORE = 5
    UNDETERMINED = 6
    INTERNAL = 70
    INTERRUPTED = 130


class WalletsignError(Exception):
    """Base of every error walletsign raises on purpose.

    ``message`` is one line naming what was wrong; ``hint`` an optional next step.
    Neither may contain a secret.
    """

    exit_code: ExitCode = ExitCode.INTERNAL
    error_type: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(WalletsignError, ValueError):
    """Options that do not go together, or one that is missing (exit 2, as click's own)."""

    exit_code = ExitCode.USAGE
    error_type = "usage"


class BadInputError(WalletsignError, ValueError):
    """A value was given but is malformed (exit 3)."""

    exit_code = ExitCode.BAD_INPUT
    error_type = "bad_input"


class DecryptionError(BadInputError):
    """Authenticated decryption failed: wrong key, tampered data or nonce (exit 3)."""

    error_type = "decryption_failed"


class InputTooLargeError(BadInputError):
    """An input is larger than the documented cap (exit 3)."""

    error_type = "input_too_large"


class RefusedRequestError(BadInputError):
    """A request the wallet itself would refuse (exit 3)."""

    error_type = "refused"


class InvalidSignatureError(WalletsignError):
    """A signature does not verify (exit 1)."""

    exit_code = ExitCode.INVALID_SIGNATURE
    error_type = "invalid_signature"


class UndeterminedSignatureError(WalletsignError):
    """A signature only a contract can judge (ERC-1271 / ERC-6492): it needs an RPC,
    and walletsign is offline (exit 6)."""

    exit_code = ExitCode.UNDETERMINED
    error_type = "undetermined"


class WalletRejectedError(WalletsignError):
    """The wallet answered with an error redirect (exit 4)."""

    exit_code = ExitCode.WALLET_REJECTED
    error_type = "wallet_rejected"


class KeystoreError(WalletsignError, OSError):
    """The keystore is missing something, corrupt, unsafe or locked (exit 5)."""

    exit_code = ExitCode.KEYSTORE
    error_type = "keystore"


class InternalError(WalletsignError):
    """A bug (exit 70)."""

    exit_code = ExitCode.INTERNAL
    error_type = "internal"


def error_document(code: int, kind: str, message: str, hint: str | None) -> dict[str, Any]:
    """The ``--json`` error on stderr: ``{"error": {type, message, exit_code[, hint]}}``."""
    document: dict[str, Any] = {"type": kind, "message": message, "exit_code": int(code)}
    if hint:
        document["hint"] = hint
    return {"error": document}


def internal_message(exc: BaseException) -> str:
    """What a bug says (its type only: the text of an unexpected error may hold a secret)."""
    return (
        f"internal error ({type(exc).__name__}); this is a bug in walletsign, "
        "please report it with the command you ran (without secrets)"
    )
