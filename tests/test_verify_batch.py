"""``walletsign verify --batch``: JSON Lines in, results in input order, streaming."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vector
from walletsign_cli.cli import verify_batch
from walletsign_cli.cli.verify_batch import read_blocks, verify_stream
from walletsign_cli.core import base58, ed25519
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.errors import BadInputError, InternalError
from walletsign_cli.protocols import batch, siws
from walletsign_cli.protocols.jobs import Defaults, JobResult

ED = load_vector("ed25519.json")
EIP191 = load_vector("eip191.json")
KEYS = [Ed25519SigningKey.from_seed(bytes([i + 1]) * 32) for i in range(3)]
KEY = KEYS[0]
ADDRESS = str(KEY.public)
RESULT_KEYS = ["line", "id", "valid", "chain", "scheme", "error"]


def signed_line(i: int, *, valid: bool = True, **extra: Any) -> str:
    key = KEYS[i % len(KEYS)]
    message = f"message {i}"
    signature = key.sign(message.encode())
    record = {
        "id": f"r{i}",
        "public_key": str(key.public),
        "signature": base58.encode(signature),
        "message": message if valid else message + "!",
        **extra,
    }
    return json.dumps(record)


def results(stdout: str) -> list[dict[str, Any]]:
    docs = [json.loads(line) for line in stdout.splitlines()]
    for doc in docs:
        assert list(doc) == RESULT_KEYS
    return docs


def write_lines(tmp_path: Path, lines: list[str], name: str = "in.jsonl") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_all_valid_in_order_exit_0(run: Any, tmp_path: Path) -> None:
    path = write_lines(tmp_path, [signed_line(i) for i in range(50)])
    result = run("verify", "--batch", path)
    assert result.exit_code == 0, result.stderr
    docs = results(result.stdout)
    assert [d["line"] for d in docs] == list(range(1, 51))
    assert [d["id"] for d in docs] == [f"r{i}" for i in range(50)]
    assert all(d["valid"] and d["chain"] == "solana" and d["scheme"] == "raw" for d in docs)
    assert all(d["error"] is None for d in docs)
    assert "50 lines: 50 valid, 0 invalid, 0 malformed" in result.stderr


def test_invalid_line_gives_exit_1(run: Any, tmp_path: Path) -> None:
    lines = [signed_line(0), signed_line(1, valid=False), signed_line(2)]
    result = run("verify", "--batch", write_lines(tmp_path, lines), "--json")
    assert result.exit_code == 1
    assert result.stderr == ""
    docs = results(result.stdout)
    assert [d["valid"] for d in docs] == [True, False, True]
    assert "does not verify" in docs[1]["error"]
    assert docs[1]["chain"] == "solana"


MALFORMED = [
    "not json",
    "[1, 2]",
    '{"signature": "x", "message": "m"}',
    json.dumps(
        {"public_key": ADDRESS, "address": "0x" + "11" * 20, "signature": "x", "message": "m"}
    ),
    json.dumps({"public_key": "abc!", "signature": "x", "message": "m"}),
    json.dumps(
        {"public_key": base58.encode(KEY.seed + KEY.public.raw), "signature": "x", "message": "m"}
    ),
    json.dumps({"public_key": ADDRESS, "signature": 12, "message": "m"}),
    json.dumps({"public_key": ADDRESS, "signature": "x", "message": "m", "message_hex": "00"}),
    json.dumps({"public_key": ADDRESS, "signature": "x"}),
    json.dumps({"public_key": ADDRESS, "signature": "x", "message": "m", "scheme": "nope"}),
    json.dumps({"public_key": ADDRESS, "signature": "x", "message_hex": "zz"}),
    json.dumps({"public_key": ADDRESS, "signature": "***", "message": "m"}),
    json.dumps({"address": "0x1234", "signature": "0x00", "message": "m"}),
]


def test_malformed_lines_are_reported_and_skipped_over(run: Any, tmp_path: Path) -> None:
    lines = [signed_line(0), *MALFORMED, signed_line(1), signed_line(2, valid=False)]
    result = run("verify", "--batch", write_lines(tmp_path, lines))
    assert result.exit_code == 3
    docs = results(result.stdout)
    assert len(docs) == len(lines)
    assert docs[0]["valid"] is True
    for doc in docs[1 : 1 + len(MALFORMED)]:
        assert doc["valid"] is False
        assert doc["error"], doc
    assert docs[-2]["valid"] is True
    assert docs[-1]["valid"] is False
    keypair = docs[1 + MALFORMED.index(MALFORMED[5])]
    assert "keypair" in keypair["error"]
    assert base58.encode(KEY.seed) not in result.stdout + result.stderr


def test_blank_lines_are_skipped_but_counted(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(signed_line(0) + "\n\n   \n" + signed_line(1) + "\r\n")
    result = run("verify", "--batch", str(path))
    assert result.exit_code == 0
    assert [d["line"] for d in results(result.stdout)] == [1, 4]


def test_not_utf8_line_is_malformed(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(signed_line(0).encode() + b"\n\xff\xfe{}\n" + signed_line(1).encode())
    result = run("verify", "--batch", str(path))
    assert result.exit_code == 3
    docs = results(result.stdout)
    assert [d["valid"] for d in docs] == [True, False, True]
    assert docs[1]["error"] == "line is not UTF-8"


def test_empty_input(run: Any) -> None:
    result = run("verify", "--batch", "-", "--json", input="")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_stdin_and_missing_file(run: Any, tmp_path: Path) -> None:
    result = run("verify", "--batch", "-", input=signed_line(0) + "\n")
    assert result.exit_code == 0
    assert results(result.stdout)[0]["valid"] is True
    missing = run("verify", "--batch", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 3
    assert "--batch: cannot read" in missing.stderr


def test_batch_refuses_single_options(run: Any) -> None:
    result = run("verify", "--batch", "-", "--public-key", ADDRESS, input="")
    assert result.exit_code == 2


def test_jobs_2_keeps_the_order(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_batch, "JOB_BLOCK_BYTES", 2048)  # many small tasks
    monkeypatch.setattr(verify_batch, "MIN_JOB_BLOCK_BYTES", 1024)
    lines = [signed_line(i, valid=i % 7 != 3) for i in range(400)]
    lines[100] = "garbage"
    path = write_lines(tmp_path, lines)
    single = run("verify", "--batch", path, "--json")
    double = run("verify", "--batch", path, "--json", "--jobs", "2")
    assert single.exit_code == double.exit_code == 3
    assert double.stdout == single.stdout
    docs = results(double.stdout)
    assert [d["line"] for d in docs] == list(range(1, 401))
    assert docs[100]["error"] == "line is not JSON"
    assert [d["valid"] for d in docs if d["line"] != 101] == [
        i % 7 != 3 for i in range(400) if i != 100
    ]


def test_job_blocks_scale_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 20_000_000)
    with path.open("rb") as handle:
        assert verify_batch._job_block_bytes(handle, 2) == verify_batch.JOB_BLOCK_BYTES
    path.write_bytes(b"x" * 5_000_000)  # 20,000 lines: 32 blocks a worker, the last short
    with path.open("rb") as handle:
        assert verify_batch._job_block_bytes(handle, 2) == 5_000_000 // 64
    path.write_bytes(b"x" * 200_000)
    with path.open("rb") as handle:
        assert verify_batch._job_block_bytes(handle, 2) == verify_batch.MIN_JOB_BLOCK_BYTES
    assert verify_batch._job_block_bytes(io.BytesIO(b""), 2) == verify_batch.JOB_BLOCK_BYTES


def _mixed_lines() -> list[str]:
    lines = [signed_line(i, valid=i % 5 != 2) for i in range(300)]
    lines[7] = "garbage"
    lines[150] = ""
    return lines


def _small_job_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_batch, "JOB_BLOCK_BYTES", 2048)  # many tasks
    monkeypatch.setattr(verify_batch, "MIN_JOB_BLOCK_BYTES", 1024)


def test_workers_read_a_regular_file_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_job_blocks(monkeypatch)
    path = Path(write_lines(tmp_path, _mixed_lines()))
    data = path.read_bytes()
    with path.open("rb") as handle:
        fd = verify_batch._shared_file(handle, "fork")
        assert fd == handle.fileno()
        jobs = list(verify_batch._job_blocks(handle, 2, fd))
    assert len(jobs) > 10
    assert all(job.fd == fd for job in jobs)  # every task an offset, no bytes shipped
    assert [data[j.offset : j.offset + len(j.block)] for j in jobs] == [j.block for j in jobs]
    assert b"".join(j.block for j in jobs) == data
    one, two = io.StringIO(), io.StringIO()
    assert verify_stream(io.BytesIO(data), one.write, Defaults()) == (239, 59, 1)
    with path.open("rb") as handle:
        assert verify_stream(handle, two.write, Defaults(), jobs=2) == (239, 59, 1)
    assert two.getvalue() == one.getvalue()


def test_blocks_travel_as_bytes_without_a_shared_file(tmp_path: Path) -> None:
    path = Path(write_lines(tmp_path, [signed_line(0)]))
    with path.open("rb") as handle:
        assert verify_batch._shared_file(handle, "spawn") is None  # nothing inherited
    assert verify_batch._shared_file(io.BytesIO(b"x\n"), "fork") is None
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as pipe, os.fdopen(write_end, "wb"):
        assert verify_batch._shared_file(pipe, "fork") is None
    out = io.StringIO()
    data = ("\n".join(_mixed_lines()) + "\n").encode()
    assert verify_stream(io.BytesIO(data), out.write, Defaults(), jobs=2) == (239, 59, 1)
    assert [d["line"] for d in results(out.getvalue())] == [n for n in range(1, 301) if n != 151]


def test_a_regular_file_is_read_in_whole_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # read1 would return what readline left buffered (a few KB): a block per ~16 lines.
    monkeypatch.setattr(verify_batch, "BLOCK_BYTES", 16 * 1024)
    lines = _mixed_lines()
    path = Path(write_lines(tmp_path, lines))
    seen: list[bytes] = []
    block = batch.BatchVerifier.block

    def counting(self: batch.BatchVerifier, first_line: int, blob: bytes) -> Any:
        seen.append(blob)
        return block(self, first_line, blob)

    monkeypatch.setattr(batch.BatchVerifier, "block", counting)
    with path.open("rb") as handle:
        assert verify_stream(handle, io.StringIO().write, Defaults()) == (239, 59, 1)
    assert len(seen) > 2
    assert all(len(blob) >= 16 * 1024 for blob in seen[:-1])  # whole blocks but the last
    assert b"".join(seen) == path.read_bytes()


def test_a_pipe_is_answered_as_its_lines_come() -> None:
    # The second line is written only once the first one's result is out: a verify_stream
    # waiting for a full block from the pipe would never get it (the feeder gives up).
    read_end, write_end = os.pipe()
    answered = threading.Event()
    out: list[str] = []

    def write(text: str) -> None:
        out.append(text)
        answered.set()

    def feed() -> None:
        with os.fdopen(write_end, "wb", buffering=0) as pipe:
            pipe.write((signed_line(0) + "\n").encode())
            if answered.wait(timeout=30):
                pipe.write((signed_line(1) + "\n").encode())

    feeder = threading.Thread(target=feed)
    feeder.start()
    with os.fdopen(read_end, "rb") as pipe:
        counts = verify_stream(pipe, write, Defaults())
    feeder.join()
    assert counts == (2, 0, 0)
    assert [d["line"] for d in results("".join(out))] == [1, 2]


def test_a_file_read_from_the_middle_starts_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``verify --batch - < file`` after something read the file's start: the workers read
    from where the stream stands, not from the start of the file."""
    _small_job_blocks(monkeypatch)
    lines = _mixed_lines()
    path = Path(write_lines(tmp_path, lines))
    expected = io.StringIO()
    rest = ("\n".join(lines[10:]) + "\n").encode()
    counts = verify_stream(io.BytesIO(rest), expected.write, Defaults())
    out = io.StringIO()
    with path.open("rb") as handle:
        for _ in range(10):
            handle.readline()
        assert verify_stream(handle, out.write, Defaults(), jobs=2) == counts
    assert out.getvalue() == expected.getvalue()


def test_a_cut_over_long_line_travels_as_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_job_blocks(monkeypatch)
    monkeypatch.setattr(verify_batch, "MAX_BATCH_LINE_BYTES", 1000)
    monkeypatch.setattr(batch, "MAX_BATCH_LINE_BYTES", 1000)
    lines = [signed_line(i) for i in range(60)]
    lines[30] = "x" * 50_000
    path = Path(write_lines(tmp_path, lines))
    with path.open("rb") as handle:
        jobs = list(verify_batch._job_blocks(handle, 2, handle.fileno()))
    cut = [job for job in jobs if job.fd is None]
    assert len(cut) == 1
    assert b"x" * 1000 in cut[0].block
    assert all(len(job.block) < 4000 for job in jobs)
    out = io.StringIO()
    with path.open("rb") as handle:
        assert verify_stream(handle, out.write, Defaults(), jobs=2) == (59, 0, 1)
    docs = results(out.getvalue())
    assert [d["line"] for d in docs] == list(range(1, 61))
    assert "limit" in docs[30]["error"]


def test_a_worker_refuses_a_range_the_file_no_longer_holds(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    block = (signed_line(0) + "\n" + signed_line(1) + "\n").encode()
    path.write_bytes(block)
    with path.open("rb") as handle:
        fd = handle.fileno()
        result = verify_batch.verify_range(Defaults(), 1, fd, 0, len(block), 2)
        assert result is not None
        assert (result.valid, result.invalid, result.malformed) == (2, 0, 0)
        assert verify_batch.verify_range(Defaults(), 1, fd, 0, len(block), 3) is None
        path.write_bytes(block[:-10])  # truncated under the worker
        assert verify_batch.verify_range(Defaults(), 1, fd, 0, len(block), 2) is None


def _changed_under_the_worker(*args: Any) -> None:
    return None


def test_a_range_the_worker_refused_is_verified_as_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_job_blocks(monkeypatch)
    lines = _mixed_lines()
    path = Path(write_lines(tmp_path, lines))
    expected = io.StringIO()
    verify_stream(io.BytesIO(path.read_bytes()), expected.write, Defaults())
    monkeypatch.setattr(verify_batch, "verify_range", _changed_under_the_worker)
    out = io.StringIO()
    with path.open("rb") as handle:
        assert verify_stream(handle, out.write, Defaults(), jobs=2) == (239, 59, 1)
    assert out.getvalue() == expected.getvalue()


def _killed(*args: Any) -> None:
    os._exit(9)  # as the kernel's out-of-memory killer would end it


def test_a_worker_that_dies_ends_the_run_with_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_job_blocks(monkeypatch)
    path = Path(write_lines(tmp_path, _mixed_lines()))
    monkeypatch.setattr(verify_batch, "verify_range", _killed)
    written: list[str] = []
    with path.open("rb") as handle, pytest.raises(InternalError, match="worker process ended"):
        verify_stream(handle, written.append, Defaults(), jobs=2)
    assert written == []


def test_jobs_must_not_be_negative(run: Any) -> None:
    assert run("verify", "--batch", "-", "--jobs", "-1", input="").exit_code in (2, 3)


def test_other_schemes_and_ethereum_lines(run: Any, tmp_path: Path) -> None:
    offchain_case = ED["offchain_messages"]["cases"][0]
    v1 = EIP191["vectors"][0]
    text = siws.SignInMessage(domain="example.com", address=ADDRESS, nonce="abcdefgh").text()
    siws_signature = base58.encode(KEY.sign(text.encode()))
    siws_line = {"public_key": ADDRESS, "signature": siws_signature, "message": text}
    lines = [
        json.dumps(
            {
                "id": "ocms",
                "public_key": ED["offchain_messages"]["signer_public_key"],
                "signature": offchain_case["signature"],
                "message": offchain_case["message_utf8"],
            }
        ),
        json.dumps(
            {
                "id": "eth",
                "address": v1["address"],
                "signature": v1["signature"],
                "message_hex": v1["message_hex"],
            }
        ),
        json.dumps({**siws_line, "id": "siws", "domain": "example.com"}),
        json.dumps({**siws_line, "id": "siws-other", "domain": "other.example"}),
        json.dumps({**siws_line, "id": "raw-only", "scheme": "raw"}),
        json.dumps(
            {
                "id": "eth-high-s",
                "address": v1["address"],
                "message": v1["message_text"],
                "signature": EIP191["signature_forms"]["high_s_malleated"]["signature"],
            }
        ),
        json.dumps(
            {
                "id": "b58",
                "public_key": ADDRESS,
                "message_b58": base58.encode(b"\x00\x01"),
                "signature": base58.encode(KEY.sign(b"\x00\x01")),
            }
        ),
    ]
    result = run("verify", "--batch", write_lines(tmp_path, lines))
    assert result.exit_code == 1
    got = {d["id"]: (d["valid"], d["chain"], d["scheme"]) for d in results(result.stdout)}
    assert got == {
        "ocms": (True, "solana", "offchain-legacy-v0"),
        "eth": (True, "ethereum", "eip191"),
        "siws": (True, "solana", "siws"),
        "siws-other": (False, "solana", "siws"),
        "raw-only": (True, "solana", "raw"),
        "eth-high-s": (False, "ethereum", "eip191"),
        "b58": (True, "solana", "raw"),
    }
    allowed = run(
        "verify", "--batch", write_lines(tmp_path, lines[5:6], "h.jsonl"), "--allow-high-s"
    )
    assert allowed.exit_code == 0


def test_a_sign_in_message_leaves_the_lean_path_for_the_general_one() -> None:
    # The lean path answers "raw" only for a plain message: one that holds the SIWS header
    # (the whole message, or inside a longer text) is named by the general path.
    text = siws.SignInMessage(domain="example.com", address=ADDRESS, nonce="abcdefgh").text()
    messages = {"siws": text, "inside": "note: " + text + " (quoted)", "plain": "gm"}
    lines = [
        json.dumps({"id": name, "public_key": ADDRESS, "message": message, "signature": sig})
        for name, message in messages.items()
        for sig in [base58.encode(KEY.sign(message.encode()))]
    ]
    lines.append(json.dumps({**json.loads(lines[0]), "id": "siws-raw", "scheme": "raw"}))
    blob = ("\n".join(lines) + "\n").encode()
    lean = batch.BatchVerifier().block(1, blob)
    general = batch.BatchVerifier()
    general._lean = False
    assert general.block(1, blob) == lean
    got = {d["id"]: (d["valid"], d["scheme"]) for d in map(json.loads, lean.text.splitlines())}
    assert got["siws"] == (True, "siws")
    assert got["plain"] == got["siws-raw"] == (True, "raw")
    assert got["inside"][0] is True


@pytest.mark.parametrize(
    "id_value",
    [
        "plain",
        'with "quotes"',
        "back\\slash",
        "ünïcödé",
        "tab\there",
        7,
        1.5,
        None,
        True,
        [1],
        {"a": 1},
    ],
)
def test_fast_and_general_lines_are_formatted_alike(id_value: Any) -> None:
    line = json.loads(signed_line(0))
    line["id"] = id_value
    out = io.StringIO()
    verify_stream(io.BytesIO(json.dumps(line).encode() + b"\n"), out.write, Defaults())
    expected = JobResult(1, id_value, True, "solana", "raw", None)
    assert out.getvalue() == batch.result_line(expected)
    assert json.loads(out.getvalue()) == expected.to_json()
    assert json.loads(out.getvalue())["id"] == id_value


def test_missing_id_is_null() -> None:
    line = json.loads(signed_line(0))
    del line["id"]
    out = io.StringIO()
    verify_stream(io.BytesIO(json.dumps(line).encode()), out.write, Defaults())
    assert json.loads(out.getvalue())["id"] is None


@settings(max_examples=200, deadline=None)
@given(
    st.binary(min_size=64, max_size=64) | st.binary(max_size=3).map(lambda b: b.rjust(64, b"\0"))
)
def test_fast_base58_matches_the_core_codec(raw: bytes) -> None:
    text = base58.encode(raw)
    assert base58.decode_fixed(text, 64) == raw
    assert base58.decode(text) == raw
    key = raw[:32]
    assert base58.decode_fixed(base58.encode(key), 32) == key


@pytest.mark.parametrize(
    "text",
    ["", "0" * 88, "1" + base58.encode(b"\x01" * 64), base58.encode(b"\xff" * 65), "é" * 10],
)
def test_fast_base58_defers_anything_unusual(text: str) -> None:
    assert base58.decode_fixed(text, 64) is None
    assert base58.decode_fixed(text, 32) is None


def test_fast_base58_refuses_a_key_of_the_wrong_size() -> None:
    assert base58.decode_fixed(base58.encode(b"\x07" * 33), 32) is None
    assert base58.decode_fixed(base58.encode(b"\x07" * 64), 32) is None


def test_oversized_line_is_cut_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_batch, "MAX_BATCH_LINE_BYTES", 1000)
    monkeypatch.setattr(batch, "MAX_BATCH_LINE_BYTES", 1000)
    data = (signed_line(0) + "\n" + "x" * 50_000 + "\n" + signed_line(1) + "\n").encode()
    blocks = list(read_blocks(io.BytesIO(data), 256))
    assert max(len(b) for b in blocks) <= 256 + 1001 + 1
    out = io.StringIO()
    counts = verify_stream(io.BytesIO(data), out.write, Defaults())
    assert counts == (2, 0, 1)
    docs = results(out.getvalue())
    assert [d["line"] for d in docs] == [1, 2, 3]
    assert "limit" in docs[1]["error"]


def test_streaming_writes_block_by_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_batch, "BLOCK_BYTES", 1024)
    data = "".join(signed_line(i) + "\n" for i in range(40)).encode()
    writes: list[str] = []
    verify_stream(io.BytesIO(data), writes.append, Defaults())
    assert len(writes) > 5  # flushed in chunks, never held to the end
    assert [d["line"] for d in results("".join(writes))] == list(range(1, 41))


def test_bench_measure_returns_the_two_ratios() -> None:
    from bench.batch import measure

    numbers = measure(lines=60)
    assert numbers["batch_vs_bare"] > 0
    assert numbers["jobs2_vs_bare"] > 0


class _Trickle(io.RawIOBase):
    """A pipe that hands over one line per read, like a slow producer."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.lines:
            return 0
        line = self.lines.pop(0)
        buffer[: len(line)] = line
        return len(line)


def test_single_process_follows_a_slow_pipe() -> None:
    lines = [(signed_line(i) + "\n").encode() for i in range(5)]
    writes: list[str] = []
    verify_stream(io.BufferedReader(_Trickle(lines)), writes.append, Defaults())
    assert len([w for w in writes if w]) == 5  # one result as soon as each line arrives


def test_lone_surrogate_in_id_is_echoed_escaped(run: Any) -> None:
    line = signed_line(0)[:-1] + ', "id2": 1}'
    line = line.replace('"id": "r0"', '"id": "\\u0000\\udcff"')
    result = run("verify", "--batch", "-", input=line + "\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "\x00\udcff"
    assert "\\udcff" in result.stdout


def test_deeply_nested_line_is_malformed(run: Any) -> None:
    result = run("verify", "--batch", "-", input="[" * 100_000 + "\n" + signed_line(0) + "\n")
    assert result.exit_code == 3
    docs = results(result.stdout)
    assert docs[0]["error"] == "line is JSON nested too deeply"
    assert docs[1]["valid"] is True


def test_portable_libsodium_fallback_gives_the_same_results(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without PyNaCl's cffi module (another layout), the batch falls back to nacl.bindings."""
    lines = [signed_line(i, valid=i % 3 != 1) for i in range(30)]
    path = write_lines(tmp_path, lines)
    fast = run("verify", "--batch", path)
    assert not ed25519.Verifier().portable
    monkeypatch.setattr(ed25519, "_sodium", None)
    assert ed25519.Verifier().portable
    portable = run("verify", "--batch", path)
    assert portable.exit_code == fast.exit_code == 1
    assert portable.stdout == fast.stdout
    assert sum(d["valid"] for d in results(portable.stdout)) == 20


def test_a_deeply_nested_line_is_malformed_and_the_others_still_answered(
    run: Any, tmp_path: Path
) -> None:
    # A 980-deep id once aborted the whole run (exit 70, no results for the other lines).
    deep = "[" * 980 + "]" * 980
    lines = [
        signed_line(0),
        '{"id": ' + deep + ', "public_key": "x", "signature": "y", "message": "m"}',
        signed_line(0, id=json.loads("[[[1]]]")),
        signed_line(2),
    ]
    result = run("verify", "--batch", write_lines(tmp_path, lines))
    assert result.exit_code == 3, result.stderr
    docs = results(result.stdout)
    assert [d["line"] for d in docs] == [1, 2, 3, 4]
    assert docs[1]["error"] == "line is JSON nested too deeply"
    assert docs[1]["id"] is None
    assert [docs[0]["valid"], docs[2]["valid"], docs[3]["valid"]] == [True, True, True]
    assert docs[2]["id"] == [[[1]]]


def test_an_unreadable_batch_input_is_exit_3(run: Any, tmp_path: Path) -> None:
    for jobs in ("1", "2"):
        result = run("verify", "--batch", str(tmp_path), "--jobs", jobs)
        assert result.exit_code == 3, result.stderr
        assert "--batch: cannot read" in result.stderr


def test_a_read_error_mid_stream_is_exit_3_and_keeps_written_results() -> None:
    class Failing(io.BytesIO):
        def __init__(self) -> None:
            super().__init__((signed_line(0) + "\n").encode())
            self.calls = 0

        def read(self, size: int | None = -1) -> bytes:
            self.calls += 1
            if self.calls > 1:
                raise OSError(5, "Input/output error")
            return super().read(size)

        read1 = read

    written: list[str] = []
    with pytest.raises(BadInputError, match="Input/output error"):
        verify_stream(Failing(), written.append, Defaults())
    assert len(written) == 1 and json.loads(written[0])["valid"] is True


@pytest.mark.parametrize(
    ("requested", "cpus", "expected"),
    [(0, 8, (8, None)), (1, 8, (1, None)), (8, 8, (8, None)), (0, None, (1, None))],
)
def test_worker_count_uses_the_cpus(
    requested: int, cpus: int | None, expected: tuple[int, str | None]
) -> None:
    assert verify_batch.worker_count(requested, cpus) == expected


def test_a_huge_jobs_is_capped_with_a_note(run: Any, tmp_path: Path) -> None:
    assert verify_batch.worker_count(999999, 2) == (
        2,
        "--jobs 999999 capped at 2, the number of CPUs",
    )
    path = write_lines(tmp_path, [signed_line(i) for i in range(3)])
    result = run("verify", "--batch", path, "--jobs", "999999")
    assert result.exit_code == 0, result.stderr
    assert "capped at" in result.stderr
    assert [d["valid"] for d in results(result.stdout)] == [True, True, True]
    assert run("verify", "--batch", path, "--jobs", "0").exit_code == 0


def test_preload_imports_the_ethereum_schemes_only_for_ethereum_lines() -> None:
    # Run in a fresh interpreter: the test process has imported everything already.
    probe = (
        "import sys\n"
        "from walletsign_cli.protocols import jobs\n"
        "jobs.preload(sys.argv[1].encode())\n"
        "print('walletsign_cli.protocols.ethereum' in sys.modules, 'coincurve' in sys.modules)\n"
    )
    solana = subprocess.run(
        [sys.executable, "-c", probe, signed_line(0)], capture_output=True, text=True, check=True
    )
    assert solana.stdout.split() == ["False", "False"]
    line = '{"address": "0x0000000000000000000000000000000000000000", "signature": "0x"}'
    ethereum = subprocess.run(
        [sys.executable, "-c", probe, line], capture_output=True, text=True, check=True
    )
    assert ethereum.stdout.split() == ["True", "True"]
