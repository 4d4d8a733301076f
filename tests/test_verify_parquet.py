"""verify --batch over Parquet and Arrow files: the same result lines, streamed by batch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq
import pytest

from tests.test_arrow import KEY, as_batch, batch_answers, solana_job, varied_jobs
from walletsign_cli import arrow, tables
from walletsign_cli.cli import verify_batch
from walletsign_cli.cli.verify_batch import batch_format


def write_parquet(tmp_path: Path, table: pa.Table, name: str = "jobs.parquet") -> str:
    path = tmp_path / name
    pq.write_table(table, path)
    return str(path)


def result_docs(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_parquet_results_are_the_json_lines_results(run: Any, tmp_path: Path) -> None:
    jobs = varied_jobs()
    path = write_parquet(tmp_path, pa.Table.from_batches([as_batch(jobs)]))
    result = run("verify", "--batch", path)
    assert result.exit_code == 3  # some rows are malformed
    docs = result_docs(result.stdout)
    assert [d["line"] for d in docs] == list(range(1, len(jobs) + 1))
    assert [(d["valid"], d["error"], d["scheme"], d["chain"], d["id"]) for d in docs] == (
        batch_answers(jobs)
    )
    assert f"{len(jobs)} rows:" in result.stderr


def test_exit_codes_follow_verify_batch(run: Any, tmp_path: Path) -> None:
    valid = write_parquet(tmp_path, pa.Table.from_batches([as_batch([solana_job(0)])]), "a.pq")
    assert run("verify", "--batch", valid).exit_code == 0
    jobs = [solana_job(0), solana_job(1, valid=False)]
    invalid = write_parquet(tmp_path, pa.Table.from_batches([as_batch(jobs)]), "b.parquet")
    assert run("verify", "--batch", invalid).exit_code == 1


def test_streams_by_record_batch(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "BATCH_ROWS", 4)
    seen: list[int] = []
    real = arrow.verify_counted

    def counted(batch: pa.RecordBatch, *args: Any) -> Any:
        seen.append(batch.num_rows)
        return real(batch, *args)

    monkeypatch.setattr(tables, "verify_counted", counted)
    jobs = [solana_job(i) for i in range(10)]
    path = write_parquet(tmp_path, pa.Table.from_batches([as_batch(jobs)]))
    result = run("verify", "--batch", path)
    assert result.exit_code == 0
    assert seen == [4, 4, 2]
    assert [d["line"] for d in result_docs(result.stdout)] == list(range(1, 11))


def test_output_parquet_and_arrow_files(run: Any, tmp_path: Path) -> None:
    jobs = [solana_job(0), solana_job(1, valid=False)]
    path = write_parquet(tmp_path, pa.Table.from_batches([as_batch(jobs)]))
    out = tmp_path / "results.parquet"
    result = run("verify", "--batch", path, "--output", str(out))
    assert result.exit_code == 1 and result.stdout == ""
    table = pq.read_table(out)
    assert table.column_names == ["valid", "error", "scheme", "chain", "id"]
    assert table.column("valid").to_pylist() == [True, False]
    arrow_out = tmp_path / "results.arrow"
    assert run("verify", "--batch", path, "--output", str(arrow_out)).exit_code == 1
    with pa.memory_map(str(arrow_out)) as source:
        assert pa.ipc.open_file(source).read_all().equals(table)
    lines_out = tmp_path / "results.jsonl"
    assert run("verify", "--batch", path, "--output", str(lines_out)).exit_code == 1
    assert [d["valid"] for d in result_docs(lines_out.read_text())] == [True, False]


def test_arrow_file_stream_and_stdin(run: Any, tmp_path: Path) -> None:
    table = pa.Table.from_batches([as_batch([solana_job(0), solana_job(1)])])
    file_path, stream_path = tmp_path / "jobs.arrow", tmp_path / "jobs.stream"
    with pa.OSFile(str(file_path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    with pa.OSFile(str(stream_path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    assert run("verify", "--batch", str(file_path)).exit_code == 0
    by_flag = run("verify", "--batch", str(stream_path), "--format", "arrow")
    assert by_flag.exit_code == 0 and len(result_docs(by_flag.stdout)) == 2
    piped = run("verify", "--batch", "-", "--format", "arrow", input=stream_path.read_bytes())
    assert piped.exit_code == 0 and len(result_docs(piped.stdout)) == 2


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "--batch: cannot read {path} as Parquet: "),
        ("garbage", "--batch: cannot read {path} as Parquet: "),
        ("no-signature", "--batch {path}: column signature is missing"),
        ("int-key", "--batch {path}: column public_key must be string or binary, got int64"),
        ("stdin", "--batch -: Parquet needs a file"),
    ],
)
def test_bad_files_are_one_line_exit_3(run: Any, tmp_path: Path, setup: str, message: str) -> None:
    path = str(tmp_path / "jobs.parquet")
    if setup == "garbage":
        Path(path).write_bytes(b"PAR1 not really")
    elif setup == "no-signature":
        write_parquet(tmp_path, pa.table({"public_key": ["k"], "message": ["m"]}))
    elif setup == "int-key":
        write_parquet(tmp_path, pa.table({"public_key": [1], "signature": ["s"], "message": ["m"]}))
    args = ("verify", "--batch", "-", "--format", "parquet") if setup == "stdin" else ()
    result = run(*(args or ("verify", "--batch", path)))
    assert result.exit_code == 3
    assert message.format(path="-" if setup == "stdin" else path) in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) <= 2


def test_options_need_batch_and_matching_output(run: Any, tmp_path: Path) -> None:
    lines = tmp_path / "in.jsonl"
    lines.write_text(as_json_line(solana_job(0)), encoding="utf-8")
    out = tmp_path / "r.parquet"
    refused = run("verify", "--batch", str(lines), "--output", str(out))
    assert refused.exit_code == 3 and "need a Parquet or Arrow --batch" in refused.stderr
    assert not out.exists()
    usage = run("verify", "--public-key", str(KEY.public), "--signature", "x", "--format", "arrow")
    assert usage.exit_code == 2 and "go with --batch" in usage.stderr
    text_out = tmp_path / "r.jsonl"
    assert run("verify", "--batch", str(lines), "--output", str(text_out)).exit_code == 0
    assert result_docs(text_out.read_text())[0]["valid"] is True


def as_json_line(job: dict[str, Any]) -> str:
    return json.dumps(job) + "\n"


def test_format_defaults_from_the_suffix() -> None:
    assert batch_format("a.parquet", None) == "parquet"
    assert batch_format("a.PQ", None) == "parquet"
    assert batch_format("a.arrow", None) == "arrow"
    assert batch_format("a.jsonl", None) == "jsonl"
    assert batch_format("-", None) == "jsonl"
    assert batch_format("a.parquet", "jsonl") == "jsonl"


def test_without_pyarrow_the_error_says_what_to_install(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "walletsign_cli.tables", None)
    result = run("verify", "--batch", str(tmp_path / "x.parquet"))
    assert result.exit_code == 3
    assert "needs pyarrow" in result.stderr and "walletsign[arrow]" in result.stderr
    assert verify_batch.JSONL == "jsonl"


PROBE = """
import subprocess
import sys
from walletsign_cli.cli.root import cli
try:
    cli.main(sys.argv[1:], prog_name="walletsign")
except SystemExit:
    pass
print(sorted(m for m in ("pyarrow", "pandas", "duckdb", "polars") if m in sys.modules))
"""


def loaded(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout.splitlines()[-1].replace("'", '"')))


def test_only_a_parquet_batch_loads_pyarrow_and_never_pandas(tmp_path: Path) -> None:
    lines = tmp_path / "in.jsonl"
    lines.write_text(as_json_line(solana_job(0)), encoding="utf-8")
    assert loaded("verify", "--batch", str(lines)) == []
    jobs = [solana_job(0), solana_job(1, valid=False), {"signature": "x", "message": "m"}]
    path = write_parquet(tmp_path, pa.Table.from_batches([as_batch(jobs)]))
    assert loaded("verify", "--batch", path) == ["pyarrow"]
