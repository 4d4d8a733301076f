"""A progress bar on stderr for long operations, and nothing at all when nobody watches.

::

    with progress(env, total_bytes, "verifying") as bar:
        for block in blocks:
            ...
            bar.advance(len(block))

The bar is drawn only when stderr is a terminal and stdout is not that same terminal (results
scrolling by are progress enough, and a bar redrawn between them would garble them). Otherwise
:func:`progress` yields a no-op whose ``advance`` costs one empty call, and rich is never
imported. Advance in chunks (a block, not a line): rich redraws at most ten times a second,
but each ``advance`` still takes a lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.output import shown, stderr_is_terminal, stdout_is_terminal
from walletsign_cli.cli.render import stderr_console
from walletsign_cli.streams import Bar, CountingReader, NoBar
from walletsign_cli.streams import stream_size as _stream_size

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

stream_size = _stream_size
"""The size of a regular file behind a stream (:func:`walletsign_cli.streams.stream_size`)."""


class _On:
    """A rich progress task on stderr."""

    active = True

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: int = 1) -> None:
        """Count ``amount`` more units done."""
        self._progress.advance(self._task, amount)

    def wrap(self, stream: IO[bytes]) -> IO[bytes]:
        """``stream``, advancing by the bytes each read returns."""
        return CountingReader(stream, self.advance)  # type: ignore[return-value]


def enabled() -> bool:
    """True when a bar would be drawn: stderr is a terminal, stdout is not."""
    return stderr_is_terminal() and not stdout_is_terminal()


@contextmanager
def progress(
    env: Environment, total: int | None, label: str, *, unit: str = "items"
) -> Iterator[Bar]:
    """A progress bar of ``total`` units (``None``: unknown) labelled ``label``.

    ``unit="bytes"`` shows sizes (``12.3/45.6 MB``) instead of counts. The bar is removed
    when the block ends, so only the command's own summary stays on the screen.
    """
    if not enabled():
        yield NoBar()
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    counts: list[Any] = (
        [DownloadColumn(), TransferSpeedColumn()] if unit == "bytes" else [MofNCompleteColumn()]
    )
    text = TextColumn("{task.description}", markup=False)
    if total is None:
        columns = [SpinnerColumn(), text, *counts, TimeElapsedColumn()]
    else:
        columns = [text, BarColumn(), TaskProgressColumn(), *counts, TimeRemainingColumn()]
    bar = Progress(
        *columns,
        console=stderr_console(env),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with bar:
        yield _On(bar, bar.add_task(shown(label), total=total))
