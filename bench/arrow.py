"""How fast walletsign verifies Arrow batches and Parquet files, and in how much memory.

- ``verify_batch_vs_bare``: :func:`walletsign_cli.arrow.verify_batch` over a RecordBatch of
  Solana raw-bytes jobs with binary columns, against ``nacl.bindings.crypto_sign_open`` over
  the same bytes in a bare loop (one core each; goal >= 0.95);
- ``duckdb_vs_cli``: the DuckDB recipe of docs/pipelines.md, run as written over a Parquet
  file of airdrop claims, against ``walletsign verify --batch`` (a subprocess) over the same
  claims as JSON Lines (goal >= 1.5: no JSON encoding or decoding, and ``verify_batch``'s
  ``threads`` verifying on every core; the CLI side is the default one-process run);
- ``peak_mb``: the peak resident memory of ``walletsign verify --batch claims.parquet`` over
  the same file (goal < 200 MB: it streams by record batch).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nacl.bindings
import pyarrow as pa
import pyarrow.parquet as pq

from walletsign_cli.arrow import verify_batch
from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Ed25519SigningKey

ROOT = Path(__file__).resolve().parent.parent
SIGNERS = 1000
Jobs = tuple[list[bytes], list[bytes], list[bytes]]


def make_jobs(rows: int) -> Jobs:
    """Valid raw Solana signatures: keys, signatures, messages (a signer per 1,000 rows)."""
    keys = [Ed25519SigningKey.from_seed(i.to_bytes(32, "big")) for i in range(1, SIGNERS + 1)]
    public, signatures, messages = [], [], []
    for i in range(rows):
        key = keys[i % SIGNERS]
        message = f"claim {i} of the example.com airdrop".encode()
        public.append(key.public.raw)
        signatures.append(key.sign(message))
        messages.append(message)
    return public, signatures, messages


def _bare(jobs: Jobs) -> float:
    sign_open = nacl.bindings.crypto_sign_open
    start = time.perf_counter()
    for key, signature, message in zip(*jobs, strict=True):
        sign_open(signature + message, key)
    return time.perf_counter() - start


def _ours(batch: pa.RecordBatch) -> float:
    start = time.perf_counter()
    result = verify_batch(batch)
    elapsed = time.perf_counter() - start
    if not all(result.column("valid").to_pylist()):
        raise RuntimeError("verify_batch found an invalid signature in valid jobs")
    return elapsed


def measure_batch(rows: int, rounds: int = 2) -> dict[str, float]:
    """verify_batch over binary columns against the bare libsodium loop, best of ``rounds``."""
    jobs = make_jobs(rows)
    batch = pa.RecordBatch.from_pydict(
        {
            "public_key": pa.array(jobs[0], pa.binary()),
            "signature": pa.array(jobs[1], pa.binary()),
            "message": pa.array(jobs[2], pa.binary()),
        }
    )
    bare = ours = float("inf")
    for _ in range(rounds):
        bare = min(bare, _bare(jobs))
        ours = min(ours, _ours(batch))
    return {"bare_per_s": rows / bare, "ours_per_s": rows / ours, "ratio": bare / ours}


def write_claims(folder: Path, rows: int) -> tuple[Path, Path]:
    """The same claims as Parquet (binary keys and signatures) and as JSON Lines."""
    public, signatures, messages = make_jobs(rows)
    texts = [message.decode() for message in messages]
    parquet = folder / "claims.parquet"
    table = pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "public_key": pa.array(public, pa.binary()),
            "signature": pa.array(signatures, pa.binary()),
            "message": texts,
        }
    )
    pq.write_table(table, parquet)
    lines = folder / "claims.jsonl"
    with lines.open("w", encoding="utf-8") as handle:
        for i, (key, signature, text) in enumerate(zip(public, signatures, texts, strict=True)):
            record = {"id": i, "public_key": base58.encode(key)}
            record |= {"signature": base58.encode(signature), "message": text}
            handle.write(json.dumps(record) + "\n")
    return parquet, lines


def duckdb_recipe() -> str:
    text = (ROOT / "docs" / "pipelines.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- recipe: duckdb -->\n```python\n(.*?)```", text, re.DOTALL)
    if match is None:
        raise RuntimeError("docs/pipelines.md has no DuckDB recipe")
    return match.group(1).replace("print(invalid)\n", "")


def _time_recipe(folder: Path) -> float:
    namespace: dict[str, object] = {}
    here = Path.cwd()
    os.chdir(folder)  # the recipe reads claims.parquet from where it runs
    try:
        start = time.perf_counter()
        exec(compile(duckdb_recipe(), "pipelines.md", "exec"), namespace)  # noqa: S102
        elapsed = time.perf_counter() - start
    finally:
        os.chdir(here)
    if namespace["invalid"] != []:
        raise RuntimeError("the DuckDB recipe found invalid claims in valid ones")
    return elapsed


# Run by a small parent process of its own: a child's peak resident size can count the
# memory of the process it was forked from, and this one holds the jobs and DuckDB.
_PEAK = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def _cli(path: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak resident MB of ``walletsign verify --batch PATH > /dev/null``."""
    script = Path(sys.executable).parent / "walletsign"
    command = [sys.executable, "-c", _PEAK, str(script), "verify", "--batch", str(path)]
    with open(os.devnull, "wb") as sink:  # noqa: PTH123
        start = time.perf_counter()
        # The results go to /dev/null; the wrapper prints one line, the peak.
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=sink, env=env, check=False)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"verify --batch {path.name} exited {done.returncode}")
    peak_kb = int(done.stdout.splitlines()[-1])  # kilobytes on Linux
    return elapsed, peak_kb / 1024


def measure_files(folder: Path, rows: int, env: dict[str, str]) -> dict[str, float]:
    """The DuckDB recipe vs the CLI over JSON Lines, and the CLI's peak memory on Parquet."""
    parquet, lines = write_claims(folder, rows)
    duck = _time_recipe(folder)
    cli, _ = _cli(lines, env)
    parquet_seconds, peak = _cli(parquet, env)
    return {
        "duckdb_per_s": rows / duck,
        "cli_per_s": rows / cli,
        "duckdb_vs_cli": cli / duck,
        "parquet_per_s": rows / parquet_seconds,
        "peak_mb": peak,
    }


if __name__ == "__main__":
    import tempfile

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    for name, value in measure_batch(count).items():
        print(f"{name:>14}: {value:,.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, value in measure_files(Path(tmp), count, dict(os.environ)).items():
            print(f"{name:>14}: {value:,.3f}")
