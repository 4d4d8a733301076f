"""Fuzzing every command: garbage in gives a clean exit (1, 3, 4 or 5), never a crash.

The rule for every run: never exit 70, never a traceback; exit 2 only for a missing or
unknown option; a failure is one ``walletsign: error:`` line (plus an optional hint), or
one JSON error line with ``--json``; and after any failing run the keystore is byte for
byte what it was. Each example starts from the same realistic keystore (a dapp key, a saved
session, a pending signMessage request) built once per module.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_tamper import CONNECT_LINK, SIGN_LINK, MiniWallet
from walletsign_cli.cli.root import COMMANDS, _module_exists, cli
from walletsign_cli.core import base58, box
from walletsign_cli.core.ed25519 import Ed25519SigningKey

# WALLETSIGN_FUZZ_EXAMPLES=2000 for a long hunt; the default keeps the suite near a minute.
FUZZ = settings(
    max_examples=int(os.environ.get("WALLETSIGN_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- the baseline keystore ------------------------------------------------------------------


@dataclass
class Baseline:
    """A keystore after keygen, connect and sign-url, and the URLs that made it."""

    content: bytes
    wallet: MiniWallet
    connect_url: str
    connect_answer: str
    sign_url: str
    sign_answer: str


def _invoke(keystore: Path, *args: str, input: bytes | str | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--keystore", str(keystore), *args], input=input, catch_exceptions=False
    )


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baseline]:
    path = tmp_path_factory.mktemp("baseline") / "ks" / "keystore.json"
    wallet = MiniWallet()
    with pytest.MonkeyPatch.context() as mp:
        for var in ("WALLETSIGN_PASSPHRASE", "WALLETSIGN_DEBUG", "WALLETSIGN_LOCK_TIMEOUT"):
            mp.delenv(var, raising=False)
        assert _invoke(path, "keygen").exit_code == 0
        connect_url = _invoke(
            path,
            "connect-url",
            "--wallet",
            "phantom",
            "--app-url",
            "https://example.com",
            "--redirect-link",
            CONNECT_LINK,
        ).stdout.strip()
        connect_answer = wallet.connect(connect_url)
        assert _invoke(path, "decode-redirect", connect_answer).exit_code == 0
        signed = _invoke(path, "sign-url", "--redirect-link", SIGN_LINK, "--message", "hello")
        assert signed.exit_code == 0, signed.stderr
        sign_url = signed.stdout.strip()
    yield Baseline(
        path.read_bytes(),
        wallet,
        connect_url,
        connect_answer,
        sign_url,
        wallet.sign_message(sign_url),
    )


@pytest.fixture
def fuzz(baseline: Baseline, keystore_path: Path) -> Fuzz:
    return Fuzz(baseline, keystore_path)


# Exit 2 is for the shape of the command line (click's UsageError: a missing, unknown or
# conflicting option or subcommand); a malformed value is 3. The message names the option.
USAGE = re.compile(r"--[a-z]|no such option|missing command|no such command", re.IGNORECASE)


class Fuzz:
    """Runs one fuzzed command from the baseline keystore and checks the rule."""

    def __init__(self, baseline: Baseline, path: Path) -> None:
        self.baseline = baseline
        self.path = path

    def restore(self) -> None:
        self.path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.baseline.content)

    def __call__(self, *args: str, input: bytes | str | None = None, batch: bool = False) -> Result:
        self.restore()
        result = _invoke(self.path, *args, input=input)
        check(result, args, self.baseline.content, self.path.read_bytes(), batch=batch)
        return result


def check(
    result: Result, args: tuple[str, ...], before: bytes, after: bytes, *, batch: bool = False
) -> None:
    """The rule every fuzzed run must keep (a batch reports malformed lines as results)."""
    code = result.exit_code
    shown = f"args={args!r}\nexit={code}\nstderr={result.stderr[-2000:]!r}"
    assert code != 70, "internal error (a crash)\n" + shown
    assert "Traceback" not in result.stderr + result.stdout, shown
    assert code in (0, 1, 2, 3, 4, 5, 6), shown
    if code == 2:
        assert USAGE.search(result.stderr), "exit 2 for something not a usage error\n" + shown
        return
    if code:
        assert after == before, "a failing run changed the keystore\n" + shown
    if code in (3, 5) and not (batch and result.stdout):
        assert result.stdout == "", shown
        lines = result.stderr.splitlines()
        # Options end at the first "--": a "--json" after it is an argument, not the flag.
        options = args[: args.index("--")] if "--" in args else args
        if "--json" in options:
            assert len(lines) == 1, shown
            error = json.loads(lines[0])["error"]
            assert error["exit_code"] == code, shown
            assert "\n" not in error["message"], shown
        else:
            errors = [line for line in lines if line.startswith("walletsign: error: ")]
            assert len(errors) == 1, "not exactly one error line\n" + shown
            assert lines[-1] == errors[0] or lines[-1].startswith("walletsign: hint: "), shown
            assert all(line.startswith("walletsign: ") for line in lines), shown


# -- strategies -----------------------------------------------------------------------------

# What Python makes of non-UTF-8 bytes in argv (surrogateescape), and other classics.
NON_UTF8 = st.binary(min_size=1, max_size=12).map(
    lambda b: (b + b"\xff").decode("utf-8", "surrogateescape")
)
INTERESTING = st.sampled_from(
    [
        "",
        " ",
        "-",
        "--",
        "0x",
        "0xzz",
        "%",
        "%zz",
        "%ff%fe",
        "%E2%82",
        "null",
        "[]",
        "{}",
        '{"a":',
        "1e999",
        "NaN",
        "\x00",
        "a\nb",
        "\u202e",
        "é",
        "I0Ol",
        "1" * 200,
        base58.encode(bytes(range(31))),
        base58.encode(bytes(range(32))),
        base58.encode(bytes(range(33))),
        base58.encode(bytes(range(64))),
        base64.b64encode(bytes(range(32))).decode(),
        bytes(range(32)).hex(),
        "0x" + bytes(range(65)).hex(),
        "12345678901234567890",
        "-32603",
        "4001",
    ]
)
TEXT = st.one_of(
    INTERESTING,
    st.integers(1000, 6000).map(lambda n: "z" * n),
    st.text(max_size=40),
    NON_UTF8,
    st.binary(max_size=40).map(base58.encode),
    st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
    st.binary(max_size=40).map(bytes.hex),
)
NAMES = st.one_of(st.sampled_from(["default", "phantom", "sim", "x" * 65, ".x", "-x"]), TEXT)
URLS = st.one_of(
    st.sampled_from([CONNECT_LINK, SIGN_LINK, "https://example.com/cb?x=1", "a:", "notaurl"]),
    TEXT,
    TEXT.map(lambda t: "myapp://cb?" + t),
)
JSON_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | TEXT,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "public_key",
                    "session",
                    "signature",
                    "transaction",
                    "transactions",
                    "message",
                    "display",
                    "version",
                    "nonce",
                    "ephemPublicKey",
                    "ciphertext",
                    "x",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)
STDIN = st.one_of(st.binary(max_size=300), TEXT.map(lambda t: t.encode("utf-8", "surrogateescape")))


def opt(name: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """``[]`` or ``["--name=value"]`` (the ``=`` form keeps a value like ``-x`` a value)."""
    return st.one_of(st.just([]), values.map(lambda v: [f"{name}={v}"]))


def flag(name: str) -> st.SearchStrategy[list[str]]:
    return st.sampled_from([[], [name]])


def combine(*parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    return st.tuples(*parts).map(lambda lists: [item for sub in lists for item in sub])


JSON_FLAG = flag("--json")


# -- URL mutations of real answers ----------------------------------------------------------


def _params(url: str) -> tuple[str, list[list[str]]]:
    link, _, query = url.partition("?")
    return link, [pair.split("=", 1) for pair in query.split("&")]


@st.composite
def mutated_url(draw: st.DrawFn, seeds: list[str]) -> str:
    """A real URL with a few parameters deleted, repeated, emptied, broken or replaced."""
    link, params = _params(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        if not params:
            break
        i = draw(st.integers(0, len(params) - 1))
        name, value = params[i]
        action = draw(
            st.sampled_from(
                ["delete", "repeat", "empty", "flip", "truncate", "extend", "replace", "encode"]
            )
        )
        if action == "delete":
            del params[i]
        elif action == "repeat":
            params.insert(i, [name, draw(st.sampled_from([value, draw(TEXT)]))])
        elif action == "empty":
            params[i] = [name, ""]
        elif action == "flip" and value:
            j = draw(st.integers(0, len(value) - 1))
            char = draw(st.sampled_from("123456789ABCabcxyz+/=%"))
            params[i] = [name, value[:j] + char + value[j + 1 :]]
        elif action == "truncate":
            params[i] = [name, value[: draw(st.integers(0, max(len(value) - 1, 0)))]]
        elif action == "extend":
            params[i] = [name, value + draw(TEXT)]
        elif action == "replace":
            params[i] = [name, draw(TEXT)]
        else:
            # A value holding NON_UTF8's lone surrogates is quoted as the raw bytes they stand for.
            quoted = quote(value, safe="", errors="surrogateescape")
            params[i] = [name, draw(st.sampled_from([quoted, "%" + value]))]
    sep = draw(st.sampled_from(["?", "?", "#", "&", "?x=1&"]))
    return link + sep + "&".join("=".join(pair) for pair in params)


# -- the commands ---------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_fuzz_decode_redirect(fuzz: Fuzz, data: st.DataObject) -> None:
    b = fuzz.baseline
    url = data.draw(
        st.one_of(mutated_url([b.connect_answer, b.sign_answer, b.sign_url]), URLS), label="url"
    )
    extra = data.draw(combine(opt("--key", NAMES), opt("--session", NAMES), flag("--no-save")))
    as_json = data.draw(JSON_FLAG)
    if data.draw(st.booleans(), label="stdin"):
        fuzz("decode-redirect", "-", *extra, *as_json, input=url.encode("utf-8", "surrogateescape"))
    else:
        fuzz("decode-redirect", *extra, *as_json, "--", url)


@FUZZ
@given(raw=STDIN, as_json=JSON_FLAG)
def test_fuzz_decode_redirect_random_stdin(fuzz: Fuzz, raw: bytes, as_json: list[str]) -> None:
    fuzz("decode-redirect", "-", *as_json, input=raw)


@FUZZ
@given(data=st.data())
def test_fuzz_doctor(fuzz: Fuzz, data: st.DataObject) -> None:
    b = fuzz.baseline
    url = data.draw(
        st.one_of(mutated_url([b.connect_answer, b.sign_answer, b.sign_url, b.connect_url]), URLS),
        label="url",
    )
    wrap = data.draw(st.sampled_from(["{}", '"{}"', "`{}`", "<{}>", "[x]({})", "\u201c{}\u201d"]))
    extra = data.draw(combine(flag("--no-keystore"), JSON_FLAG))
    # Like a batch, doctor reports its problems as results (on stdout), then exits 3.
    result = fuzz("doctor", *extra, "--", wrap.format(url), batch=True)
    assert result.exit_code in (0, 3), result.stderr


@FUZZ
@given(raw=STDIN, as_json=JSON_FLAG)
def test_fuzz_doctor_random_stdin(fuzz: Fuzz, raw: bytes, as_json: list[str]) -> None:
    fuzz("doctor", "-", *as_json, input=raw, batch=True)


@FUZZ
@given(
    plaintext=st.one_of(JSON_JUNK.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200))
)
def test_fuzz_decode_redirect_sealed_junk(fuzz: Fuzz, plaintext: bytes) -> None:
    """Junk behind a valid cipher: the JSON layer of a connect answer and of a sign answer."""
    for connect in (True, False):
        fuzz("decode-redirect", _sealed(fuzz.baseline, plaintext, connect), "--json")


@FUZZ
@given(
    args=combine(
        opt("--wallet", st.one_of(st.sampled_from(["phantom", "solflare", "backpack"]), TEXT)),
        opt("--app-url", URLS),
        opt("--redirect-link", URLS),
        opt(
            "--cluster",
            st.one_of(
                st.sampled_from(["devnet", "testnet", "solana:EAQLJCV2mh23BsK2P9oYpV5CHVLDNHTxY"]),
                TEXT,
            ),
        ),
        opt("--key", NAMES),
        opt("--base-url", URLS),
        JSON_FLAG,
    )
)
def test_fuzz_connect_url(fuzz: Fuzz, args: list[str]) -> None:
    fuzz("connect-url", *args)


MESSAGE_OPTIONS = st.one_of(
    opt("--message", TEXT),
    opt("--message-hex", TEXT),
    st.just(["--message-file=-"]),
    opt("--message-file", st.sampled_from(["/nonexistent/x", "/", "/dev/null"])),
    combine(opt("--message", TEXT), opt("--message-hex", TEXT)),
)


@FUZZ
@given(
    args=combine(
        opt("--redirect-link", URLS),
        MESSAGE_OPTIONS,
        st.lists(TEXT.map(lambda t: f"--transaction={t}"), max_size=3),
        flag("--send"),
        opt("--send-options", st.one_of(st.just('{"maxRetries":3}'), TEXT)),
        opt("--display", st.one_of(st.sampled_from(["utf8", "hex"]), TEXT)),
        opt("--session", NAMES),
        opt("--wallet", st.one_of(st.sampled_from(["phantom", "immutable"]), TEXT)),
        opt("--base-url", URLS),
        opt("--description", TEXT),
        opt("--env", st.one_of(st.just("sandbox"), TEXT)),
        JSON_FLAG,
    ),
    stdin=STDIN,
)
def test_fuzz_sign_url(fuzz: Fuzz, args: list[str], stdin: bytes) -> None:
    fuzz("sign-url", *args, input=stdin)


@FUZZ
@given(
    args=combine(
        opt("--redirect-link", URLS),
        opt("--session", NAMES),
        opt("--wallet", TEXT),
        opt("--base-url", URLS),
        JSON_FLAG,
    )
)
def test_fuzz_disconnect_url(fuzz: Fuzz, args: list[str]) -> None:
    fuzz("disconnect-url", *args)


@FUZZ
@given(
    args=combine(
        opt("--name", NAMES),
        opt("--secret-key", st.one_of(TEXT, st.just("-"))),
        flag("--force"),
        JSON_FLAG,
    ),
    stdin=STDIN,
)
def test_fuzz_keygen(fuzz: Fuzz, args: list[str], stdin: bytes) -> None:
    fuzz("keygen", *args, input=stdin)


@FUZZ
@given(
    args=combine(
        opt(
            "--public-key",
            st.one_of(
                TEXT,
                st.binary(min_size=30, max_size=34).map(lambda b: base64.b64encode(b).decode()),
            ),
        ),
        st.one_of(opt("--message", TEXT), st.just(["--message-file=-"])),
        flag("--pad"),
        JSON_FLAG,
    ),
    stdin=STDIN,
)
def test_fuzz_encrypt(fuzz: Fuzz, args: list[str], stdin: bytes) -> None:
    fuzz("encrypt", *args, input=stdin)


ENCRYPTED_JUNK = st.fixed_dictionaries(
    {},
    optional={
        "version": st.one_of(st.just("x25519-xsalsa20-poly1305"), JSON_JUNK),
        "nonce": st.one_of(
            st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode()), JSON_JUNK
        ),
        "ephemPublicKey": st.one_of(
            st.binary(min_size=31, max_size=33).map(lambda b: base64.b64encode(b).decode()),
            JSON_JUNK,
        ),
        "ciphertext": st.one_of(
            st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode()), JSON_JUNK
        ),
    },
)


@FUZZ
@given(
    key=st.one_of(
        opt("--private-key", st.one_of(TEXT, st.binary(min_size=32, max_size=32).map(bytes.hex)))
    ),
    document=st.one_of(
        ENCRYPTED_JUNK.map(lambda d: json.dumps(d).encode()),
        ENCRYPTED_JUNK.map(lambda d: ("0x" + json.dumps(d).encode().hex()).encode()),
        STDIN,
    ),
    as_json=JSON_FLAG,
)
def test_fuzz_decrypt(fuzz: Fuzz, key: list[str], document: bytes, as_json: list[str]) -> None:
    fuzz("decrypt", *key, "-", *as_json, input=document)


@FUZZ
@given(
    args=st.one_of(
        st.tuples(st.sampled_from(["path", "list", "encrypt", "decrypt"]), JSON_FLAG).map(
            lambda t: [t[0], *t[1]]
        ),
        st.lists(TEXT, max_size=2),
    )
)
def test_fuzz_keystore_command(fuzz: Fuzz, args: list[str]) -> None:
    fuzz("keystore", *args)


# -- simulate -------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_fuzz_simulate(fuzz: Fuzz, data: st.DataObject) -> None:
    b = fuzz.baseline
    url = data.draw(st.one_of(mutated_url([b.connect_url, b.sign_url]), URLS), label="url")
    extra = data.draw(
        combine(
            opt("--reject", st.one_of(st.sampled_from(["4001", "-32603", "0"]), TEXT)),
            opt("--error-message", TEXT),
            opt("--wallet-name", NAMES),
            JSON_FLAG,
        )
    )
    if data.draw(st.booleans(), label="stdin"):
        fuzz("simulate", "-", *extra, input=url.encode("utf-8", "surrogateescape"))
    else:
        fuzz("simulate", *extra, "--", url)


@FUZZ
@given(
    plaintext=st.one_of(JSON_JUNK.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200))
)
def test_fuzz_simulate_sealed_junk(fuzz: Fuzz, plaintext: bytes) -> None:
    """A request whose payload opens under the simulated wallet's key but holds junk."""
    b = fuzz.baseline
    fuzz.restore()
    connected = _invoke(fuzz.path, "simulate", b.connect_url, "--json")
    assert connected.exit_code == 0, connected.stderr
    answer = dict(_params(json.loads(connected.stdout)["redirect"])[1])
    wallet_pk = next(v for k, v in answer.items() if k.endswith("_encryption_public_key"))
    data = json.loads(fuzz.path.read_text())
    dapp = box.X25519KeyPair.from_base58(data["keys"]["default"]["secret_key"])
    shared = box.shared_secret(box.X25519PublicKey.from_base58(wallet_pk), dapp)
    nonce, sealed = box.seal(plaintext, shared)
    link, params = _params(b.sign_url)
    rewritten = [
        [k, {"nonce": base58.encode(nonce), "payload": base58.encode(sealed)}.get(k, v)]
        for k, v in params
    ]
    url = link + "?" + "&".join("=".join(pair) for pair in rewritten)
    Fuzz(Baseline(fuzz.path.read_bytes(), *_rest(b)), fuzz.path)("simulate", url, "--json")


# -- verify ---------------------------------------------------------------------------------

SOLANA_KEY = Ed25519SigningKey.from_seed(b"\5" * 32)
SOLANA_SIG = SOLANA_KEY.sign(b"hello")
ETH_ADDRESS = "0x14791697260E4c9A71f18484C9f997B308e59325"
ETH_SIG = (
    "0xddd0a7290af9526056b4e35a077b9a11b513aa0028ec6c9880948544508f3c63"
    "265e99e47ad31bb2cab9646c504576b3abc6939a1710afc08cbf3034d73214b81c"
)


def _mutate_text(text: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(text),
        st.integers(0, len(text) - 1).flatmap(
            lambda i: st.sampled_from("0123456789abcdefxyzXYZ+/=").map(
                lambda c: text[:i] + c + text[i + 1 :]
            )
        ),
        st.integers(0, len(text)).map(lambda i: text[:i]),
    )


SIGNATURES = st.one_of(
    TEXT,
    _mutate_text(base58.encode(SOLANA_SIG)),
    _mutate_text(base64.b64encode(SOLANA_SIG).decode()),
    _mutate_text(SOLANA_SIG.hex()),
    _mutate_text(ETH_SIG),
    st.just('{"result": "' + ETH_SIG + '"}'),
)
SIGNERS = st.one_of(
    opt("--public-key", st.one_of(TEXT, _mutate_text(str(SOLANA_KEY.public)))),
    opt("--address", st.one_of(TEXT, _mutate_text(ETH_ADDRESS), st.just(ETH_ADDRESS.lower()))),
    st.just(["--recover"]),
)
VERIFY_MESSAGES = st.one_of(
    opt("--message", st.one_of(st.just("hello"), st.just("hello world"), TEXT)),
    opt("--message-hex", TEXT),
    opt("--message-b58", TEXT),
    st.just(["--message-file=-"]),
)


@FUZZ
@given(
    args=combine(
        SIGNERS,
        opt("--signature", SIGNATURES),
        VERIFY_MESSAGES,
        opt(
            "--scheme",
            st.one_of(st.sampled_from(["raw", "offchain", "siws", "eip191", "offchain-v0"]), TEXT),
        ),
        opt("--domain", TEXT),
        opt("--nonce", TEXT),
        opt("--now", TEXT),
        opt("--application-domain", TEXT),
        flag("--allow-high-s"),
        JSON_FLAG,
    ),
    stdin=STDIN,
)
def test_fuzz_verify(fuzz: Fuzz, args: list[str], stdin: bytes) -> None:
    fuzz("verify", *args, input=stdin)


def _as_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


MAIL_TYPED_DATA = json.dumps(
    {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}],
            "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
            "Mail": [{"name": "from", "type": "Person"}, {"name": "n", "type": "uint8[2]"}],
        },
        "primaryType": "Mail",
        "domain": {"name": "x"},
        "message": {"from": {"name": "a", "wallet": ETH_ADDRESS}, "n": [1, 2]},
    }
)
TYPED_DATA = st.one_of(
    TEXT,
    _mutate_text(MAIL_TYPED_DATA),
    JSON_JUNK.map(json.dumps),
    st.just(MAIL_TYPED_DATA),
)
SIWE_TEXT = (
    "example.com wants you to sign in with your Ethereum account:\n"
    "0x14791697260E4c9A71f18484C9f997B308e59325\n\nHi\n\nURI: https://example.com\n"
    "Version: 1\nChain ID: 1\nNonce: 12345678\nIssued At: 2021-09-30T16:25:24Z"
)


@FUZZ
@given(
    args=combine(
        st.one_of(st.just([]), opt("--address", _mutate_text(ETH_ADDRESS))),
        opt("--signature", st.one_of(SIGNATURES, _mutate_text(ETH_SIG + "6492" * 16))),
        st.one_of(
            opt("--typed-data", TYPED_DATA),
            opt("--message", st.one_of(_mutate_text(SIWE_TEXT), st.just("-"), TEXT)),
            st.just(["--typed-data=-"]),
        ),
        opt("--scheme", st.sampled_from(["eip712", "siwe", "auto", "eip191"])),
        opt("--chain-id", TEXT),
        opt("--at", TEXT),
        opt("--nonce", TEXT),
        JSON_FLAG,
    ),
    stdin=st.one_of(STDIN, _mutate_text(MAIL_TYPED_DATA).map(_as_bytes)),
)
def test_fuzz_verify_eip712_and_siwe(fuzz: Fuzz, args: list[str], stdin: bytes) -> None:
    fuzz("verify", *args, input=stdin)


@FUZZ
@given(source=st.one_of(st.just("-"), TEXT), stdin=st.one_of(STDIN, TYPED_DATA.map(_as_bytes)))
def test_fuzz_typed_data_hash(fuzz: Fuzz, source: str, stdin: bytes) -> None:
    fuzz("typed-data", "hash", "--json", "--", source, input=stdin)


@FUZZ
@given(
    args=combine(
        st.one_of(
            opt("--typed-data", st.just("-")),
            opt("--message", st.one_of(TEXT, _mutate_text(SIWE_TEXT))),
            opt("--message-file", st.just("-")),
        ),
        opt("--scheme", st.one_of(st.sampled_from(["eip191", "siwe", "eip712"]), TEXT)),
        opt("--key-name", TEXT),
        flag("--compact"),
        JSON_FLAG,
    ),
    stdin=st.one_of(STDIN, TYPED_DATA.map(_as_bytes)),
)
def test_fuzz_simulate_eth(fuzz: Fuzz, args: list[str], stdin: bytes) -> None:
    fuzz("simulate-eth", *args, input=stdin)


BATCH_LINE = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "public_key": st.one_of(st.just(str(SOLANA_KEY.public)), JSON_JUNK),
            "address": st.one_of(st.just(ETH_ADDRESS), JSON_JUNK),
            "signature": st.one_of(SIGNATURES, JSON_JUNK),
            "message": st.one_of(st.just("hello"), JSON_JUNK),
            "message_hex": JSON_JUNK,
            "message_b58": JSON_JUNK,
            "id": JSON_JUNK,
            "scheme": st.one_of(st.sampled_from(["raw", "eip712", "siwe"]), JSON_JUNK),
            "typed_data": st.one_of(TYPED_DATA, JSON_JUNK),
        },
    ).map(json.dumps),
    JSON_JUNK.map(json.dumps),
    TEXT,
)


@FUZZ
@given(
    lines=st.lists(BATCH_LINE, max_size=6),
    newline=st.sampled_from(["\n", "\r\n"]),
    raw=st.one_of(st.none(), st.binary(max_size=100)),
    as_json=JSON_FLAG,
)
def test_fuzz_verify_batch(
    fuzz: Fuzz, lines: list[str], newline: str, raw: bytes | None, as_json: list[str]
) -> None:
    stdin = raw if raw is not None else newline.join(lines).encode("utf-8", "surrogateescape")
    result = fuzz("verify", "--batch", "-", *as_json, input=stdin, batch=True)
    if result.exit_code in (0, 1) or (result.exit_code == 3 and result.stdout):
        # One JSON result per input line, in order, whatever the lines held.
        # split("\n"), not splitlines(): U+0085 or U+2028 inside a JSON string is no break.
        for record in result.stdout.split("\n")[:-1]:
            assert set(json.loads(record)) >= {"line", "valid", "error"}


# -- a damaged keystore ---------------------------------------------------------------------


@st.composite
def damaged_keystore(draw: st.DrawFn, content: bytes) -> bytes:
    """The baseline keystore with one value somewhere replaced by junk (still JSON)."""
    document = json.loads(content)
    node: Any = document
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        node[key] = draw(JSON_JUNK)
        break
    return json.dumps(document).encode()


COMMANDS_ON_KEYSTORE = [
    ["keystore", "list", "--json"],
    ["sign-url", "--redirect-link", SIGN_LINK, "--message", "hi"],
    ["disconnect-url", "--redirect-link", SIGN_LINK],
    ["connect-url", "--wallet", "phantom", "--app-url", "https://a.b", "--redirect-link", "x:y"],
    ["keygen", "--name", "another"],
]


@FUZZ
@given(data=st.data())
def test_fuzz_damaged_keystore(fuzz: Fuzz, data: st.DataObject) -> None:
    """A keystore with wrong types inside is a keystore problem (5), never a crash."""
    baseline = fuzz.baseline
    content = data.draw(damaged_keystore(baseline.content), label="keystore")
    args = data.draw(
        st.sampled_from([*COMMANDS_ON_KEYSTORE, ["decode-redirect", baseline.sign_answer]]),
        label="command",
    )
    damaged = Fuzz(Baseline(content, *_rest(baseline)), fuzz.path)
    damaged(*args)


def _rest(b: Baseline) -> tuple[MiniWallet, str, str, str, str]:
    return b.wallet, b.connect_url, b.connect_answer, b.sign_url, b.sign_answer


# -- huge inputs ----------------------------------------------------------------------------

HUGE = 1_000_001


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["decode-redirect", "myapp://cb?data=" + "1" * HUGE], None),
        (["decode-redirect", "-"], b"myapp://cb?data=" + b"2" * HUGE),
        (["decode-redirect", "-"], os.urandom(2 * HUGE)),
        (["sign-url", "--redirect-link", SIGN_LINK, "--message-file", "-"], b"m" * HUGE),
        (["sign-url", "--redirect-link", SIGN_LINK, "--message", "m" * HUGE], None),
        (
            [
                "encrypt",
                "--public-key",
                base64.b64encode(bytes(32)).decode(),
                "--message-file",
                "-",
            ],
            b"e" * (HUGE * 2),
        ),
        (["decrypt", "--private-key", "11" * 32, "-"], b"{" * HUGE),
        (["keygen", "--secret-key", "-"], b"1" * HUGE),
    ],
    ids=[
        "decode-url-arg",
        "decode-url-stdin",
        "decode-random-stdin",
        "sign-message-file",
        "sign-message",
        "encrypt-file",
        "decrypt-file",
        "keygen-secret",
    ],
)
def test_huge_inputs_are_refused_quickly(fuzz: Fuzz, args: list[str], stdin: bytes | None) -> None:
    started = time.monotonic()
    result = fuzz(*args, input=stdin)
    assert result.exit_code == 3, result.stderr
    assert time.monotonic() - started < 10


# -- what the fuzzer found -------------------------------------------------------------------

DEEP = b"[" * 100_000  # json.loads raises RecursionError, not ValueError, on this


def _sealed(b: Baseline, plaintext: bytes, connect: bool) -> str:
    dapp = base58.decode(_params(b.connect_url)[1][0][1])
    shared = box.shared_secret(box.X25519PublicKey(dapp), b.wallet.x25519)
    nonce, sealed = box.seal(plaintext, shared)
    link, key = (CONNECT_LINK, f"phantom_encryption_public_key={b.wallet.x25519.public}&")
    if not connect:
        link, key = SIGN_LINK, ""
    return f"{link}?{key}nonce={base58.encode(nonce)}&data={base58.encode(sealed)}"


@pytest.mark.parametrize(
    "case", ["decode-sign-answer", "decode-connect-answer", "decrypt", "verify-batch"]
)
def test_deeply_nested_json_is_bad_input(fuzz: Fuzz, case: str) -> None:
    """Every JSON reader of untrusted input must treat absurd nesting as malformed."""
    b = fuzz.baseline
    if case.startswith("decode"):
        result = fuzz("decode-redirect", _sealed(b, DEEP, case == "decode-connect-answer"))
    elif case == "decrypt":
        result = fuzz("decrypt", "--private-key", "11" * 32, "-", input=DEEP)
    else:
        result = fuzz("verify", "--batch", "-", input=DEEP + b"\n", batch=True)
    assert result.exit_code == 3


LINK_BASES = st.sampled_from(
    [
        "https://phantom.app/ul/browse/",
        "https://solflare.com/ul/v1/browse/",
        "phantom://browse/",
        "https://phantom.app/ul/v1/fungible",
        "https://phantom.com/ul/v1/swap/",
    ]
)
LINKS = st.tuples(
    LINK_BASES, TEXT, st.sampled_from(["?ref=", "?token=", "?buy=", "&sell=", ""]), TEXT
)


@FUZZ
@given(
    args=combine(
        st.one_of(TEXT, URLS).map(lambda t: [t]),
        opt("--ref", URLS),
        opt("--wallet", st.one_of(st.sampled_from(["phantom", "solflare", "backpack"]), TEXT)),
        opt("--base-url", URLS),
        JSON_FLAG,
    )
)
def test_fuzz_browse_url(fuzz: Fuzz, args: list[str]) -> None:
    fuzz("browse-url", *args)


@FUZZ
@given(
    args=combine(
        opt("--buy", TEXT),
        opt("--sell", TEXT),
        opt("--wallet", st.one_of(st.just("solflare"), TEXT)),
        opt("--base-url", URLS),
        JSON_FLAG,
    ),
    token=TEXT,
)
def test_fuzz_swap_and_fungible_url(fuzz: Fuzz, args: list[str], token: str) -> None:
    fuzz("swap-url", *args)
    fuzz("fungible-url", token, *[a for a in args if not a.startswith(("--buy", "--sell"))])


@FUZZ
@given(parts=LINKS, as_json=JSON_FLAG)
def test_fuzz_reading_links(fuzz: Fuzz, parts: tuple[str, ...], as_json: list[str]) -> None:
    link = "".join(parts)
    fuzz("decode-redirect", link, *as_json)
    fuzz("simulate", link, *as_json)


def test_every_command_is_fuzzed() -> None:
    """A new command must get a fuzz test here (listen serves HTTP: tested on its own)."""
    fuzzed = {
        "keygen",
        "connect-url",
        "sign-url",
        "disconnect-url",
        "decode-redirect",
        "doctor",
        "encrypt",
        "decrypt",
        "keystore",
        "verify",
        "simulate",
        "listen",
        "typed-data",
        "simulate-eth",
        "browse-url",
        "fungible-url",
        "swap-url",
    }
    assert {name for name, module in COMMANDS.items() if _module_exists(module)} <= fuzzed
