"""Text for people, made safe and short: no terminal, no click, only ``str`` in and out.

The renderers (``cli/``) and the row models (:mod:`walletsign_cli.protocols.dapp.report`)
share these, so a value reads the same in a table, a ``name  value`` line and an error;
``--help`` puts its options under headings with :func:`by_heading`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, TypeVar

from walletsign_cli.core.encoding import escape_text

T = TypeVar("T")


def printable(text: str) -> str:
    """``text`` on one line with the unsafe characters escaped (the rule of
    :mod:`walletsign_cli.core.encoding`), so it can neither drive a terminal nor reorder
    the line: ``\\x1b``, ``\\n``, ``\\u202e``.

    Every human line goes through it in ``cli.output``: keystore names, wallet error
    messages, decrypted payloads and pasted URLs are not ours to trust.
    """
    return escape_text(text)


def printable_block(text: str) -> str:
    """:func:`printable` for a block of lines: line feeds and tabs are kept."""
    return escape_text(text, block=True)


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


def by_heading(
    items: Iterable[tuple[Sequence[str], T]], groups: Mapping[str, Sequence[str]], other: str
) -> list[tuple[str, list[T]]]:
    """Each item (named by its flags) under the heading of ``groups`` that names one of its
    flags, headings in the order ``groups`` gives; the rest under ``other``, last. Empty
    headings are left out."""
    sections: dict[str, list[T]] = {heading: [] for heading in groups}
    sections.setdefault(other, [])
    where = {flag: heading for heading, flags in groups.items() for flag in flags}
    for flags, item in items:
        sections[next((where[flag] for flag in flags if flag in where), other)].append(item)
    rest = sections.pop(other)
    ordered = [(heading, found) for heading, found in sections.items() if found]
    return ordered + ([(other, rest)] if rest else [])


Tone = Literal["good", "bad", "unknown"]
"""How a verdict reads: good (green), bad (red) or not known (yellow)."""
