"""Byte streams as long operations see them: how big a file is, how much was read of it.

No terminal here: a progress bar (:class:`Bar`, drawn by ``cli/progress.py``) counts through
:class:`CountingReader` and sizes its total with :func:`stream_size`; :class:`NoBar` is the
one nobody watches.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import IO, Any, Protocol


class Bar(Protocol):
    """What a long operation reports its progress to (``cli/progress.py`` draws one)."""

    active: bool

    def advance(self, amount: int = 1) -> None:
        """Count ``amount`` more units done."""

    def wrap(self, stream: IO[bytes]) -> IO[bytes]:
        """``stream``, counting the bytes read from it (itself when the bar is off)."""
        ...


class NoBar:
    """The bar when nobody watches: does nothing, cheaply."""

    active = False

    def advance(self, amount: int = 1) -> None:
        """Nothing to count."""

    def wrap(self, stream: IO[bytes]) -> IO[bytes]:
        """The stream itself: not a single extra call per read."""
        return stream


class CountingReader:
    """A binary reader that reports how much was read (for byte-based progress)."""

    def __init__(self, stream: IO[bytes], advance: Callable[[int], None]) -> None:
        self._stream = stream
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._advance(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        read1 = getattr(self._stream, "read1", self._stream.read)
        data: bytes = read1(size)
        self._advance(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        self._advance(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        # fileno, name, seekable...: whatever else the reader is asked, the stream answers.
        return getattr(self._stream, name)


def stream_size(stream: IO[bytes]) -> int | None:
    """The size of a regular file behind ``stream`` (``None`` for a pipe or a terminal)."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None
