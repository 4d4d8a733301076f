"""Hex at the edge: the one parser for hex text given by a user or a JSON line."""

from __future__ import annotations

from walletsign_cli.errors import BadInputError

_HEX_DIGITS = "0123456789abcdefABCDEF"


def parse_hex(text: str, what: str) -> bytes:
    """Hex with or without ``0x``; whitespace around it ignored; bad input names ``what``."""
    body = text.strip()
    if body[:2] in ("0x", "0X"):
        body = body[2:]
    if len(body) % 2:
        raise BadInputError(f"{what} is not hex: odd number of digits ({len(body)})")
    try:
        return bytes.fromhex(body)
    except ValueError:
        bad = next((c for c in body if c not in _HEX_DIGITS), "?")
        raise BadInputError(f"{what} is not hex: invalid character {bad!r}") from None
