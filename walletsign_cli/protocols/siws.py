"""Sign-In With Solana: parse the message text, rebuild it, and check its claims.

The text layout is ``createSignInMessageText`` of ``@solana/wallet-standard-util`` 1.1.x
(anza-xyz/wallet-standard ``packages/core/util/src/signIn.ts``)::

    ${domain} wants you to sign in with your Solana account:
    ${address}

    ${statement}

    URI: ...            (each field optional, in this order)
    Version: ...
    Chain ID: ...
    Nonce: ...
    Issued At: ...
    Expiration Time: ...
    Not Before: ...
    Request ID: ...
    Resources:
    - ...

``verifySignIn`` there never compares the address line with the signing key and checks no
times; :func:`check` does both, as a relying party must.
"""

import re
from datetime import UTC, datetime
from typing import NamedTuple

from walletsign_cli.errors import BadInputError, InvalidSignatureError

HEADER_SUFFIX = " wants you to sign in with your Solana account:"
_HEADER_SUFFIX_UTF8 = HEADER_SUFFIX.encode()
_HEADER = re.compile(r"(?P<domain>[^\n]+?) wants you to sign in with your Solana account:")

# (attribute, line prefix) in the order the template writes them.
_FIELDS: tuple[tuple[str, str], ...] = (
    ("uri", "URI: "),
    ("version", "Version: "),
    ("chain_id", "Chain ID: "),
    ("nonce", "Nonce: "),
    ("issued_at", "Issued At: "),
    ("expiration_time", "Expiration Time: "),
    ("not_before", "Not Before: "),
    ("request_id", "Request ID: "),
)
_RESOURCES = "Resources:"


# A NamedTuple, not a dataclass: as immutable and typed, and about ten times cheaper to
# define, which matters on the start-up path of ``walletsign verify``.
class SignInMessage(NamedTuple):
    """The fields of a SIWS message (absent fields are None)."""

    domain: str
    address: str
    statement: str | None = None
    uri: str | None = None
    version: str | None = None
    chain_id: str | None = None
    nonce: str | None = None
    issued_at: str | None = None
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: tuple[str, ...] | None = None

    def text(self) -> str:
        """The message text exactly as the wallet-standard template writes it."""
        out = f"{self.domain}{HEADER_SUFFIX}\n{self.address}"
        if self.statement:
            out += f"\n\n{self.statement}"
        lines = [
            f"{prefix}{getattr(self, name)}" for name, prefix in _FIELDS if getattr(self, name)
        ]
        if self.resources:
            lines.append(_RESOURCES + "".join(f"\n- {r}" for r in self.resources))
        if lines:
            out += "\n\n" + "\n".join(lines)
        return out

    def to_json(self) -> dict[str, object]:
        """The fields present, snake_case keys."""
        values: dict[str, object] = self._asdict()
        if self.resources is not None:
            values["resources"] = list(self.resources)
        return {k: v for k, v in values.items() if v is not None}


def may_be_sign_in(message: bytes) -> bool:
    """True when the header line could be a SIWS one: the cheap test before :func:`parse`."""
    return message.split(b"\n", 1)[0].endswith(_HEADER_SUFFIX_UTF8)


def mentions_sign_in(message: bytes) -> bool:
    """True when the SIWS header text occurs anywhere in ``message`` (a faster, looser test)."""
    return _HEADER_SUFFIX_UTF8 in message


def parse(text: str) -> SignInMessage:
    """Parse a SIWS message; raise :class:`BadInputError` when it is not one.

    Trailing newlines are tolerated and multi-line statements accepted (as the reference
    parser does); fields must appear in the template's order, each at most once.
    """
    lines = text.split("\n")
    while len(lines) > 2 and lines[-1] == "":
        lines.pop()
    header = _HEADER.fullmatch(lines[0])
    if header is None:
        raise BadInputError(
            "message is not a Sign-In With Solana message: the first line must be "
            f"'<domain>{HEADER_SUFFIX}'"
        )
    if len(lines) < 2 or not lines[1]:
        raise BadInputError("Sign-In With Solana message has no address line")
    values: dict[str, object] = {"domain": header["domain"], "address": lines[1]}
    if len(lines) > 2:
        if lines[2] != "":
            raise BadInputError("Sign-In With Solana message: a blank line must follow the address")
        rest = lines[3:]
        split = _fields_start(rest)
        if split is None:
            values["statement"] = "\n".join(rest)
        else:
            if split > 0:
                values["statement"] = "\n".join(rest[: split - 1])
            values.update(_parse_fields(rest[split:]) or {})
    return SignInMessage(**values)  # type: ignore[arg-type]


def _is_field_line(line: str) -> bool:
    return line == _RESOURCES or any(line.startswith(prefix) for _, prefix in _FIELDS)


def _fields_start(rest: list[str]) -> int | None:
    """Where the field block begins (after the statement's blank line), or None."""
    for j, line in enumerate(rest):
        starts = (j == 0 or rest[j - 1] == "") and _is_field_line(line)
        if starts and _parse_fields(rest[j:]) is not None:
            return j
    return None


def _parse_fields(lines: list[str]) -> dict[str, object] | None:
    values: dict[str, object] = {}
    position = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == _RESOURCES:
            resources = []
            i += 1
            while i < len(lines) and lines[i].startswith("- "):
                resources.append(lines[i][2:])
                i += 1
            if i != len(lines):
                return None
            values["resources"] = tuple(resources)
            break
        for index in range(position, len(_FIELDS)):
            name, prefix = _FIELDS[index]
            if line.startswith(prefix) and len(line) > len(prefix):
                values[name] = line[len(prefix) :]
                position = index + 1
                break
        else:
            return None
        i += 1
    return values


def parse_time(text: str, what: str) -> datetime:
    """An ISO 8601 / RFC 3339 time; a time without a zone is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInputError(f"{what} is not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def check(
    message: SignInMessage,
    signer: str,
    *,
    now: datetime | None = None,
    domain: str | None = None,
    nonce: str | None = None,
) -> None:
    """Raise :class:`InvalidSignatureError` unless the message's claims hold.

    The address line must be the signing key (base58), ``now`` must lie in
    [Not Before, Expiration Time), and the domain and nonce must equal the expected ones
    when they are given.
    """
    if message.address != signer:
        raise InvalidSignatureError(
            f"the message signs in as {message.address}, but the signature is by {signer}",
            hint="a SIWS signature proves nothing about an address that did not sign it",
        )
    if domain is not None and message.domain != domain:
        raise InvalidSignatureError(
            f"the message is for domain {message.domain!r}, not {domain!r}",
            hint="a sign-in made for another site may be a phishing relay",
        )
    if nonce is not None and message.nonce != nonce:
        found = "no nonce" if message.nonce is None else f"nonce {message.nonce!r}"
        raise InvalidSignatureError(f"the message has {found}, not {nonce!r}")
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


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
