"""One verification job, however it arrives: a ``verify`` command line or a ``--batch`` line.

:func:`parse_job` reads a mapping with the batch line's keys (``public_key`` or ``address``,
``signature``, one of ``message`` / ``message_hex`` / ``message_b58``, optional ``scheme``,
``domain``, ``nonce``) over the :class:`Defaults` the caller sets, and checks the scheme
against :data:`SCHEMES`, the one scheme table: a new scheme is a module in ``protocols/``
and one row here, and ``--scheme``'s choices and the batch's validation follow.

For a library user:

- :func:`verify_job` raises :class:`InvalidSignatureError` (exit 1) when the signature does
  not verify and :class:`BadInputError` (exit 3) when the job is malformed, else returns the
  :class:`~walletsign_cli.protocols.verification.Match`;
- :func:`verify_jobs` never raises for one job: it yields a :class:`JobResult` per job, with
  the same reasons as ``verify --batch`` writes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final, Protocol, cast

from walletsign_cli.core import base58
from walletsign_cli.core.encoding import parse_hex
from walletsign_cli.core.record import Record
from walletsign_cli.errors import BadInputError, InvalidSignatureError, UndeterminedSignatureError
from walletsign_cli.limits import MAX_MESSAGE_BYTES, check_size
from walletsign_cli.protocols import offchain, signin
from walletsign_cli.protocols.verification import (
    AUTO,
    EIP191,
    EIP712,
    ETHEREUM,
    OFFCHAIN,
    RAW,
    SIWE,
    SIWS,
    SOLANA,
    Alternative,
    EthereumRequest,
    Match,
    SolanaRequest,
    Verdict,
    effective_scheme,
)

MESSAGE_KEYS = ("message", "message_hex", "message_b58")
SIGNER_KEYS = {SOLANA: "public_key", ETHEREUM: "address"}
"""The key that names the signer, and so the chain, of a job."""


class Defaults(Record):
    """What the command line sets for every job (a job's own ``scheme``, ``domain`` and
    ``nonce`` keys win)."""

    __slots__ = (
        "scheme",
        "now",
        "allow_high_s",
        "domain",
        "nonce",
        "application_domain",
        "chain_id",
    )
    scheme: Final[str]
    now: Final[datetime | None]
    allow_high_s: Final[bool]
    domain: Final[str | None]
    nonce: Final[str | None]
    application_domain: Final[bytes]
    chain_id: Final[str | None]

    def __init__(
        self,
        scheme: str = AUTO,
        now: datetime | None = None,
        allow_high_s: bool = False,
        domain: str | None = None,
        nonce: str | None = None,
        application_domain: bytes = offchain.ZERO_DOMAIN,
        chain_id: str | None = None,
    ) -> None:
        self.scheme = scheme
        self.now = now
        self.allow_high_s = allow_high_s
        self.domain = domain
        self.nonce = nonce
        self.application_domain = application_domain
        self.chain_id = chain_id


DEFAULTS = Defaults()


class Message(Record):
    """The message bytes, how they were given, and other readings the user may have meant."""

    __slots__ = ("data", "encoding", "alternatives")
    data: Final[bytes]
    encoding: Final[str]
    alternatives: Final[tuple[Alternative, ...]]

    def __init__(
        self, data: bytes, encoding: str, alternatives: tuple[Alternative, ...] = ()
    ) -> None:
        self.data = data
        self.encoding = encoding
        self.alternatives = alternatives


class Request(Protocol):
    """A job's decoded request (SolanaRequest, EthereumRequest, or a request of a scheme
    module such as :mod:`walletsign_cli.protocols.ethereum`)."""

    def verdict(self, match: Match) -> Verdict:
        """The verdict for a signature that verified."""
        ...  # pragma: no cover


class Job(Record):
    """A parsed job: the decoded request, its effective scheme and its claims."""

    __slots__ = ("chain", "scheme", "request", "defaults", "domain", "nonce", "hints")
    chain: Final[str]
    scheme: Final[str]
    request: Final[Request]
    defaults: Final[Defaults]
    domain: Final[str | None]
    nonce: Final[str | None]
    hints: Final[bool]

    def __init__(
        self,
        chain: str,
        scheme: str,
        request: Request,
        defaults: Defaults,
        domain: str | None = None,
        nonce: str | None = None,
        hints: bool = False,
    ) -> None:
        self.chain = chain
        self.scheme = scheme
        self.request = request
        self.defaults = defaults
        self.domain = domain
        self.nonce = nonce
        self.hints = hints

    def check(self) -> Match:
        """What verified; raise :class:`InvalidSignatureError` saying why not."""
        return SCHEMES[self.scheme].verify(self)

    def verdict(self) -> Verdict:
        """The verdict, valid or not (the renderers take it); never raises for a bad
        signature."""
        try:
            return self.request.verdict(self.check())
        except (InvalidSignatureError, UndeterminedSignatureError) as exc:
            if isinstance(self.request, SolanaRequest):
                assert isinstance(exc, InvalidSignatureError)  # noqa: S101 - ed25519 only
                return self.request.failed(self.scheme, exc)
            # Every other request's failed() takes the error alone.
            failed: Verdict = cast("Any", self.request).failed(exc)
            return failed


# --- the scheme table --------------------------------------------------------------------


def _verify_solana(job: Job) -> Match:
    request = job.request
    assert isinstance(request, SolanaRequest)  # noqa: S101 - the table's chain says so
    return request.verify(
        job.scheme,
        now=job.defaults.now,
        domain=job.domain,
        nonce=job.nonce,
        application_domain=job.defaults.application_domain,
        hints=job.hints,
        chain_id=job.defaults.chain_id,
    )


def _verify_ethereum(job: Job) -> Match:
    request = job.request
    assert isinstance(request, EthereumRequest)  # noqa: S101 - the table's chain says so
    return request.verify(allow_high_s=job.defaults.allow_high_s, hints=job.hints)


def _lazy(module: str, name: str) -> Callable[..., Any]:
    """``module.name``, imported at the first call: the seam that keeps a scheme's
    dependencies (coincurve, pycryptodome) off every other scheme's start-up."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call


_ETHEREUM_JOBS = "walletsign_cli.protocols.ethereum"
_ETHEREUM_BATCH = "walletsign_cli.protocols.ethereum_batch"
_ETHEREUM_KEYS = (b'"address"', b'"typed_data"')


def preload(sample: bytes) -> None:
    """Import now what the jobs in ``sample`` (the first input block) will need, so that
    worker processes forked afterwards inherit it instead of each importing coincurve,
    pycryptodome and the Ethereum schemes on their first line."""
    if any(key in sample for key in _ETHEREUM_KEYS):
        importlib.import_module(_ETHEREUM_JOBS)
        importlib.import_module(_ETHEREUM_BATCH)  # the batch's lean path for these lines


class Scheme(Record):
    """One row of the scheme table: the chain whose signers use it, its verifier, and
    (for a scheme with its own job keys) the parser of its request."""

    __slots__ = ("chain", "verify", "parse")
    chain: Final[str]
    verify: Final[Callable[[Job], Match]]
    parse: Final[Callable[..., Request] | None]

    def __init__(
        self,
        chain: str,
        verify: Callable[[Job], Match],
        parse: Callable[..., Request] | None = None,
    ) -> None:
        self.chain = chain
        self.verify = verify
        self.parse = parse


SCHEMES: Mapping[str, Scheme] = {
    AUTO: Scheme(SOLANA, _verify_solana),
    RAW: Scheme(SOLANA, _verify_solana),
    OFFCHAIN: Scheme(SOLANA, _verify_solana),
    **{layout: Scheme(SOLANA, _verify_solana) for layout in offchain.LAYOUTS},
    SIWS: Scheme(SOLANA, _verify_solana),
    EIP191: Scheme(ETHEREUM, _verify_ethereum),
    EIP712: Scheme(
        ETHEREUM, _lazy(_ETHEREUM_JOBS, "verify_job"), _lazy(_ETHEREUM_JOBS, "parse_job")
    ),
    SIWE: Scheme(ETHEREUM, _lazy(_ETHEREUM_JOBS, "verify_job"), _lazy(_ETHEREUM_JOBS, "parse_job")),
}
"""``--scheme`` values, in ``--help`` order. ``auto`` is Solana's search (raw bytes, then
the off-chain layouts, SIWS named when it is one); on Ethereum it means the chain's own."""

CHAIN_AUTO = {SOLANA: AUTO, ETHEREUM: EIP191}
"""What ``auto`` (or no scheme) means on each chain."""

TYPED_DATA_SCHEMES = (None, AUTO, EIP712)
"""A job's own ``scheme`` values under which its ``typed_data`` makes it an EIP-712 job."""


def resolve_scheme(scheme: object, chain: str, default: str = AUTO, *, name: str = "scheme") -> str:
    """The scheme a job on ``chain`` runs under (``scheme`` None: ``default`` when it is of
    that chain, else the chain's own ``auto``); :class:`BadInputError` when it is unknown or
    of the other chain (``name`` is how the caller spells the option)."""
    if scheme is None:
        row = SCHEMES.get(default)
        scheme = default if row is not None and row.chain == chain else CHAIN_AUTO[chain]
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise BadInputError(f"{name} must be one of {', '.join(SCHEMES)}")
    if scheme == AUTO:
        scheme = CHAIN_AUTO[chain]
    if SCHEMES[scheme].chain == chain:
        return scheme
    if chain == ETHEREUM:
        own = " or ".join(n for n, r in SCHEMES.items() if r.chain == ETHEREUM)
        raise BadInputError(f"{name} {scheme} is a Solana scheme; Ethereum is {own}")
    raise BadInputError(f"{name} {scheme} needs an Ethereum address, not {SIGNER_KEYS[SOLANA]}")


# --- parsing -----------------------------------------------------------------------------


def chain_of(obj: Mapping[str, Any], default_scheme: str = AUTO) -> str:
    """``solana`` for a ``public_key``, ``ethereum`` for an ``address`` (or for an
    ``eip712``/``siwe`` job, whose signer may be recovered or is in its message); both, or
    neither, is bad input."""
    has_key, has_address = "public_key" in obj, "address" in obj
    if not has_key and not has_address:
        scheme = obj.get("scheme") or default_scheme
        if "typed_data" in obj or scheme in (EIP712, SIWE):
            return ETHEREUM
    if has_key == has_address:
        raise BadInputError("line needs exactly one of public_key (Solana) or address (Ethereum)")
    return SOLANA if has_key else ETHEREUM


def _string(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise BadInputError(f"{name} is missing or not a string")
    return value


def _claim(obj: Mapping[str, Any], defaults: Defaults, name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        value = getattr(defaults, name)
    if value is not None and not isinstance(value, str):
        raise BadInputError(f"{name} must be a string")
    return value


def text_message(text: str, *, name: str = "message") -> Message:
    """A message given as text (signed as UTF-8); ``0x…`` text may have meant its bytes."""
    check_size(len(text), MAX_MESSAGE_BYTES, name)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInputError(f"{name} is not valid Unicode text") from None
    if text[:2] not in ("0x", "0X"):
        return Message(data, "utf8")
    try:
        as_bytes = parse_hex(text, name)
    except BadInputError:
        return Message(data, "utf8")
    hint = (
        f"the signature is valid for the {len(as_bytes)} bytes {text} "
        f"(MetaMask and cast sign a 0x… string as bytes): use --message-hex {text}"
    )
    return Message(data, "utf8", (Alternative(as_bytes, hint),))


def hex_message(text: str, *, name: str = "message_hex") -> Message:
    """A message given as hex; the same digits as text are the other reading."""
    check_size(len(text) // 2, MAX_MESSAGE_BYTES, name)
    data = parse_hex(text, name)
    hint = (
        f"the signature is valid for the text {text!r} "
        f"(ethers signs a string as UTF-8 text): use --message '{text}'"
    )
    return Message(data, "hex", (Alternative(text.encode("utf-8", "replace"), hint),))


def b58_message(text: str, *, name: str = "message_b58") -> Message:
    """A message given as base58."""
    check_size(len(text), MAX_MESSAGE_BYTES * 2, name)
    return Message(base58.decode(text.strip(), name=name), "base58")


def file_message(data: bytes) -> Message:
    """A message read from a file; without its trailing newline is the other reading."""
    if not data.endswith(b"\n"):
        return Message(data, "file")
    hint = (
        "the signature is valid for the file without its trailing newline "
        "(write it with printf or echo -n)"
    )
    return Message(data, "file", (Alternative(data.rstrip(b"\r\n"), hint),))


_MESSAGE_PARSERS = {"message": text_message, "message_hex": hex_message, "message_b58": b58_message}


def message_of(obj: Mapping[str, Any]) -> Message:
    """The job's message: exactly one of ``message``, ``message_hex``, ``message_b58``."""
    present = [k for k in MESSAGE_KEYS if k in obj]
    if len(present) != 1:
        raise BadInputError("line needs exactly one of message, message_hex, message_b58")
    return _MESSAGE_PARSERS[present[0]](_string(obj, present[0]))


def parse_job(
    obj: Mapping[str, Any],
    defaults: Defaults = DEFAULTS,
    *,
    message: Message | None = None,
    names: tuple[str, str] | None = None,
    hints: bool = False,
    recover: bool = False,
) -> Job:
    """Parse and decode one job; raise :class:`BadInputError` naming what is malformed.

    ``message`` replaces the message keys (the CLI reads ``--message-file`` itself);
    ``names`` spells the signer and signature in errors (default: the keys); ``hints``
    asks for the next-step hints a person reading one verdict wants; ``recover`` lets an
    Ethereum ``address`` be None (then the signer is recovered, not compared).
    """
    chain = chain_of(obj, defaults.scheme)
    scheme = resolve_scheme(obj.get("scheme"), chain, defaults.scheme)  # null: absent
    domain = nonce = None
    if chain == SOLANA:
        domain, nonce = _claim(obj, defaults, "domain"), _claim(obj, defaults, "nonce")
        scheme = effective_scheme(scheme, domain, nonce, defaults.chain_id)
    elif "typed_data" in obj and obj.get("scheme") in TYPED_DATA_SCHEMES:
        scheme = EIP712
    if message is None and scheme != EIP712:
        message = message_of(obj)
    if chain == ETHEREUM and scheme == EIP191 and message is not None:
        scheme = _ethereum_auto(obj, defaults, message)
    if scheme == SIWE:
        domain, nonce = _claim(obj, defaults, "domain"), _claim(obj, defaults, "nonce")
    spelled = names or (SIGNER_KEYS[chain], "signature")
    parse = SCHEMES[scheme].parse
    if parse is not None:
        request = parse(scheme, obj, message, spelled, recover=recover)
        return Job(chain, scheme, request, defaults, domain, nonce, hints)
    assert message is not None  # noqa: S101 - only eip712 carries no message
    signature = _string(obj, "signature")
    if chain == ETHEREUM:
        address = None if recover and obj["address"] is None else _string(obj, "address")
        request = EthereumRequest.parse(
            address,
            signature,
            message.data,
            message_encoding=message.encoding,
            alternatives=message.alternatives,
            names=spelled,
        )
    else:
        request = SolanaRequest.parse(
            _string(obj, "public_key"),
            signature,
            message.data,
            message_encoding=message.encoding,
            alternatives=message.alternatives,
            names=spelled,
        )
    return Job(chain, scheme, request, defaults, domain, nonce, hints)


def _ethereum_auto(obj: Mapping[str, Any], defaults: Defaults, message: Message) -> str:
    """``auto`` on Ethereum: SIWE when the message is a sign-in, EIP-191 otherwise; an
    explicit ``eip191`` stays EIP-191."""
    if (obj.get("scheme") or defaults.scheme) == EIP191:
        return EIP191
    return SIWE if signin.may_be_sign_in(message.data, signin.ETHEREUM) else EIP191


# --- the library faces -------------------------------------------------------------------


def verify_job(obj: Mapping[str, Any], defaults: Defaults = DEFAULTS) -> Match:
    """Verify one job (a batch line's keys); return what matched.

    Raises :class:`InvalidSignatureError` when the signature does not verify and
    :class:`BadInputError` when the job is malformed, as :func:`core.ed25519.verify` does.
    """
    return parse_job(obj, defaults).check()


class JobResult(Record):
    """One job's outcome, with the keys of a ``verify --batch`` result line.

    ``malformed`` (not in the line) tells a bad job (exit 3) from a bad signature (exit 1).
    """

    __slots__ = ("line", "id", "valid", "chain", "scheme", "error", "malformed", "undetermined")
    line: Final[int]
    id: Final[Any]
    valid: Final[bool]
    chain: Final[str | None]
    scheme: Final[str | None]
    error: Final[str | None]
    malformed: Final[bool]
    undetermined: Final[bool]

    def __init__(
        self,
        line: int,
        id: Any,
        valid: bool,
        chain: str | None,
        scheme: str | None,
        error: str | None,
        malformed: bool = False,
        undetermined: bool = False,
    ) -> None:
        self.line = line
        self.id = id
        self.valid = valid
        self.chain = chain
        self.scheme = scheme
        self.error = error
        self.malformed = malformed
        self.undetermined = undetermined

    def to_json(self) -> dict[str, Any]:
        """The result line's document, keys in the SPEC's order; an undetermined line (a
        contract wallet's signature) adds ``"status": "undetermined"``."""
        document: dict[str, Any] = {
            "line": self.line,
            "id": self.id,
            "valid": self.valid,
            "chain": self.chain,
            "scheme": self.scheme,
            "error": self.error,
        }
        if self.undetermined:
            document["status"] = "undetermined"
        return document


def job_result(line: int, obj: object, defaults: Defaults = DEFAULTS) -> JobResult:
    """The outcome of one job (any JSON value) as a :class:`JobResult`; never raises for it."""
    if not isinstance(obj, Mapping):
        return JobResult(line, None, False, None, None, "line is not a JSON object", True)
    id_value = obj.get("id")
    chain: str | None = None
    scheme: str | None = None
    try:
        chain = chain_of(obj, defaults.scheme)
        job = parse_job(obj, defaults)
        scheme = job.scheme
        matched = job.check().scheme
    except BadInputError as exc:
        return JobResult(line, id_value, False, chain, None, exc.message, True)
    except InvalidSignatureError as exc:
        return JobResult(line, id_value, False, chain, scheme, exc.message)
    except UndeterminedSignatureError as exc:
        return JobResult(line, id_value, False, chain, scheme, exc.message, undetermined=True)
    return JobResult(line, id_value, True, chain, matched, None)


def verify_jobs(
    jobs: Iterable[object], defaults: Defaults = DEFAULTS, *, start: int = 1
) -> Iterator[JobResult]:
    """A :class:`JobResult` per job, in order, numbered from ``start``; a malformed job is a
    result with ``malformed`` set (the same reasons as ``verify --batch``), never an error."""
    for line, obj in enumerate(jobs, start):
        yield job_result(line, obj, defaults)
