"""Text at the edge: the one parser for hex given by a user or a JSON line, JSON, and the one
rule for characters that must never leave walletsign raw.

The rule (:func:`is_unsafe`): every character Python does not count as printable is written
as an escape, never raw (spaces and the zero-width joiners of emoji and scripts aside): the
C0 controls (NUL, ESC, ...), DEL, the C1 controls (U+009B CSI, ...), format characters
(among them every bidirectional control: U+200E/F, U+202A..U+202E, U+2066..U+2069, U+061C),
line and paragraph separators, lone surrogates, private-use and unassigned code points.
Human text shows them as Python-style escapes (:func:`escape_text`: ``\\x1b``,
``\\u202e``); JSON as JSON escapes (:func:`to_json`: ``\\u001b``, ``\\u202e``), which a
JSON reader decodes back to the same string. Every other character, accented letters, CJK,
emoji, is kept as it is.

JSON goes through :func:`to_json` / :func:`from_json` and base64 through
:func:`decode_base64` on the paths every start-up takes (``cli.root``, ``cli.output``,
verification): the ``json`` package and ``binascii`` (a shared library) are imported by
their first call, so ``walletsign verify`` of a plain signature and ``--version`` load
neither.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
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


def _stdlib(name: str) -> ModuleType:
    """The standard module ``name``, imported on first use (the start-up seam above)."""
    loaded = sys.modules.get(name)
    return loaded if loaded is not None else importlib.import_module(name)


def decode_base64(text: str, *, urlsafe: bool = False) -> bytes:
    """Strict base64 (``-_`` for ``+/`` when ``urlsafe``), padding included; ValueError
    when ``text`` is not that."""
    raw = text.encode("ascii")
    if urlsafe:
        raw = raw.translate(_URLSAFE_TO_STD)
    binascii = _stdlib("binascii")
    try:
        decoded: bytes = binascii.a2b_base64(raw, strict_mode=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None
    return decoded


_URLSAFE_TO_STD = bytes.maketrans(b"-_", b"+/")


def to_json(document: Any) -> str:
    """One JSON document as text (what every ``--json`` and result line writes): readable
    non-ASCII kept as is, every unsafe character (:func:`is_unsafe`) as a JSON escape."""
    text: str = _stdlib("json").dumps(document, ensure_ascii=False)
    # json escapes C0 itself; what is left (DEL, C1, bidi, surrogates...) is in strings.
    return text if text.isprintable() else text.translate(_JSON_ESCAPES)


# -- the escaping rule -------------------------------------------------------------------------


def is_unsafe(char: str) -> bool:
    """Whether ``char`` may not be written raw (the module's rule): not printable for Python,
    not a space, not a zero-width (non-)joiner."""
    return not char.isprintable() and char not in _JOINERS and char not in _SPACES


# U+200C/U+200D join emoji sequences and letters of Persian and Indic scripts; they move
# nothing and run nothing.
_JOINERS = "\u200c\u200d"
# The space separators (Unicode category Zs) other than U+0020, which Python does not count
# as printable: no-break, ogham, the en/em/thin/hair spaces, narrow no-break, medium
# mathematical and ideographic spaces. Written out rather than read from unicodedata (a
# shared library on the start-up path); tests/test_escaping.py checks the set against it.
_SPACES = frozenset(
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)


def escape_text(text: str, *, block: bool = False) -> str:
    """``text`` for a human: each unsafe character as a Python-style escape (``\\x1b``,
    ``\\n``, ``\\u202e``, ``\\U000e0001``); a ``block`` of lines keeps its line feeds and
    tabs. The same object back when nothing needed escaping."""
    if text.isprintable():
        return text
    return text.translate(_KEEP_LINES if block else _HUMAN)


def _python_escape(code: int) -> str:
    if code < 0x100:
        return _SHORT_ESCAPES.get(code) or f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _json_escape(code: int) -> str:
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)  # JSON spells a code point above U+FFFF as a pair
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


_SHORT_ESCAPES = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
_TABLE_LIMIT = 4096


class _Escapes(dict[int, str]):
    """A ``str.translate`` table of the rule, filled as characters are first seen (so a
    text is translated in C once its characters are known)."""

    def __init__(self, escape: Callable[[int], str], keep: str = "") -> None:
        super().__init__((ord(char), char) for char in keep)
        self._escape = escape

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = self._escape(code) if is_unsafe(char) else char
        if len(self) < _TABLE_LIMIT:  # a bound on memory, whatever the texts
            self[code] = value
        return value


_HUMAN = _Escapes(_python_escape)
_KEEP_LINES = _Escapes(_python_escape, "\n\t")
_JSON_ESCAPES = _Escapes(_json_escape)


def from_json(text: str) -> Any:
    """Parse JSON text; raises ``ValueError`` (``json.JSONDecodeError``) and RecursionError."""
    return _stdlib("json").loads(text)


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
