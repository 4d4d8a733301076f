"""``walletsign verify --batch``: JSON Lines in, one result line out per input line, in order.

Streaming: the input is read in blocks of whole lines (never all at once) and each block's
results are written and flushed as one string, so memory stays flat on any input size.
With ``--jobs N`` the blocks go to N processes and come back in input order, with a
bounded number in flight. What a block's lines say is decided in
:mod:`walletsign_cli.protocols.batch`; this module only reads, schedules and writes.
A Parquet or Arrow ``--batch`` (``--format``, or the file's suffix) goes to
:mod:`walletsign_cli.tables`, loaded only then (it imports pyarrow).
"""

from __future__ import annotations

import itertools
import os
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, NamedTuple

from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.output import note
from walletsign_cli.cli.progress import progress, stream_size
from walletsign_cli.errors import BadInputError, InternalError
from walletsign_cli.limits import MAX_BATCH_LINE_BYTES
from walletsign_cli.protocols.batch import BatchVerifier, BlockResult, verify_block
from walletsign_cli.protocols.jobs import Defaults, preload

if TYPE_CHECKING:  # multiprocessing loads only with --jobs > 1
    from concurrent.futures import Future, ProcessPoolExecutor

BLOCK_BYTES = 1 << 20
"""Input read per block in one process (whole lines; output is flushed per block)."""
JOB_BLOCK_BYTES = 1 << 18
"""Input per task with ``--jobs``: small enough to keep every worker busy to the end."""
MIN_JOB_BLOCK_BYTES = 1 << 14
IN_FLIGHT_PER_JOB = 4
BLOCKS_PER_JOB = 32
JSONL, PARQUET, ARROW = "jsonl", "parquet", "arrow"
FORMATS = (JSONL, PARQUET, ARROW)
"""``--format`` values: JSON Lines, Parquet, Arrow IPC (file or stream)."""
SUFFIXES = {".parquet": PARQUET, ".pq": PARQUET, ".arrow": ARROW, ".arrows": ARROW}
SUFFIXES |= {".feather": ARROW, ".ipc": ARROW}


# --- streaming ---------------------------------------------------------------------------


def read_blocks(stream: IO[bytes], block_bytes: int, *, eager: bool = False) -> Iterator[bytes]:
    """Blocks of whole lines. A line over the limit is cut just past it (so it is reported
    as too long) and the rest of it skipped, never held in memory.

    ``eager``: return what a pipe has ready (``read1``) instead of waiting for a full
    block, so results follow a slow producer line by line.
    """
    read = getattr(stream, "read1", stream.read) if eager else stream.read
    while True:
        try:
            block = _whole_lines(stream, read(block_bytes), block_bytes)
        except OSError as exc:  # the results already written stay written
            reason = exc.strerror or type(exc).__name__
            raise BadInputError(f"--batch: cannot read the input: {reason}") from None
        if not block:
            return
        yield block


def _whole_lines(stream: IO[bytes], block: bytes, block_bytes: int) -> bytes:
    if block and not block.endswith(b"\n"):
        tail = stream.readline(MAX_BATCH_LINE_BYTES + 1)
        block += tail
        if len(tail) > MAX_BATCH_LINE_BYTES and not tail.endswith(b"\n"):
            while True:
                rest = stream.readline(block_bytes)
                if not rest or rest.endswith(b"\n"):
                    break
            block += b"\n"
    return block


def _numbered(blocks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    line = 1
    for block in blocks:
        yield line, block
        line += block.count(b"\n")


def _job_block_bytes(stream: IO[bytes], jobs: int) -> int:
    """Blocks per task: about 32 per worker for a small file (so the last block, which one
    worker runs while the others wait, is short: at 8 per worker that wait was 6% of a
    20,000-line run), at most ``JOB_BLOCK_BYTES`` (so the per-task cost stays small)."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return JOB_BLOCK_BYTES  # a pipe or an in-memory stream: size unknown
    if size <= 0:
        return JOB_BLOCK_BYTES
    return max(MIN_JOB_BLOCK_BYTES, min(JOB_BLOCK_BYTES, size // (jobs * BLOCKS_PER_JOB)))


class JobBlock(NamedTuple):
    """One ``--jobs`` task: a block of whole lines, the number of its first line, how many
    lines it holds and, when a worker can read it from the file itself, the file's
    descriptor and the block's offset in it."""

    first: int
    block: bytes
    newlines: int
    fd: int | None = None
    offset: int = 0


def _shared_file(stream: IO[bytes], start_method: str) -> int | None:
    """The descriptor of the regular file behind ``stream``, which forked workers inherit and
    read their blocks from (``os.pread``); None for a pipe, or without fork or pread (each
    block then travels to its worker through a pipe).

    Why: a 256 KB block does not fit a 64 KB pipe, so its worker waited for this process to
    write the rest, and with one core per worker this process has no core of its own to do
    it promptly.
    """
    if start_method != "fork" or not hasattr(os, "pread"):
        return None
    fd = _regular_file(stream)
    try:
        if fd is not None:
            stream.tell()
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both
        return None
    return fd


def _regular_file(stream: IO[bytes]) -> int | None:
    """The descriptor of the regular file behind ``stream``; None for a pipe, a terminal or
    an in-memory stream."""
    try:
        fd = stream.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both
        return None


def _job_blocks(stream: IO[bytes], jobs: int, fd: int | None) -> Iterator[JobBlock]:
    first = 1
    start = stream.tell() if fd is not None else 0
    for block in read_blocks(stream, _job_block_bytes(stream, jobs)):
        newlines = block.count(b"\n")
        if fd is None:
            yield JobBlock(first, block, newlines)
        else:
            end = stream.tell()
            # A block whose over-long line was cut is not the file's bytes: it is sent as read.
            yield JobBlock(first, block, newlines, fd if end - start == len(block) else None, start)
            start = end
        first += newlines


def verify_range(
    defaults: Defaults, first_line: int, fd: int, offset: int, length: int, newlines: int
) -> BlockResult | None:
    """The task of a worker that reads its block itself: ``length`` bytes at ``offset`` of the
    file ``fd``. None when they are not what this process read (the file changed meanwhile:
    fewer bytes or other lines), so that the block read here is verified instead."""
    blob = os.pread(fd, length, offset)
    if len(blob) != length or blob.count(b"\n") != newlines:
        return None
    return verify_block(defaults, first_line, blob)


def verify_stream(
    stream: IO[bytes],
    write: Callable[[str], object],
    defaults: Defaults,
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
        verifier = BatchVerifier(defaults)
        # A pipe's lines are answered as they come; a file is read in whole blocks (read1
        # there returned what readline had left buffered: blocks of a few KB, each paying
        # the per-block costs, 768 of them for a 5 MB file instead of 5).
        eager = _regular_file(stream) is None
        for first, block in _numbered(read_blocks(stream, BLOCK_BYTES, eager=eager)):
            deliver(verifier.block(first, block))
        return totals[0], totals[1], totals[2]

    _verify_with_jobs(stream, deliver, defaults, jobs)
    return totals[0], totals[1], totals[2]


def _verify_with_jobs(
    stream: IO[bytes], deliver: Callable[[BlockResult], None], defaults: Defaults, jobs: int
) -> None:
    """``--jobs N``: blocks to N worker processes, results delivered in input order, at most
    ``IN_FLIGHT_PER_JOB`` blocks a worker in flight.

    concurrent.futures rather than multiprocessing.Pool: Pool's worker-handler thread wakes
    on every result waiting in its pipe and spins until the result thread takes it. This
    process's CPU for 20,000 lines on two cores, measured: 87 ms with Pool and blocks sent
    through pipes, 75 ms with Pool and blocks read by the workers, 50 ms with both changes.
    And a worker that dies ends the run with an error here, where Pool waited forever.
    """
    import multiprocessing  # only with --jobs > 1: a one-process batch never pays for it
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    blocks = _job_blocks(stream, jobs, _shared_file(stream, context.get_start_method()))
    head = next(blocks, None)
    if head is None:
        return
    preload(head.block)  # before the fork: the workers inherit the modules it needs
    pool = ProcessPoolExecutor(jobs, mp_context=context)
    pending: deque[tuple[Future[BlockResult | None], JobBlock]] = deque()

    def deliver_next() -> None:
        task, job = pending.popleft()
        result = task.result()
        # None: the file changed under the worker's read; the bytes read here count.
        deliver(result if result is not None else verify_block(defaults, job.first, job.block))

    try:
        for job in itertools.chain([head], blocks):
            pending.append((_submit(pool, defaults, job), job))
            if len(pending) >= jobs * IN_FLIGHT_PER_JOB:
                deliver_next()
        while pending:
            deliver_next()
    except BrokenProcessPool:
        raise InternalError(
            "--jobs: a worker process ended abruptly (killed, or out of memory?); "
            "the results before its block are written",
            hint="run it again, or with --jobs 1",
        ) from None
    finally:  # on an error or an interrupt, the blocks not yet started are dropped
        pool.shutdown(cancel_futures=True)


def _submit(
    pool: ProcessPoolExecutor, defaults: Defaults, job: JobBlock
) -> Future[BlockResult | None]:
    if job.fd is None:
        return pool.submit(verify_block, defaults, job.first, job.block)
    shape = (job.fd, job.offset, len(job.block), job.newlines)
    return pool.submit(verify_range, defaults, job.first, *shape)


def _cpus() -> int | None:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count()


def worker_count(requested: int, cpus: int | None) -> tuple[int, str | None]:
    """``--jobs``: 0 means one worker per CPU; more workers than CPUs only add processes
    (a huge N once started thousands), so the count is capped, with a note saying so."""
    available = max(1, cpus or 1)
    if requested == 0:
        return available, None
    if requested > available:
        return available, f"--jobs {requested} capped at {available}, the number of CPUs"
    return requested, None


def batch_format(path: str, fmt: str | None) -> str:
    """``--format``, or what the file's suffix says (JSON Lines when it says nothing)."""
    if fmt is not None:
        return fmt
    return SUFFIXES.get(os.path.splitext(path)[1].lower(), JSONL)  # noqa: PTH122


def _verify_table(
    path: str, fmt: str, defaults: Defaults, write: Callable[[str], object], output: str | None
) -> tuple[int, int, int]:
    try:
        # pyarrow loads only for a Parquet or Arrow batch.
        from walletsign_cli.tables import verify_table
    except ImportError:
        raise BadInputError(
            f"--batch {path}: reading {fmt} needs pyarrow",
            hint="pip install 'walletsign[arrow]'",
        ) from None
    return verify_table(path, fmt, defaults, write=write, output=output, stdin=sys.stdin.buffer)


def _verify_lines(
    env: Environment, path: str, defaults: Defaults, write: Callable[[str], object], jobs: int
) -> tuple[int, int, int]:
    # A bar on stderr only when it is a terminal; otherwise bar.wrap returns the stream as is.
    if path == "-":
        stream: IO[bytes] = sys.stdin.buffer
        with progress(env, stream_size(stream), "verifying", unit="bytes") as bar:
            return verify_stream(bar.wrap(stream), write, defaults, jobs=jobs)
    try:
        handle = open(path, "rb")  # noqa: PTH123, SIM115 - a user-given path
    except OSError as exc:
        raise BadInputError(f"--batch: cannot read {path}: {exc.strerror}") from None
    with handle, progress(env, stream_size(handle), "verifying", unit="bytes") as bar:
        return verify_stream(bar.wrap(handle), write, defaults, jobs=jobs)


def _text_output(output: str | None, fmt: str) -> IO[str]:
    """Where result lines go: stdout, or ``--output`` (a file of JSON Lines)."""
    if output is None:
        return sys.stdout
    if fmt == JSONL and batch_format(output, None) != JSONL:
        raise BadInputError(
            f"--output {output}: Parquet or Arrow results need a Parquet or Arrow --batch"
        )
    try:
        return open(output, "w", encoding="utf-8")  # noqa: PTH123 - a user-given path
    except OSError as exc:
        raise BadInputError(f"--output: cannot write {output}: {exc.strerror}") from None


def run_batch(
    env: Environment,
    path: str,
    defaults: Defaults,
    *,
    jobs: int,
    fmt: str | None = None,
    output: str | None = None,
) -> int:
    """The ``--batch`` command: the exit code (0 all valid, 3 any malformed, else 1)."""
    fmt = batch_format(path, fmt)
    table_output = fmt != JSONL and output is not None and batch_format(output, None) != JSONL
    jobs, capped = worker_count(jobs, _cpus())
    if capped:
        note(capped)
    if fmt != JSONL and jobs != 1:
        note(f"--jobs is for JSON Lines; {fmt} input is verified in one process")
    out = sys.stdout if table_output else _text_output(output, fmt)

    def write(text: str) -> None:
        out.write(text)
        out.flush()

    try:
        if fmt == JSONL:
            counts = _verify_lines(env, path, defaults, write, jobs)
        else:
            counts = _verify_table(path, fmt, defaults, write, output if table_output else None)
    finally:
        if out is not sys.stdout:
            out.close()
    valid, invalid, malformed = counts
    if not env.as_json:
        rows = "lines" if fmt == JSONL else "rows"
        note(
            f"{valid + invalid + malformed} {rows}: {valid} valid, {invalid} invalid, "
            f"{malformed} malformed"
        )
    if malformed:
        return 3
    return 1 if invalid else 0
