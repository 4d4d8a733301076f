"""walletsign_cli.arrow.verify_batch: the verdicts of verify --batch, over Arrow columns."""

from __future__ import annotations

import json
import threading
from typing import Any

import pyarrow as pa
import pytest

from tests.conftest import load_vector
from walletsign_cli import arrow
from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Ed25519SigningKey, Verifier
from walletsign_cli.errors import BadInputError
from walletsign_cli.limits import MAX_MESSAGE_BYTES
from walletsign_cli.protocols import siws
from walletsign_cli.protocols.batch import BatchVerifier
from walletsign_cli.protocols.jobs import DEFAULTS, Defaults

ED = load_vector("ed25519.json")
EIP191 = load_vector("eip191.json")
KEY = Ed25519SigningKey.from_seed(b"\x07" * 32)
ADDRESS = str(KEY.public)
V1 = EIP191["vectors"][0]
RESULT_NAMES = ["valid", "error", "scheme", "chain", "id"]


def solana_job(i: int, *, valid: bool = True, **extra: Any) -> dict[str, Any]:
    message = f"message {i}"
    signature = KEY.sign(message.encode())
    return {
        "id": f"r{i}",
        "public_key": ADDRESS,
        "signature": base58.encode(signature),
        "message": message if valid else message + "!",
        **extra,
    }


def varied_jobs() -> list[dict[str, Any]]:
    """Every kind of line verify --batch answers: valid, invalid and malformed."""
    offchain = ED["offchain_messages"]["cases"][0]
    text = siws.SignInMessage(domain="example.com", address=ADDRESS, nonce="abcdefgh").text()
    siws_job = {"public_key": ADDRESS, "signature": base58.encode(KEY.sign(text.encode()))}
    siws_job["message"] = text
    return [
        solana_job(0),
        solana_job(1, valid=False),
        solana_job(2, scheme="raw"),
        solana_job(3, scheme="auto"),
        solana_job(4, scheme="eip191"),
        solana_job(5, scheme="nope"),
        {
            "id": "ocms",
            "public_key": ED["offchain_messages"]["signer_public_key"],
            "signature": offchain["signature"],
            "message": offchain["message_utf8"],
        },
        {"id": "eth", "address": V1["address"], "signature": V1["signature"]}
        | {"message_hex": V1["message_hex"]},
        {"id": "eth-text", "address": V1["address"], "signature": V1["signature"]}
        | {"message": V1["message_text"]},
        {"id": "eth-bad", "address": V1["address"], "signature": V1["signature"]}
        | {"message": "other"},
        {**siws_job, "id": "siws", "domain": "example.com"},
        {**siws_job, "id": "siws-named"},
        {**siws_job, "id": "siws-other", "domain": "other.example", "nonce": "abcdefgh"},
        {**siws_job, "id": "siws-raw", "scheme": "raw"},
        {"id": "b58", "public_key": ADDRESS, "message_b58": base58.encode(b"\x00\x01")}
        | {"signature": base58.encode(KEY.sign(b"\x00\x01"))},
        {"id": "both", **solana_job(6), "address": V1["address"]},
        {"id": "no-signer", "signature": "x", "message": "m"},
        {"id": "two-messages", **solana_job(7), "message_hex": "00"},
        {"id": "no-message", "public_key": ADDRESS, "signature": "x"},
        {"id": "bad-key", **solana_job(8), "public_key": "0OIl"},
        {"id": "short-sig", **solana_job(9), "signature": base58.encode(b"\1" * 63)},
        {"id": "bad-hex", "public_key": ADDRESS, "signature": "x", "message_hex": "zz"},
        {"id": "eth-short", "address": "0x1234", "signature": V1["signature"], "message": "m"},
        {"id": 42, **solana_job(10), "message": "0x68656c6c6f"},
    ]


def as_batch(jobs: list[dict[str, Any]]) -> pa.RecordBatch:
    """String columns with the jobs' keys, a null where a job has no such key."""
    names = [name for name in (*arrow.COLUMNS, "id") if any(name in job for job in jobs)]
    ids = [job.get("id") for job in jobs]
    columns = {n: [job.get(n) for job in jobs] for n in names if n != "id"}
    columns["id"] = [json.dumps(value) for value in ids]  # mixed types: one string column
    return pa.RecordBatch.from_pydict(columns)


Answer = tuple[bool, str | None, str | None, str | None, Any]


def batch_answers(jobs: list[dict[str, Any]], defaults: Defaults = DEFAULTS) -> list[Answer]:
    blob = "".join(json.dumps({**job, "id": json.dumps(job.get("id"))}) + "\n" for job in jobs)
    lines = BatchVerifier(defaults).block(1, blob.encode()).text.splitlines()
    docs = [json.loads(line) for line in lines]
    return [(d["valid"], d["error"], d["scheme"], d["chain"], d["id"]) for d in docs]


def rows(result: pa.RecordBatch) -> list[Answer]:
    assert result.schema.names == RESULT_NAMES
    return [tuple(row[n] for n in RESULT_NAMES) for row in result.to_pylist()]


def test_verdicts_and_reasons_are_those_of_verify_batch() -> None:
    jobs = varied_jobs()
    got = rows(arrow.verify_batch(as_batch(jobs)))
    assert got == batch_answers(jobs)
    # Not vacuous: the set covers valid, invalid and malformed rows.
    assert {row[0] for row in got} == {True, False}
    assert any(row[1] and "does not verify" in row[1] for row in got)
    assert any(row[1] and "exactly one of" in row[1] for row in got)


@pytest.mark.parametrize(
    "defaults",
    [
        Defaults(scheme="siws", domain="example.com"),
        Defaults(scheme="raw"),
        Defaults(nonce="abcdefgh"),
        Defaults(allow_high_s=True),
    ],
)
def test_command_line_defaults_apply_as_in_verify_batch(defaults: Defaults) -> None:
    jobs = varied_jobs()
    assert rows(arrow.verify_batch(as_batch(jobs), defaults)) == batch_answers(jobs, defaults)


def binary_batch(jobs: list[dict[str, Any]]) -> pa.RecordBatch:
    """The same jobs with binary keys, signatures and messages (raw bytes)."""
    keys, signatures, messages = [], [], []
    for job in jobs:
        keys.append(base58.decode(job["public_key"]))
        signatures.append(base58.decode(job["signature"]))
        messages.append(job["message"].encode())
    return pa.RecordBatch.from_pydict(
        {
            "public_key": pa.array(keys, pa.binary(32)),
            "signature": pa.array(signatures, pa.large_binary()),
            "message": pa.array(messages, pa.binary()),
            "id": pa.array([job["id"] for job in jobs]),
        }
    )


def test_binary_columns_are_raw_bytes_with_the_same_verdicts() -> None:
    offchain = ED["offchain_messages"]["cases"][0]
    jobs = [solana_job(0), solana_job(1, valid=False), solana_job(2)]
    jobs.append(
        {
            "id": "ocms",
            "public_key": ED["offchain_messages"]["signer_public_key"],
            "signature": offchain["signature"],
            "message": offchain["message_utf8"],
        }
    )
    got = arrow.verify_batch(binary_batch(jobs))
    assert rows(got) == rows(arrow.verify_batch(as_batch(jobs)).set_column(4, "id", got["id"]))
    assert got["valid"].to_pylist() == [True, False, True, True]
    assert got["scheme"].to_pylist()[3] == "offchain-legacy-v0"
    assert got.schema.field("id").type == pa.string()  # the input's id column, as it is


def test_binary_ethereum_address_and_signature() -> None:
    address = bytes.fromhex(V1["address"][2:])
    signature = bytes.fromhex(V1["signature"].removeprefix("0x"))
    batch = pa.RecordBatch.from_pydict(
        {
            "address": pa.array([address, address[:19]], pa.binary()),
            "signature": pa.array([signature, signature], pa.binary()),
            "message_hex": [V1["message_hex"], V1["message_hex"]],
        }
    )
    got = rows(arrow.verify_batch(batch))
    assert got[0] == (True, None, "eip191", "ethereum", None)
    assert got[1][0] is False and got[1][3] == "ethereum"
    assert got[1][1] is not None and "address" in got[1][1]


class CountingVerifier(Verifier):
    __slots__ = ("calls",)

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> None:
        self.calls += 1
        super().verify(public_key, message, signature)


def test_valid_binary_rows_take_the_lean_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # One Verifier call a row, straight on the column bytes; the general path is never asked.
    def general(*args: object) -> None:
        raise AssertionError("the general path was taken")

    monkeypatch.setattr(arrow, "job_result", general)
    verifier = CountingVerifier()
    batch = binary_batch([solana_job(i) for i in range(20)])
    result = arrow.verify_record_batch(batch, Defaults(), verifier)
    assert verifier.calls == 20
    assert result["valid"].to_pylist() == [True] * 20
    assert result["scheme"].to_pylist() == ["raw"] * 20


def test_an_invalid_row_goes_to_the_general_path_for_its_reason() -> None:
    verifier = CountingVerifier()
    batch = binary_batch([solana_job(0, valid=False)])
    result = arrow.verify_record_batch(batch, Defaults(), verifier)
    assert verifier.calls == 1  # the lean try; the general path uses its own
    assert "does not verify over the 10-byte message" in str(result["error"][0])


def test_a_malformed_row_is_a_result_never_an_exception() -> None:
    huge = b"x" * (MAX_MESSAGE_BYTES + 1)
    batch = pa.RecordBatch.from_pydict(
        {
            "public_key": pa.array([b"\0" * 5, KEY.public.raw, None], pa.binary()),
            "signature": pa.array([b"", KEY.sign(huge), b"\1" * 64], pa.binary()),
            "message": pa.array([b"m", huge, b"m"], pa.binary()),
        }
    )
    got = rows(arrow.verify_batch(batch))
    assert [row[0] for row in got] == [False, False, False]
    assert "public_key" in str(got[0][1])
    assert got[1][1] is not None and got[1][1].startswith("message is 1,000,001 bytes")
    assert got[1][3] == "solana"
    assert "exactly one of public_key" in str(got[2][1])


@pytest.mark.parametrize(
    ("columns", "named"),
    [
        ({"signature": ["s"], "message": ["m"]}, "column public_key (or address) is missing"),
        ({"public_key": ["k"], "message": ["m"]}, "column signature is missing"),
        ({"public_key": ["k"], "signature": ["s"]}, "column message (or message_hex) is missing"),
        (
            {"public_key": [1], "signature": ["s"], "message": ["m"]},
            "column public_key must be string or binary, got int64",
        ),
        (
            {"public_key": ["k"], "signature": ["s"], "message_hex": [b"\0"]},
            "column message_hex must be string, got binary",
        ),
        (
            {"public_key": ["k"], "signature": ["s"], "message": ["m"], "scheme": [1.5]},
            "column scheme must be string, got double",
        ),
    ],
)
def test_a_batch_that_cannot_hold_jobs_names_the_column(
    columns: dict[str, list[Any]], named: str
) -> None:
    with pytest.raises(BadInputError) as caught:
        arrow.verify_batch(pa.RecordBatch.from_pydict(columns))
    assert named in caught.value.message


def test_a_column_given_twice_is_named() -> None:
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["k"]), pa.array(["s"]), pa.array(["s"]), pa.array(["m"])],
        names=["public_key", "signature", "signature", "message"],
    )
    with pytest.raises(BadInputError, match="column signature appears more than once"):
        arrow.verify_batch(batch)


def test_tables_dictionary_and_null_columns_and_empty_batches() -> None:
    jobs = [solana_job(0), solana_job(1, valid=False), solana_job(2)]
    batch = as_batch(jobs)
    table = pa.Table.from_batches([batch.slice(0, 2), batch.slice(2)])
    result = arrow.verify_batch(table)
    assert isinstance(result, pa.Table)
    assert result.column("valid").to_pylist() == [True, False, True]
    encoded = batch.set_column(
        batch.schema.get_field_index("public_key"),
        "public_key",
        batch["public_key"].dictionary_encode(),
    ).append_column("domain", pa.nulls(3))
    assert rows(arrow.verify_batch(encoded)) == rows(arrow.verify_batch(batch))
    empty = arrow.verify_batch(batch.slice(0, 0))
    assert empty.num_rows == 0 and empty.schema.names == RESULT_NAMES
    empty_table = arrow.verify_batch(pa.Table.from_batches([], schema=batch.schema))
    assert empty_table.num_rows == 0 and empty_table.schema.names == RESULT_NAMES


def test_binary_cells_of_the_wrong_size_are_named_by_their_size() -> None:
    # Read as their bytes, never re-guessed as another encoding of a right-sized value.
    message = b"message"
    batch = pa.RecordBatch.from_pydict(
        {
            "public_key": pa.array([KEY.public.raw[:31], KEY.public.raw], pa.binary()),
            "signature": pa.array([KEY.sign(message), KEY.sign(message)[:63]], pa.binary()),
            "message": pa.array([message, message], pa.binary()),
        }
    )
    got = rows(arrow.verify_batch(batch))
    assert got[0][1] == "public_key must be a 32-byte ed25519 public key, got 31 bytes (hex)"
    assert str(got[1][1]).startswith("signature is 63 bytes (hex); an ed25519 signature is 64")


def mixed_binary_batch() -> pa.RecordBatch:
    """Binary rows of every kind, in a pattern: valid, invalid, null key, bad sizes, null
    message, a message over the limit, an off-chain message (the general path's)."""
    offchain = ED["offchain_messages"]["cases"][0]
    keys: list[bytes | None] = []
    signatures: list[bytes | None] = []
    messages: list[bytes | None] = []
    for i in range(97):
        message = f"message {i}".encode()
        key, signature = KEY.public.raw, KEY.sign(message)
        kind = i % 8
        if kind == 1:
            message += b"!"
        elif kind == 2:
            key = None  # type: ignore[assignment]
        elif kind == 3:
            key = key[:31]
        elif kind == 4:
            signature = signature[:63]
        elif kind == 5:
            message = None  # type: ignore[assignment]
        elif kind == 6 and i < 20:
            message = b"x" * (MAX_MESSAGE_BYTES + 1)
        elif kind == 7:
            key = base58.decode(ED["offchain_messages"]["signer_public_key"])
            signature = base58.decode(offchain["signature"])
            message = offchain["message_utf8"].encode()
        keys.append(key)
        signatures.append(None if i == 50 else signature)
        messages.append(message)
    return pa.RecordBatch.from_pydict(
        {
            "public_key": pa.array(keys, pa.binary()),
            "signature": pa.array(signatures, pa.binary()),
            "message": pa.array(messages, pa.binary()),
            "id": pa.array(range(97)),
        }
    )


@pytest.mark.parametrize("threads", [2, 3, 8, 200])
def test_threads_give_the_one_thread_rows_in_order(threads: int) -> None:
    batch = mixed_binary_batch()
    one = arrow.verify_batch(batch)
    assert arrow.verify_batch(batch, threads=threads).equals(one)
    # Not vacuous: the batch holds valid, invalid and malformed rows, nulls among them.
    errors = one["error"].to_pylist()
    assert one["valid"].to_pylist().count(True) > 10
    assert any(e and "does not verify" in e for e in errors)
    assert any(e and "exactly one of public_key" in e for e in errors)
    assert any(e and e.startswith("message is 1,000,001 bytes") for e in errors)
    assert "offchain-legacy-v0" in one["scheme"].to_pylist()
    assert one["id"].to_pylist() == list(range(97))
    # String columns and a table of two batches take threads too, with the same rows.
    jobs = varied_jobs()
    strings = as_batch(jobs)
    assert arrow.verify_batch(strings, threads=threads).equals(arrow.verify_batch(strings))
    table = pa.Table.from_batches([batch.slice(0, 60), batch.slice(60)])
    threaded = arrow.verify_batch(table, threads=threads)
    assert isinstance(threaded, pa.Table) and threaded.combine_chunks().equals(
        pa.Table.from_batches([one]).combine_chunks()
    )


def record_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(thread, rows) of every run ``verify_batch`` verifies from now on, in call order."""
    runs: list[tuple[int, int]] = []
    real = arrow._results

    def counting(batch: pa.RecordBatch, *args: Any) -> Any:
        runs.append((threading.get_ident(), batch.num_rows))
        return real(batch, *args)

    monkeypatch.setattr(arrow, "_results", counting)
    return runs


def test_threads_split_the_batch_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = record_runs(monkeypatch)
    arrow.verify_batch(mixed_binary_batch(), threads=3)
    # Three runs; the calling thread takes one, the pool's threads (one may take two) the rest.
    assert sorted(rows for _, rows in runs) == [32, 32, 33]
    assert len({ident for ident, _ in runs}) >= 2
    runs.clear()
    arrow.verify_batch(mixed_binary_batch().slice(0, 1), threads=4)  # one row: one run
    assert runs == [(threading.get_ident(), 1)]
    runs.clear()
    empty = arrow.verify_batch(mixed_binary_batch().slice(0, 0), threads=4)
    assert empty.num_rows == 0 and empty.schema.names == RESULT_NAMES


@pytest.mark.parametrize("threads", [0, -1, arrow.MAX_THREADS + 1, 1.5, "2", True, None])
def test_a_bad_threads_is_named(threads: Any) -> None:
    with pytest.raises(BadInputError, match=r"^threads must be") as caught:
        arrow.verify_batch(mixed_binary_batch(), threads=threads)
    assert isinstance(caught.value, ValueError)


def test_threads_still_name_a_batch_that_cannot_hold_jobs() -> None:
    batch = pa.RecordBatch.from_pydict({"public_key": ["k"] * 4, "message": ["m"] * 4})
    with pytest.raises(BadInputError, match="column signature is missing"):
        arrow.verify_batch(batch, threads=2)
