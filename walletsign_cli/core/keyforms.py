"""Recognise the forms an ed25519 key is pasted in, and say which one it was.

Seen in the wild: a Solana CLI keypair file (a JSON array of 64 byte values: the 32-byte seed,
then the public key), the same array of 32 values (a public key or a seed), a base58 text
with a prefix such as ``ed25519:`` (NEAR's form, and some wallets' exports), hex, base64.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

from walletsign_cli.core import base58, ed25519
from walletsign_cli.errors import BadInputError

PREFIXES = ("ed25519:", "solana:", "0x")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True)
class KeyText:
    """What a pasted key text holds: its bytes, the form they came in, and the public key
    when it can be told (a 64-byte keypair holds it; a 32-byte value may be either)."""

    raw: bytes = field(repr=False)
    form: str
    public_key: bytes | None = None
    secret: bool = False


def read_key(text: str) -> KeyText:
    """Parse ``text`` in any known form; raise :class:`BadInputError` if none fits."""
    value = text.strip()
    if value.startswith("["):
        return _from_json(value)
    for prefix in PREFIXES:
        if value.lower().startswith(prefix):
            inner = read_key(value[len(prefix) :])
            return KeyText(
                inner.raw,
                f"{inner.form} with the prefix {prefix!r}",
                inner.public_key,
                inner.secret,
            )
    raw, form = _decode(value)
    return _sized(raw, form)


def _from_json(value: str) -> KeyText:
    try:
        items = json.loads(value)
    except ValueError:
        raise BadInputError("the key looks like JSON but does not parse") from None
    if not isinstance(items, list) or not all(isinstance(i, int) and 0 <= i < 256 for i in items):
        raise BadInputError("the key is JSON but not an array of byte values")
    return _sized(bytes(items), f"a JSON array of {len(items)} byte values")


def _decode(value: str) -> tuple[bytes, str]:
    if _HEX.match(value) and len(value) in (64, 128):
        return bytes.fromhex(value), "hex"
    try:
        return base58.decode(value, name="key"), "base58"
    except BadInputError:
        pass
    try:
        return base64.b64decode(value, validate=True), "base64"
    except (binascii.Error, ValueError):
        raise BadInputError("the key is not base58, hex, base64 or a JSON byte array") from None


def _sized(raw: bytes, form: str) -> KeyText:
    if len(raw) == 64:
        public = ed25519.Ed25519SigningKey.from_seed(raw[:32]).public.raw
        if public != raw[32:]:
            raise BadInputError(
                f"the key is {form}, 64 bytes, but its second half is not the "
                "public key of its first: not a keypair"
            )
        return KeyText(raw, f"{form} (a keypair: seed then public key)", public, True)
    if len(raw) == 32:
        return KeyText(raw, f"{form} (32 bytes: a public key, or a seed)")
    raise BadInputError(f"the key is {form} of {len(raw)} bytes; an ed25519 key is 32 or 64")
