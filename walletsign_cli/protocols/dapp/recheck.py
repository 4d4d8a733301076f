"""What a decoded signMessage answer needs to be checked again by hand: the signer's public
key, the signed message bytes (as text and hex) and the ``walletsign verify`` command line.

Pure functions of the values a :class:`~walletsign_cli.protocols.dapp.result.RedirectResult`
holds; the command is shell-quoted, so it can be pasted into a POSIX shell as it is.
"""

from __future__ import annotations

import shlex
from typing import NamedTuple

from walletsign_cli.core import base58, ed25519
from walletsign_cli.errors import BadInputError

PROG = "walletsign"


class Recheck(NamedTuple):
    """A signMessage answer's signer, message and signature as ``verify`` takes them."""

    public_key: str
    message: bytes | None  # None: no remembered request says what was signed
    signature: str  # base58; the 64-byte part when the wallet sent message ‖ signature

    @property
    def message_text(self) -> str | None:
        """The message as UTF-8 text, or None for bytes that are not UTF-8."""
        if self.message is None:
            return None
        try:
            return self.message.decode("utf-8")
        except UnicodeDecodeError:
            return None

    @property
    def message_hex(self) -> str | None:
        """The message bytes in hex."""
        return None if self.message is None else self.message.hex()

    def verify_argv(self) -> list[str] | None:
        """``walletsign verify`` with the arguments that check this signature again (raw
        ed25519, as a wallet's signMessage signs); None without the message."""
        if self.message is None:
            return None
        text = self.message_text
        # Text only when it reads back as itself on a terminal and in a shell: one line, no
        # control or invisible characters. Anything else is exact as hex.
        if text and text.isprintable():
            message = ["--message", text]
        else:
            message = ["--message-hex", self.message.hex()]
        signer = ["--public-key", self.public_key, "--signature", self.signature]
        return [PROG, "verify", *signer, *message, "--scheme", "raw"]

    def verify_command(self) -> str | None:
        """:meth:`verify_argv` as one shell-quoted line."""
        words = self.verify_argv()
        return None if words is None else shlex.join(words)


def recheck(public_key: str | None, signature: object, message_b58: str | None) -> Recheck | None:
    """The :class:`Recheck` of an answer signed by ``public_key`` (the session's account),
    whose ``data.signature`` is ``signature`` and whose request asked to sign the base58
    ``message_b58`` (None when no remembered request matched); None without a signer or a
    base58 signature."""
    if public_key is None or not isinstance(signature, str):
        return None
    try:
        raw = base58.decode(signature, name="data.signature")
        message = None if message_b58 is None else base58.decode(message_b58, name="message")
    except BadInputError:
        return None
    if message is not None:
        raw = signature_part(raw, message)
    return Recheck(public_key, message, base58.encode(raw))


def signature_part(raw: bytes, message: bytes) -> bytes:
    """The 64-byte signature in what a wallet returned: itself, or the signature part of
    ``message || signature`` (some wallets) or ``signature || message`` (NaCl's signed form)."""
    size = ed25519.SIGNATURE_SIZE
    if len(raw) == size + len(message):
        if raw[:-size] == message:
            return raw[-size:]
        if raw[size:] == message:
            return raw[:size]
    return raw
