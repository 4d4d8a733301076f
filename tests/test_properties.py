"""Generated cases (Hypothesis) for the parsers, the batch, the keystore loader and the
output escaping rule: what must hold for every input, not only for the examples elsewhere.

- base58 and hex: round trips; any other text is refused with BadInputError, never another
  exception; what is accepted is exactly what re-encodes to the same text.
- deeplink answers: any text, or a well-formed answer around any payload, gives a Redirect
  or a result, or a WalletsignError (exit 1/3/4/5), never another exception.
- ``verify --batch`` blocks: any bytes give one result line per non-blank line, in order,
  with counts that add up, the lean paths (Solana, EIP-191, EIP-712) and the general path
  agreeing, nothing raw that the escaping rule forbids.
- the keystore: any bytes, or a real keystore with any one field changed, load as a
  Document or raise KeystoreError, and the file is never changed.
- the escaping rule: no unsafe character survives in human output or in JSON, and JSON
  decodes back to the very text.

``WALLETSIGN_PROPERTY_EXAMPLES`` sets the examples per property (default 60: a few seconds
for the file); ``make properties`` runs thousands.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from walletsign_cli.cli import output
from walletsign_cli.cli.root import cli
from walletsign_cli.core import base58, box, eth
from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.core.encoding import decode_base64, escape_text, is_unsafe, parse_hex, to_json
from walletsign_cli.errors import BadInputError, InternalError, KeystoreError, WalletsignError
from walletsign_cli.keystore import Keystore
from walletsign_cli.protocols import dapp, deeplink, eip712
from walletsign_cli.protocols.batch import BatchVerifier
from walletsign_cli.protocols.state import Document, KeyEntry

EXAMPLES = int(os.environ.get("WALLETSIGN_PROPERTY_EXAMPLES", "60"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Costly examples (a CLI run, a keystore file) get a fraction of the budget.
SLOW = settings(PROPERTY, max_examples=max(10, EXAMPLES // 3))

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Every code point, surrogates included (what ``surrogateescape`` argv and JSON escapes give).
ANY_CHAR = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=60)
UNSAFE_SAMPLES = "\x00\x07\x1b\x7f\x85\x9b\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u2028\ud800"
TRICKY_TEXT = st.text(st.sampled_from(UNSAFE_SAMPLES + "aé日😀\u200d \n\t\\\"'"), max_size=30)
TEXT = st.one_of(ANY_TEXT, TRICKY_TEXT)


def unsafe_in(text: str) -> list[str]:
    return [char for char in text if is_unsafe(char)]


def json_values(text: st.SearchStrategy[str] = TEXT) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        text,
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=12,
    )


# -- base58 -----------------------------------------------------------------------------------


@PROPERTY
@given(st.binary(max_size=300))
@example(b"")
@example(b"\0" * 40)
def test_base58_round_trip(data: bytes) -> None:
    text = base58.encode(data)
    assert set(text) <= set(ALPHABET)
    assert base58.decode(text) == data
    zeros = len(data) - len(data.lstrip(b"\0"))
    assert text[:zeros] == "1" * zeros and text[zeros : zeros + 1] != "1"


@PROPERTY
@given(st.sampled_from([32, 64]), st.binary(min_size=64, max_size=64))
def test_base58_fixed_sizes(size: int, data: bytes) -> None:
    raw = data[:size]
    text = base58.encode(raw)
    assert base58.decode_fixed(text, size) == raw
    assert base58.decode_exact(text, size, name="x") == raw


B58_LIKE = st.text(st.sampled_from(ALPHABET + "0OIl+/= é\x00"), max_size=100)


@PROPERTY
@given(st.one_of(B58_LIKE, ANY_TEXT))
def test_base58_accepts_exactly_its_canonical_texts(text: str) -> None:
    try:
        raw = base58.decode(text, name="value")
    except BadInputError as exc:
        assert "value" in exc.message
        assert any(c not in ALPHABET for c in text)
        assert all(base58.decode_fixed(text, size) is None for size in (32, 64))
        return
    assert base58.encode(raw) == text  # a bijection: nothing else decodes
    for size in (32, 64):
        assert base58.decode_fixed(text, size) == (raw if len(raw) == size else None)


@PROPERTY
@given(st.one_of(B58_LIKE, ANY_TEXT), st.sampled_from([24, 32, 64]))
def test_base58_exact_sizes_refuse_cleanly(text: str, size: int) -> None:
    try:
        raw = base58.decode_exact(text, size, name="key")
    except BadInputError as exc:
        assert "key" in exc.message
        return
    assert len(raw) == size


# -- base64 -----------------------------------------------------------------------------------


@PROPERTY
@given(st.binary(max_size=100), st.booleans())
def test_base64_round_trip_against_the_standard_library(data: bytes, urlsafe: bool) -> None:
    encode = base64.urlsafe_b64encode if urlsafe else base64.standard_b64encode
    assert decode_base64(encode(data).decode(), urlsafe=urlsafe) == data


@PROPERTY
@given(st.text(st.sampled_from("AZaz09+/-_= \n."), max_size=24), st.booleans())
def test_base64_is_at_least_as_strict_as_the_standard_library(text: str, urlsafe: bool) -> None:
    altchars = b"-_" if urlsafe else b"+/"
    try:
        expected: bytes | None = base64.b64decode(text.encode(), altchars, validate=True)
    except binascii.Error:
        expected = None
    try:
        got = decode_base64(text, urlsafe=urlsafe)
    except ValueError:
        return  # refused: strict mode also refuses padding in the middle, "=" alone...
    assert got == expected


# -- hex --------------------------------------------------------------------------------------


@PROPERTY
@given(st.binary(max_size=100), st.sampled_from(["", "0x", "0X"]), st.booleans(), st.booleans())
def test_hex_round_trip(data: bytes, prefix: str, upper: bool, padded: bool) -> None:
    digits = data.hex().upper() if upper else data.hex()
    text = f" {prefix}{digits}\n" if padded else prefix + digits
    assert parse_hex(text, "--message-hex") == data


@PROPERTY
@given(st.one_of(st.text(st.sampled_from("0123456789abcdefABCDEFxX g\n"), max_size=40), TEXT))
def test_hex_refuses_cleanly(text: str) -> None:
    try:
        raw = parse_hex(text, "--message-hex")
    except BadInputError as exc:
        assert exc.message.startswith("--message-hex is not hex")
        return
    body = text.strip()
    body = body[2:] if body[:2] in ("0x", "0X") else body
    assert "".join(body.split()).lower() == raw.hex()


# -- deeplink answers -------------------------------------------------------------------------

PARAM_NAMES = st.sampled_from(
    [
        "nonce",
        "data",
        "errorCode",
        "errorMessage",
        "phantom_encryption_public_key",
        "solflare_encryption_public_key",
        "wallet_encryption_public_key",
        "x_encryption_public_key",
        "dapp_encryption_public_key",
        "other",
    ]
)
PARAM_VALUES = st.one_of(
    TEXT,
    st.binary(max_size=80).map(base58.encode),
    st.sampled_from([base58.encode(bytes(24)), base58.encode(bytes(range(32))), "4001", "-1"]),
)
SCHEMES = st.sampled_from(
    ["myapp://onConnect", "https://example.com/cb", "x:", "", "myapp://a?b=c"]
)


@st.composite
def redirect_urls(draw: st.DrawFn) -> str:
    base = draw(SCHEMES)
    params = draw(st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES), max_size=5))
    sep = draw(st.sampled_from(["?", "#", "&"]))
    query = "&".join(f"{quote(k)}={quote(v, errors='surrogatepass')}" for k, v in params)
    return base + (sep + query if params else "")


@PROPERTY
@given(st.one_of(redirect_urls(), TEXT))
def test_redirect_parsing_refuses_cleanly(text: str) -> None:
    try:
        redirect = deeplink.parse_redirect(deeplink.clean_pasted_url(text))
    except BadInputError:
        return
    assert redirect.kind in ("error", "connect", "encrypted", "empty")
    assert redirect.wallet_hint is None or redirect.kind == "connect"
    if redirect.kind == "connect":
        assert redirect.nonce is not None and len(redirect.nonce) == box.NONCE_SIZE
    if redirect.kind in ("connect", "encrypted"):
        assert redirect.data is not None


@PROPERTY
@given(st.one_of(redirect_urls(), TEXT))
def test_decoding_any_redirect_gives_a_result_or_a_clean_error(text: str) -> None:
    try:
        result, _ = dapp.answer(deeplink.clean_pasted_url(text), Document())
    except WalletsignError as exc:
        assert not isinstance(exc, InternalError)
        return
    assert result.exit_code in (0, 1, 4)


@pytest.fixture(scope="module")
def dapp_document() -> Document:
    key = X25519KeyPair.from_secret(b"\x11" * 32)
    doc = Document.from_json({"version": 1})
    return doc.with_key("default", KeyEntry.of(key, "2026-01-01T00:00:00Z"))


WALLET = X25519KeyPair.from_secret(b"\x22" * 32)


def _connect_answer(doc: Document, plaintext: bytes) -> str:
    shared = box.shared_secret(doc.dapp_keypair("default").public, WALLET)
    nonce, sealed = box.seal(plaintext, shared, b"\x33" * 24)
    return (
        f"myapp://onConnect?phantom_encryption_public_key={WALLET.public}"
        f"&nonce={base58.encode(nonce)}&data={base58.encode(sealed)}"
    )


@PROPERTY
@given(
    st.one_of(
        st.binary(max_size=120),
        json_values().map(lambda v: json.dumps(v).encode()),
        st.dictionaries(
            st.sampled_from(["public_key", "session", "signature", "transaction", "x"]),
            st.one_of(json_values(), st.binary(max_size=70).map(base58.encode)),
            max_size=4,
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_any_sealed_payload_gives_a_result_or_a_clean_error(
    dapp_document: Document, plaintext: bytes
) -> None:
    before = dapp_document.to_json()
    try:
        result, saved = dapp.answer(_connect_answer(dapp_document, plaintext), dapp_document)
    except WalletsignError as exc:
        assert not isinstance(exc, InternalError)
    else:
        assert result.exit_code in (0, 1, 4)
        assert isinstance(saved, Document)
        to_json(result.to_json())  # the --json document can be written
    assert dapp_document.to_json() == before  # the input document is never changed


@PROPERTY
@given(TEXT)
def test_session_tokens_parse_or_are_opaque(text: str) -> None:
    token = deeplink.parse_session_token(text)
    assert token is None or isinstance(token.data, dict)


# -- verify --batch blocks --------------------------------------------------------------------

SIGNER = Ed25519SigningKey.from_seed(b"\x44" * 32)


def _signed(message: str, id_value: Any, *, good: bool = True) -> bytes:
    signature = SIGNER.sign((message if good else message + "!").encode())
    record = {
        "id": id_value,
        "public_key": str(SIGNER.public),
        "signature": base58.encode(signature),
        "message": message,
    }
    return json.dumps(record).encode()


ETH_SIGNERS = [eth.EthSigner(bytes([i + 1]) * 32) for i in range(2)]
CONTRACT = "0x" + "cc" * 20
TYPED_TYPES = {
    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
    "Note": [{"name": "owner", "type": "address"}, {"name": "text", "type": "string"}],
}
# Values of chainId that compare equal to 1 but are not all the same JSON (nor all valid).
CHAIN_IDS = st.sampled_from([1, True, 1.0, "1", "0x1", 2, -1, None])


def _eth_signature(signer: int, digest: bytes, form: int, *, good: bool) -> str:
    signature = ETH_SIGNERS[signer].sign_digest(digest if good else digest[::-1])
    if form == 1:  # the malleated twin (high s)
        n_minus_s = eth.SECP256K1_N - signature.s
        signature = eth.EthSignature(signature.r, n_minus_s, 1 - signature.recovery_id, "")
    raw = signature.to_bytes()
    forms = [raw, raw, raw[:64] + bytes([raw[64] - 27]), signature.to_compact()]
    forms.append(raw + bytes(32) + eth.ERC6492_MAGIC)
    return "0x" + forms[form].hex()


def _eip191(
    message: str, id_value: Any, signer: int, claimed: int, form: int, good: bool, scheme: Any
) -> bytes:
    digest = eth.personal_sign_hash(message.encode())
    record = {
        "id": id_value,
        "address": eth.to_checksum_address(ETH_SIGNERS[claimed].address),
        "signature": _eth_signature(signer, digest, form, good=good),
        "message": message,
    }
    if scheme is not None:
        record["scheme"] = scheme
    return json.dumps(record).encode()


def _eip712(text: str, id_value: Any, signer: int, form: int, good: bool, chain_id: Any) -> bytes:
    owner = eth.to_checksum_address(ETH_SIGNERS[signer].address)
    signed = {
        "types": TYPED_TYPES,
        "primaryType": "Note",
        "domain": {"name": "Notes", "chainId": 1},
        "message": {"owner": owner, "text": text},
    }
    digest = eip712.parse(signed).digest()
    document = {**signed, "domain": {"name": "Notes", "chainId": chain_id}}
    record = {
        "id": id_value,
        "address": owner,
        "signature": _eth_signature(signer, digest, form, good=good),
        "typed_data": document,
    }
    return json.dumps(record).encode()


MESSAGES = st.text(ANY_CHAR.filter(lambda c: not 0xD800 <= ord(c) <= 0xDFFF), max_size=20)
IDS = st.one_of(st.none(), st.integers(), TEXT, json_values())
FORMS = st.integers(0, 4)  # v=27/28, high s, v=0/1, 64-byte compact, ERC-6492 wrapped
EIP191_LINES = st.builds(
    _eip191,
    MESSAGES,
    IDS,
    st.integers(0, 1),
    st.integers(0, 1),
    FORMS,
    st.booleans(),
    st.sampled_from([None, "auto", "eip191", "eip712", "siwe", "raw"]),
)
EIP712_LINES = st.builds(_eip712, MESSAGES, IDS, st.integers(0, 1), FORMS, st.booleans(), CHAIN_IDS)
LINES = st.one_of(
    st.binary(max_size=40),
    json_values().map(lambda v: json.dumps(v).encode()),
    st.builds(_signed, MESSAGES, IDS),
    st.builds(lambda m, i: _signed(m, i, good=False), MESSAGES, IDS),
    EIP191_LINES,
    EIP712_LINES,
    st.sampled_from(
        [b"", b"   ", b"\r", b"\xff\xfe", b"[" * 200 + b"]" * 200, b'{"a":', b"null", b"1e999"]
    ),
)


def _is_blank(raw: bytes) -> bool:
    try:
        return not raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False


@PROPERTY
@given(st.lists(LINES, max_size=12), st.booleans(), st.integers(1, 10**6))
def test_a_batch_block_answers_every_line(lines: list[bytes], newline: bool, first: int) -> None:
    # A line of the block never holds a newline: it splits there, as the file would.
    blob = b"\n".join(lines) + (b"\n" if newline else b"")
    raw_lines = blob.split(b"\n")
    if blob.endswith(b"\n"):
        raw_lines.pop()
    expected = [first + i for i, raw in enumerate(raw_lines) if not _is_blank(raw)]

    block = BatchVerifier().block(first, blob)
    results = [json.loads(line) for line in block.text.splitlines()]
    assert block.text == "".join(line + "\n" for line in block.text.splitlines())
    assert [result["line"] for result in results] == expected
    assert block.valid + block.invalid + block.malformed == len(results)
    assert block.valid == sum(result["valid"] is True for result in results)
    assert unsafe_in(block.text.replace("\n", "")) == []

    general = BatchVerifier()
    general._lean = False
    assert general.block(first, blob) == block  # the lean path changes nothing but speed


@PROPERTY
@given(st.binary(max_size=300))
def test_a_batch_block_of_any_bytes_never_raises(blob: bytes) -> None:
    block = BatchVerifier().block(1, blob)
    assert block.valid + block.invalid + block.malformed == len(block.text.splitlines())


# -- the keystore loader ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_keystore(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A keystore document as the CLI writes it: a key, a session, a request, a wallet."""
    path = tmp_path_factory.mktemp("ks") / "keystore.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("WALLETSIGN_PASSPHRASE", raising=False)

        def run(*args: str) -> str:
            result = CliRunner().invoke(cli, ["--keystore", str(path), *args])
            assert result.exit_code == 0, result.output
            return str(result.stdout)

        run("keygen")
        url = run(
            "connect-url", "--wallet", "phantom", "--app-url", "https://example.com",
            "--redirect-link", "myapp://onConnect",
        ).strip()  # fmt: skip
        run("decode-redirect", run("simulate", url).strip())
        run("sign-url", "--redirect-link", "myapp://onSign", "--message", "hi")
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@st.composite
def damaged_documents(draw: st.DrawFn, document: dict[str, Any]) -> Any:
    """``document`` with one field replaced, removed or added."""
    copy = json.loads(json.dumps(document))
    path = draw(st.sampled_from(list(_paths(copy))))
    how = draw(st.sampled_from(["replace", "remove", "add"]))
    if not path:
        return draw(json_values())
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if how == "remove":
        del parent[path[-1]]
    elif how == "add" and isinstance(parent[path[-1]], dict):
        parent[path[-1]][draw(TEXT)] = draw(json_values())
    else:
        parent[path[-1]] = draw(json_values())
    return copy


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _loads_or_refuses(path: Path, content: bytes) -> None:
    _write(path, content)
    before = path.stat()
    store = Keystore(path)
    for read in (store.load, store.load_redacted, store.is_encrypted):
        try:
            loaded = read()
        except KeystoreError:
            continue
        assert isinstance(loaded, Document | bool)
    after = path.stat()
    assert path.read_bytes() == content, "reading changed the keystore"
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert stat.S_IMODE(after.st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


@PROPERTY
@given(data=st.data())
def test_a_damaged_keystore_loads_or_is_refused(
    real_keystore: dict[str, Any], tmp_path: Path, data: st.DataObject
) -> None:
    document = data.draw(damaged_documents(real_keystore))
    ascii_only = data.draw(st.booleans())
    text = json.dumps(document, ensure_ascii=ascii_only)
    _loads_or_refuses(tmp_path / "ks" / "keystore.json", text.encode("utf-8", "surrogatepass"))


@PROPERTY
@given(st.one_of(st.binary(max_size=200), json_values().map(lambda v: json.dumps(v).encode())))
def test_any_keystore_bytes_load_or_are_refused(tmp_path: Path, content: bytes) -> None:
    _loads_or_refuses(tmp_path / "ks" / "keystore.json", content)


@SLOW
@given(data=st.data())
def test_a_damaged_keystore_is_exit_5_and_unchanged_through_the_cli(
    real_keystore: dict[str, Any], tmp_path: Path, data: st.DataObject
) -> None:
    path = tmp_path / "ks" / "keystore.json"
    content = json.dumps(data.draw(damaged_documents(real_keystore))).encode()
    _write(path, content)
    args = data.draw(st.sampled_from([["keystore", "list"], ["keygen", "--name", "new"]]))
    result = CliRunner().invoke(cli, ["--keystore", str(path), *args])
    assert result.exit_code in (0, 5), result.output
    if result.exit_code:
        assert path.read_bytes() == content
        assert result.stderr.count("walletsign: error: ") == 1


# -- the escaping rule ------------------------------------------------------------------------


@PROPERTY
@given(TEXT)
def test_no_unsafe_character_survives_escaping(text: str) -> None:
    shown = escape_text(text)
    assert unsafe_in(shown) == []
    assert (shown == text) is (not unsafe_in(text))
    block = escape_text(text, block=True)
    assert set(unsafe_in(block)) <= {"\n", "\t"}
    for char in unsafe_in(text):
        if char not in "\n\t":
            assert char not in block


@PROPERTY
@given(st.characters(codec=None, categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"]))
def test_every_control_format_and_separator_character_is_unsafe(char: str) -> None:
    assert is_unsafe(char) is (char not in "\u200c\u200d")


@PROPERTY
@given(json_values())
def test_json_has_no_unsafe_character_and_decodes_back(value: Any) -> None:
    text = to_json(value)
    assert unsafe_in(text) == []
    text.encode("utf-8")
    assert json.loads(text) == value


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


@PROPERTY
@given(st.lists(TEXT, min_size=1, max_size=4))
def test_human_output_never_writes_an_unsafe_character(texts: list[str]) -> None:
    output.begin_run()
    with _captured() as (out, err):
        for text in texts:
            output.emit(text)
            output.note(text)
            output.warn(text)
            output.error(text, hint=text)
    written = out.getvalue() + err.getvalue()
    assert unsafe_in(written.replace("\n", "")) == []
    assert len(out.getvalue().splitlines()) == len(texts)  # one line each, whatever the text
    escaped = any(unsafe_in(text) for text in texts)
    assert err.getvalue().count(output.ESCAPED_NOTE) == (1 if escaped else 0)

    with _captured() as (out, _):
        for text in texts:
            output.emit_json({"text": text})
    assert unsafe_in(out.getvalue().replace("\n", "")) == []
    assert [json.loads(line)["text"] for line in out.getvalue().splitlines()] == texts


@SLOW
@given(TEXT)
def test_a_wallets_error_message_through_decode_redirect(text: str) -> None:
    assume(text.strip())
    message = quote(text, errors="surrogatepass")
    url = f"myapp://cb?errorCode=4001&errorMessage={message}"
    for args in (["decode-redirect", url], ["decode-redirect", "--json", url]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code in (3, 4), result.output
        assert unsafe_in((result.stdout + result.stderr).replace("\n", "")) == []
