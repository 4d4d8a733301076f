"""Text at the edge: the one parser for hex given by a user or a JSON line, and JSON.

JSON goes through :func:`to_json` / :func:`from_json` on the paths every start-up takes
(``cli.root``, ``cli.output``, verification): the ``json`` package is imported by their
first call, so ``walletsign verify`` of a plain signature and ``--version`` never load it.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

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


def _json() -> ModuleType:
    loaded = sys.modules.get("json")
    if loaded is not None:
        return loaded
    import json  # the start-up seam described above

    return json


def to_json(document: Any) -> str:
    """One JSON document as text, non-ASCII kept as is (what every ``--json`` writes)."""
    text: str = _json().dumps(document, ensure_ascii=False)
    return text


def from_json(text: str) -> Any:
    """Parse JSON text; raises ``ValueError`` (``json.JSONDecodeError``) and RecursionError."""
    return _json().loads(text)


MAX_JSON_DEPTH = 64
"""How deep a JSON document from outside (a keystore, a batch line) may nest. Every format
walletsign reads needs five levels or fewer; a deeper document is refused when it is read,
so nothing that walks it later (redaction, rendering, ``json.dumps``) can run out of stack."""


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a parsed JSON value nests more than ``limit`` arrays or objects (checked
    with an explicit stack: no recursion, whatever the depth)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
