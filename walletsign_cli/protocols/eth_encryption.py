"""``encrypt`` and ``decrypt``'s inputs, checked: the recipient's key, the private key, texts.

The encryption itself is :mod:`walletsign_cli.core.metamask` (eth-sig-util's
``x25519-xsalsa20-poly1305``); this reads what a user gives it, exactly, and never echoes a
private key back in an error.
"""

from __future__ import annotations

import re

from walletsign_cli.core import metamask
from walletsign_cli.errors import BadInputError, UsageError
from walletsign_cli.limits import MAX_MESSAGE_BYTES, check_size

_PRIVATE_KEY = re.compile(r"(?:0[xX])?([0-9a-fA-F]{64})")


def check_encrypt_options(message: str | None, message_file: str | None) -> None:
    """``encrypt`` takes its text from exactly one of ``--message`` and ``--message-file``."""
    if (message is None) == (message_file is None):
        raise UsageError("give exactly one of --message or --message-file")


def check_decrypt_options(file: str, private_key: str | None, private_key_file: str | None) -> None:
    """``decrypt`` takes exactly one of its key options, and stdin for one input at most."""
    if (private_key is None) == (private_key_file is None):
        raise UsageError("give exactly one of --private-key or --private-key-file")
    if file == "-" and private_key_file == "-":
        raise UsageError("FILE and --private-key-file cannot both be read from stdin")


def parse_public_key(text: str, name: str = "--public-key") -> bytes:
    """The recipient's 32-byte x25519 key from its base64 (what eth_getEncryptionPublicKey
    and link.getPublicKey return)."""
    body = text.strip()
    if body[:2] in ("0x", "0X"):
        raise BadInputError(
            f"{name} looks like hex; it must be the base64 x25519 key",
            hint="eth_getEncryptionPublicKey and link.getPublicKey return 44 base64 characters",
        )
    raw = metamask.b64decode(body, name=name)
    if len(raw) != 32:
        raise BadInputError(f"{name} must be 32 bytes of base64, got {len(raw)} bytes")
    return raw


def parse_private_key(text: str, name: str) -> bytes:
    """A 32-byte Ethereum private key in hex (``0x`` optional)."""
    # Never echo any of it back: it is the user's Ethereum private key.
    match = _PRIVATE_KEY.fullmatch(text.strip())
    if match is None:
        raise BadInputError(
            f"{name} is not a 32-byte hex private key (64 hex digits, 0x optional)",
            hint="this is the Ethereum private key whose encryption key the sender used",
        )
    return bytes.fromhex(match.group(1))


def file_text(raw: bytes, name: str = "--message-file") -> str:
    """A message file's UTF-8 text (eth_decrypt only ever returns text)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInputError(f"{name} is not UTF-8 text (eth_decrypt only returns text)") from None


def encrypt_text(
    recipient: bytes, text: str, *, pad: bool, name: str = "--message"
) -> tuple[metamask.EncryptedData, int]:
    """``text`` encrypted to ``recipient`` (``pad``: as encryptSafely), and its size in bytes."""
    try:
        plaintext = text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInputError(f"{name} is not valid UTF-8 text") from None
    check_size(len(plaintext), MAX_MESSAGE_BYTES, name)
    if pad:
        return metamask.encrypt_safely(recipient, text), len(plaintext)
    return metamask.encrypt(recipient, plaintext), len(plaintext)


def decrypt_document(raw: bytes, secret: bytes, name: str = "FILE") -> metamask.Decrypted:
    """Open the eth_decrypt object (JSON, or the 0x-hex of it) in ``raw`` with ``secret``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInputError(f"{name} is not UTF-8 JSON") from None
    return metamask.decrypt_any(metamask.parse_encrypted(text), secret)
