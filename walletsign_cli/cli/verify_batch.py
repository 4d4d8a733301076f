"""``walletsign verify --batch``: JSON Lines in, one result line out per input line, in order.

Streaming: the input is read in blocks of whole lines (never all at once) and each block's
results are written and flushed as one string, so memory stays flat on any input size.
With ``--jobs N`` the blocks go to N processes and come back in input order, with a
bounded number in flight.

The common line (a Solana ``public_key``, a base58 ``signature``, a text ``message``) takes
a lean path: ``json.loads``, a cached key decode, a 64-byte base58 decode, one libsodium
call, and a preformatted result line. Every other line goes through the same
:mod:`~walletsign_cli.protocols.verification` code as a single ``verify``.
"""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from json.scanner import make_scanner
from typing import IO, Any, cast

import nacl.bindings
import nacl.exceptions

from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.inputs import parse_hex
from walletsign_cli.core import base58
from walletsign_cli.errors import BadInputError, InvalidSignatureError
from walletsign_cli.limits import MAX_BATCH_LINE_BYTES
from walletsign_cli.protocols import offchain
from walletsign_cli.protocols.verification import (
    AUTO,
    EIP191,
    ETHEREUM,
    RAW,
    SCHEMES,
    SOLANA,
    SOLANA_SCHEMES,
    EthereumRequest,
    SolanaRequest,
    effective_scheme,
    parse_solana_public_key,
)

BLOCK_BYTES = 1 << 20
"""Input read per block in one process (whole lines; output is flushed per block)."""
JOB_BLOCK_BYTES = 1 << 18
"""Input per task with ``--jobs``: small enough to keep every worker busy to the end."""
MIN_JOB_BLOCK_BYTES = 1 << 14
IN_FLIGHT_PER_JOB = 2

_FAST_KEYS = frozenset({"public_key", "signature", "message", "id", "scheme"})
_MESSAGE_KEYS = ("message", "message_hex", "message_b58")
_SIWS_MARK = b" wants you to sign in with your Solana account:"
# The C scanner under json.loads, called without its per-call wrapping.
_SCAN = make_scanner(cast(Any, json.JSONDecoder()))
_NOT_UTF8 = object()
_TOO_DEEP = object()
_VALID_SOLANA_RAW = ', "valid": true, "chain": "solana", "scheme": "raw", "error": null}\n'


@dataclass(frozen=True)
class BatchOptions:
    """What the command line sets for every line (a line's own ``scheme``, ``domain`` and
    ``nonce`` keys win)."""

    scheme: str = AUTO
    now: datetime | None = None
    allow_high_s: bool = False
    domain: str | None = None
    nonce: str | None = None
    application_domain: bytes = offchain.ZERO_DOMAIN


@dataclass(frozen=True)
class BlockResult:
    """The result lines of one block and how many were valid, invalid and malformed."""

    text: str
    valid: int
    invalid: int
    malformed: int


# --- fast 64-byte base58 ---------------------------------------------------------------

_DIGITS = bytes(
    base58.ALPHABET.index(chr(c)) if chr(c) in base58.ALPHABET else 255 for c in range(256)
)


def _swar_levels(steps: int) -> list[tuple[int, int, int]]:
    """(slot width, mask of the even slots, base) for each step of :func:`_b58_int` over
    ``2**steps`` one-byte digit slots."""
    levels = []
    width, base = 8, 58
    bits = 8 << steps
    for _ in range(steps):
        unit = (1 << width) - 1
        mask = sum(unit << (2 * width * j) for j in range(bits // (2 * width)))
        levels.append((width, mask, base))
        width, base = width * 2, base * base
    return levels


# Masks as wide as the input needs: 64 slots for a key (<= 44 digits), 128 for a signature.
_LEVELS = {32: _swar_levels(6), 64: _swar_levels(7)}


def _b58_int(text: str, levels: list[tuple[int, int, int]]) -> int | None:
    """The integer of base58 ``text`` (at most ``2**len(levels)`` digits), or None when a
    character is not base58.

    One digit per byte in a big integer, then steps that each merge every pair of
    neighbouring slots (``high * base + low``, slots and base doubling in width), all in
    a few big-integer operations instead of a Python loop per digit.
    """
    digits = text.encode("ascii").translate(_DIGITS)
    if 255 in digits:
        return None
    x = int.from_bytes(digits, "big")
    for width, mask, base in levels:
        x = ((x >> width) & mask) * base + (x & mask)
    return x


def decode_fixed_b58(text: str, size: int) -> bytes | None:
    """The ``size`` bytes (32 or 64) of canonical base58 ``text``, or None (then the general
    path decides, with its error messages)."""
    if len(text) > _MAX_DIGITS[size] or not text.isascii():
        return None
    n = _b58_int(text, _LEVELS[size])
    if n is None or n >> (8 * size):
        return None
    raw = n.to_bytes(size, "big")
    zeros = len(text) - len(text.lstrip("1"))
    if raw[:zeros] != bytes(zeros) or (zeros < size and raw[zeros] == 0):
        return None
    return raw


# The longest base58 text of a 32-byte key and of a 64-byte signature.
_MAX_DIGITS = {32: 44, 64: 88}


# --- ed25519 open ------------------------------------------------------------------------

SignOpen = Callable[[Any, Any, bytes, int, bytes], int]


def _sign_open() -> tuple[SignOpen, Any, Any]:
    """libsodium's ``crypto_sign_open`` through PyNaCl's own cffi module, with reusable
    output buffers (``nacl.bindings.crypto_sign_open`` allocates two per call); 0 = valid."""
    try:
        from nacl._sodium import ffi, lib

        return (
            lib.crypto_sign_open,
            ffi.new("unsigned char[]", 1 << 16),
            ffi.new("unsigned long long *"),
        )
    except (ImportError, AttributeError):  # another PyNaCl layout (tested by monkeypatch)
        return _open_portable, None, None


def _open_portable(_buffer: Any, _size: Any, signed: bytes, _length: int, key: bytes) -> int:
    try:
        nacl.bindings.crypto_sign_open(signed, key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return -1
    return 0


# --- per line ----------------------------------------------------------------------------


def _json_id(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is str and value.isascii() and value.isprintable():
        if '"' not in value and "\\" not in value:
            return f'"{value}"'
    elif type(value) is int:
        return str(value)
    return _dumps(value)


def _dumps(value: Any) -> str:
    """JSON as UTF-8 text; a lone surrogate (legal in a JSON escape, not in UTF-8) stays
    escaped."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value)
    return text


def result_line(
    line: int, id_value: Any, valid: bool, chain: str | None, scheme: str | None, error: str | None
) -> str:
    """One output line, exactly as ``json.dumps`` writes it."""
    document = {
        "line": line,
        "id": id_value,
        "valid": valid,
        "chain": chain,
        "scheme": scheme,
        "error": error,
    }
    return _dumps(document) + "\n"


class BatchVerifier:
    """Verifies blocks of JSON Lines; one per process."""

    def __init__(self, options: BatchOptions) -> None:
        self.options = options
        self._key = lru_cache(maxsize=4096)(self._decode_key)
        self._fast = options.scheme in (AUTO, RAW) and options.domain is None
        self._fast = self._fast and options.nonce is None
        self._sign_open, self._buffer, self._buffer_size = _sign_open()
        self._capacity = 1 << 16

    @staticmethod
    def _decode_key(text: str) -> bytes:
        # Canonical base58 first (nearly every line); any other form takes the general parser.
        raw = decode_fixed_b58(text, 32)
        if raw is not None:
            return raw
        return parse_solana_public_key(text, name="public_key")[0]

    def _grow(self, size: int) -> None:
        if self._buffer is not None and size > self._capacity:
            from nacl._sodium import ffi

            self._buffer = ffi.new("unsigned char[]", size)
            self._capacity = size

    def block(self, first_line: int, blob: bytes) -> BlockResult:
        """Results for ``blob`` (whole lines; its first line is number ``first_line``).

        Blank lines are skipped (no result line) but still counted in line numbers.
        """
        bad_utf8: set[int] = set()
        try:
            lines = blob.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            lines = []
            for index, raw in enumerate(blob.split(b"\n")):
                try:
                    lines.append(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    lines.append("")
                    bad_utf8.add(index)
        if blob.endswith(b"\n"):
            lines.pop()
        self._grow(len(blob) + 64)
        out: list[str] = []
        append = out.append
        scan = _SCAN
        loads = json.loads
        decode_key = self._key
        sign_open, buffer, size = self._sign_open, self._buffer, self._buffer_size
        fast = self._fast
        fast_keys = _FAST_KEYS
        valid = invalid = malformed = 0
        for index, line in enumerate(lines):
            number = first_line + index
            try:
                obj, end = scan(line, 0)
                if end != len(line):
                    obj = loads(line)
            except (StopIteration, ValueError, RecursionError):
                try:
                    obj = loads(line)
                except ValueError:
                    obj = None
                    if not line.strip() and index not in bad_utf8:
                        continue
                except RecursionError:  # absurd nesting: json's recursion limit
                    obj = _TOO_DEEP
            if (
                fast
                and type(obj) is dict
                and obj.keys() <= fast_keys
                and obj.get("scheme") in (None, AUTO, RAW)
            ):
                key_text = obj.get("public_key")
                signature = obj.get("signature")
                message = obj.get("message")
                if type(key_text) is str and type(signature) is str and type(message) is str:
                    raw_signature = decode_fixed_b58(signature, 64)
                    try:
                        key = decode_key(key_text)
                        data = message.encode("utf-8")
                    except (BadInputError, UnicodeEncodeError):
                        raw_signature = None
                    if raw_signature is not None:
                        signed = raw_signature + data
                        if (
                            sign_open(buffer, size, signed, len(signed), key) == 0
                            and data[:1] != b"\xff"
                            and _SIWS_MARK not in data
                        ):
                            append(
                                '{"line": '
                                + str(number)
                                + ', "id": '
                                + _json_id(obj.get("id"))
                                + _VALID_SOLANA_RAW
                            )
                            valid += 1
                            continue
            if index in bad_utf8:
                obj = _NOT_UTF8
            text, status = self._general(number, line, obj)
            append(text)
            if status == 0:
                valid += 1
            elif status == 1:
                invalid += 1
            else:
                malformed += 1
        return BlockResult("".join(out), valid, invalid, malformed)

    def _general(self, number: int, line: str, obj: Any) -> tuple[str, int]:
        """Any line: (its result line, 0 valid / 1 invalid / 3 malformed)."""
        id_value = obj.get("id") if isinstance(obj, dict) else None
        chain: str | None = None
        scheme: str | None = None
        try:
            if len(line) > MAX_BATCH_LINE_BYTES // 4 and (
                len(line.encode("utf-8", "surrogatepass")) > MAX_BATCH_LINE_BYTES
            ):
                raise BadInputError(f"line is over the {MAX_BATCH_LINE_BYTES:,}-byte limit")
            if obj is _NOT_UTF8:
                raise BadInputError("line is not UTF-8")
            if obj is _TOO_DEEP:
                raise BadInputError("line is JSON nested too deeply")
            if obj is None:
                raise BadInputError("line is not JSON")
            if not isinstance(obj, dict):
                raise BadInputError("line is not a JSON object")
            chain = _chain_of(obj)
            scheme = self._scheme_of(obj, chain)
            matched = self._check(obj, chain, scheme)
        except BadInputError as exc:
            return result_line(number, id_value, False, chain, None, exc.message), 3
        except InvalidSignatureError as exc:
            return result_line(number, id_value, False, chain, scheme, exc.message), 1
        return result_line(number, id_value, True, chain, matched, None), 0

    def _scheme_of(self, obj: dict[str, Any], chain: str) -> str:
        scheme = obj.get("scheme")  # null is the same as absent
        if scheme is None:
            scheme = self.options.scheme if chain == SOLANA else EIP191
        if not isinstance(scheme, str) or scheme not in SCHEMES:
            raise BadInputError(f"scheme must be one of {', '.join(SCHEMES)}")
        if chain == ETHEREUM:
            if scheme not in (AUTO, EIP191):
                raise BadInputError(f"scheme {scheme} is a Solana scheme; Ethereum is eip191")
            return EIP191
        if scheme not in SOLANA_SCHEMES:
            raise BadInputError("scheme eip191 needs an Ethereum address, not public_key")
        domain, nonce = self._claim(obj, "domain"), self._claim(obj, "nonce")
        return effective_scheme(scheme, domain, nonce)

    def _claim(self, obj: dict[str, Any], name: str) -> str | None:
        value = obj.get(name)
        if value is None:
            value = getattr(self.options, name)
        if value is not None and not isinstance(value, str):
            raise BadInputError(f"{name} must be a string")
        return value

    def _check(self, obj: dict[str, Any], chain: str, scheme: str) -> str:
        message, encoding = _message_of(obj)
        signature = _string(obj, "signature")
        options = self.options
        if chain == ETHEREUM:
            eth_request = EthereumRequest.parse(
                _string(obj, "address"),
                signature,
                message,
                message_encoding=encoding,
                names=("address", "signature"),
            )
            return eth_request.verify(allow_high_s=options.allow_high_s, hints=False).scheme
        request = SolanaRequest.parse(
            _string(obj, "public_key"),
            signature,
            message,
            message_encoding=encoding,
            names=("public_key", "signature"),
        )
        return request.verify(
            scheme,
            now=options.now,
            domain=self._claim(obj, "domain"),
            nonce=self._claim(obj, "nonce"),
            application_domain=options.application_domain,
            hints=False,
        ).scheme


def _chain_of(obj: dict[str, Any]) -> str:
    has_key, has_address = "public_key" in obj, "address" in obj
    if has_key == has_address:
        raise BadInputError("line needs exactly one of public_key (Solana) or address (Ethereum)")
    return SOLANA if has_key else ETHEREUM


def _string(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise BadInputError(f"{name} is missing or not a string")
    return value


def _message_of(obj: dict[str, Any]) -> tuple[bytes, str]:
    present = [k for k in _MESSAGE_KEYS if k in obj]
    if len(present) != 1:
        raise BadInputError("line needs exactly one of message, message_hex, message_b58")
    key = present[0]
    value = _string(obj, key)
    if key == "message":
        try:
            return value.encode("utf-8"), "utf8"
        except UnicodeEncodeError:
            raise BadInputError("message is not valid Unicode text") from None
    if key == "message_hex":
        return parse_hex(value, "message_hex"), "hex"
    return base58.decode(value.strip(), name="message_b58"), "base58"


# --- streaming ---------------------------------------------------------------------------


def read_blocks(stream: IO[bytes], block_bytes: int, *, eager: bool = False) -> Iterator[bytes]:
    """Blocks of whole lines. A line over the limit is cut just past it (so it is reported
    as too long) and the rest of it skipped, never held in memory.

    ``eager``: return what a pipe has ready (``read1``) instead of waiting for a full
    block, so results follow a slow producer line by line.
    """
    read = getattr(stream, "read1", stream.read) if eager else stream.read
    while True:
        block = read(block_bytes)
        if not block:
            return
        if not block.endswith(b"\n"):
            tail = stream.readline(MAX_BATCH_LINE_BYTES + 1)
            block += tail
            if len(tail) > MAX_BATCH_LINE_BYTES and not tail.endswith(b"\n"):
                while True:
                    rest = stream.readline(block_bytes)
                    if not rest or rest.endswith(b"\n"):
                        break
                block += b"\n"
        yield block


def _numbered(blocks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    line = 1
    for block in blocks:
        yield line, block
        line += block.count(b"\n")


def _job_block_bytes(stream: IO[bytes], jobs: int) -> int:
    """Blocks per task: about eight per worker for a small file (so none idles at the end),
    at most ``JOB_BLOCK_BYTES`` (so the per-task cost stays small)."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return JOB_BLOCK_BYTES  # a pipe or an in-memory stream: size unknown
    if size <= 0:
        return JOB_BLOCK_BYTES
    return max(MIN_JOB_BLOCK_BYTES, min(JOB_BLOCK_BYTES, size // (jobs * 8)))


_WORKER: BatchVerifier | None = None


def _init_worker(options: BatchOptions) -> None:
    global _WORKER  # noqa: PLW0603 - one verifier per worker process
    _WORKER = BatchVerifier(options)


def _work(task: tuple[int, bytes]) -> BlockResult:
    assert _WORKER is not None  # noqa: S101 - set by the pool initializer
    return _WORKER.block(*task)


def verify_stream(
    stream: IO[bytes],
    write: Callable[[str], object],
    options: BatchOptions,
    *,
    jobs: int = 1,
) -> tuple[int, int, int]:
    """Verify every line of ``stream``, writing result lines in order; return the counts
    (valid, invalid, malformed)."""
    totals = [0, 0, 0]

    def deliver(result: BlockResult) -> None:
        write(result.text)
        totals[0] += result.valid
        totals[1] += result.invalid
        totals[2] += result.malformed

    if jobs == 1:
        verifier = BatchVerifier(options)
        for first, block in _numbered(read_blocks(stream, BLOCK_BYTES, eager=True)):
            deliver(verifier.block(first, block))
        return totals[0], totals[1], totals[2]

    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(jobs, initializer=_init_worker, initargs=(options,)) as pool:
        pending: deque[Any] = deque()
        for task in _numbered(read_blocks(stream, _job_block_bytes(stream, jobs))):
            pending.append(pool.apply_async(_work, (task,)))
            if len(pending) >= jobs * IN_FLIGHT_PER_JOB:
                deliver(pending.popleft().get())
        while pending:
            deliver(pending.popleft().get())
    return totals[0], totals[1], totals[2]


def run_batch(env: Environment, path: str, options: BatchOptions, *, jobs: int) -> int:
    """The ``--batch`` command: the exit code (0 all valid, 3 any malformed, else 1)."""
    out = sys.stdout

    def write(text: str) -> None:
        out.write(text)
        out.flush()

    # A bar on stderr only when it is a terminal; otherwise bar.wrap returns the stream as is.
    from walletsign_cli.cli.progress import progress, stream_size

    if path == "-":
        stream: IO[bytes] = sys.stdin.buffer
        with progress(env, stream_size(stream), "verifying", unit="bytes") as bar:
            counts = verify_stream(bar.wrap(stream), write, options, jobs=jobs)
    else:
        try:
            handle = open(path, "rb")  # noqa: PTH123, SIM115 - a user-given path
        except OSError as exc:
            raise BadInputError(f"--batch: cannot read {path}: {exc.strerror}") from None
        with handle, progress(env, stream_size(handle), "verifying", unit="bytes") as bar:
            counts = verify_stream(bar.wrap(handle), write, options, jobs=jobs)
    valid, invalid, malformed = counts
    if not env.as_json:
        from walletsign_cli.cli.output import note

        note(
            f"{valid + invalid + malformed} lines: {valid} valid, {invalid} invalid, "
            f"{malformed} malformed"
        )
    if malformed:
        return 3
    return 1 if invalid else 0
