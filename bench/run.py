"""``make bench``: walletsign's speed goals, each measured against its baseline in one run.

Every row compares two things timed side by side on this machine, now, so the ratios hold
whatever the machine's speed:

- start-up: the console script (``walletsign --version``, ``walletsign verify`` of one Solana
  signature) against ``python -c "import click, nacl.bindings"`` on the same interpreter,
  run interleaved, medians compared; goal: at most 1.25 times the baseline;
- base58: encode plus decode against the ``base58`` package (64 B, 1 KB, 64 KB), and how our
  time grows from 1 KB to 256 KB (quadratic growth would be 65,536 times);
- ``decode-redirect`` of a 64 KB ``signAllTransactions`` answer (a real subprocess, start-up
  included) against the ``base58`` package decoding its ``data`` parameter alone;
- ``verify --batch`` against a bare libsodium loop (``bench/batch.py``);
- ``verify --batch`` of EIP-191 and EIP-712 lines against a bare coincurve + keccak loop over
  the same jobs (``bench/eth_batch.py``).
- Arrow and Parquet (``bench/arrow.py``): ``verify_batch`` against the bare loop, the DuckDB
  recipe against ``verify --batch`` over JSON Lines, and the peak memory of a Parquet batch.

It is a report: it always exits 0, and ends with one summary line.
    .venv/bin/python bench/run.py [--quick]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import base58 as reference

from walletsign_cli.core import base58

QUICK = "--quick" in sys.argv[1:]
STARTUP_ROUNDS = 7 if QUICK else 25
KB = 1024


@dataclass(frozen=True)
class Row:
    """One measured goal. ``ratio`` is what ``goal`` bounds (``at_most`` or at least)."""

    name: str
    ours: str
    baseline: str
    ratio: float
    goal: float
    at_most: bool
    note: str = ""
    context: bool = False  # shown for reading the others, not a goal

    @property
    def passed(self) -> bool:
        return self.ratio <= self.goal if self.at_most else self.ratio >= self.goal


def seconds(value: float) -> str:
    """A duration in the unit that reads best."""
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.1f} µs"


def best_of(func: Callable[[], object], *, budget: float = 0.5, most: int = 2000) -> float:
    """Per-call time: the best of repeated batches, within about ``budget`` seconds."""
    start = time.perf_counter()
    func()
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, min(most, int(0.05 / once)))
    best = float("inf")
    deadline = time.perf_counter() + budget
    while True:
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
        if time.perf_counter() > deadline:
            return best


# -- start-up --------------------------------------------------------------------------------


def clean_env(keystore: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "WALLETSIGN_"))}
    env["WALLETSIGN_KEYSTORE"] = str(keystore)
    return env


def console_script() -> Path:
    script = Path(sys.executable).parent / "walletsign"
    if not script.exists():
        raise SystemExit(f"bench: no console script at {script}; run `make venv` first")
    return script


def solana_verify_args() -> list[str]:
    from walletsign_cli.core.ed25519 import Ed25519SigningKey

    key = Ed25519SigningKey.from_seed(bytes(range(32)))
    message = b"Sign in to example.com"
    return [
        "verify",
        "--public-key",
        str(key.public),
        "--signature",
        base58.encode(key.sign(message)),
        "--message",
        message.decode(),
    ]


def interleaved_medians(commands: dict[str, list[str]], env: dict[str, str]) -> dict[str, float]:
    """Wall time of each command: rounds run every command once, in turn; the median wins."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(STARTUP_ROUNDS + 2):
        for name, argv in commands.items():
            start = time.perf_counter()
            proc = subprocess.run(argv, capture_output=True, env=env, check=False)
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                raise RuntimeError(f"{name} exited {proc.returncode}: {proc.stderr[-300:]!r}")
            if round_ >= 2:  # the first rounds warm the OS caches
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def startup_rows(folder: Path) -> list[Row]:
    script = str(console_script())
    commands = {
        "baseline": [sys.executable, "-c", "import click, nacl.bindings"],
        "version": [script, "--version"],
        "verify": [script, *solana_verify_args()],
    }
    medians = interleaved_medians(commands, clean_env(folder / "startup" / "keystore.json"))
    base = medians["baseline"]
    return [
        Row(
            f"start-up: walletsign {name}",
            seconds(medians[key]),
            seconds(base),
            medians[key] / base,
            1.25,
            at_most=True,
            note="median of interleaved runs vs import click, nacl.bindings",
        )
        for key, name in (("version", "--version"), ("verify", "verify (one Solana signature)"))
    ]


# -- base58 ------------------------------------------------------------------------------------


def sample(size: int) -> bytes:
    return bytes((i * 167 + 13) % 256 for i in range(size)) if size else b""


def round_trip_ours(data: bytes) -> None:
    if base58.decode(base58.encode(data)) != data:
        raise AssertionError("base58 round trip failed")


def round_trip_reference(data: bytes) -> None:
    reference.b58decode(reference.b58encode(data))


def base58_rows() -> list[Row]:
    rows = []
    for size, goal, label in ((64, 1.0, "64 B"), (KB, 1.0, "1 KB"), (64 * KB, 20.0, "64 KB")):
        data = sample(size)
        if base58.encode(data) != reference.b58encode(data).decode():
            raise AssertionError(f"base58 differs from the package at {label}")
        ours = best_of(lambda data=data: round_trip_ours(data))
        if size > 8 * KB:
            # The package is quadratic: one round trip takes seconds, once is enough.
            start = time.perf_counter()
            round_trip_reference(data)
            theirs = time.perf_counter() - start
        else:
            theirs = best_of(lambda data=data: round_trip_reference(data))
        rows.append(
            Row(
                f"base58 encode+decode {label}",
                seconds(ours),
                seconds(theirs),
                theirs / ours,
                goal,
                at_most=False,
                note="speed-up vs the base58 package",
            )
        )

    small_data, big_data = sample(KB), sample(256 * KB)
    small = best_of(lambda: round_trip_ours(small_data))
    # The best of a few: the first call also computes the powers of 58 it caches.
    big = min(timed(lambda: round_trip_ours(big_data)) for _ in range(1 if QUICK else 3))
    rows.append(
        Row(
            "base58 growth 1 KB -> 256 KB (ours)",
            seconds(big),
            seconds(small),
            big / small,
            256**1.75,
            at_most=True,
            note="256x the data; quadratic would be 65,536x",
        )
    )
    return rows


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


# -- decode-redirect ---------------------------------------------------------------------------


def signed_transaction(account: Any, index: int) -> bytes:
    """A real legacy transaction of about 1 KB that ``account`` pays for and has signed (the
    answer is checked, so its transactions must parse and verify): one memo-like instruction
    whose data makes up the size."""
    from walletsign_cli.core.solana_tx import encode_compact_u16 as short_vec

    program = bytes([7]) * 32
    blockhash = bytes([index % 251 + 1]) * 32
    data = sample(900 + index)
    instruction = bytes([1]) + short_vec(1) + bytes([0]) + short_vec(len(data)) + data
    keys = account.public.raw + program
    message = bytes([1, 0, 1]) + short_vec(2) + keys + blockhash + short_vec(1) + instruction
    return short_vec(1) + account.sign(message) + message


def sign_all_answer(keystore: Path, data_chars: int) -> tuple[str, list[str]]:
    """A keystore with a dapp key and a session, and a wallet's signAllTransactions answer
    whose base58 ``data`` is about ``data_chars`` long: (redirect URL, the transactions)."""
    from walletsign_cli.core import box
    from walletsign_cli.core.ed25519 import Ed25519SigningKey
    from walletsign_cli.keystore import Keystore
    from walletsign_cli.protocols.state import KeyEntry, SessionEntry, now_iso

    dapp = box.X25519KeyPair.from_secret(b"\1" * 32)
    wallet = box.X25519KeyPair.from_secret(b"\2" * 32)
    account = Ed25519SigningKey.from_seed(b"\3" * 32)
    session = SessionEntry(
        wallet="phantom",
        base_url="https://phantom.app/ul/v1/",
        dapp_key="default",
        dapp_public_key=str(dapp.public),
        wallet_encryption_public_key=str(wallet.public),
        public_key=str(account.public),
        session="bench-session-token",
        cluster="mainnet-beta",
        app_url="https://example.com",
        redirect_link="myapp://onConnect",
        created_at=now_iso(),
    )
    with Keystore(keystore).transaction() as txn:
        doc = txn.document.with_key("default", KeyEntry.of(dapp, now_iso()))
        txn.document = doc.with_session("phantom", session)
    shared = box.shared_secret(dapp.public, wallet)
    transactions: list[str] = []
    # ciphertext = plaintext + 16 bytes; base58 is ~1.366 characters a byte
    while (len(json.dumps({"transactions": transactions})) + 16) * 1.366 < data_chars:
        transactions.append(base58.encode(signed_transaction(account, len(transactions))))
    plaintext = json.dumps({"transactions": transactions}).encode()
    nonce, ciphertext = box.seal(plaintext, shared)
    query = f"nonce={base58.encode(nonce)}&data={base58.encode(ciphertext)}"
    return f"myapp://onSignAllTransactions?{query}", transactions


def decode_redirect_row(folder: Path) -> Row:
    keystore = folder / "redirect" / "keystore.json"
    url, transactions = sign_all_answer(keystore, 64 * KB)
    data = url.split("&data=", 1)[1]
    argv = [str(console_script()), "decode-redirect", "-", "--no-save", "--json"]
    env = clean_env(keystore)

    def run_once() -> float:
        start = time.perf_counter()
        proc = subprocess.run(argv, input=url.encode(), capture_output=True, env=env, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"exit {proc.returncode}: {proc.stderr[-300:]!r}")
        got = json.loads(proc.stdout)["data"].get("transactions")
        if got != transactions:
            raise RuntimeError("decode-redirect did not return the transactions")
        return elapsed

    ours = statistics.median(run_once() for _ in range(3 if QUICK else 5))
    start = time.perf_counter()
    reference.b58decode(data)
    theirs = time.perf_counter() - start
    return Row(
        f"decode-redirect signAllTransactions ({len(data) // KB} KB data)",
        seconds(ours),
        seconds(theirs),
        theirs / ours,
        20.0,
        at_most=False,
        note="whole command (start-up included) vs the base58 package's decode of data alone",
    )


# -- verify --batch ----------------------------------------------------------------------------


def batch_rows() -> list[Row]:
    from bench import batch

    # Enough lines that the worker pool's start-up (a fixed cost) does not decide the
    # --jobs ratio: the goal is about throughput on large CI batches.
    lines = 5000 if QUICK else 30000
    rows = []
    for signers, case in ((None, "a new signer a line"), (8, "8 signers")):
        result = batch.measure(lines=lines, signers=signers)
        for key, per_s, label, goal in (
            ("batch_vs_bare", "batch_per_s", "1 process", 0.95),
            ("jobs2_vs_bare", "jobs2_per_s", "--jobs 2", 1.6),
        ):
            rows.append(
                Row(
                    f"verify --batch {label}, {case}",
                    f"{result[per_s]:,.0f}/s",
                    f"{result['bare_per_s']:,.0f}/s",
                    result[key],
                    goal,
                    at_most=False,
                    note="signatures per second vs a bare libsodium loop",
                )
            )
    scaling = batch.machine_scaling()
    rows.append(
        Row(
            "machine: 2 bare processes vs 1 (the --jobs 2 ceiling)",
            f"{scaling:.2f}x",
            "2.00x",
            scaling,
            0.0,
            at_most=False,
            note="how far two cores scale here",
            context=True,
        )
    )
    return rows


def eth_batch_rows() -> list[Row]:
    from bench import eth_batch

    lines = 2000 if QUICK else 10000
    rows = []
    for scheme in ("eip191", "eip712"):
        result = eth_batch.measure(scheme, lines=lines)
        for key, per_s, label, goal in (
            ("batch_vs_bare", "batch_per_s", "1 process", 0.9),
            ("jobs2_vs_bare", "jobs2_per_s", "--jobs 2", 1.6),
        ):
            rows.append(
                Row(
                    f"verify --batch {scheme} {label}, 8 signers",
                    f"{result[per_s]:,.0f}/s",
                    f"{result['bare_per_s']:,.0f}/s",
                    result[key],
                    goal,
                    at_most=False,
                    note="signatures per second vs a bare coincurve + keccak loop",
                )
            )
    return rows


# -- Arrow and Parquet (bench/arrow.py) -------------------------------------------------------


def arrow_rows(folder: Path) -> list[Row]:
    from bench import arrow

    batch = arrow.measure_batch(10_000 if QUICK else 100_000)
    files = arrow.measure_files(folder, 50_000 if QUICK else 1_000_000, clean_env(folder / "ks"))
    rows = "50k" if QUICK else "1M"
    return [
        Row(
            "verify_batch, binary ed25519 RecordBatch",
            f"{batch['ours_per_s']:,.0f}/s",
            f"{batch['bare_per_s']:,.0f}/s",
            batch["ratio"],
            0.95,
            at_most=False,
            note="signatures per second vs a bare libsodium loop, one core",
        ),
        Row(
            f"DuckDB recipe over {rows}-row Parquet vs verify --batch JSON Lines",
            f"{files['duckdb_per_s']:,.0f}/s",
            f"{files['cli_per_s']:,.0f}/s",
            files["duckdb_vs_cli"],
            1.5,
            at_most=False,
            note="end to end, the same jobs",
        ),
        Row(
            f"verify --batch {rows}-row Parquet: peak memory",
            f"{files['peak_mb']:,.0f} MB",
            "200 MB",
            files["peak_mb"] / 200,
            1.0,
            at_most=True,
            note=f"{files['parquet_per_s']:,.0f} rows/s; ratio is peak RSS / 200 MB",
        ),
    ]


# -- report ------------------------------------------------------------------------------------


def attempt(name: str, func: Callable[[], list[Row]]) -> list[Row]:
    """Run one group; a failure becomes a failed row instead of ending the report."""
    try:
        return func()
    except Exception as exc:  # noqa: BLE001 - a report shows every failure and goes on
        message = f"{type(exc).__name__}: {exc}"[:200]
        return [Row(name, "-", "-", float("nan"), 0.0, at_most=False, note=message)]


def table(rows: list[Row]) -> str:
    header = ("measure", "ours", "baseline", "ratio", "goal", "result")
    cells = [
        (
            row.name,
            row.ours,
            row.baseline,
            f"{row.ratio:,.2f}x",
            "-" if row.context else ("<= " if row.at_most else ">= ") + f"{row.goal:,.2f}x",
            "-" if row.context else "PASS" if row.passed else "FAIL",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("-|-".join("-" * w for w in widths))
    out += [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(out)


def main() -> int:
    began = time.perf_counter()
    print(f"walletsign bench: Python {sys.version.split()[0]} at {sys.executable}", flush=True)
    decoder = "compiled (fd58, the fast extra)" if base58.COMPILED else "pure Python (no fd58)"
    print(f"base58 keys and signatures: {decoder}; cpus: {os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="walletsign-bench-") as tmp:
        folder = Path(tmp)
        rows = attempt("start-up", lambda: startup_rows(folder))
        rows += attempt("base58", base58_rows)
        rows += attempt("decode-redirect", lambda: [decode_redirect_row(folder)])
        rows += attempt("verify --batch", batch_rows)
        rows += attempt("verify --batch (Ethereum)", eth_batch_rows)
        rows += attempt("arrow", lambda: arrow_rows(folder))
    print(table(rows))
    for row in rows:
        if row.ours == "-":
            print(f"  {row.name} could not be measured: {row.note}")
    goals = [row for row in rows if not row.context]
    failed = [row.name for row in goals if not row.passed]
    took = time.perf_counter() - began
    verdict = "all goals met" if not failed else f"FAILED: {', '.join(failed)}"
    print(f"summary: {len(goals) - len(failed)}/{len(goals)} goals met in {took:.0f} s; {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
