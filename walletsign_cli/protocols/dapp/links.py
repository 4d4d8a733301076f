"""The wallets' unencrypted "other methods": ``browse``, ``fungible`` and ``swap``.

No session, no key, no answer: the wallet opens a page (research §4.7, §4.8; docs/protocol.md).

- ``browse`` (Phantom, Solflare, Backpack): ``<browse base><url>?ref=<ref>``, both URL-encoded
  and required. Phantom's base has no version (``https://phantom.app/ul/browse/``); Solflare's
  and Backpack's do (``/ul/v1/browse/``).
- ``fungible`` (Phantom): ``https://phantom.app/ul/v1/fungible?token=<CAIP-19>``.
- ``swap`` (Phantom): ``https://phantom.app/ul/v1/swap?buy=<CAIP-19>&sell=<CAIP-19>``; an
  empty or missing value means SOL.

Writing is exact: the path segment as ``encodeURIComponent`` writes it and the query as
``URLSearchParams`` does (the Solflare demo app builds browse links so; the docs only say
"URL-encoded", and every documented example reads the same either way). Reading accepts both
the versioned and unversioned browse paths, a trailing ``/`` after ``swap``, any wallet host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from walletsign_cli.core import base58
from walletsign_cli.errors import BadInputError
from walletsign_cli.limits import MAX_URL_CHARS, check_size
from walletsign_cli.protocols import deeplink

BROWSE = "browse"
FUNGIBLE = "fungible"
SWAP = "swap"
LINK_METHODS = (BROWSE, FUNGIBLE, SWAP)
# Only Phantom documents fungible and swap (its other-methods pages).
PHANTOM_ONLY = (FUNGIBLE, SWAP)
# Phantom's examples name Solana mainnet "solana:101" (its chain id, not the genesis hash).
SOLANA_CHAIN = "solana:101"

_COMPONENT_SAFE = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()"
)
# CAIP-19 asset type (CAIP-2 chain id / asset namespace : asset reference), optional token id.
_CAIP19 = re.compile(
    r"^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}/[-a-z0-9]{3,8}:[-.%a-zA-Z0-9]{1,128}"
    r"(?:/[-.%a-zA-Z0-9]{1,78})?$"
)


def encode_component(text: str) -> str:
    """``encodeURIComponent(text)``: UTF-8, every byte outside its unreserved set as ``%XX``."""
    return "".join(chr(b) if b in _COMPONENT_SAFE else f"%{b:02X}" for b in text.encode("utf-8"))


@dataclass(frozen=True)
class Link:
    """A built or read browse, fungible or swap link; ``params`` are the decoded values."""

    url: str
    method: str
    wallet: str | None
    params: tuple[tuple[str, str], ...]
    notes: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, str]:
        """The parameters as an object (order kept)."""
        return dict(self.params)

    def to_json(self) -> dict[str, Any]:
        """``{"url", "wallet", "method", "params", "opens"}``."""
        return {
            "url": self.url,
            "wallet": self.wallet,
            "method": self.method,
            "params": self.values,
            "opens": self.opens,
        }

    @property
    def opens(self) -> str:
        """What the wallet shows: the page (browse), the token (fungible), ``SELL -> BUY``."""
        values = self.values
        if self.method == BROWSE:
            return values["url"]
        if self.method == FUNGIBLE:
            return values.get("token") or "SOL"
        return f"{values.get('sell') or 'SOL'} -> {values.get('buy') or 'SOL'}"

    def describe(self) -> str:
        """One line: what the wallet does with the link."""
        if self.method == BROWSE:
            return f"opens {self.values['url']} in its in-app browser (ref {self.values['ref']})"
        if self.method == FUNGIBLE:
            return f"shows the token page of {self.opens}"
        return f"opens the swapper: sell {self.opens.replace(' -> ', ', buy ')}"

    def warnings(self) -> list[str]:
        """The link's length, as for every deeplink."""
        return deeplink.url_warnings(self.url)


# -- writing -----------------------------------------------------------------------------------


def token_id(value: str, *, option: str) -> str:
    """A CAIP-19 asset (``solana:101/address:<mint>``), or a base58 Solana mint made into one."""
    text = deeplink.check_text(value.strip(), option)
    if not text:
        raise BadInputError(f"{option} is empty", hint="omit it for SOL")
    if "/" in text or ":" in text:
        if not _CAIP19.match(text):
            raise BadInputError(
                f"{option} {text!r} is not a CAIP-19 asset id",
                hint=f"e.g. {SOLANA_CHAIN}/address:<mint>, or the mint address alone",
            )
        return text
    if len(base58.decode(text, name=option)) != 32:
        raise BadInputError(f"{option} is not a 32-byte Solana mint address: {text!r}")
    return f"{SOLANA_CHAIN}/address:{text}"


def _wallet_base(wallet: str | None, base_url: str | None, method: str) -> str:
    if base_url is not None:
        return deeplink.normalize_base_url(base_url)
    if wallet is None:
        raise BadInputError(f"a {method} link needs --wallet or --base-url")
    info = deeplink.WALLETS[wallet]
    if method == BROWSE:
        return info.browse_base
    if method in PHANTOM_ONLY and wallet != "phantom":
        raise BadInputError(
            f"{wallet} documents no {method} deeplink: {method} is Phantom's only",
            hint=f"use --wallet phantom (or --base-url for a wallet that speaks it); "
            f"{wallet} documents browse",
        )
    return info.universal_base


def build_browse(url: str, ref: str, *, wallet: str | None, base_url: str | None) -> Link:
    """``browse``: open ``url`` (http or https) in the wallet's in-app browser; ``ref`` is the
    requesting app's URL. ``base_url`` replaces the wallet's browse base (Phantom's:
    ``https://phantom.app/ul/browse/``)."""
    deeplink.check_url(url, option="URL")
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise BadInputError(f"URL must be an http or https page to browse, got {url!r}")
    deeplink.check_url(ref, option="--ref")
    base = _wallet_base(wallet, base_url, BROWSE)
    link = f"{base}{encode_component(url)}?{deeplink.encode_query([('ref', ref)])}"
    return Link(link, BROWSE, wallet, (("url", url), ("ref", ref)))


def build_fungible(token: str, *, wallet: str | None, base_url: str | None) -> Link:
    """``fungible``: Phantom's token page of ``token`` (CAIP-19, or a Solana mint)."""
    asset = token_id(token, option="TOKEN")
    base = _wallet_base(wallet, base_url, FUNGIBLE)
    params = [("token", asset)]
    return Link(f"{base}{FUNGIBLE}?{deeplink.encode_query(params)}", FUNGIBLE, wallet, (*params,))


def build_swap(
    buy: str | None, sell: str | None, *, wallet: str | None, base_url: str | None
) -> Link:
    """``swap``: Phantom's swapper with ``buy`` and ``sell`` filled in (``None``: SOL, written
    as an empty value, as the docs' example writes ``sell=``)."""
    params = [
        ("buy", "" if buy is None else token_id(buy, option="--buy")),
        ("sell", "" if sell is None else token_id(sell, option="--sell")),
    ]
    base = _wallet_base(wallet, base_url, SWAP)
    return Link(f"{base}{SWAP}?{deeplink.encode_query(params)}", SWAP, wallet, (*params,))


# -- reading -----------------------------------------------------------------------------------


# A wallet's answer carries these; a link to the wallet never does.
_ANSWER_PARAMS = frozenset({"nonce", "data", "errorCode", "payload", deeplink.DAPP_KEY_PARAM})


def link_method(url: str) -> str | None:
    """``browse``, ``fungible`` or ``swap`` when ``url`` is such a link (not an answer or an
    encrypted request that merely has such a path), else ``None``."""
    try:
        parts = urlsplit(url)
        names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    except ValueError:
        return None
    if names & _ANSWER_PARAMS or any(n.endswith(deeplink.KEY_PARAM_SUFFIX) for n in names):
        return None
    # A custom scheme's host is the first path segment: phantom://browse/..., phantom://v1/swap
    first = [] if parts.scheme.lower() in ("http", "https") else [parts.netloc]
    segments = [s for s in [*first, *parts.path.split("/")] if s]
    if BROWSE in segments:
        return BROWSE
    last = segments[-1] if segments else ""
    return last if last in PHANTOM_ONLY else None


def parse_link(text: str) -> Link:
    """Read a browse, fungible or swap link (whitespace from a chat paste removed); bad input
    (exit 3) names what is malformed."""
    check_size(len(text), MAX_URL_CHARS, "the link")
    url = deeplink.check_text(deeplink.clean_pasted_url(text), "the link")
    method = link_method(url)
    if method is None:
        raise BadInputError(f"not a browse, fungible or swap link: {url[:60]!r}")
    parts = urlsplit(url)
    wallet = deeplink.wallet_for_host(parts.scheme, parts.hostname or "")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if method == BROWSE:
        return _read_browse(url, query, wallet)
    names = ("token",) if method == FUNGIBLE else ("buy", "sell")
    values = _single_values(query, names, method)
    notes = [
        f"{name} {value!r} is not a CAIP-19 asset id: the wallet may not find it"
        for name, value in values
        if value and not _CAIP19.match(value)
    ]
    if method in PHANTOM_ONLY and wallet not in ("phantom", None):
        notes.append(f"{wallet} documents no {method} deeplink (Phantom's only)")
    return Link(url, method, wallet, tuple(values), tuple(notes))


def _single_values(
    query: list[tuple[str, str]], names: tuple[str, ...], method: str
) -> list[tuple[str, str]]:
    values = []
    for name in names:
        found = [v for k, v in query if k == name]
        if len(found) > 1:
            raise BadInputError(f"{name} appears more than once in the {method} link")
        if found:
            values.append((name, found[0]))
    return values


def _read_browse(url: str, query: list[tuple[str, str]], wallet: str | None) -> Link:
    # The raw text after "/browse/" (phantom://browse/ has it too): one encoded path segment.
    raw = url.split("?", 1)[0].split("#", 1)[0]
    cut = raw.find("/browse/")
    segment = raw[cut + len("/browse/") :] if cut >= 0 else ""
    if not segment:
        raise BadInputError(
            "the browse link names no URL to open: <base>/browse/<url>?ref=<ref>",
            hint="the page's URL, URL-encoded, goes after browse/",
        )
    if "/" in segment or "?" in segment:
        raise BadInputError(
            f"the URL in the browse link is not URL-encoded: {segment[:60]!r}",
            hint="encode it as one path segment (encodeURIComponent): https%3A%2F%2F...",
        )
    if not _valid_escapes(segment):
        raise BadInputError(f"the URL in the browse link has a broken %-escape: {segment[:60]!r}")
    target = unquote(segment, errors="strict")
    deeplink.check_url(target, option="the browse link's url")
    refs = _single_values(query, ("ref",), BROWSE)
    if not refs or not refs[0][1]:
        raise BadInputError(
            "the browse link has no ref: the wallets' docs require it (the requesting app's URL)"
        )
    return Link(url, BROWSE, wallet, (("url", target), ("ref", refs[0][1])))


def _valid_escapes(segment: str) -> bool:
    if re.search(r"%(?![0-9A-Fa-f]{2})", segment):
        return False
    try:
        unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


# -- what a person sees ------------------------------------------------------------------------


def decoded(link: Link) -> dict[str, Any]:
    """``decode-redirect``'s document for a link: there is no answer, only what it asks."""
    return {"status": "link", **link.to_json()}


def link_rows(link: Link) -> list[tuple[str, str]]:
    """``method``, ``wallet``, the decoded parameters and what the wallet opens (escaped
    where they are printed, in ``cli.output``)."""
    rows = [("method", link.method), ("wallet", link.wallet or "unknown")]
    rows += [(name, value or "(empty: SOL)") for name, value in link.params]
    rows.append(("opens", link.opens))
    return rows


def link_notes(link: Link) -> list[str]:
    """What to know about a link: the wallet sends no answer, and anything odd about it."""
    return [
        f"a {link.method} link: the wallet {link.describe()}; it sends no answer",
        *link.notes,
    ]
