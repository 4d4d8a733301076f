"""Take a URL out of what a person pasted, repairing only what is unambiguous.

Chat clients and documents wrap a URL in quotes, backticks, angle brackets, smart quotes or a
markdown link, break long lines, escape ``&`` as ``&amp;``, or percent-encode the whole URL
(once, or twice when it went through two encoders). None of these can be confused with the
URL's own content: base58 values hold no ``%``, quote, bracket, space or ``&``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_MARKDOWN = re.compile(r"^\[[^\]]*\]\((?P<url>[^()\s]+(?:\([^()\s]*\))?)\)$")
_PAIRS = (
    ("```", "```", "a code fence"),
    ("`", "`", "backticks"),
    ('"', '"', "quotes"),
    ("'", "'", "quotes"),
    ("\u201c", "\u201d", "smart quotes"),
    ("\u2018", "\u2019", "smart quotes"),
    ("\u00ab", "\u00bb", "guillemets"),
    ("<", ">", "angle brackets"),
    ("(", ")", "parentheses"),
    ("[", "]", "brackets"),
)
_ENCODED_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*%(?:25)?3[Aa]")
MAX_DECODES = 2


def unwrap(text: str) -> tuple[str, list[str]]:
    """The URL inside ``text`` and, in order, each repair made to get it."""
    repairs: list[str] = []
    url = text.strip()
    url = _strip_wrappers(url, repairs)
    spaces = sum(c.isspace() for c in url)
    if spaces:
        url = "".join(url.split())
        repairs.append(f"removed {spaces} whitespace character(s) (a wrapped or broken paste)")
        url = _strip_wrappers(url, repairs)
    if "&amp;" in url:
        url = url.replace("&amp;", "&")
        repairs.append("unescaped HTML '&amp;' to '&'")
    decodes = 0
    while decodes < MAX_DECODES and _is_encoded(url):
        url = unquote(url)
        decodes += 1
    if decodes:
        times = "once" if decodes == 1 else "twice"
        repairs.append(f"decoded a URL that was percent-encoded {times}")
    return url, repairs


def _strip_wrappers(url: str, repairs: list[str]) -> str:
    for _ in range(8):  # nested wrappers, e.g. a quoted markdown link
        match = _MARKDOWN.match(url)
        if match:
            url = match.group("url")
            repairs.append("took the URL out of a markdown link")
            continue
        for opening, closing, name in _PAIRS:
            if (
                len(url) > len(opening) + len(closing)
                and url.startswith(opening)
                and url.endswith(closing)
            ):
                url = url[len(opening) : -len(closing)].strip()
                repairs.append(f"removed the surrounding {name}")
                break
        else:
            return url
    return url


def _is_encoded(url: str) -> bool:
    # A scheme followed by %3A, or a query whose '?' and '=' are all encoded.
    if _ENCODED_SCHEME.match(url):
        return True
    return "?" not in url and "=" not in url and "%3F" in url.upper()
