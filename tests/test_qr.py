"""QR codes through the CLI, decoded by a real QR decoder: the drawn terminal code and the
``--qr-file`` PNG both read back as the exact URL, in the smallest version, with the quiet
zone scanners need; a terminal too narrow for the code gets no drawing but a file.

The decoder is zxing-cpp (PyPI ``zxing-cpp``, module ``zxingcpp``: a self-contained wheel, no
system library), in the ``dev`` extra. It is told not to try the inverted image, so a code
drawn in the wrong polarity for its terminal theme fails here as it fails on a phone.
"""

from __future__ import annotations

import re
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli_deeplinks import _connected
from walletsign_cli.cli import qr as qr_module
from walletsign_cli.core.qr_image import QUIET_ZONE

zxingcpp = pytest.importorskip("zxingcpp")

# Byte-mode capacity (bytes) of QR versions 1-40 at error-correction level L: ISO/IEC 18004,
# table 7 (see tests/vectors/README.md).
BYTE_CAPACITY_L = [
    17, 32, 53, 78, 106, 134, 154, 192, 230, 271, 321, 367, 425, 458, 520, 586, 644, 718, 792,
    858, 929, 1003, 1091, 1171, 1273, 1367, 1465, 1528, 1628, 1732, 1840, 1952, 2068, 2188,
    2303, 2431, 2563, 2699, 2809, 2953,
]  # fmt: skip
GLYPHS = set(" ▀▄█")
SCALE = 4  # pixels per module in the images handed to the decoder


def smallest_version(size: int) -> int:
    """The smallest QR version whose byte mode holds ``size`` bytes (at level L)."""
    return next(v for v, cap in enumerate(BYTE_CAPACITY_L, start=1) if size <= cap)


def decode(pixels: list[list[int]]) -> list[bytes]:
    """What zxing-cpp reads in a greyscale image (0 black, 255 white), not trying inverted."""
    height, width = len(pixels), len(pixels[0])
    buffer = memoryview(bytes(v for row in pixels for v in row)).cast("B", (height, width))
    found = zxingcpp.read_barcodes(buffer, try_invert=False, try_rotate=False)
    return [bytes(code.bytes) for code in found]


def scaled(modules: list[list[bool]], margin: int, background: int) -> list[list[int]]:
    """An image of lit/unlit cells (lit is ``255 - background``), ``margin`` cells of
    background around it (the terminal around the drawing), each cell SCALE pixels."""
    width = len(modules[0]) + 2 * margin
    rows = [[False] * width] * margin
    rows += [[False] * margin + row + [False] * margin for row in modules]
    rows += [[False] * width] * margin
    lit = 255 - background
    return [
        [lit if cell else background for cell in row for _ in range(SCALE)]
        for row in rows
        for _ in range(SCALE)
    ]


def terminal_cells(stderr: str) -> list[list[bool]]:
    """The drawn QR code in ``stderr`` as lit cells (two per character: ``▀`` top, ``▄``
    bottom), as a terminal shows it."""
    lines = [line for line in stderr.splitlines() if line and set(line) <= GLYPHS]
    width = max(len(line) for line in lines)
    lines = [line for line in lines if len(line) == width]
    cells: list[list[bool]] = []
    for line in lines:
        cells.append([c in "▀█" for c in line])
        cells.append([c in "▄█" for c in line])
    return cells


def png_pixels(content: bytes) -> list[list[int]]:
    """The greyscale pixels of a PNG written by ``core.qr_image.png_bytes``."""
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", content[16:24])
    size = struct.unpack(">I", content[33:37])[0]
    raw = zlib.decompress(content[41 : 41 + size])
    stride = width + 1
    rows = [raw[y * stride : (y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)  # filter: none
    return [list(row[1:]) for row in rows]


def sign_url(run: Any, *args: str, message: str = "Sign in to Example") -> Any:
    result = run(
        "sign-url", "--redirect-link", "myapp://onSignMessage", "--message", message, *args
    )
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.parametrize("invert", [False, True])
def test_the_drawn_code_and_the_file_decode_to_the_exact_url(
    run: Any, tmp_path: Path, invert: bool
) -> None:
    _connected(run)
    png = tmp_path / "request.png"
    flags = ["--qr-invert"] if invert else ["--qr"]
    result = sign_url(run, *flags, "--qr-file", str(png))
    url = result.stdout.strip().encode()

    cells = terminal_cells(result.stderr)
    # Default: lit glyphs are light modules (light text on a dark theme); inverted: dark
    # modules in dark text on a light theme.
    background = 255 if invert else 0
    assert decode(scaled(cells, margin=2, background=background)) == [url]
    # The other theme shows the code inverted: no scanner that does not invert reads it.
    assert decode(scaled(cells, margin=2, background=255 - background)) == []

    pixels = png_pixels(png.read_bytes())
    assert decode(pixels) == [url]
    modules = len(pixels) // 8  # png_bytes' scale
    version = smallest_version(len(url))
    assert modules == 4 * version + 17 + 2 * QUIET_ZONE
    assert len(cells[0]) == modules  # the drawing is the same code
    # The quiet zone: the first and last QUIET_ZONE rows and columns are light.
    light_rows = pixels[: QUIET_ZONE * 8] + pixels[-QUIET_ZONE * 8 :]
    assert all(v == 255 for row in light_rows for v in row)
    assert all(v == 255 for row in pixels for v in row[: QUIET_ZONE * 8])


@pytest.mark.parametrize(
    ("size", "version", "level"),
    [(7, 1, "H"), (11, 1, "Q"), (14, 1, "M"), (17, 1, "L"), (18, 2, "Q"), (154, 7, "L")],
)
def test_the_smallest_version_then_the_strongest_error_correction(
    size: int, version: int, level: str
) -> None:
    url = "a://" + "x" * (size - 4)
    code = qr_module.make_qr(url)
    assert code.version == version == smallest_version(size)
    levels = {"L": 1, "M": 0, "Q": 3, "H": 2}  # qrcode's constants
    assert code.error_correction == levels[level]
    matrix = code.get_matrix()
    assert len(matrix) == 4 * version + 17 + 2 * QUIET_ZONE


def test_a_terminal_too_narrow_gets_a_file_not_a_drawing(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _connected(run)
    monkeypatch.setattr(qr_module, "stderr_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    message = "Sign in to Example: " + "x" * 200  # a code wider than 80 columns
    result = sign_url(run, "--qr", message=message)
    url = result.stdout.strip().encode()
    assert not any(set(line) <= GLYPHS and line for line in result.stderr.splitlines())
    match = re.search(
        r"warning: the QR code is (\d+) columns wide and the terminal 80: not drawn .*"
        r"wrote it to (\S+walletsign-qr-\S+\.png) ",
        result.stderr,
    )
    assert match, result.stderr
    assert int(match[1]) > 80
    written = Path(match[2])
    assert written.parent == tmp_path
    assert decode(png_pixels(written.read_bytes())) == [url]

    given = tmp_path / "given.png"
    result = sign_url(run, "--qr", "--qr-file", str(given), message=message)
    assert f"not drawn (it would wrap and not scan); scan {given}" in result.stderr
    assert decode(png_pixels(given.read_bytes())) == [result.stdout.strip().encode()]
    assert sorted(p.name for p in tmp_path.glob("walletsign-qr-*.png")) == [written.name]

    monkeypatch.setenv("COLUMNS", "200")
    result = sign_url(run, "--qr", message=message)
    assert decode(scaled(terminal_cells(result.stderr), 2, 0)) == [result.stdout.strip().encode()]


@pytest.mark.parametrize(
    "argv",
    [
        ("connect-url", "--wallet", "phantom", "--app-url", "https://example.com",
         "--redirect-link", "myapp://onConnect"),
        ("browse-url", "https://example.com/item", "--ref", "https://example.com",
         "--wallet", "phantom"),
        ("fungible-url", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"),
    ],
)  # fmt: skip
def test_every_url_command_draws_the_same_scannable_code(
    run: Any, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    # connect-url and the link commands use the same QR code as sign-url: --qr-invert, the
    # quiet zone and a file that decodes to the exact URL.
    png = tmp_path / "code.png"
    result = run(*argv, "--qr-invert", "--qr-file", str(png))
    assert result.exit_code == 0, result.stderr
    url = result.stdout.strip().encode()
    assert decode(scaled(terminal_cells(result.stderr), margin=2, background=255)) == [url]
    assert decode(png_pixels(png.read_bytes())) == [url]
