"""A tiny HTTP server that catches the wallet's redirect (``walletsign listen``).

Standard library only (``socketserver`` + ``http.server``), no click: the CLI wraps it.

Safe by default: it binds 127.0.0.1, the redirect link carries an unguessable path token
(``secrets.token_urlsafe(16)``) so any other path gets 404, only ``GET`` is served (405
otherwise), request lines are capped at :data:`~walletsign_cli.limits.MAX_URL_CHARS`, bodies
are never read, and nothing is logged (the URL carries the wallet's answer).

Requests are handled one at a time in the caller's thread (``handle_request``), so the
keystore and click context stay where the caller is and Ctrl-C stops the wait at once. A
malformed request, a browser's ``/favicon.ico`` or a port scan is answered (or dropped) and
the wait goes on; a stalled connection is dropped after :data:`REQUEST_TIMEOUT` seconds.

The page the phone sees reflects the decoded outcome: :meth:`Listener.wait` keeps the
answering connection open and returns the URL; the caller decodes it and then calls
:meth:`Listener.reply` with the page (:meth:`Listener.close` sends a neutral one if it never
did).
"""

from __future__ import annotations

import errno
import hmac
import html
import ipaddress
import re
import secrets
import socket
import socketserver
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from walletsign_cli.errors import (
    BadInputError,
    ExitCode,
    InvalidSignatureError,
    WalletRejectedError,
    WalletsignError,
)
from walletsign_cli.limits import MAX_URL_CHARS
from walletsign_cli.protocols.dapp.result import RedirectResult

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PATH = "/cb"
DEFAULT_TIMEOUT = 300.0
REQUEST_TIMEOUT = 5.0
"""Seconds one connection may take to send its request line and headers."""

# "GET " + target + " HTTP/1.1\r\n": room for a URL of MAX_URL_CHARS and the framing.
MAX_REQUEST_LINE = MAX_URL_CHARS + 64
_PATH_SUFFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")


class ListenTimeoutError(BadInputError):
    """No answer reached the redirect link in time (exit 3); the caller names its option."""

    def __init__(self, timeout: float) -> None:
        super().__init__(
            f"no answer reached the redirect link within {timeout:g} s",
            hint="open the deeplink on the phone sooner, or wait longer",
        )
        self.timeout = timeout


@dataclass(frozen=True)
class Page:
    """The short HTML page the phone's browser shows after the redirect."""

    title: str
    detail: str

    def render(self) -> bytes:
        """A self-contained, escaped HTML document (no scripts, no external resources)."""
        title = html.escape(self.title)
        detail = html.escape(self.detail)
        return (
            "<!doctype html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>walletsign: {title}</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:2em;line-height:1.4}</style>"
            f"</head><body><h1>{title}</h1><p>{detail}</p></body></html>\n"
        ).encode()


def approved_page() -> Page:
    """The wallet approved and the answer decoded."""
    return Page("approved", "The answer reached walletsign. You can go back to the terminal.")


def rejected_page(reason: str) -> Page:
    """The wallet sent an error redirect (``reason`` is escaped when rendered)."""
    return Page(f"rejected: {reason}", "The wallet refused the request. See the terminal.")


def unverified_page() -> Page:
    """The answer decoded but its signature does not verify."""
    return Page("signature does not verify", "The answer decoded but did not verify.")


def undecodable_page() -> Page:
    """The answer could not be decoded (wrong key, tampered, malformed)."""
    return Page("could not decode", "walletsign could not decode this answer. See the terminal.")


def received_page() -> Page:
    """Sent when the caller never gave a verdict."""
    return Page("received", "The answer reached walletsign. See the terminal.")


def page_for(result: RedirectResult) -> Page:
    """The page for a decoded answer, by its exit code."""
    code = result.exit_code
    if code == ExitCode.OK:
        return approved_page()
    if code == ExitCode.WALLET_REJECTED:
        return rejected_page(result.error_message or result.error_name or "the wallet refused")
    if code == ExitCode.INVALID_SIGNATURE:
        return unverified_page()
    return undecodable_page()


class ParameterNames(NamedTuple):
    """How the caller spells the listener's parameters in error messages: the Python names
    by default; each command passes its own options (``--port``, or ``--listen-port``)."""

    host: str = "host"
    port: str = "port"
    path: str = "path"
    timeout: str = "timeout"
    link_host: str = "link_host"


PYTHON_NAMES = ParameterNames()


def page_for_error(exc: WalletsignError) -> Page:
    """The page for an answer whose decoding raised ``exc``."""
    if isinstance(exc, WalletRejectedError):
        return rejected_page(exc.message)
    if isinstance(exc, InvalidSignatureError):
        return unverified_page()
    return undecodable_page()


def normalize_path(suffix: str, *, name: str = PYTHON_NAMES.path) -> str:
    """The path as a clean ``/a/b`` suffix (unreserved URL characters only)."""
    text = suffix if suffix.startswith("/") else "/" + suffix
    text = text.rstrip("/") or DEFAULT_PATH
    # '.' and '..' segments are rewritten by browsers, so the answer would miss the path.
    if not _PATH_SUFFIX.match(text) or {".", ".."} & set(text.split("/")):
        raise BadInputError(
            f"{name} must be /segments of letters, digits and . _ ~ -, got {suffix!r}",
            hint=f"for example {name} /onConnect",
        )
    return text


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """True for the all-interfaces addresses ``0.0.0.0`` and ``::``."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def exposure_warnings(
    host: str, link_host: str | None, names: ParameterNames = PYTHON_NAMES
) -> list[str]:
    """What to tell the user about serving on ``host``: who can reach it, and whether a phone
    can open the link it shows."""
    if is_loopback(host):
        return []
    found = [
        f"listening on {host}: the phone must reach this address, which needs the "
        "same network; anyone there who learns the link can answer it"
    ]
    if is_wildcard(host) and link_host is None:
        found.append(
            f"the link shows {host}, which a phone cannot open: replace it with this "
            f"machine's LAN address, or pass {names.host} LAN_IP (or {names.link_host} LAN_IP)"
        )
    return found


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class _Server(socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = 16

    def __init__(self, address: tuple[str, int], owner: Listener) -> None:
        self.owner = owner
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A reset, a scan, a garbled request: drop it quietly and keep waiting.
        return

    def shutdown_request(self, request: Any) -> None:
        # The answering connection stays open until the caller replies with the verdict.
        if self.owner.holds(request):
            return
        super().shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    # Never answer in HTTP/0.9 (a bare body): garbage gets a real "HTTP/1.0 400".
    default_request_version = "HTTP/1.0"
    server_version = "walletsign"
    sys_version = ""
    timeout = REQUEST_TIMEOUT

    def handle_one_request(self) -> None:
        # The stdlib's, with the request-line cap raised to MAX_URL_CHARS (it hard-codes 64 KiB).
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self.requestline = ""
                self.request_version = ""
                self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self.close_connection = True
            if self.command == "GET":
                self._get()
            else:
                self._plain(HTTPStatus.METHOD_NOT_ALLOWED, "only GET is served here\n")
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True

    def _get(self) -> None:
        owner = self.server.owner
        target = urlsplit(self.path)
        # The path carries the secret token: compare it in constant time.
        asked = target.path.encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(asked, owner.path.encode()) or owner.pending_url is not None:
            self._plain(HTTPStatus.NOT_FOUND, "not found\n")
            return
        query = target.query
        url = owner.redirect_link + (f"?{query}" if query else "")
        if len(url) > MAX_URL_CHARS:
            self._plain(HTTPStatus.REQUEST_URI_TOO_LONG, "request too long\n")
            return
        owner.accept(url, self.request)

    def _plain(self, status: HTTPStatus, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # Never log: the request line carries the wallet's answer.
        return


class Listener:
    """Serves one redirect link and hands over each answer the wallet sends to it.

    ``with Listener(...) as listener: url = listener.wait(); ...; listener.reply(page)``.
    Binding happens in the constructor, so :attr:`redirect_link` shows the real port even
    with ``port=0``. ``link_host`` replaces the host in the printed link (for a wildcard
    bind, where the phone needs this machine's LAN address).
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        path: str = DEFAULT_PATH,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        link_host: str | None = None,
        names: ParameterNames = PYTHON_NAMES,
    ) -> None:
        if not 0 <= port <= 65535:
            raise BadInputError(f"{names.port} must be 0-65535, got {port}")
        if not timeout > 0:
            raise BadInputError(f"{names.timeout} must be positive, got {timeout:g}")
        self.host = host
        self.timeout = timeout
        self.path = f"/{secrets.token_urlsafe(16)}{normalize_path(path, name=names.path)}"
        self.pending_url: str | None = None
        self._pending_socket: socket.socket | None = None
        try:
            self._server = _Server((host, port), self)
        except (OSError, OverflowError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            in_use = isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE
            raise BadInputError(
                f"{names.host}/{names.port}: cannot listen on {_url_host(host)}:{port}: {reason}",
                hint=f"pass {names.port} 0 to pick a free port"
                if in_use
                else f"{names.host} must be an address of this machine, "
                "e.g. 127.0.0.1 or its LAN IP",
            ) from None
        self.port = int(self._server.server_address[1])
        shown = link_host or host
        self.redirect_link = f"http://{_url_host(shown)}:{self.port}{self.path}"

    def __enter__(self) -> Listener:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(undecodable_page() if exc_type is not None else received_page())

    def holds(self, request: Any) -> bool:
        """True for the connection whose answer waits for :meth:`reply`."""
        return request is not None and request is self._pending_socket

    def accept(self, url: str, request: socket.socket) -> None:
        """Called by the handler for a GET on the link: keep the connection for the reply."""
        self.pending_url = url
        self._pending_socket = request

    def wait(self) -> str:
        """Serve requests until the wallet's redirect arrives; return its full URL.

        Raises :class:`ListenTimeoutError` (exit 3) when ``timeout`` seconds pass first.
        """
        if self.pending_url is not None:
            self.reply(received_page())
        deadline = time.monotonic() + self.timeout
        while self.pending_url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ListenTimeoutError(self.timeout)
            self._server.timeout = remaining
            self._server.handle_request()
        return self.pending_url

    def wait_for_answer(self, *, option: str) -> str:
        """:meth:`wait`, its timeout named as the ``option`` that set it (exit 3)."""
        try:
            return self.wait()
        except ListenTimeoutError as exc:
            raise BadInputError(
                f"{option}: {exc.message}",
                hint=f"open the deeplink on the phone sooner, or pass a larger {option}",
            ) from None

    def answer(self, url: str, decode: Callable[[str], RedirectResult]) -> RedirectResult:
        """``decode(url)``, and the page its outcome calls for sent to the phone: approved,
        rejected, not verified, or (for any error, re-raised) could not decode."""
        page = undecodable_page()
        try:
            result = decode(url)
            page = page_for(result)
            return result
        except WalletsignError as exc:
            page = page_for_error(exc)
            raise
        finally:
            self.reply(page)

    def reply(self, page: Page) -> None:
        """Send ``page`` to the connection that brought the answer, and close it."""
        sock = self._pending_socket
        self._pending_socket = None
        self.pending_url = None
        if sock is None:
            return
        body = page.render()
        head = (
            "HTTP/1.0 200 OK\r\n"
            "Server: walletsign\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\n"
            # The page's own URL carries the answer: never send it on as a Referer.
            "Referrer-Policy: no-referrer\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
            "Connection: close\r\n\r\n"
        )
        try:
            sock.settimeout(REQUEST_TIMEOUT)
            sock.sendall(head.encode("ascii") + body)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the phone went away; the terminal still gets the result
        finally:
            sock.close()

    def close(self, page: Page | None = None) -> None:
        """Reply to a pending answer (with ``page`` or a neutral one) and stop listening."""
        if self._pending_socket is not None:
            self.reply(page or received_page())
        self._server.server_close()
