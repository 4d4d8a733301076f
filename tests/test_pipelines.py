"""docs/pipelines.md: each recipe (DuckDB, Polars, Ray Data) runs as written, on a real file."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.test_arrow import record_runs
from walletsign_cli.core.ed25519 import Ed25519SigningKey

PIPELINES = Path(__file__).parent.parent / "docs" / "pipelines.md"
KEYS = [Ed25519SigningKey.from_seed(bytes([i + 1]) * 32) for i in range(3)]
COUNT = 300
# What every recipe must find in the claims file written below.
EXPECTED_INVALID = [
    ("claim-007", "ed25519 signature by"),
    ("claim-042", "line needs exactly one of public_key (Solana) or address (Ethereum)"),
    ("claim-150", "public_key must be a 32-byte ed25519 public key, got 31 bytes (hex)"),
]


def recipe(name: str) -> str:
    text = PIPELINES.read_text(encoding="utf-8")
    match = re.search(rf"<!-- recipe: {name} -->\n```python\n(.*?)```", text, re.DOTALL)
    assert match, f"docs/pipelines.md has no {name} recipe"
    return match.group(1)


def write_claims(folder: Path) -> None:
    """Airdrop claims: binary keys and signatures, text messages; three rows are not valid."""
    ids: list[str] = []
    keys: list[bytes | None] = []
    signatures: list[bytes] = []
    messages: list[str] = []
    for i in range(COUNT):
        key = KEYS[i % len(KEYS)]
        message = f"claim {i} of the example.com airdrop"
        signature = key.sign(message.encode())
        ids.append(f"claim-{i:03d}")
        keys.append(key.public.raw if i != 150 else key.public.raw[:31])
        signatures.append(signature if i != 7 else signature[:-1] + b"\0")
        messages.append(message)
    keys[42] = None
    table = pa.table(
        {
            "id": ids,
            "public_key": pa.array(keys, pa.binary()),
            "signature": pa.array(signatures, pa.binary()),
            "message": messages,
        }
    )
    pq.write_table(table, folder / "claims.parquet", row_group_size=100)


def run_recipe(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    write_claims(tmp_path)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(recipe(name), "pipelines.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["invalid"]


def check(invalid: Any) -> None:
    got = [(str(row[0]), str(row[1])) for row in invalid]
    assert [row[0] for row in got] == [row[0] for row in EXPECTED_INVALID]
    for (_, error), (_, expected) in zip(got, EXPECTED_INVALID, strict=True):
        assert error.startswith(expected)


def test_the_duckdb_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(run_recipe("duckdb", tmp_path, monkeypatch))


def test_the_duckdb_recipe_verifies_on_every_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two cores, as on the bench's machine: each chunk DuckDB hands over is split in two,
    # verified on two threads, and the verdicts are those of one thread.
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    runs = record_runs(monkeypatch)
    check(run_recipe("duckdb", tmp_path, monkeypatch))
    # Three row groups of 100 rows, each in two runs of 50 (DuckDB may evaluate the function
    # again over the rows its filter kept, here the three invalid ones).
    assert [rows for _, rows in runs].count(COUNT // 6) == 6
    assert len({ident for ident, _ in runs}) >= 2


def test_the_polars_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(run_recipe("polars", tmp_path, monkeypatch))


RAY_MISSING = importlib.util.find_spec("ray") is None


@pytest.mark.skipif(
    RAY_MISSING,
    reason="Ray is not installed (make venv installs it where Ray has a wheel for this Python)",
)
@pytest.mark.filterwarnings("ignore")  # Ray's own deprecation and resource warnings
def test_the_ray_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A local Ray of two workers, no dashboard, nothing over the network but loopback.
    monkeypatch.setenv("RAY_DISABLE_USAGE_STATS", "1")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    check(run_recipe("ray", tmp_path, monkeypatch))


def test_the_check_can_fail() -> None:
    with pytest.raises(AssertionError):
        check([("claim-007", "ed25519 signature by x"), ("claim-042", "other")])
