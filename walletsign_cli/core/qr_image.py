"""A QR code's module matrix as an image: a greyscale PNG, or lines of half-block text.

The matrix is ``qrcode``'s ``get_matrix()`` (True: a dark module); making it is the CLI's.
"""

from __future__ import annotations

import struct
import zlib

from walletsign_cli.errors import BadInputError

QR_MAX_BYTES = 2_953
"""Version 40 at error correction level L, byte mode: the most one QR code holds."""


def too_long(size: int) -> BadInputError:
    """The error for data of ``size`` bytes that no QR code holds (exit 3)."""
    return BadInputError(
        f"the URL is {size:,} bytes, too long for a QR code (at most {QR_MAX_BYTES:,})",
        hint="shorten the message or transactions, or send the link another way",
    )


def check_fits(data: bytes) -> bytes:
    """``data``, when one QR code can hold it."""
    if len(data) > QR_MAX_BYTES:
        raise too_long(len(data))
    return data


def png_bytes(matrix: list[list[bool]], *, scale: int = 8) -> bytes:
    """A greyscale PNG of a QR matrix (dark modules black), with zlib and struct only."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    size = len(matrix) * scale
    rows = []
    for row in matrix:
        # Filter byte 0 (none), then one byte per pixel: 0 black, 255 white.
        line = b"\0" + b"".join((b"\0" if dark else b"\xff") * scale for dark in row)
        rows.extend([line] * scale)
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


QUIET_ZONE = 4
"""The light margin, in modules, around every QR code drawn or written: the 4 modules
ISO/IEC 18004 asks for, without which scanners may not find the code."""


def half_block_lines(matrix: list[list[bool]], *, invert: bool = False) -> list[str]:
    """Two rows of modules per line of text (``▀▄█``). The glyphs are drawn in the terminal's
    text colour: by default the light modules are lit, so the code scans on a dark theme
    (light text on a dark background); ``invert`` lights the dark modules instead, for a
    light theme. An odd last row is paired with an unlit one (the background)."""
    lines: list[str] = []
    for top in range(0, len(matrix), 2):
        upper = [dark == invert for dark in matrix[top]]
        lower = (
            [dark == invert for dark in matrix[top + 1]]
            if top + 1 < len(matrix)
            else [False] * len(upper)
        )
        chars = [" ▄▀█"[a * 2 + b] for a, b in zip(upper, lower, strict=True)]
        lines.append("".join(chars))
    return lines


def too_wide(width: int, columns: int) -> str | None:
    """Why a QR code ``width`` modules wide (one text column each) cannot be drawn in a
    terminal ``columns`` wide (a wrapped code does not scan), or None when it fits."""
    if width <= columns:
        return None
    return f"the QR code is {width} columns wide and the terminal {columns}"
