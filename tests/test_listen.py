"""``walletsign listen``: a real HTTP round trip on 127.0.0.1, bounded in time.

The listener runs as ``python -m walletsign_cli`` in a subprocess; the wallet's answer is
built by ``simulate`` and sent with an HTTP GET to the loopback address only. Every wait has
a timeout and every subprocess is killed in ``finally``.
"""

from __future__ import annotations

import ast
import contextlib
import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import invoke
from walletsign_cli import listener as listener_module
from walletsign_cli.errors import BadInputError, InvalidSignatureError, WalletRejectedError
from walletsign_cli.listener import Listener, ListenTimeoutError, Page, normalize_path
from walletsign_cli.protocols import dapp
from walletsign_cli.protocols.dapp import RedirectResult
from walletsign_cli.protocols.state import Document

LOOPBACK = "http://127.0.0.1:"
WAIT = 20.0
APP_URL = "https://example.com"

# No proxy from the environment may ever see this traffic: loopback only.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str


def http(url: str, *, method: str = "GET", data: bytes | None = None) -> Reply:
    """One request to the listener (127.0.0.1 only), with a timeout."""
    assert url.startswith(LOOPBACK), url
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - http, loopback
    try:
        with _OPENER.open(request, timeout=WAIT) as response:
            return Reply(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(exc.code, dict(exc.headers), exc.read().decode())


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Listening:
    """``walletsign listen`` in a subprocess, its stdout read line by line."""

    def __init__(
        self, keystore: Path, *args: str, command: tuple[str, ...] = ("listen", "--port", "0")
    ) -> None:
        prefix = [sys.executable, "-m", "walletsign_cli", "--keystore", str(keystore)]
        self.proc = subprocess.Popen(
            [*prefix, *command, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A shell runs background jobs with SIGINT ignored, and Python keeps an inherited
            # SIG_IGN: give the child the default, so the Ctrl-C test means the same anywhere.
            preexec_fn=_default_sigint,  # noqa: PLW1509 - it only resets one signal
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def first_line(self) -> str:
        line = self.lines.get(timeout=WAIT)
        assert line is not None, self.stderr_now()
        return line

    def stderr_now(self) -> str:
        return self.kill()

    def _drain(self) -> str:
        """What is left on stderr; both pipes closed (the reader thread has ended)."""
        self.reader.join(timeout=WAIT)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return err

    def finish(self) -> tuple[int, list[str], str]:
        """Exit code, the remaining stdout lines, stderr."""
        code = self.proc.wait(timeout=WAIT)
        self.reader.join(timeout=WAIT)
        rest: list[str] = []
        while (line := self.lines.get(timeout=WAIT)) is not None:
            rest.append(line)
        return code, rest, self._drain()

    def kill(self) -> str:
        """Stop the process (if it still runs); what it wrote on stderr ("" once drained)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)
        if self.proc.stderr is None or self.proc.stderr.closed:
            return ""
        return self._drain()


@pytest.fixture
def listen(keystore_path: Path) -> Iterator[Any]:
    started: list[Listening] = []

    def start(*args: str) -> Listening:
        process = Listening(keystore_path, *args)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.kill()
            for stream in (process.proc.stdout, process.proc.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture
def wallet() -> Any:
    def answer(deeplink: str) -> str:
        result = invoke("simulate", deeplink, "--json")
        assert result.exit_code == 0, result.stderr
        redirect = json.loads(result.stdout)["redirect"]
        assert isinstance(redirect, str)
        return redirect

    return answer


def link_base(link: str) -> str:
    """``http://127.0.0.1:PORT`` of a printed link."""
    parts = urlsplit(link)
    return f"{parts.scheme}://{parts.netloc}"


def assert_link(link: str) -> None:
    assert link.startswith(LOOPBACK), link
    token = urlsplit(link).path.split("/")[1]
    assert len(token) >= 22  # token_urlsafe(16)
    assert link.endswith("/cb")


# --- the full exchange --------------------------------------------------------------------


def test_connect_then_sign_message_through_listen(
    listen: Any, wallet: Any, keystore_path: Path
) -> None:
    assert invoke("keygen").exit_code == 0

    first = listen("--timeout", "30")
    link = first.first_line()
    assert_link(link)
    built = invoke(
        "connect-url",
        "--wallet",
        "phantom",
        "--app-url",
        APP_URL,
        "--redirect-link",
        link,
        "--json",
    )
    assert built.exit_code == 0, built.stderr
    answer = wallet(json.loads(built.stdout)["url"])
    assert answer.startswith(link + "?")

    page = http(answer)
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "<h1>approved</h1>" in page.body
    code, out, err = first.finish()
    assert code == 0, err
    assert "received an answer" in err
    assert "data=" not in err and urlsplit(answer).query not in err  # the answer is not logged
    decoded = invoke("decode-redirect", answer, "--no-save")  # the same text, same code path
    assert out == decoded.stdout.splitlines()

    store = json.loads(keystore_path.read_text())
    assert list(store["sessions"]) == ["phantom"]
    session = store["sessions"]["phantom"]
    account = dict(parse_qsl(urlsplit(answer).query))
    assert session["wallet_encryption_public_key"] == account["phantom_encryption_public_key"]

    second = listen("--timeout", "30", "--json")
    header = json.loads(second.first_line())
    link2 = header["redirect_link"]
    assert_link(link2)
    assert link2 != link  # a fresh token every time
    built = invoke("sign-url", "--redirect-link", link2, "--message", "hello listen", "--json")
    assert built.exit_code == 0, built.stderr
    answer = wallet(json.loads(built.stdout)["url"])

    page = http(answer)
    assert page.status == 200
    assert "<h1>approved</h1>" in page.body
    code, out, err = second.finish()
    assert code == 0, err
    assert len(out) == 1
    result = json.loads(out[0])
    assert result["status"] == "approved"
    assert result["method"] == "signMessage"
    assert result["session_name"] == "phantom"
    assert result["verified"] is True
    assert set(result["data"]) == {"signature"}

    # A disconnect answer has no parameters at all: the bare link is the whole answer.
    third = listen("--timeout", "30", "--json")
    link3 = json.loads(third.first_line())["redirect_link"]
    built = invoke("disconnect-url", "--redirect-link", link3, "--json")
    assert built.exit_code == 0, built.stderr
    assert "<h1>approved</h1>" in http(link3).body
    code, out, err = third.finish()
    assert code == 0, err
    result = json.loads(out[0])
    assert result["method"] == "disconnect"
    assert result["session_removed"] is True
    assert json.loads(keystore_path.read_text())["sessions"] == {}


# --- robustness: wrong paths, methods and garbage are answered and ignored ---------------


def test_wrong_path_404_post_405_garbage_then_rejection(listen: Any) -> None:
    process = listen("--timeout", "30")
    link = process.first_line()
    base = link_base(link)

    assert http(base + "/favicon.ico").status == 404
    assert http(base + "/cb").status == 404
    assert http(link + "/more").status == 404
    wrong_token = base + "/" + "A" * 22 + "/cb?errorCode=4001"
    assert http(wrong_token).status == 404
    with socket.create_connection(("127.0.0.1", urlsplit(link).port or 0), timeout=WAIT) as raw:
        raw.sendall(b"GET /\xc3\xa9\xff/cb HTTP/1.1\r\nHost: x\r\n\r\n")  # not ASCII
        assert raw.recv(64).startswith(b"HTTP/1.0 404")
    post = http(link, method="POST", data=b"errorCode=4001")
    assert post.status == 405
    assert post.headers["Allow"] == "GET"
    assert http(link, method="PUT", data=b"x").status == 405

    port = urlsplit(link).port
    assert port is not None
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as raw:
        raw.sendall(b"\x00\x01 not http\r\n\r\n")
        assert raw.recv(64).startswith(b"HTTP/")
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT):
        pass  # a port scan: connect and go
    assert process.proc.poll() is None  # still waiting

    page = http(link + "?errorCode=4001&errorMessage=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert page.status == 200
    assert "rejected: &lt;script&gt;alert(1)&lt;/script&gt;" in page.body
    assert "<script>" not in page.body
    code, out, err = process.finish()
    assert code == 4, err
    assert out and "4001" in "\n".join(out)


def test_undecodable_answer_gets_the_page_and_exit_3(listen: Any) -> None:
    process = listen("--timeout", "30", "--json")
    link = json.loads(process.first_line())["redirect_link"]
    page = http(link + "?nonce=0OIl&data=abc")
    assert page.status == 200
    assert "could not decode" in page.body
    code, out, err = process.finish()
    assert code == 3
    assert out == []  # the error goes to stderr only
    error = json.loads(err.strip().splitlines()[-1])["error"]
    assert error["exit_code"] == 3
    assert "nonce" in error["message"]


def test_overlong_request_line_is_refused_and_waiting_goes_on(listen: Any) -> None:
    from walletsign_cli.limits import MAX_URL_CHARS

    process = listen("--timeout", "30")
    link = process.first_line()
    port = urlsplit(link).port
    assert port is not None
    target = urlsplit(link).path + "?data=" + "1" * (MAX_URL_CHARS + 100)
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as raw:
        with contextlib.suppress(OSError):  # the server may close before reading it all
            raw.sendall(f"GET {target} HTTP/1.0\r\n\r\n".encode())
        status = raw.recv(64)
    assert status.startswith(b"HTTP/1.0 414") or status == b""
    assert process.proc.poll() is None
    page = http(link + "?errorCode=4001&errorMessage=no")
    assert "rejected: no" in page.body
    assert process.finish()[0] == 4


# --- timeout, Ctrl-C, options --------------------------------------------------------------


def test_timeout_exits_3_with_message(listen: Any) -> None:
    process = listen("--timeout", "1")
    assert_link(process.first_line())
    code, out, err = process.finish()
    assert code == 3
    assert out == []
    assert "walletsign: error: --timeout: no answer reached the redirect link within 1 s" in err
    assert "walletsign: hint:" in err


def test_ctrl_c_exits_130(listen: Any) -> None:
    process = listen("--timeout", "30")
    process.first_line()
    # Ctrl-C while it waits: give it a moment past its first line to be in the wait (two
    # CI runs out of about thirty timed out here; the stderr below says where it was).
    time.sleep(0.5)
    process.proc.send_signal(signal.SIGINT)
    try:
        code, _, err = process.finish()
    except subprocess.TimeoutExpired:
        pytest.fail(f"listen ignored Ctrl-C; its stderr: {process.stderr_now()!r}")
    assert code == 130
    assert "interrupted" in err
    assert "Traceback" not in err


def test_busy_port_is_bad_input(run: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run("listen", "--port", str(port), "--timeout", "1")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "cannot listen on 127.0.0.1" in result.stderr
    assert "--port 0" in result.stderr


def test_bad_path_is_bad_input(run: Any) -> None:
    result = run("listen", "--path", "/a b", "--timeout", "1")
    assert result.exit_code == 3
    assert "--path" in result.stderr


def test_custom_path_and_json_first_line(run: Any) -> None:
    result = run("listen", "--path", "onConnect", "--timeout", "0.2", "--json")
    assert result.exit_code == 3
    first = json.loads(result.stdout.splitlines()[0])
    assert first["redirect_link"].startswith(LOOPBACK)
    assert first["redirect_link"].endswith("/onConnect")
    assert json.loads(result.stderr.strip().splitlines()[-1])["error"]["exit_code"] == 3


def test_other_host_warns_that_the_phone_must_reach_it(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend 127.0.0.1 is a LAN address, so nothing ever binds beyond the loopback.
    monkeypatch.setattr("walletsign_cli.listener.is_loopback", lambda host: False)
    result = run("listen", "--link-host", "192.0.2.7", "--timeout", "0.2")
    assert result.exit_code == 3
    assert result.stdout.startswith("http://192.0.2.7:")
    assert "the phone must reach this address" in result.stderr
    assert "same network" in result.stderr


# --- the library pieces --------------------------------------------------------------------


def test_normalize_path() -> None:
    assert normalize_path("cb") == "/cb"
    assert normalize_path("/on/Connect/") == "/on/Connect"
    for bad in ("/a?b", "/a#b", "/../", "/a b", "/%2e"):
        with pytest.raises(BadInputError):
            normalize_path(bad)


def test_page_escapes_and_has_no_script() -> None:
    body = Page('rejected: <img src=x onerror="x">', "a & b").render().decode()
    assert "<img" not in body
    assert "&lt;img src=x onerror=&quot;x&quot;&gt;" in body
    assert "a &amp; b" in body
    assert "<script" not in body


def test_listener_api_page_reflects_finish(capsys: pytest.CaptureFixture[str]) -> None:
    from walletsign_cli.cli.context import Environment
    from walletsign_cli.cli.listen import finish, open_listener

    replies: list[Reply] = []
    with open_listener(timeout=WAIT) as listener:
        assert listener.redirect_link.startswith(LOOPBACK)
        sender = threading.Thread(
            target=lambda: replies.append(http(listener.redirect_link + "?errorCode=4100")),
            daemon=True,
        )
        sender.start()
        url = listener.wait()
        assert url == listener.redirect_link + "?errorCode=4100"
        code = finish(
            Environment(as_json=True), url, listener=listener, key=None, session=None, no_save=True
        )
        sender.join(timeout=WAIT)
    assert code == 4
    assert replies and replies[0].status == 200
    assert "rejected:" in replies[0].body
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "rejected"
    assert document["error_code"] == 4100


def test_listener_times_out_naming_no_option() -> None:
    # The listener is not the CLI: the command names its own option (--timeout, ...).
    with Listener(timeout=0.2) as listener, pytest.raises(ListenTimeoutError) as caught:
        listener.wait()
    assert isinstance(caught.value, BadInputError)
    assert caught.value.message == "no answer reached the redirect link within 0.2 s"
    assert "--" not in str(caught.value)


def test_wait_for_answer_names_the_option_that_set_the_timeout() -> None:
    with Listener(timeout=0.2) as listener, pytest.raises(BadInputError) as caught:
        listener.wait_for_answer(option="--listen-timeout")
    assert not isinstance(caught.value, ListenTimeoutError)
    assert caught.value.message == (
        "--listen-timeout: no answer reached the redirect link within 0.2 s"
    )
    assert caught.value.hint == (
        "open the deeplink on the phone sooner, or pass a larger --listen-timeout"
    )


def test_page_for_each_outcome() -> None:
    approved = RedirectResult(status="approved", method="signMessage", verified=True)
    assert listener_module.page_for(approved).title == "approved"
    approved.verified = False
    assert listener_module.page_for(approved).title == "signature does not verify"
    rejected = RedirectResult(status="rejected", error_name="User Rejected Request")
    assert listener_module.page_for(rejected).title == "rejected: User Rejected Request"
    rejected.error_message = "no thanks"
    assert listener_module.page_for(rejected).title == "rejected: no thanks"
    rejected.error_message = rejected.error_name = None
    assert listener_module.page_for(rejected).title == "rejected: the wallet refused"
    page_for_error = listener_module.page_for_error
    assert page_for_error(WalletRejectedError("denied")).title == "rejected: denied"
    assert page_for_error(InvalidSignatureError("bad")).title == "signature does not verify"
    assert page_for_error(BadInputError("garbled")).title == "could not decode"


def test_exposure_warnings() -> None:
    warnings = listener_module.exposure_warnings
    assert warnings("127.0.0.1", None) == warnings("localhost", None) == warnings("::1", None) == []
    (lan,) = warnings("192.0.2.7", None)
    assert lan.startswith("listening on 192.0.2.7: the phone must reach this address")
    wildcard = warnings("0.0.0.0", None)  # noqa: S104 - a host name, never bound here
    assert len(wildcard) == 2 and "which a phone cannot open" in wildcard[1]
    assert len(warnings("::", "192.0.2.7")) == 1


@pytest.mark.parametrize(
    ("outcome", "title"),
    [
        ("?errorCode=4001&errorMessage=nope", "rejected: nope"),
        ("?garbage=1", "could not decode"),
    ],
)
def test_answer_replies_the_page_of_the_outcome(outcome: str, title: str) -> None:
    replies: list[Reply] = []
    decoded: list[dapp.RedirectResult] = []
    with Listener(timeout=WAIT) as listener:
        sender = threading.Thread(
            target=lambda: replies.append(http(listener.redirect_link + outcome)), daemon=True
        )
        sender.start()
        url = listener.wait()
        with contextlib.suppress(BadInputError):
            decoded.append(listener.answer(url, lambda answer: dapp.answer(answer, Document())[0]))
        sender.join(timeout=WAIT)
    assert replies and f"<h1>{title}</h1>" in replies[0].body
    assert len(decoded) == (1 if title.startswith("rejected") else 0)


def test_listener_imports_neither_click_nor_the_cli() -> None:
    tree = ast.parse(Path(listener_module.__file__).read_text(encoding="utf-8"))
    names = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n == "click" or n.startswith(("click.", "walletsign_cli.cli"))}


def test_connect_url_and_sign_url_with_listen(keystore_path: Path) -> None:
    """One command builds the deeplink, waits on loopback, and decodes the answer."""
    connect = Listening(
        keystore_path,
        command=("connect-url", "--wallet", "phantom", "--app-url", APP_URL, "--listen"),
    )
    try:
        deeplink = connect.first_line()
        assert deeplink.startswith("https://phantom.app/ul/v1/connect?")
        redirect_link = dict(parse_qsl(urlsplit(deeplink).query))["redirect_link"]
        assert_link(redirect_link)
        answer = invoke("simulate", deeplink)
        assert answer.exit_code == 0, answer.stderr
        reply = http(answer.stdout.strip())
        assert reply.status == 200
        assert "approved" in reply.body
        code, rest, err = connect.finish()
        assert code == 0, err
        assert any(line.startswith("public_key") or "approved" in line for line in rest), rest
    finally:
        connect.kill()
    sessions = json.loads(keystore_path.read_text())["sessions"]
    assert list(sessions) == ["phantom"]

    sign = Listening(
        keystore_path,
        "--json",
        command=("sign-url", "--message", "hello from listen", "--listen"),
    )
    try:
        document = json.loads(sign.first_line())
        assert document["method"] == "signMessage"
        answer = invoke("simulate", document["url"])
        assert answer.exit_code == 0, answer.stderr
        assert http(answer.stdout.strip()).status == 200
        code, rest, err = sign.finish()
        assert code == 0, err
        decoded = json.loads(rest[-1])
        assert decoded["verified"] is True
        assert decoded["session_name"] == "phantom"
    finally:
        sign.kill()


def test_listen_and_redirect_link_together_is_usage_error(run: Any) -> None:
    result = run(
        "connect-url",
        "--wallet",
        "phantom",
        "--app-url",
        APP_URL,
        "--redirect-link",
        "myapp://x",
        "--listen",
    )
    assert result.exit_code == 2
    assert "drop --redirect-link" in result.stderr
    result = run("connect-url", "--wallet", "phantom", "--app-url", APP_URL)
    assert result.exit_code == 2
    assert "--redirect-link" in result.stderr


def test_listen_checks_key_and_session_before_waiting(run: Any) -> None:
    result = run("listen", "--key", "nosuch", "--timeout", "30")
    assert result.exit_code == 5
    assert "nosuch" in result.stderr
    result = run("listen", "--session", "bad/x", "--timeout", "30")
    assert result.exit_code == 3
    assert "--session" in result.stderr


def test_listen_defaults_agree() -> None:
    # --listen-timeout and --listen-host default to what walletsign listen uses.
    from walletsign_cli.cli import connect_url, listen, sign_url
    from walletsign_cli.listener import DEFAULT_HOST, DEFAULT_TIMEOUT

    served = {param.name: param.default for param in listen.command.params}
    assert (served["timeout"], served["host"]) == (DEFAULT_TIMEOUT, DEFAULT_HOST)
    for command in (connect_url.command, sign_url.command):
        given = {param.name: param.default for param in command.params}
        assert (given["listen_timeout"], given["listen_host"]) == (DEFAULT_TIMEOUT, DEFAULT_HOST)


def test_listen_timeout_names_the_option_that_set_it(run: Any) -> None:
    result = run(
        "connect-url",
        "--wallet",
        "phantom",
        "--app-url",
        APP_URL,
        "--listen",
        "--listen-timeout",
        "0.2",
    )
    assert result.exit_code == 3
    assert "--listen-timeout: no answer reached the redirect link within 0.2 s" in result.stderr
    assert "pass a larger --listen-timeout" in result.stderr


def test_listener_errors_name_the_callers_parameters(run: Any) -> None:
    # The listener knows no command's options: a library caller reads its Python names,
    # and each command passes its own spelling (sign-url's are --listen-*).
    with pytest.raises(BadInputError, match=r"^port must be 0-65535"):
        Listener(port=70000)
    with pytest.raises(BadInputError, match=r"^path must be"):
        normalize_path("/a/../b")
    assert run("keygen").exit_code == 0
    served = run("sign-url", "--listen", "--listen-host", "256.1.1.1", "--message", "hi")
    assert served.exit_code == 3
    assert "--listen-host/--listen-port: cannot listen on 256.1.1.1" in served.stderr
    assert "--host/--port" not in served.stderr
    listened = run("listen", "--host", "256.1.1.1")
    assert listened.exit_code == 3
    assert "--host/--port: cannot listen on 256.1.1.1" in listened.stderr
