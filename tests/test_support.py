"""The small pieces below the CLI that its drawing and error handling use: byte counting
(:mod:`walletsign_cli.streams`), QR images (:mod:`walletsign_cli.core.qr_image`) and the
error document (:mod:`walletsign_cli.errors`)."""

from __future__ import annotations

import ast
import io
import struct
import zlib
from pathlib import Path

import pytest

from walletsign_cli import errors, streams
from walletsign_cli.core import qr_image
from walletsign_cli.core.qr_image import half_block_lines, png_bytes
from walletsign_cli.errors import BadInputError


def test_counting_reader_counts_every_kind_of_read() -> None:
    counted: list[int] = []
    reader = streams.CountingReader(io.BytesIO(b"line one\nline two\nrest"), counted.append)
    assert reader.readline() == b"line one\n"
    assert reader.read1(4) == b"line"
    assert reader.read(2) == b" t"
    assert reader.read() == b"wo\nrest"
    assert counted == [9, 4, 2, 7]
    assert reader.seekable()  # anything else is the stream's


def test_stream_size_is_known_for_regular_files_only(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 1234)
    with path.open("rb") as handle:
        assert streams.stream_size(handle) == 1234
    assert streams.stream_size(io.BytesIO(b"no file behind it")) is None


def test_no_bar_costs_nothing() -> None:
    bar: streams.Bar = streams.NoBar()
    stream = io.BytesIO(b"x")
    assert bar.wrap(stream) is stream and bar.active is False
    bar.advance(10)


def test_png_bytes_is_a_valid_greyscale_png() -> None:
    matrix = [[True, False], [False, True]]
    content = png_bytes(matrix, scale=2)
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    length, tag = struct.unpack(">I4s", content[8:16])
    assert (length, tag) == (13, b"IHDR")
    assert struct.unpack(">IIBB", content[16:26]) == (4, 4, 8, 0)
    crc = struct.unpack(">I", content[29:33])[0]
    assert crc == zlib.crc32(content[12:29]) & 0xFFFFFFFF
    idat_len = struct.unpack(">I", content[33:37])[0]
    rows = zlib.decompress(content[41 : 41 + idat_len])
    assert rows == b"".join([b"\0\0\0\xff\xff"] * 2 + [b"\0\xff\xff\0\0"] * 2)
    assert content.endswith(b"IEND\xaeB`\x82")


def test_half_blocks_pair_rows_and_light_the_light_modules() -> None:
    # dark/dark, dark/light, light/dark, light/light; an odd last row pairs with a dark one.
    matrix = [[True, True, False, False], [True, False, True, False], [True, False, True, False]]
    assert half_block_lines(matrix) == [" ▄▀█", " ▀ ▀"]
    assert half_block_lines([]) == []


def test_what_one_qr_code_holds() -> None:
    most = b"x" * qr_image.QR_MAX_BYTES
    assert qr_image.check_fits(most) is most
    with pytest.raises(BadInputError, match="2,954 bytes, too long for a QR code") as caught:
        qr_image.check_fits(most + b"x")
    assert caught.value.message.endswith("(at most 2,953)")


def test_error_document_and_the_internal_message() -> None:
    assert errors.error_document(3, "bad_input", "--x is bad", None) == {
        "error": {"type": "bad_input", "message": "--x is bad", "exit_code": 3, "hint": None}
    }
    document = errors.error_document(errors.ExitCode.KEYSTORE, "keystore", "locked", "wait")
    assert document["error"]["hint"] == "wait" and type(document["error"]["exit_code"]) is int
    message = errors.internal_message(KeyError("a secret in the text"))
    assert message.startswith("internal error (KeyError); this is a bug in walletsign")
    assert "secret in the text" not in message


def test_usage_error_is_exit_2() -> None:
    exc = errors.UsageError("--a cannot be combined with --b")
    assert (exc.exit_code, exc.error_type, str(exc)) == (2, "usage", exc.message)
    assert isinstance(exc, ValueError) and not isinstance(exc, errors.BadInputError)


def test_nothing_here_imports_the_terminal() -> None:
    for name in ("click", "rich", "qrcode"):
        assert name not in {m.split(".")[0] for m in _imports_of(streams.__file__)}


def _imports_of(path: str | None) -> set[str]:
    assert path is not None
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    found = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    return found | {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
