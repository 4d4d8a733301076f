"""Coverage-guided fuzzing of walletsign's parsers with atheris (optional: ``make fuzz``).

Every parser that reads untrusted text must either return or raise a ``WalletsignError``
(which the CLI turns into exit 1/3/4/5); any other exception is a bug that would exit 70.

    make fuzz                                  # make properties, then FUZZ_RUNS inputs
    .venv/bin/python fuzz/fuzz_parsers.py -atheris_runs=100000
    .venv/bin/python fuzz/fuzz_parsers.py --smoke 2000   # no atheris: random inputs only
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
from collections.abc import Callable

from walletsign_cli.cli.inputs import parse_hex
from walletsign_cli.core import base58, box, sealing
from walletsign_cli.core.encoding import escape_text, is_unsafe, to_json
from walletsign_cli.errors import WalletsignError
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.batch import BatchVerifier

# A fixed session so that well-formed answers get past the cipher to the JSON parser.
_DAPP = box.X25519KeyPair.from_secret(b"\1" * 32)
_WALLET = box.X25519KeyPair.from_secret(b"\2" * 32)
_SHARED = box.shared_secret(_WALLET.public, _DAPP)
_SEALER = sealing.derive(b"fuzz", sealing.KdfParams(b"\3" * 16, 1, 8192))


def _redirect(data: bytes) -> None:
    text = data.decode("utf-8", errors="surrogateescape")
    redirect = deeplink.parse_redirect(deeplink.clean_pasted_url(text))
    if redirect.nonce is not None and redirect.data is not None:
        deeplink.open_json(redirect.data, redirect.nonce, _SHARED)


def _sealed_answer(data: bytes) -> None:
    # Arbitrary plaintext, correctly sealed: exercises the JSON layer behind the cipher.
    nonce, sealed = box.seal(data, _SHARED, b"\4" * 24)
    deeplink.open_json(sealed, nonce, _SHARED)


def _base58(data: bytes) -> None:
    text = data.decode("latin-1")
    raw = base58.decode(text, name="fuzz")
    assert base58.encode(raw) == text  # noqa: S101 - a round-trip property


def _hex(data: bytes) -> None:
    parse_hex(data.decode("latin-1"), "fuzz")


def _keystore_document(data: bytes) -> None:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return
    header = document.get("encryption") if isinstance(document, dict) else None
    if header is not None:
        sealing.unlock(b"fuzz", header)
    sealing.open_document(document, _SEALER)


def _batch(data: bytes) -> None:
    # Never raises, even a WalletsignError: every line gets a result line.
    block = BatchVerifier().block(1, data)
    assert block.valid + block.invalid + block.malformed == block.text.count("\n")  # noqa: S101


def _escaping(data: bytes) -> None:
    text = data.decode("utf-8", errors="surrogateescape" if len(data) % 2 else "replace")
    for shown in (escape_text(text), to_json({"text": text})):
        assert not any(is_unsafe(c) for c in shown)  # noqa: S101 - the output rule


TARGETS: list[Callable[[bytes], None]] = [
    _redirect,
    _sealed_answer,
    _base58,
    _hex,
    _keystore_document,
    _batch,
    _escaping,
]


def one_input(data: bytes) -> None:
    """The atheris entry point: the first byte picks a target, the rest is its input."""
    if not data:
        return
    target = TARGETS[data[0] % len(TARGETS)]
    # A clean refusal is the expected outcome for junk; anything else propagates.
    with contextlib.suppress(WalletsignError):
        target(data[1:])


def _smoke(runs: int) -> None:
    rng = random.Random(0)  # noqa: S311 - reproducible junk, not crypto
    seeds = [
        b"myapp://cb?nonce=" + base58.encode(b"\0" * 24).encode() + b"&data=abc",
        b"myapp://cb?errorCode=4001&errorMessage=no",
        b'{"version": 1, "encryption": {"kdf": "argon2id"}}',
    ]
    for i in range(runs):
        if i % 2:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(80)))
        else:
            seed = bytearray(rng.choice(seeds))
            for _ in range(rng.randrange(1, 4)):
                seed[rng.randrange(len(seed))] = rng.randrange(256)
            data = bytes(seed)
        for target in range(len(TARGETS)):
            one_input(bytes([target]) + data)
    print(f"smoke: {runs} inputs x {len(TARGETS)} targets, no crash")


def main() -> None:
    """Run atheris, or ``--smoke N`` random inputs when atheris is not installed."""
    if sys.argv[1:2] == ["--smoke"]:
        _smoke(int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
        return
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

    atheris.instrument_all()  # coverage feedback from every module already imported
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
