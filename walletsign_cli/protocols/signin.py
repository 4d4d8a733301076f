"""Sign-in messages: Sign-In With Solana and Sign-In With Ethereum (EIP-4361), one grammar.

Both are the same text format with different address rules::

    [${scheme}://]${domain} wants you to sign in with your ${Chain} account:
    ${address}

    ${statement}

    URI: ...
    Version: ...
    Chain ID: ...
    Nonce: ...
    Issued At: ...
    Expiration Time: ...
    Not Before: ...
    Request ID: ...
    Resources:
    - ...

- SIWS: the reading is the reference parser's (``parseSignInMessageText`` of
  ``@solana/wallet-standard-util``, anza-xyz/wallet-standard
  ``packages/core/util/src/signIn.ts``): the same regular expression, every field optional.
- SIWE: the ABNF of EIP-4361, line by line, so that a rejection names the line and the
  field (URI, Version, Chain ID, Nonce, Issued At required; the address EIP-55; the layout
  of spruceid's ``siwe`` ``toMessage``, which writes one more blank line when there is no
  statement).

One rule for both: a text is a sign-in message only if rebuilding it from the parsed fields
gives back exactly the signed text (as the reference verifiers require). Otherwise it is
not a sign-in (the reason says where the two differ), so a claim (``--domain``,
``--nonce``, a time) is never checked against a reading the reference would not make.
:func:`check` then checks the claims, the same for both chains.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from walletsign_cli.core.record import Record
from walletsign_cli.errors import BadInputError, InvalidSignatureError

SOLANA = "solana"
ETHEREUM = "ethereum"

SIWS_HEADER_SUFFIX = " wants you to sign in with your Solana account:"
SIWE_HEADER_SUFFIX = " wants you to sign in with your Ethereum account:"
_SUFFIXES = {SOLANA: SIWS_HEADER_SUFFIX, ETHEREUM: SIWE_HEADER_SUFFIX}
_ENCODED_SUFFIXES = {chain: suffix.encode() for chain, suffix in _SUFFIXES.items()}
_NAMES = {SOLANA: "Sign-In With Solana", ETHEREUM: "Sign-In With Ethereum"}

# (attribute, line prefix) in the order the template writes them.
FIELDS: tuple[tuple[str, str], ...] = (
    ("uri", "URI: "),
    ("version", "Version: "),
    ("chain_id", "Chain ID: "),
    ("nonce", "Nonce: "),
    ("issued_at", "Issued At: "),
    ("expiration_time", "Expiration Time: "),
    ("not_before", "Not Before: "),
    ("request_id", "Request ID: "),
)
RESOURCES = "Resources:"


class _Lazy:
    """A regular expression compiled at its first use: this module is on the start-up path
    of every ``verify``, and most runs never read a sign-in message."""

    __slots__ = ("_compiled", "_source")

    def __init__(self, source: str) -> None:
        self._source = source
        self._compiled: re.Pattern[str] | None = None

    def _pattern(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._source)
        return self._compiled

    def match(self, text: str) -> re.Match[str] | None:
        return self._pattern().match(text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self._pattern().fullmatch(text)


# The wallet-standard expression, group for group (``$`` there is the end of the text).
_SIWS = _Lazy(
    r"(?P<domain>[^\n]+?) wants you to sign in with your Solana account:\n"
    r"(?P<address>[^\n]+)(?:\n|\Z)"
    r"(?:\n(?P<statement>[\S\s]*?)(?:\n|\Z))??"
    r"(?:\nURI: (?P<uri>[^\n]+))?"
    r"(?:\nVersion: (?P<version>[^\n]+))?"
    r"(?:\nChain ID: (?P<chain_id>[^\n]+))?"
    r"(?:\nNonce: (?P<nonce>[^\n]+))?"
    r"(?:\nIssued At: (?P<issued_at>[^\n]+))?"
    r"(?:\nExpiration Time: (?P<expiration_time>[^\n]+))?"
    r"(?:\nNot Before: (?P<not_before>[^\n]+))?"
    r"(?:\nRequest ID: (?P<request_id>[^\n]+))?"
    r"(?:\nResources:(?P<resources>(?:\n- [^\n]+)*))?"
    r"\Z"  # the reference ends in "\n*$": parse_siws refuses trailing newlines first
)

# EIP-4361's ABNF pieces (RFC 3986 authority and URI, RFC 3339 date-time).
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|%[0-9A-Fa-f]{{2}})"
_HOST = rf"(?:\[[0-9A-Fa-f:.]+\]|(?:[{_UNRESERVED}{_SUB_DELIMS}]|%[0-9A-Fa-f]{{2}})*)"
_AUTHORITY = rf"(?:(?:[{_UNRESERVED}{_SUB_DELIMS}:]|%[0-9A-Fa-f]{{2}})*@)?{_HOST}(?::[0-9]*)?"
_SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*"
_SIWE_HEADER = _Lazy(
    rf"(?:(?P<scheme>{_SCHEME})://)?(?P<domain>{_AUTHORITY}){re.escape(SIWE_HEADER_SUFFIX)}"
)
_URI = _Lazy(rf"{_SCHEME}:(?:{_PCHAR}|[/?#\[\]])*")
_STATEMENT = _Lazy(rf"[{_UNRESERVED}{_SUB_DELIMS}:/?#\[\]@ ]*")
_NONCE = _Lazy(r"[A-Za-z0-9]{8,}")
_CHAIN_ID = _Lazy(r"[0-9]+")
_REQUEST_ID = _Lazy(rf"{_PCHAR}*")
_DATE_TIME = _Lazy(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)
_ETH_ADDRESS = _Lazy(r"0x[0-9a-fA-F]{40}")


class SignInMessage(Record):
    """The fields of a sign-in message (absent fields are None)."""

    __slots__ = (
        "domain",
        "address",
        "statement",
        "uri",
        "version",
        "chain_id",
        "nonce",
        "issued_at",
        "expiration_time",
        "not_before",
        "request_id",
        "resources",
        "scheme",
        "chain",
    )
    domain: Final[str]
    address: Final[str]
    statement: Final[str | None]
    uri: Final[str | None]
    version: Final[str | None]
    chain_id: Final[str | None]
    nonce: Final[str | None]
    issued_at: Final[str | None]
    expiration_time: Final[str | None]
    not_before: Final[str | None]
    request_id: Final[str | None]
    resources: Final[tuple[str, ...] | None]
    scheme: Final[str | None]  # SIWE only: the optional "https://" before the domain
    chain: Final[str]

    def __init__(
        self,
        domain: str,
        address: str,
        statement: str | None = None,
        uri: str | None = None,
        version: str | None = None,
        chain_id: str | None = None,
        nonce: str | None = None,
        issued_at: str | None = None,
        expiration_time: str | None = None,
        not_before: str | None = None,
        request_id: str | None = None,
        resources: tuple[str, ...] | None = None,
        scheme: str | None = None,
        chain: str = SOLANA,
    ) -> None:
        self.domain = domain
        self.address = address
        self.statement = statement
        self.uri = uri
        self.version = version
        self.chain_id = chain_id
        self.nonce = nonce
        self.issued_at = issued_at
        self.expiration_time = expiration_time
        self.not_before = not_before
        self.request_id = request_id
        self.resources = resources
        self.scheme = scheme
        self.chain = chain

    def text(self) -> str:
        """The message text exactly as the chain's reference library writes it."""
        if self.chain == ETHEREUM:
            return _siwe_text(self)
        return _siws_text(self)

    def to_json(self) -> dict[str, object]:
        """The fields present, snake_case keys (``chain`` left out: the verdict says it)."""
        values: dict[str, object] = self.as_dict()
        del values["chain"]
        if self.resources is not None:
            values["resources"] = list(self.resources)
        return {k: v for k, v in values.items() if v is not None}


def _field_lines(message: SignInMessage, *, required: tuple[str, ...] = ()) -> list[str]:
    """The field lines: a field in ``required`` whenever it is set, another only when it is
    not empty (as both references test ``if (value)``); Resources whenever it is set (an
    empty list is truthy in JavaScript)."""
    lines = []
    for name, prefix in FIELDS:
        value = getattr(message, name)
        if value or (name in required and value is not None):
            lines.append(f"{prefix}{value}")
    if message.resources is not None:
        lines.append(RESOURCES + "".join(f"\n- {r}" for r in message.resources))
    return lines


_SIWE_REQUIRED = ("uri", "version", "chain_id", "nonce", "issued_at")


def _siws_text(message: SignInMessage) -> str:
    """``createSignInMessageText``: empty fields are left out."""
    out = f"{message.domain}{SIWS_HEADER_SUFFIX}\n{message.address}"
    if message.statement:
        out += f"\n\n{message.statement}"
    lines = _field_lines(message)
    if lines:
        out += "\n\n" + "\n".join(lines)
    return out


def _siwe_text(message: SignInMessage) -> str:
    """spruceid ``toMessage``: without a statement the blank lines stay (``\\n\\n\\n``)."""
    scheme = f"{message.scheme}://" if message.scheme else ""
    head = f"{scheme}{message.domain}{SIWE_HEADER_SUFFIX}\n{message.address}\n\n"
    if message.statement is not None:
        head += f"{message.statement}\n"
    return head + "\n" + "\n".join(_field_lines(message, required=_SIWE_REQUIRED))


def may_be_sign_in(message: bytes, chain: str = SOLANA) -> bool:
    """True when the header line could be a sign-in one: the cheap test before parsing."""
    return message.split(b"\n", 1)[0].endswith(_ENCODED_SUFFIXES[chain])


def mentions_sign_in(message: bytes, chain: str = SOLANA) -> bool:
    """True when the header text occurs anywhere in ``message`` (a faster, looser test)."""
    return _ENCODED_SUFFIXES[chain] in message


# --- the round-trip rule -----------------------------------------------------------------


def _same_as_rebuilt(message: SignInMessage, text: str) -> SignInMessage:
    rebuilt = message.text()
    if rebuilt == text:
        return message
    name = _NAMES[message.chain]
    given, made = text.split("\n"), rebuilt.split("\n")
    line = next((i for i, (a, b) in enumerate(zip(given, made, strict=False)) if a != b), None)
    if line is None and len(given) > len(made):
        extra = given[len(made) :]
        what = (
            "trailing newlines"
            if not any(extra)
            else f"extra text from line {len(made) + 1}: {extra[0][:60]!r}"
        )
        reason = f"it ends with {what}"
    elif line is None:
        reason = f"it stops at line {len(given)}, before the fields it would need"
    else:
        reason = f"line {line + 1} reads {given[line][:60]!r} where {made[line][:60]!r} belongs"
    raise BadInputError(
        f"message is not a {name} message: rebuilt from its fields it differs ({reason})",
        hint="the reference verifier rebuilds the text from its fields and compares; "
        "a wallet signs the text as its library writes it",
    )


def _refuse_trailing_newlines(text: str, chain: str) -> None:
    if text.endswith("\n"):
        count = len(text) - len(text.rstrip("\n"))
        raise BadInputError(
            f"message is not a {_NAMES[chain]} message: it ends with {count} trailing "
            "newline(s), which the reference verifier refuses",
            hint="the wallet signed the text without them: check how the file was written",
        )


# --- Sign-In With Solana -------------------------------------------------------------------


def parse_siws(text: str) -> SignInMessage:
    """Parse a SIWS message as the reference does; raise :class:`BadInputError` when it is
    not one (including when the text is not exactly what its fields rebuild)."""
    first = text.split("\n", 1)[0]
    if not first.endswith(SIWS_HEADER_SUFFIX) or first == SIWS_HEADER_SUFFIX:
        raise BadInputError(
            "message is not a Sign-In With Solana message: the first line must be "
            f"'<domain>{SIWS_HEADER_SUFFIX}'"
        )
    # No text that ends in a newline rebuilds to itself, and "\n*$" would make the
    # expression quadratic on long runs of newlines.
    _refuse_trailing_newlines(text, SOLANA)
    match = _SIWS.match(text)
    if match is None:
        raise BadInputError("Sign-In With Solana message has no address line (line 2)")
    groups = match.groupdict()
    resources = groups.pop("resources")
    message = SignInMessage(
        **groups,
        resources=None if resources is None else tuple(resources.split("\n- ")[1:]),
    )
    return _same_as_rebuilt(message, text)


# --- Sign-In With Ethereum -----------------------------------------------------------------


def _real_date(value: str) -> bool:
    """The RFC 3339 text names a day that exists (no 31 February)."""
    try:
        datetime(int(value[:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return False
    return True


class _Lines:
    """The message's lines with the position of the next one, for errors naming it."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.index = 0

    def error(self, field: str, problem: str) -> BadInputError:
        return BadInputError(
            f"Sign-In With Ethereum message, line {self.index + 1} ({field}): {problem}"
        )

    def peek(self) -> str | None:
        return self.lines[self.index] if self.index < len(self.lines) else None

    def take(self, field: str) -> str:
        line = self.peek()
        if line is None:
            raise self.error(field, "missing (the message ends here)")
        self.index += 1
        return line

    def field(self, name: str, prefix: str, pattern: _Lazy, rule: str) -> str:
        line = self.take(name)
        if not line.startswith(prefix):
            self.index -= 1
            raise self.error(name, f"expected '{prefix.strip()} …', found {line[:60]!r}")
        value = line[len(prefix) :]
        if pattern.fullmatch(value) is None or (pattern is _DATE_TIME and not _real_date(value)):
            self.index -= 1
            raise self.error(name, f"{value[:60]!r} is not {rule}")
        return value


_REQUIRED = (
    ("uri", "URI", "URI: ", _URI, "an RFC 3986 URI"),
    ("version", "Version", "Version: ", _Lazy("1"), "1"),
    ("chain_id", "Chain ID", "Chain ID: ", _CHAIN_ID, "a decimal chain id"),
    ("nonce", "Nonce", "Nonce: ", _NONCE, "at least 8 letters or digits"),
    ("issued_at", "Issued At", "Issued At: ", _DATE_TIME, "an RFC 3339 date-time"),
)
_OPTIONAL = (
    ("expiration_time", "Expiration Time", "Expiration Time: ", _DATE_TIME, "an RFC 3339 time"),
    ("not_before", "Not Before", "Not Before: ", _DATE_TIME, "an RFC 3339 date-time"),
    ("request_id", "Request ID", "Request ID: ", _REQUEST_ID, "URI path characters"),
)


def parse_siwe(
    text: str, check_address: Callable[[str], str | None] | None = None
) -> SignInMessage:
    """Parse a SIWE message by EIP-4361's ABNF; raise :class:`BadInputError` naming the
    line and field that do not parse, or when the text is not exactly what its fields
    rebuild. ``check_address`` returns why the address is refused (EIP-55), or None."""
    lines = _Lines(text)
    header = _SIWE_HEADER.fullmatch(lines.take("header"))
    if header is not None:
        _refuse_trailing_newlines(text, ETHEREUM)
    if header is None or not header["domain"]:
        lines.index = 0
        raise lines.error(
            "header",
            f"expected '[scheme://]<domain>{SIWE_HEADER_SUFFIX}' with an RFC 3986 authority",
        )
    values: dict[str, object] = {"scheme": header["scheme"], "domain": header["domain"]}
    values["address"] = _siwe_address(lines, check_address)
    values["statement"] = _siwe_statement(lines)
    for name, field, prefix, pattern, rule in _REQUIRED:
        values[name] = lines.field(field, prefix, pattern, rule)
    for name, field, prefix, pattern, rule in _OPTIONAL:
        line = lines.peek()
        if line is not None and line.startswith(prefix):
            values[name] = lines.field(field, prefix, pattern, rule)
    if lines.peek() == RESOURCES:
        lines.take("Resources")
        values["resources"] = _siwe_resources(lines)
    _check_end(lines)
    message = SignInMessage(**values, chain=ETHEREUM)  # type: ignore[arg-type]
    return _same_as_rebuilt(message, text)


def _check_end(lines: _Lines) -> None:
    line = lines.peek()
    if line is None:
        return
    for _, field, prefix, _, _ in (*_REQUIRED, *_OPTIONAL):
        if line.startswith(prefix):
            raise lines.error(field, "out of order (or repeated): EIP-4361 fixes the fields' order")
    if line == RESOURCES:
        raise lines.error("Resources", "out of order (or repeated): Resources come last")
    raise lines.error("end", f"unexpected text {line[:60]!r} after the last field")


def _siwe_address(lines: _Lines, check_address: Callable[[str], str | None] | None) -> str:
    address = lines.take("address")
    if _ETH_ADDRESS.fullmatch(address) is None:
        lines.index -= 1
        raise lines.error("address", f"{address[:60]!r} is not a 0x address of 40 hex digits")
    problem = None if check_address is None else check_address(address)
    if problem is not None:
        lines.index -= 1
        raise lines.error("address", problem)
    if lines.take("blank line") != "":
        lines.index -= 1
        raise lines.error("blank line", "a blank line must follow the address")
    return address


def _siwe_statement(lines: _Lines) -> str | None:
    line = lines.take("statement")
    if line == "":
        return None
    if _STATEMENT.fullmatch(line) is None:
        lines.index -= 1
        raise lines.error("statement", "holds a character EIP-4361 does not allow")
    if lines.take("blank line") != "":
        lines.index -= 1
        raise lines.error("statement", "a blank line must follow it (a statement is a single line)")
    return line


def _siwe_resources(lines: _Lines) -> tuple[str, ...]:
    resources = []
    while (line := lines.peek()) is not None and line.startswith("- "):
        if _URI.fullmatch(line[2:]) is None:
            raise lines.error("Resources", f"{line[2:][:60]!r} is not an RFC 3986 URI")
        resources.append(line[2:])
        lines.index += 1
    return tuple(resources)


# --- the claims ----------------------------------------------------------------------------


def parse_time(text: str, what: str) -> datetime:
    """An ISO 8601 / RFC 3339 time; a time without a zone is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInputError(f"{what} is not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Claims(Record):
    """What the relying party expects; None: not checked (``now`` None: the clock)."""

    __slots__ = ("now", "domain", "nonce", "chain_id")
    now: Final[datetime | None]
    domain: Final[str | None]
    nonce: Final[str | None]
    chain_id: Final[str | None]

    def __init__(
        self,
        now: datetime | None = None,
        domain: str | None = None,
        nonce: str | None = None,
        chain_id: str | None = None,
    ) -> None:
        self.now = now
        self.domain = domain
        self.nonce = nonce
        self.chain_id = chain_id


NO_CLAIMS = Claims()


def check(message: SignInMessage, signer: str, claims: Claims = NO_CLAIMS) -> None:
    """Raise :class:`InvalidSignatureError` unless the message's claims hold.

    The address line must be the signer, the domain, nonce and chain id the expected ones
    when given, and the moment (``claims.now``, else the clock) must lie in
    [Not Before, Expiration Time) (see :func:`time_warnings` for Issued At).
    """
    name = _NAMES[message.chain].split(" ")[-1]
    if message.address != signer:
        raise InvalidSignatureError(
            f"the message signs in as {message.address}, but the signature is by {signer}",
            hint=f"a sign-in signature proves nothing about an address that did not sign it "
            f"({name})",
        )
    if claims.domain is not None and message.domain != claims.domain:
        raise InvalidSignatureError(
            f"the message is for domain {message.domain!r}, not {claims.domain!r}",
            hint="a sign-in made for another site may be a phishing relay",
        )
    if claims.nonce is not None and message.nonce != claims.nonce:
        found = "no nonce" if message.nonce is None else f"nonce {message.nonce!r}"
        raise InvalidSignatureError(f"the message has {found}, not {claims.nonce!r}")
    if claims.chain_id is not None and not _same_chain(message, claims.chain_id):
        found = "no chain id" if message.chain_id is None else f"chain id {message.chain_id!r}"
        raise InvalidSignatureError(f"the message has {found}, not {claims.chain_id!r}")
    _check_times(message, claims.now)


def _same_chain(message: SignInMessage, expected: str) -> bool:
    if message.chain_id is None:
        return False
    if message.chain == ETHEREUM and expected.strip().isdigit():
        return int(message.chain_id) == int(expected)
    return message.chain_id == expected


def _check_times(message: SignInMessage, now: datetime | None) -> None:
    moment = now if now is not None else datetime.now(UTC)
    if message.expiration_time is not None:
        expires = parse_time(message.expiration_time, "the message's Expiration Time")
        if moment >= expires:
            raise InvalidSignatureError(
                f"the sign-in expired at {message.expiration_time} (now {_iso(moment)})",
                hint="ask the wallet for a fresh sign-in (or pin the clock with --now)",
            )
    if message.not_before is not None:
        start = parse_time(message.not_before, "the message's Not Before")
        if moment < start:
            raise InvalidSignatureError(
                f"the sign-in is not valid before {message.not_before} (now {_iso(moment)})",
                hint="pin the clock with --now to check it at another time",
            )


def time_warnings(message: SignInMessage, now: datetime | None) -> list[str]:
    """What is odd but not invalid about the times: issued after the moment checked (the
    reference verifiers do not refuse it; a clock may be off)."""
    if now is None or message.issued_at is None:
        return []
    try:
        issued = parse_time(message.issued_at, "the message's Issued At")
    except BadInputError:
        return []  # SIWS leaves the field free-form
    if now < issued:
        return [f"the sign-in was issued at {message.issued_at}, after {_iso(now)}"]
    return []


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
