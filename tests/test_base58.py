"""The base58 codec: equal to the ``base58`` package, and to the vectors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import base58 as reference
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vector
from walletsign_cli.core import base58
from walletsign_cli.errors import BadInputError

zero_prefixed = st.builds(lambda z, b: b"\0" * z + b, st.integers(0, 5), st.binary(max_size=300))


@given(zero_prefixed)
def test_encode_matches_reference(data: bytes) -> None:
    assert base58.encode(data) == reference.b58encode(data).decode()


@given(zero_prefixed)
def test_round_trip(data: bytes) -> None:
    assert base58.decode(base58.encode(data)) == data


@settings(max_examples=15, deadline=None)
@given(st.binary(min_size=1000, max_size=6000))
def test_large_inputs_match_reference(data: bytes) -> None:
    encoded = base58.encode(data)
    assert encoded == reference.b58encode(data).decode()
    assert base58.decode(encoded) == data


@pytest.mark.parametrize("size", [0, 1, 95, 96, 97, 191, 192, 193, 1000, 20000])
def test_boundaries(size: int) -> None:
    data = bytes((i * 131 + 7) % 256 for i in range(size))
    for prefix in (b"", b"\0", b"\0\0\0"):
        encoded = base58.encode(prefix + data)
        assert encoded == reference.b58encode(prefix + data).decode()
        assert base58.decode(encoded) == prefix + data


def test_known_vectors() -> None:
    deeplink = load_vector("deeplink.json")
    assert base58.encode(bytes.fromhex("03" * 24)) == "GvdqXEAMbSARrubpNP44Vqz4kr6GAxA6"
    assert base58.decode(deeplink["dapp"]["public_key"]) == reference.b58decode(
        deeplink["dapp"]["public_key"]
    )
    for case in load_vector("ed25519.json")["generated"]:
        assert base58.encode(bytes.fromhex(case["signature_hex"])) == case["signature_base58"]


@pytest.mark.parametrize(
    ("text", "hint"),
    [("abc0", "base58 has no"), ("ab+/cd==", "base64"), ("héllo", None)],
)
def test_invalid_character_is_named(text: str, hint: str | None) -> None:
    with pytest.raises(BadInputError) as info:
        base58.decode(text, name="--nonce")
    assert "--nonce" in info.value.message
    assert "invalid character" in info.value.message
    if hint:
        assert info.value.hint is not None
        assert hint in info.value.hint


def test_decode_exact_checks_size() -> None:
    with pytest.raises(BadInputError, match="nonce must be 24 bytes, got 23"):
        base58.decode_exact(base58.encode(b"\1" * 23), 24, name="nonce")


@settings(max_examples=60, deadline=None)
@given(zero_prefixed, st.sampled_from([1, 2, 3, 7, 64]))
def test_decimal_path_matches_reference(data: bytes, leaf: int) -> None:
    # Large inputs are encoded through decimal; shrink its thresholds so small inputs take it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(base58, "_DECIMAL_FROM_BYTES", 1)
        patch.setattr(base58, "_DECIMAL_LEAF_BYTES", leaf)
        patch.setattr(base58, "_DEC_POWERS_256", {})
        assert base58.encode(data) == reference.b58encode(data).decode()


@pytest.mark.parametrize("size", [32 * 1024 - 1, 32 * 1024, 40_000, 70_000])
def test_large_paths_agree(size: int) -> None:
    data = b"\0\0" + bytes((i * 197 + 11) % 256 for i in range(size))
    encoded = base58.encode(data)
    assert encoded == "11" + base58.encode_int(int.from_bytes(data, "big"))
    assert base58.decode(encoded) == data


def test_64_kib_is_fast() -> None:
    # The base58 package needs ~11 s for this; quadratic code would need seconds too.
    import time

    data = bytes(range(256)) * 256
    start = time.perf_counter()
    assert base58.decode(base58.encode(data)) == data
    assert time.perf_counter() - start < 2.0


@settings(max_examples=200, deadline=None)
@given(
    st.binary(min_size=32, max_size=32) | st.binary(max_size=3).map(lambda b: b.rjust(32, b"\0"))
)
def test_decode_fixed_matches_decode_and_serves_decode_exact(raw: bytes) -> None:
    text = base58.encode(raw)
    assert base58.decode_fixed(text, 32) == raw == base58.decode_exact(text, 32, name="k")
    assert base58.decode_fixed(text, 64) is None


def test_decode_exact_keeps_its_errors_for_what_decode_fixed_refuses() -> None:
    with pytest.raises(BadInputError, match="must be 32 bytes, got 64"):
        base58.decode_exact(base58.encode(b"\x07" * 64), 32, name="key")
    with pytest.raises(BadInputError, match="invalid character"):
        base58.decode_exact("0" * 44, 32, name="key")


def test_hint_for_names_base64_and_hex_look_alikes() -> None:
    assert "base64" in (base58.hint_for("ab+/=") or "")
    assert "no 0, O, I or l" in (base58.hint_for("0abc") or "")
    assert base58.hint_for("abc") is None


# --- the compiled decoder (walletsign[fast]) against the pure-Python one -------------------

ALPHABET_OR_NOT = base58.ALPHABET + "0OIl+/= é"


def _near_canonical(raw: bytes, edit: int, position: int, char: str) -> str:
    """The canonical text of ``raw``, then one edit: none, a leading ``1`` more or less, a
    character replaced, dropped or added (the inputs where a decoder's checks matter)."""
    text = base58.encode(raw)
    at = position % (len(text) + 1)
    return [
        text,
        "1" + text,
        text[1:],
        text[:at] + char + text[at + 1 :],
        text[:at] + text[at + 1 :],
        text[:at] + char + text[at:],
    ][edit]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([32, 64]).flatmap(
        lambda size: (
            st.binary(min_size=size, max_size=size)
            | st.binary(max_size=4).map(lambda b: b.rjust(size, b"\0"))
        )
    ),
    st.integers(0, 5),
    st.integers(0, 100),
    st.sampled_from(ALPHABET_OR_NOT),
)
def test_the_compiled_decoder_answers_what_the_python_one_answers(
    raw: bytes, edit: int, position: int, char: str
) -> None:
    text = _near_canonical(raw, edit, position, char)
    for size in (32, 64):
        expected = base58.decode_fixed_python(text, size)
        assert base58.decode_fixed(text, size) == expected
        assert (base58.decode32 if size == 32 else base58.decode64)(text) == expected
        if edit == 0 and size == len(raw):
            assert expected == raw


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from(ALPHABET_OR_NOT), max_size=100) | st.text(max_size=100))
def test_the_compiled_decoder_refuses_what_the_python_one_refuses(text: str) -> None:
    for size in (32, 64):
        assert base58.decode_fixed(text, size) == base58.decode_fixed_python(text, size)
    assert base58.decode32(text) == base58.decode_fixed_python(text, 32)
    assert base58.decode64(text) == base58.decode_fixed_python(text, 64)


def test_the_dev_install_has_the_compiled_decoder() -> None:
    # The comparisons above compare two decoders only when fd58 is there: the dev extra
    # (what make test installs) includes it, so CI always runs them.
    assert base58.COMPILED
    assert base58.decode_fixed is not base58.decode_fixed_python


def test_without_fd58_the_python_decoder_serves(tmp_path: Path) -> None:
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nsys.modules['fd58'] = None\n")  # import fd58 fails
    code = (
        "from walletsign_cli.core import base58\n"
        "assert not base58.COMPILED and base58.decode_fixed is base58.decode_fixed_python\n"
        "raw = bytes(range(64))\n"
        "assert base58.decode_fixed(base58.encode(raw), 64) == raw\n"
        "assert base58.decode64(base58.encode(raw)) == raw\n"
        "assert base58.decode32(base58.encode(raw[:32])) == raw[:32]\n"
        "assert base58.decode32(base58.encode(raw)) is None\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
