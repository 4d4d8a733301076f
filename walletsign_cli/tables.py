"""Parquet and Arrow IPC files of jobs in, results out (``verify --batch FILE.parquet``).

The jobs are read a record batch at a time (never the whole file) and each batch goes to
:func:`walletsign_cli.arrow.verify_counted`, the same verdicts as JSON Lines get; its
results are written before the next batch is read: JSON Lines on stdout (the keys of a
``verify --batch`` line, ``line`` being the row number), or ``--output`` a Parquet or Arrow
file. It prints nothing itself (the caller passes ``write`` and standard input). It imports
pyarrow: only a Parquet or Arrow ``--batch`` loads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import IO, Any

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

from walletsign_cli.arrow import check_schema, result_schema, verify_counted
from walletsign_cli.core.ed25519 import Verifier
from walletsign_cli.errors import BadInputError
from walletsign_cli.protocols.batch import result_line
from walletsign_cli.protocols.jobs import Defaults, JobResult

BATCH_ROWS = 16_384
"""Rows verified and written per step: memory stays flat whatever the file's size."""
READ_BUFFER = 1 << 20
"""Parquet is read through a buffer of this size, not a column chunk at a time."""
PARQUET, ARROW = "parquet", "arrow"
_NAMES = {PARQUET: "Parquet", ARROW: "Arrow IPC"}


def _batches(
    path: str, fmt: str, stack: ExitStack, stdin: IO[bytes] | None
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The file's schema and its record batches, read lazily."""
    if fmt == PARQUET:
        if path == "-":
            raise BadInputError("--batch -: Parquet needs a file (stdin can be --format arrow)")
        # Buffered, not pre-buffered, one thread: a row group is never held whole.
        parquet = pq.ParquetFile(path, buffer_size=READ_BUFFER, pre_buffer=False)
        stack.enter_context(parquet)
        batches = parquet.iter_batches(batch_size=BATCH_ROWS, use_threads=False)
        return parquet.schema_arrow, batches
    if path == "-":  # a pipe carries the stream format
        stream = pa.ipc.open_stream(stdin)
        return stream.schema, iter(stream)
    source = stack.enter_context(pa.memory_map(path))
    try:
        reader = pa.ipc.open_file(source)
    except pa.ArrowInvalid:  # not the file format: the stream format
        source.seek(0)
        stream = pa.ipc.open_stream(source)
        return stream.schema, iter(stream)
    return reader.schema, (reader.get_batch(i) for i in range(reader.num_record_batches))


def _guarded(path: str, fmt: str, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches; a read failure mid-file is bad input naming the file."""
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (OSError, pa.ArrowException) as exc:
            raise _unreadable(path, fmt, exc) from None
        yield batch


def _unreadable(path: str, fmt: str, exc: Exception) -> BadInputError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BadInputError(f"--batch: cannot read {path} as {_NAMES[fmt]}: {reason}")


def _json_value(value: Any) -> Any:
    """An id as JSON can carry it (bytes as hex; dates and decimals as their text)."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    return str(value)


def _json_lines(write: Callable[[str], object]) -> Callable[[int, pa.RecordBatch], None]:
    def write_batch(first: int, results: pa.RecordBatch) -> None:
        columns = [results.column(name).to_pylist() for name in ("valid", "error", "scheme")]
        chains, ids = results.column("chain").to_pylist(), results.column("id").to_pylist()
        lines = [
            result_line(JobResult(first + i, _json_value(ids[i]), valid, chains[i], scheme, err))
            for i, (valid, err, scheme) in enumerate(zip(*columns, strict=True))
        ]
        write("".join(lines))

    return write_batch


def _file_writer(
    output: str, schema: pa.Schema, stack: ExitStack
) -> Callable[[int, pa.RecordBatch], None]:
    """Results into a Parquet file (``.parquet``/``.pq``), else an Arrow IPC file."""
    schema = result_schema(schema.field("id").type if "id" in schema.names else pa.null())
    try:
        if output.endswith((".parquet", ".pq")):
            writer: Any = stack.enter_context(pq.ParquetWriter(output, schema))
        else:
            writer = stack.enter_context(pa.ipc.new_file(output, schema))
    except (OSError, pa.ArrowException) as exc:
        raise BadInputError(f"--output: cannot write {output}: {exc}") from None
    return lambda _first, results: writer.write_batch(results)


def verify_table(
    path: str,
    fmt: str,
    defaults: Defaults,
    *,
    write: Callable[[str], object],
    output: str | None = None,
    stdin: IO[bytes] | None = None,
) -> tuple[int, int, int]:
    """Verify every row of a Parquet or Arrow file (``-``: an Arrow stream on ``stdin``),
    writing results as it goes; return the counts (valid, invalid, malformed)."""
    totals = [0, 0, 0]
    with ExitStack() as stack:
        try:
            schema, batches = _batches(path, fmt, stack, stdin)
        except (OSError, pa.ArrowException) as exc:
            raise _unreadable(path, fmt, exc) from None
        try:
            check_schema(schema.names)
        except BadInputError as exc:
            raise BadInputError(f"--batch {path}: {exc.message}") from None
        deliver = _json_lines(write) if output is None else _file_writer(output, schema, stack)
        verifier, first = Verifier(), 1
        for batch in _guarded(path, fmt, batches):
            try:
                results, counts = verify_counted(batch, defaults, verifier)
            except BadInputError as exc:  # a column of the wrong type
                raise BadInputError(f"--batch {path}: {exc.message}") from None
            deliver(first, results)
            first += batch.num_rows
            for index, count in enumerate(counts):
                totals[index] += count
    return totals[0], totals[1], totals[2]
