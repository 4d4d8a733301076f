"""The verification engine below the CLI: parse_job, the scheme table, verify_job(s), the
ed25519 Verifier and its portable fallback, and the batch block verifier."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import load_vector
from walletsign_cli.core import base58, ed25519
from walletsign_cli.core.ed25519 import Ed25519SigningKey, Verifier
from walletsign_cli.errors import BadInputError, InvalidSignatureError
from walletsign_cli.protocols import batch, jobs, siws
from walletsign_cli.protocols.jobs import SCHEMES, Defaults, JobResult
from walletsign_cli.protocols.verification import SolanaRequest

EIP191 = load_vector("eip191.json")
KEY = Ed25519SigningKey.from_seed(b"\x11" * 32)
ADDRESS = str(KEY.public)


def line(message: str = "hello", **extra: Any) -> dict[str, Any]:
    signature = base58.encode(KEY.sign(message.encode()))
    return {"public_key": ADDRESS, "signature": signature, "message": message, **extra}


# --- the ed25519 verifier ------------------------------------------------------------------


@pytest.mark.parametrize("portable", [False, True])
def test_verifier_raises_on_every_kind_of_failure(portable: bool) -> None:
    verifier = Verifier(portable=portable)
    assert verifier.portable is portable
    signature = KEY.sign(b"m")
    verifier.verify(KEY.public.raw, b"m", signature)
    for key, message, sig in (
        (KEY.public.raw, b"n", signature),
        (KEY.public.raw, b"m", signature[:-1] + bytes([signature[-1] ^ 1])),
        (KEY.public.raw, b"m", signature[:63]),
        (KEY.public.raw[:31], b"m", signature),
        (bytes(32), b"m", signature),  # a small-order key: libsodium refuses it
    ):
        with pytest.raises(InvalidSignatureError):
            verifier.verify(key, message, sig)


def test_verifier_falls_back_without_pynacls_private_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ed25519, "_sodium", None)
    verifier = Verifier()
    assert verifier.portable
    verifier.verify(KEY.public.raw, b"m", KEY.sign(b"m"))
    with pytest.raises(InvalidSignatureError):
        verifier.verify(KEY.public.raw, b"x", KEY.sign(b"m"))


def test_open_attached_and_key_verify_go_through_the_verifier() -> None:
    signed = KEY.sign_attached(b"token")
    assert ed25519.open_attached(signed, KEY.public.raw) == b"token"
    with pytest.raises(InvalidSignatureError):
        KEY.public.verify(b"other", signed[:64])


# --- the scheme table and parse_job --------------------------------------------------------


def test_the_scheme_table_is_the_cli_and_batch_choice() -> None:
    assert list(SCHEMES) == [
        "auto",
        "raw",
        "offchain",
        "offchain-legacy-v0",
        "offchain-v0",
        "offchain-v1",
        "siws",
        "eip191",
        "eip712",
        "siwe",
    ]
    assert {row.chain for row in SCHEMES.values()} == {"solana", "ethereum"}
    assert jobs.resolve_scheme(None, "ethereum") == "eip191"
    assert jobs.resolve_scheme("auto", "ethereum") == "eip191"
    assert jobs.resolve_scheme(None, "ethereum", "siws") == "eip191"
    assert jobs.resolve_scheme(None, "solana", "offchain") == "offchain"
    with pytest.raises(BadInputError, match="Solana scheme; Ethereum is eip191"):
        jobs.resolve_scheme("raw", "ethereum")
    with pytest.raises(BadInputError, match="needs an Ethereum address"):
        jobs.resolve_scheme("eip191", "solana")
    with pytest.raises(BadInputError, match="must be one of auto, raw"):
        jobs.resolve_scheme(7, "solana")


def test_parse_job_reads_a_line_over_the_defaults() -> None:
    job = jobs.parse_job(line(), Defaults(domain="example.com"))
    assert (job.chain, job.scheme, job.domain) == ("solana", "siws", "example.com")
    job = jobs.parse_job(line(domain=None, scheme="raw"))
    assert isinstance(job.request, SolanaRequest)
    assert (job.scheme, job.request.message, job.request.message_encoding) == (
        "raw",
        b"hello",
        "utf8",
    )
    request = jobs.parse_job(line(), message=jobs.file_message(b"x\n")).request
    assert isinstance(request, SolanaRequest)
    assert request.message == b"x\n"


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ({"signature": "x", "message": "m"}, "exactly one of public_key"),
        ({**line(), "message_hex": "00"}, "exactly one of message"),
        ({**line(), "domain": 5}, "domain must be a string"),
        ({**line(), "signature": 5}, "signature is missing or not a string"),
        ({**line(), "public_key": "abc!"}, "public_key"),
        ({"address": None, "signature": "0x00", "message": "m"}, "address is missing"),
    ],
)
def test_parse_job_names_what_is_malformed(obj: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadInputError, match=reason):
        jobs.parse_job(obj)


def test_an_ethereum_line_ignores_solana_claims() -> None:
    v1 = EIP191["vectors"][0]
    obj = {"address": v1["address"], "signature": v1["signature"], "message_hex": v1["message_hex"]}
    assert jobs.verify_job({**obj, "domain": 5}).scheme == "eip191"


# --- verify_job and verify_jobs ------------------------------------------------------------


def test_verify_job_raises_or_returns_the_match() -> None:
    assert jobs.verify_job(line()).scheme == "raw"
    with pytest.raises(InvalidSignatureError, match="does not verify"):
        jobs.verify_job({**line(), "message": "other"})
    with pytest.raises(BadInputError):
        jobs.verify_job({**line(), "signature": "***"})


def test_verify_jobs_gives_the_batch_reasons() -> None:
    text = siws.SignInMessage(domain="example.com", address=ADDRESS).text()
    results = list(
        jobs.verify_jobs([line(id="a"), {**line(), "message": "x"}, [1], line(text), "s"])
    )
    assert [r.line for r in results] == [1, 2, 3, 4, 5]
    assert results[0] == JobResult(1, "a", True, "solana", "raw", None)
    assert (results[1].valid, results[1].malformed, results[1].scheme) == (False, False, "auto")
    assert results[2] == JobResult(3, None, False, None, None, "line is not a JSON object", True)
    assert results[3].scheme == "siws"
    assert results[4].malformed


def test_batch_block_lines_are_the_job_results() -> None:
    objs = [line(id=1), {**line(), "message": "x"}, line(siws.SignInMessage("a.b", ADDRESS).text())]
    blob = "".join(json.dumps(o) + "\n" for o in objs).encode() + b"\nnot json\n"
    got = batch.BatchVerifier().block(10, blob)
    expected = [*jobs.verify_jobs(objs, start=10)]
    expected.append(JobResult(14, None, False, None, None, "line is not JSON", True))
    assert got.text == "".join(json.dumps(r.to_json()) + "\n" for r in expected)
    assert (got.valid, got.invalid, got.malformed) == (2, 1, 1)
    assert batch.verify_block(Defaults(), 10, blob) == got
