"""MetaMask's x25519-xsalsa20-poly1305 scheme (``eth_getEncryptionPublicKey``, ``eth_decrypt``).

This is ``@metamask/eth-sig-util``'s ``encryption.ts``, which is also what Immutable X Link's
``getPublicKey`` hands out: the raw 32-byte Ethereum private key is used directly as the x25519
secret, and a message is ``nacl.box(utf8(data), nonce, recipient_public, ephemeral_secret)`` with
a fresh ephemeral keypair and a random 24-byte nonce, every field base64. ``encryptSafely`` first
wraps the text as ``JSON.stringify({data, padding})`` padded to a multiple of 2048 bytes.
MetaMask has deprecated both RPC methods; this module exists for compatibility.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from walletsign_cli.core.box import (
    KEY_SIZE,
    NONCE_SIZE,
    X25519KeyPair,
    X25519PublicKey,
    open_sealed,
    random_nonce,
    seal,
    shared_secret,
)
from walletsign_cli.errors import BadInputError, DecryptionError

VERSION = "x25519-xsalsa20-poly1305"
"""The only ``version`` eth-sig-util knows."""

DEFAULT_PADDING_LENGTH = 2**11
"""``encryptSafely`` pads the plaintext so the ciphertext is a multiple of this."""

NACL_EXTRA_BYTES = 16
"""The Poly1305 tag that ``nacl.box`` adds."""

FIELDS = ("version", "nonce", "ephemPublicKey", "ciphertext")
"""The keys of an encrypted-data object, in the order eth-sig-util writes them."""


def b64encode(raw: bytes) -> str:
    """Standard base64 with padding (tweetnacl-util ``encodeBase64``)."""
    return base64.b64encode(raw).decode("ascii")


def b64decode(text: str, *, name: str) -> bytes:
    """Standard base64; missing ``=`` padding and surrounding whitespace are forgiven."""
    # tweetnacl-util insists on padding; being tolerant when reading costs nothing here.
    body = text.strip()
    body += "=" * (-len(body) % 4)
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BadInputError(f"{name} is not base64: {_clip(text)!r}") from None


def encryption_public_key(private_key: bytes) -> bytes:
    """eth-sig-util ``getEncryptionPublicKey``: X25519 base-point multiple of the raw key."""
    if len(private_key) != KEY_SIZE:
        raise BadInputError(f"private key must be 32 bytes, got {len(private_key)}")
    return X25519KeyPair.from_secret(private_key).public.raw


@dataclass(frozen=True)
class EncryptedData:
    """The object ``eth_decrypt`` takes: ``{version, nonce, ephemPublicKey, ciphertext}``."""

    nonce: bytes
    ephem_public_key: bytes
    ciphertext: bytes
    version: str = VERSION

    def to_json(self) -> dict[str, str]:
        """The object exactly as eth-sig-util ``encrypt`` returns it (same keys, same order)."""
        return {
            "version": self.version,
            "nonce": b64encode(self.nonce),
            "ephemPublicKey": b64encode(self.ephem_public_key),
            "ciphertext": b64encode(self.ciphertext),
        }

    def to_wire(self) -> str:
        """``JSON.stringify`` of :meth:`to_json` (no spaces), as a dapp serialises it."""
        return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, document: Any) -> EncryptedData:
        """Parse the object; every field must be a string, sizes are checked on decryption."""
        if not isinstance(document, dict):
            raise BadInputError("encrypted data must be a JSON object with " + ", ".join(FIELDS))
        missing = [key for key in FIELDS if key not in document]
        if missing:
            raise BadInputError(f"encrypted data lacks {', '.join(missing)}")
        for key in FIELDS:
            if not isinstance(document[key], str):
                raise BadInputError(f"encrypted data: {key} must be a string")
        return cls(
            version=document["version"],
            nonce=b64decode(document["nonce"], name="nonce"),
            ephem_public_key=b64decode(document["ephemPublicKey"], name="ephemPublicKey"),
            ciphertext=b64decode(document["ciphertext"], name="ciphertext"),
        )


def parse_encrypted(text: str) -> EncryptedData:
    """The JSON object, or the ``0x``-hex of its UTF-8 that ``eth_decrypt`` receives on the wire."""
    body = text.strip()
    if body[:2] in ("0x", "0X"):
        try:
            body = bytes.fromhex(body[2:]).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise BadInputError("encrypted data starts with 0x but is not hex of UTF-8") from None
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"encrypted data is not JSON: {exc.msg} at {exc.pos}") from None
    except RecursionError:
        raise BadInputError("encrypted data is JSON nested too deeply") from None
    return EncryptedData.from_json(document)


def encrypt(
    public_key: bytes,
    plaintext: bytes,
    *,
    ephemeral_secret: bytes | None = None,
    nonce: bytes | None = None,
) -> EncryptedData:
    """eth-sig-util ``encrypt``; the ephemeral secret and nonce are fresh unless given (tests)."""
    recipient = X25519PublicKey(_exact(public_key, KEY_SIZE, "public key"))
    if ephemeral_secret is None:
        ephemeral = X25519KeyPair.generate()
    else:
        ephemeral = X25519KeyPair.from_secret(ephemeral_secret)
    if nonce is None:
        nonce = random_nonce()
    _exact(nonce, NONCE_SIZE, "nonce")
    _, ciphertext = seal(plaintext, shared_secret(recipient, ephemeral), nonce)
    return EncryptedData(nonce=nonce, ephem_public_key=ephemeral.public.raw, ciphertext=ciphertext)


def pad(message: str) -> bytes:
    """The plaintext ``encryptSafely`` boxes: ``JSON.stringify({data, padding: "0"*n})``.

    n makes the ciphertext (plaintext + 16-byte tag) a multiple of 2048 bytes; nothing is
    added when the JSON is already a multiple of 2048.
    """
    unpadded = len(_stringify({"data": message, "padding": ""}))
    remainder = unpadded % DEFAULT_PADDING_LENGTH
    pad_length = 0
    if remainder > 0:
        # eth-sig-util throws (String.repeat(-n)) when remainder > 2032; go to the next block.
        pad_length = (
            DEFAULT_PADDING_LENGTH - remainder - NACL_EXTRA_BYTES
        ) % DEFAULT_PADDING_LENGTH
    return _stringify({"data": message, "padding": "0" * pad_length})


def encrypt_safely(
    public_key: bytes,
    message: str,
    *,
    ephemeral_secret: bytes | None = None,
    nonce: bytes | None = None,
) -> EncryptedData:
    """eth-sig-util ``encryptSafely``: :func:`pad`, then :func:`encrypt`."""
    return encrypt(public_key, pad(message), ephemeral_secret=ephemeral_secret, nonce=nonce)


def decrypt(encrypted: EncryptedData, private_key: bytes) -> bytes:
    """eth-sig-util ``decrypt`` (the plaintext bytes); exit-3 errors name what was wrong."""
    if encrypted.version != VERSION:
        raise BadInputError(
            f"encryption version {_clip(encrypted.version)!r} is not supported",
            hint=f"the only version MetaMask and eth-sig-util define is {VERSION!r}",
        )
    _exact(private_key, KEY_SIZE, "private key")
    if len(encrypted.nonce) != NONCE_SIZE:
        raise BadInputError(f"bad nonce size: {len(encrypted.nonce)} bytes, expected {NONCE_SIZE}")
    if len(encrypted.ephem_public_key) != KEY_SIZE:
        raise BadInputError(
            f"bad ephemPublicKey size: {len(encrypted.ephem_public_key)} bytes, expected {KEY_SIZE}"
        )
    shared = shared_secret(
        X25519PublicKey(encrypted.ephem_public_key), X25519KeyPair.from_secret(private_key)
    )
    try:
        return open_sealed(encrypted.ciphertext, encrypted.nonce, shared)
    except DecryptionError:
        raise DecryptionError(
            "decryption failed: the data was tampered with or encrypted to another key"
        ) from None


@dataclass(frozen=True)
class Decrypted:
    """What :func:`decrypt_any` found: the text and whether it was ``encryptSafely``'s form."""

    plaintext: str
    padded: bool


def unpad(plaintext: str) -> str | None:
    """``decryptSafely``'s ``JSON.parse(...).data`` if ``plaintext`` is the padded form, else None.

    The form is a JSON object with a ``data`` member and a string ``padding``. A non-string
    ``data`` (``encryptSafely`` accepts any JSON value) is returned as compact JSON.
    """
    if not plaintext.startswith("{"):
        return None
    try:
        document = json.loads(plaintext)
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(document, dict) or "data" not in document:
        return None
    if not isinstance(document.get("padding"), str):
        return None
    data = document["data"]
    return data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))


def decrypt_any(encrypted: EncryptedData, private_key: bytes) -> Decrypted:
    """Open either form: the plaintext as UTF-8 text, unwrapped when it is the padded form."""
    raw = decrypt(encrypted, private_key)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInputError(
            "the decrypted plaintext is not UTF-8 text (eth_decrypt would refuse it too)"
        ) from None
    data = unpad(text)
    if data is None:
        return Decrypted(plaintext=text, padded=False)
    return Decrypted(plaintext=data, padded=True)


def _stringify(document: dict[str, str]) -> bytes:
    # JSON.stringify: no spaces, non-ASCII kept, the same control-character escapes.
    try:
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadInputError("message is not valid Unicode text (a lone surrogate)") from None


def _exact(raw: bytes, size: int, name: str) -> bytes:
    if len(raw) != size:
        raise BadInputError(f"{name} must be {size} bytes, got {len(raw)}")
    return raw


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
