"""The smallest greyscale PNG writer a QR code needs, with zlib and struct only."""

from __future__ import annotations

import struct
import zlib


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
