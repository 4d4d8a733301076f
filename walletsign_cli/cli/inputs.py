"""Reading user input at the edge: ``-`` for stdin, files, hex, with size caps."""

from __future__ import annotations

import sys

from walletsign_cli.core import encoding
from walletsign_cli.errors import BadInputError
from walletsign_cli.limits import check_read, check_size


def read_stdin_bytes(limit: int, what: str) -> bytes:
    """Read all of stdin, refusing more than ``limit`` bytes without reading it all."""
    stream = getattr(sys.stdin, "buffer", None)
    data = stream.read(limit + 1) if stream is not None else sys.stdin.read(limit + 1).encode()
    check_read(len(data), limit, what)
    return data


def read_file_bytes(path: str, limit: int, what: str) -> bytes:
    """The bytes of ``path`` (``-``: stdin), capped at ``limit``."""
    if path == "-":
        return read_stdin_bytes(limit, what)
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 - a user-given path or '-'
            data = handle.read(limit + 1)
    except OSError as exc:
        raise BadInputError(f"{what}: cannot read {_one_line(path)}: {exc.strerror}") from None
    except ValueError:  # a NUL in the path (possible through the API, not from a shell)
        raise BadInputError(
            f"{what}: cannot read {_one_line(path)}: the path contains a NUL"
        ) from None
    check_read(len(data), limit, what)
    return data


def read_text_arg(value: str, limit: int, what: str) -> str:
    """A text argument that may be ``-`` (stdin): decoded UTF-8, surrounding whitespace stripped."""
    if value == "-":
        raw = read_stdin_bytes(limit, what)
        try:
            return raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise BadInputError(f"{what}: standard input is not UTF-8 text") from None
    check_size(len(value), limit, what)
    return value.strip()


def parse_hex(text: str, what: str) -> bytes:
    """Hex with or without ``0x``; whitespace around it ignored."""
    return encoding.parse_hex(text, what)


def _one_line(path: str) -> str:
    """The path in an error line: a line break in it is shown as ``\\n`` (an error is one
    line); any other unsafe character is escaped by the output layer, with its note."""
    return path.replace("\r", "\\r").replace("\n", "\\n")
