"""Text for people, made safe and short: no terminal, no click, only ``str`` in and out.

The renderers (``cli/``) and the row models (:mod:`walletsign_cli.protocols.dapp.report`)
share these, so a value reads the same in a table, a ``name  value`` line and an error.
"""

from __future__ import annotations

import unicodedata
from typing import Literal


def printable(text: str) -> str:
    """``text`` with control characters escaped, so it cannot drive the terminal.

    Every human line on stderr goes through it: keystore names, wallet error messages and
    pasted URLs are not ours to trust.
    """
    if text.isprintable():
        return text
    return "".join(
        c if not unicodedata.category(c).startswith("C") else repr(c)[1:-1] for c in text
    )


def abbreviate(text: str, keep: int = 12) -> str:
    """``abcdef…wxyz`` for long opaque values in a table."""
    if len(text) <= 2 * keep + 1:
        return text
    return f"{text[:keep]}…{text[-keep // 2 :]} ({len(text)} chars)"


def shown_message(raw: bytes, display: str | None) -> str:
    """A message as the wallet shows it: UTF-8 text, or hex when ``display`` says so (or the
    bytes are not UTF-8)."""
    if display != "hex":
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return raw.hex()


def aligned(rows: list[tuple[str, str]]) -> list[str]:
    """``name  value`` lines, the values in one column."""
    width = max((len(name) for name, _ in rows), default=0)
    return [f"{name.ljust(width)}  {value}" for name, value in rows]


Tone = Literal["good", "bad", "unknown"]
"""How a verdict reads: good (green), bad (red) or not known (yellow)."""
