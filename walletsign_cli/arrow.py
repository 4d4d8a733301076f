"""Verify signatures where the data already is: Arrow record batches (``walletsign[arrow]``).

:func:`verify_batch` takes a :class:`pyarrow.RecordBatch` (or a :class:`pyarrow.Table`)
whose columns are named like the keys of a ``verify --batch`` line and returns one result
row per input row, in order: ``valid`` (bool), ``error`` (string, null when valid),
``scheme``, ``chain`` and ``id`` (the input's ``id`` column as it is, else nulls). DuckDB,
Polars and Ray Data hand such batches to a function; docs/pipelines.md has the recipes.

Input columns (other columns are ignored; a null cell is an absent key):

- ``public_key`` (Solana) or ``address`` (Ethereum): string (base58 / ``0x`` hex, as in a
  line) or binary (the raw 32 or 20 bytes);
- ``signature``: string (as in a line) or binary (the raw 64 or 65 bytes);
- ``message``: string (signed as UTF-8) or binary (the raw bytes), or ``message_hex`` /
  ``message_b58`` (strings);
- optional ``scheme``, ``domain``, ``nonce`` (strings) and ``id`` (any type).

The verdicts and reasons are those of ``verify --batch``, from the same code: a row the
batch's lean path answers (a Solana raw-bytes signature that verifies) is verified here as
there, straight from the column bytes with one :class:`~walletsign_cli.core.ed25519.Verifier`
call; every other row goes through :func:`walletsign_cli.protocols.jobs.job_result`. A
malformed row is a row with ``valid`` false and its reason; only a batch that cannot hold
jobs at all (a required column missing, a column of the wrong type) raises
:class:`~walletsign_cli.errors.BadInputError`, naming the column.

This module imports pyarrow: it is loaded only by a caller that wants Arrow (the CLI loads it
only for a Parquet or Arrow ``--batch``).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import accumulate, pairwise
from typing import Any, TypeVar

import pyarrow as pa

from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Verifier
from walletsign_cli.errors import BadInputError, InvalidSignatureError
from walletsign_cli.limits import MAX_MESSAGE_BYTES, check_size
from walletsign_cli.protocols import batch as lean
from walletsign_cli.protocols.jobs import DEFAULTS, Defaults, chain_of, job_result
from walletsign_cli.protocols.verification import RAW, SOLANA

__all__ = ["MAX_THREADS", "RESULT_SCHEMA", "verify_batch"]

SIGNERS = ("public_key", "address")
MESSAGES = ("message", "message_hex", "message_b58")
TEXT_OR_BINARY = ("public_key", "address", "signature", "message")
TEXT_ONLY = ("message_hex", "message_b58", "scheme", "domain", "nonce")
COLUMNS = (*SIGNERS, "signature", *MESSAGES, "scheme", "domain", "nonce")
"""Every column read as part of a job (``id`` is passed through untouched)."""

RESULT_SCHEMA = pa.schema(
    [
        pa.field("valid", pa.bool_(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("scheme", pa.string()),
        pa.field("chain", pa.string()),
    ]
)
"""The result columns before ``id`` (whose type is the input's)."""

_KEY_CACHE_SIZE = 4096
MAX_THREADS = 256
"""The most ``threads`` :func:`verify_batch` takes."""
_Batch = TypeVar("_Batch", pa.RecordBatch, pa.Table)
Row = tuple[bool, str | None, str | None, str | None, bool]
"""One result: valid, error, scheme, chain, and whether the job was malformed."""
_VALID = (True, None, RAW, SOLANA, False)


# --- the columns ---------------------------------------------------------------------------


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    )


def _is_binary(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_binary_view(kind)
        or pa.types.is_fixed_size_binary(kind)
    )


def _column(batch: pa.RecordBatch, name: str) -> pa.Array:
    column = batch.column(name)
    if pa.types.is_dictionary(column.type):  # DuckDB and Parquet readers may encode repeats
        column = column.dictionary_decode()
    kind = column.type
    if pa.types.is_null(kind) or _is_text(kind):
        return column
    if _is_binary(kind) and name in TEXT_OR_BINARY:
        return column
    wanted = "string or binary" if name in TEXT_OR_BINARY else "string"
    raise BadInputError(f"column {name} must be {wanted}, got {kind}")


def check_schema(names: Sequence[str]) -> None:
    """A clear error naming the column a batch of jobs cannot do without."""
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1} & {*COLUMNS, "id"})
        if twice:
            raise BadInputError(f"column {twice[0]} appears more than once")
    have = ", ".join(names) or "none"
    if not any(name in names for name in SIGNERS):
        raise BadInputError(f"column public_key (or address) is missing; the columns: {have}")
    if "signature" not in names:
        raise BadInputError(f"column signature is missing; the columns: {have}")
    if not any(name in names for name in MESSAGES):
        raise BadInputError(f"column message (or message_hex) is missing; the columns: {have}")


# --- one row -------------------------------------------------------------------------------


def _job(names: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """The row as a batch line's keys, binary cells in the form a line would have."""
    obj = {name: value for name, value in zip(names, values, strict=True) if value is not None}
    for name in ("public_key", "address", "signature"):
        value = obj.get(name)
        if type(value) is bytes:  # 0x-hex: the one reading the parsers take without a guess
            obj[name] = "0x" + value.hex()
    message = obj.get("message")
    if type(message) is bytes and "message_hex" not in obj:
        check_size(len(message), MAX_MESSAGE_BYTES, "message")
        del obj["message"]
        obj["message_hex"] = message.hex()  # the same bytes; a line carries them so
    return obj


def general_row(names: Sequence[str], values: Sequence[Any], defaults: Defaults) -> Row:
    """The verdict of :func:`~walletsign_cli.protocols.jobs.job_result` for one row."""
    try:
        obj = _job(names, values)
    except BadInputError as exc:  # a binary message over the limit, named as its column
        present = {n: v for n, v in zip(names, values, strict=True) if v is not None}
        try:
            chain: str | None = chain_of(present)
        except BadInputError:
            chain = None
        return False, exc.message, None, chain, True
    result = job_result(0, obj, defaults)
    return result.valid, result.error, result.scheme, result.chain, result.malformed


class _Lean:
    """The lean path of ``verify --batch`` over columns: a Solana raw-bytes job that
    verifies, straight from the cells; ``None`` hands the row to the general path."""

    def __init__(self, verifier: Verifier) -> None:
        self._verify = verifier.verify
        self._keys: dict[str, bytes] = {}

    def key(self, value: object) -> bytes | None:
        if type(value) is bytes:
            return value
        if type(value) is not str:
            return None
        key = self._keys.get(value)
        if key is None:
            try:
                key = lean.decode_key(value)
            except BadInputError:
                return None
            if len(self._keys) >= _KEY_CACHE_SIZE:
                self._keys.clear()
            self._keys[value] = key
        return key

    def row(self, key_cell: object, signature: object, message: object) -> Row | None:
        key = self.key(key_cell)
        if type(signature) is str:
            signature = base58.decode_fixed(signature, 64)
        if type(message) is str:
            try:
                message = message.encode("utf-8")
            except UnicodeEncodeError:
                return None
        if key is None or type(signature) is not bytes or type(message) is not bytes:
            return None
        if len(message) > MAX_MESSAGE_BYTES:
            return None
        try:
            self._verify(key, message, signature)
        except InvalidSignatureError:
            return None
        return _VALID if lean.plain_raw(message) else None


# --- the batch -----------------------------------------------------------------------------


def _lean_columns(batch: pa.RecordBatch, columns: dict[str, list[Any]]) -> list[bool] | None:
    """Which rows the lean path may try: only ``public_key``, ``signature`` and ``message``
    (and a ``scheme`` of auto or raw) set. None: none of them (no such columns)."""
    if "public_key" not in columns or "message" not in columns:
        return None
    rows = batch.num_rows
    eligible = [True] * rows
    for name in ("address", "message_hex", "message_b58", "domain", "nonce"):
        cells = columns.get(name)
        if cells is not None:
            eligible = [ok and cell is None for ok, cell in zip(eligible, cells, strict=True)]
    schemes = columns.get("scheme")
    if schemes is not None:
        allowed = lean.LEAN_SCHEMES
        eligible = [ok and cell in allowed for ok, cell in zip(eligible, schemes, strict=True)]
    return eligible


def _results(
    batch: pa.RecordBatch, defaults: Defaults, verifier: Verifier | None = None
) -> list[Row]:
    check_schema(batch.schema.names)
    names = [name for name in COLUMNS if name in batch.schema.names]
    columns = {name: _column(batch, name).to_pylist() for name in names}

    def general(values: Sequence[Any]) -> Row:
        return general_row(names, values, defaults)

    eligible = _lean_columns(batch, columns) if lean.lean_defaults(defaults) else None
    if eligible is None:
        return [general(values) for values in zip(*columns.values(), strict=True)]
    fast = _Lean(verifier or Verifier()).row
    keys, signatures, messages = columns["public_key"], columns["signature"], columns["message"]
    out: list[Row] = []
    append = out.append
    for index, values in enumerate(zip(*columns.values(), strict=True)):
        result = None
        if eligible[index]:
            result = fast(keys[index], signatures[index], messages[index])
        append(general(values) if result is None else result)
    return out


def _result_batch(batch: pa.RecordBatch, rows: list[Row]) -> pa.RecordBatch:
    valid, error, scheme, chain, _ = zip(*rows, strict=True) if rows else ((), (), (), (), ())
    ids = batch.column("id") if "id" in batch.schema.names else pa.nulls(batch.num_rows)
    arrays = [
        _bools(valid),
        _strings(error),
        _strings(scheme),
        _strings(chain),
        ids,
    ]
    schema = result_schema(ids.type)
    if arrays[1].type != pa.string():  # over 2 GB of reasons in one batch
        schema = schema.set(1, pa.field("error", arrays[1].type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


# The result columns are built from their buffers: ``pa.array`` first asks whether its input
# is a pandas object, and so imports pandas (50 MB, half a second) wherever it is installed.


def _bitmap(bits: Sequence[object]) -> pa.Buffer:
    """An Arrow bitmap: bit i set where ``bits[i]`` is true."""
    packed = bytearray((len(bits) + 7) // 8)
    for index, bit in enumerate(bits):
        if bit:
            packed[index >> 3] |= 1 << (index & 7)
    return pa.py_buffer(packed)


def _bools(values: Sequence[bool]) -> pa.Array:
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, _bitmap(values)])


def _strings(values: Sequence[str | None]) -> pa.Array:
    encoded = [b"" if value is None else value.encode("utf-8") for value in values]
    offsets = array("q", [0])
    offsets.extend(accumulate(map(len, encoded)))
    present = [value is not None for value in values]
    buffers = [_bitmap(present), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    nulls = len(values) - sum(present)
    strings = pa.Array.from_buffers(pa.large_string(), len(values), buffers, nulls)
    # 64-bit offsets, then the usual 32-bit string column unless it holds over 2 GB of text.
    return strings.cast(pa.string()) if offsets[-1] < 2**31 else strings


def result_schema(id_type: pa.DataType) -> pa.Schema:
    """The schema :func:`verify_batch` returns for an ``id`` column of ``id_type``."""
    return RESULT_SCHEMA.append(pa.field("id", id_type))


def check_threads(threads: object) -> int:
    """``threads`` as :func:`verify_batch` takes it: an int from 1 to :data:`MAX_THREADS`."""
    if type(threads) is not int:
        raise BadInputError(f"threads must be an int from 1 to {MAX_THREADS}, got {threads!r}")
    if not 1 <= threads <= MAX_THREADS:
        raise BadInputError(f"threads must be from 1 to {MAX_THREADS}, got {threads}")
    return threads


def verify_batch(batch: _Batch, defaults: Defaults = DEFAULTS, *, threads: int = 1) -> _Batch:
    """Verify every row of ``batch`` (a RecordBatch, or a Table as Ray Data and Polars pass);
    return the results, one row per input row, in order, of the same kind.

    ``defaults`` are what ``verify --batch``'s options set for every job (``--scheme``,
    ``--now``...). ``threads`` (1 to :data:`MAX_THREADS`, default 1) splits each record batch
    into that many runs of consecutive rows verified at once on as many threads: libsodium
    runs without the GIL, so ``threads=os.cpu_count()`` uses every core where the caller
    calls from one thread (DuckDB over a one-row-group file does). The results are the same
    rows, in the same order, as with one thread. Raises :class:`BadInputError` for a bad
    ``threads``, and for a batch that cannot hold jobs: a required column missing or a column
    of the wrong type, named.
    """
    threads = check_threads(threads)
    if isinstance(batch, pa.Table):
        parts = [
            verify_record_batch(part, defaults, threads=threads) for part in batch.to_batches()
        ]
        if not parts:
            id_type = batch.schema.field("id").type if "id" in batch.schema.names else None
            check_schema(batch.schema.names)
            return result_schema(id_type or pa.null()).empty_table()
        return pa.Table.from_batches(parts)
    return verify_record_batch(batch, defaults, threads=threads)


def verify_record_batch(
    batch: pa.RecordBatch,
    defaults: Defaults = DEFAULTS,
    verifier: Verifier | None = None,
    *,
    threads: int = 1,
) -> pa.RecordBatch:
    """:func:`verify_batch` of one RecordBatch (``verifier``: a shared one, for a stream)."""
    return verify_counted(batch, defaults, verifier, threads=threads)[0]


def _threaded_results(
    batch: pa.RecordBatch, defaults: Defaults, verifier: Verifier | None, threads: int
) -> list[Row]:
    """:func:`_results` of ``threads`` runs of consecutive rows at once, joined in order."""
    check_schema(batch.schema.names)  # a bad batch is one error, raised here, not per thread
    rows = batch.num_rows
    parts = min(threads, rows)
    if parts <= 1:
        return _results(batch, defaults, verifier)
    verifier = verifier or Verifier()  # stateless: one for every thread
    bounds = [rows * part // parts for part in range(parts + 1)]
    slices = [batch.slice(start, end - start) for start, end in pairwise(bounds)]
    with ThreadPoolExecutor(max_workers=parts - 1) as pool:
        # The first run on this thread, the others on the pool's.
        futures = [pool.submit(_results, part, defaults, verifier) for part in slices[1:]]
        out = _results(slices[0], defaults, verifier)
        for future in futures:
            out.extend(future.result())
    return out


def verify_counted(
    batch: pa.RecordBatch,
    defaults: Defaults = DEFAULTS,
    verifier: Verifier | None = None,
    *,
    threads: int = 1,
) -> tuple[pa.RecordBatch, tuple[int, int, int]]:
    """The results of one RecordBatch and how many rows were valid, invalid and malformed
    (what ``verify --batch`` counts for its note and exit code)."""
    if check_threads(threads) == 1:
        rows = _results(batch, defaults, verifier)
    else:
        rows = _threaded_results(batch, defaults, verifier, threads)
    valid = sum(1 for row in rows if row[0])
    malformed = sum(1 for row in rows if row[4])
    return _result_batch(batch, rows), (valid, len(rows) - valid - malformed, malformed)
