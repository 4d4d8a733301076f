"""QR codes of a request's URL: the ``--qr`` options, the code, the file and the drawing.

The code is the smallest QR version that holds the URL's bytes in byte mode, at the highest
error-correction level that still fits that version, with a quiet zone of
:data:`~walletsign_cli.core.qr_image.QUIET_ZONE` modules. On a terminal too narrow for it
the code is not drawn (a wrapped code does not scan): it goes to ``--qr-file``, or to a temp
file whose path is printed. qrcode is imported only when a code is made.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from walletsign_cli.cli.output import note, stderr_is_terminal, warn
from walletsign_cli.core import qr_image
from walletsign_cli.errors import BadInputError

if TYPE_CHECKING:
    from walletsign_cli.protocols.dapp import ConnectPlan, RequestPlan

F = TypeVar("F", bound=Callable[..., Any])

QR_OPTIONS = ["--qr", "--qr-invert", "--qr-file"]
"""The QR options, for a command's ``help_groups``."""


def qr_options(function: F) -> F:
    """``--qr``, ``--qr-invert`` and ``--qr-file`` (parameters ``qr``, ``qr_invert``,
    ``qr_file``)."""
    decorators = [
        click.option(
            "--qr",
            is_flag=True,
            help="Draw a QR code of the URL on stderr, light on dark (for a dark terminal "
            "theme). Not drawn when the terminal is narrower than the code: it is written "
            "to --qr-file, or to a temp file, instead.",
        ),
        click.option(
            "--qr-invert",
            is_flag=True,
            help="Draw the QR code dark on light, for a light terminal theme (implies --qr).",
        ),
        click.option(
            "--qr-file", metavar="PATH", help="Write a QR code of the URL to PATH (.svg, .png)."
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def _qrcode() -> Any:
    """The qrcode package, with the submodules used here (loaded only when a code is made)."""
    import qrcode.image.svg  # also loads qrcode's constants, util and exceptions

    return qrcode


def make_qr(url: str) -> Any:
    """The smallest QR code of ``url`` (byte mode), at the highest error-correction level
    that fits the same version; exit 3 (not a crash) when no QR code holds it."""
    qrcode = _qrcode()
    data = qr_image.check_fits(url.encode("utf-8"))
    levels = qrcode.constants
    smallest = None
    for level in (levels.ERROR_CORRECT_L, levels.ERROR_CORRECT_M, levels.ERROR_CORRECT_Q):
        code = _fitted(qrcode, data, level, None if smallest is None else smallest.version)
        if code is None:
            break
        smallest = code
    if smallest is None:
        raise qr_image.too_long(len(data))
    high = _fitted(qrcode, data, levels.ERROR_CORRECT_H, smallest.version)
    return smallest if high is None else high


def _fitted(qrcode: Any, data: bytes, level: int, version: int | None) -> Any:
    """A code of ``data`` in byte mode at ``level``: in ``version``, or (None) the smallest
    version that holds it; None when it does not fit."""
    code = qrcode.QRCode(version=version, error_correction=level, border=qr_image.QUIET_ZONE)
    code.add_data(qrcode.util.QRData(data, mode=qrcode.util.MODE_8BIT_BYTE))
    try:
        code.make(fit=version is None)
    except (qrcode.exceptions.DataOverflowError, ValueError):  # qrcode 8: "Invalid version"
        return None
    return code


def check_qr_file(path: str) -> str:
    """Validate ``--qr-file`` before anything is written: ``.svg`` or ``.png``."""
    suffix = Path(path).suffix.lower()
    if suffix in (".svg", ".png"):
        return suffix[1:]
    raise BadInputError(f"--qr-file must end in .svg or .png, got {path!r}")


def qr_file_bytes(code: Any, kind: str) -> bytes:
    """The QR code as an SVG (qrcode's pure-Python writer) or PNG (``core.qr_image``)."""
    if kind == "svg":
        buffer = io.BytesIO()
        code.make_image(image_factory=_qrcode().image.svg.SvgPathImage).save(buffer)
        return buffer.getvalue()
    return qr_image.png_bytes(code.get_matrix())


def write_qr_file(code: Any, path: str) -> None:
    """Write the QR code to ``--qr-file`` (exit 3 when it cannot be written)."""
    content = qr_file_bytes(code, check_qr_file(path))
    try:
        with open(path, "wb") as handle:  # noqa: PTH123 - a user-given path
            handle.write(content)
    except OSError as exc:
        raise BadInputError(f"--qr-file: cannot write {path}: {exc.strerror}") from None


def write_temp_png(code: Any) -> str:
    """Write the QR code to a new PNG in the temp directory; its path."""
    handle, path = tempfile.mkstemp(prefix="walletsign-qr-", suffix=".png")
    with open(handle, "wb") as file:  # noqa: PTH123 - a descriptor from mkstemp
        file.write(qr_image.png_bytes(code.get_matrix()))
    return path


class QrBeforeSave:
    """The ``before_save`` hook of a request: make the QR code (and write ``--qr-file``)
    before the keystore changes, so that a path that cannot be written changes nothing;
    then :meth:`show` it."""

    def __init__(self, qr: bool, qr_file: str | None, *, invert: bool = False) -> None:
        self.qr, self.qr_file, self.invert = qr or invert, qr_file, invert
        self.code: Any = None

    @classmethod
    def of(cls, given: Mapping[str, Any]) -> QrBeforeSave:
        """The hook for a command's parameters ``qr``, ``qr_file`` and ``qr_invert``."""
        return cls(given["qr"], given["qr_file"], invert=bool(given.get("qr_invert")))

    def __call__(self, plan: ConnectPlan | RequestPlan) -> None:
        self.prepare(plan.request.url)

    def prepare(self, url: str) -> None:
        """Make the code of ``url`` (and write ``--qr-file``); an unwritable path fails here,
        before anything is saved or printed."""
        if self.qr_file is not None:
            check_qr_file(self.qr_file)
        if self.qr or self.qr_file is not None:
            self.code = make_qr(url)
        if self.qr_file is not None:
            write_qr_file(self.code, self.qr_file)

    def show(self) -> None:
        """Draw the code on stderr (``--qr``), unless the terminal is too narrow for it; say
        where ``--qr-file`` (or the temp file standing in for it) is."""
        if self.code is not None and self.qr:
            self._draw()
        if self.qr_file is not None:
            note(f"wrote the QR code to {self.qr_file}")

    def _draw(self) -> None:
        matrix: list[list[bool]] = self.code.get_matrix()
        if stderr_is_terminal():
            reason = qr_image.too_wide(len(matrix), shutil.get_terminal_size().columns)
            if reason is not None:
                self._not_drawn(reason, len(matrix))
                return
            click.echo("", err=True)
        click.echo("\n".join(qr_image.half_block_lines(matrix, invert=self.invert)), err=True)

    def _not_drawn(self, reason: str, width: int) -> None:
        if self.qr_file is not None:
            warn(f"{reason}: not drawn (it would wrap and not scan); scan {self.qr_file}")
            return
        try:
            path = write_temp_png(self.code)
        except OSError as exc:
            warn(f"{reason}: not drawn, and no temp file for it: {exc.strerror}")
            return
        warn(
            f"{reason}: not drawn (it would wrap and not scan); wrote it to {path} "
            f"(widen the terminal to {width} columns, or pass --qr-file PATH)"
        )
