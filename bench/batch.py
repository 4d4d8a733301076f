"""How fast ``walletsign verify --batch`` checks Solana signatures, against a bare loop.

``measure()`` writes a JSON Lines file of valid raw Solana signatures (base58, as wallets
return them; a different signer on every line, or a few signers in turn), then times:

- ``bare``: ``nacl.bindings.crypto_sign_open(sig + msg, pk)`` over already-decoded bytes;
- ``batch``: the ``--batch`` code path in this process (read, parse, decode, verify, write);
- ``jobs2``: the same with ``--jobs 2`` (worker start-up included).

Each is the best of a few rounds, interleaved so that machine noise hits all alike.
Goals: ``batch_vs_bare >= 0.95`` and ``jobs2_vs_bare >= 1.6``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nacl.bindings

from walletsign_cli.cli.verify_batch import verify_stream
from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.protocols.jobs import Defaults

ROUNDS = 5


def _make_file(
    path: Path, lines: int, signers: int | None = None
) -> list[tuple[bytes, bytes, bytes]]:
    """``signers`` None: a different signer on every line (the worst case for the batch's
    key cache); a number: that many signers in turn, as in a CI batch of one app's users."""
    count = lines if signers is None else signers
    keys = [Ed25519SigningKey.from_seed(i.to_bytes(32, "big")) for i in range(count)]
    decoded: list[tuple[bytes, bytes, bytes]] = []
    with path.open("w", encoding="utf-8") as handle:
        for i in range(lines):
            key = keys[i % count]
            message = f"Sign in to example.com: request {i} at 2024-01-01T00:00:{i % 60:02d}Z"
            data = message.encode()
            signature = key.sign(data)
            record = {
                "id": f"req-{i}",
                "public_key": str(key.public),
                "signature": base58.encode(signature),
                "message": message,
            }
            handle.write(json.dumps(record) + "\n")
            decoded.append((signature, data, key.public.raw))
    return decoded


def _time_bare(decoded: list[tuple[bytes, bytes, bytes]]) -> float:
    sign_open = nacl.bindings.crypto_sign_open
    start = time.perf_counter()
    for signature, data, public_key in decoded:
        sign_open(signature + data, public_key)
    return time.perf_counter() - start


def _time_batch(path: Path, jobs: int, lines: int) -> float:
    with open(os.devnull, "w", encoding="utf-8") as sink, path.open("rb") as stream:  # noqa: PTH123
        start = time.perf_counter()
        valid, invalid, malformed = verify_stream(stream, sink.write, Defaults(), jobs=jobs)
        elapsed = time.perf_counter() - start
    if (valid, invalid, malformed) != (lines, 0, 0):
        raise RuntimeError(f"batch gave {valid} valid, {invalid} invalid, {malformed} malformed")
    return elapsed


def measure(lines: int = 20000, signers: int | None = None) -> dict[str, float]:
    """Signatures per second of each path and the two ratios to the bare loop."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.jsonl"
        decoded = _make_file(path, lines, signers)
        best = {"bare": float("inf"), "batch": float("inf"), "jobs2": float("inf")}
        for _ in range(ROUNDS):
            best["bare"] = min(best["bare"], _time_bare(decoded))
            best["batch"] = min(best["batch"], _time_batch(path, 1, lines))
            best["jobs2"] = min(best["jobs2"], _time_batch(path, 2, lines))
    return {
        "lines": float(lines),
        "bare_per_s": lines / best["bare"],
        "batch_per_s": lines / best["batch"],
        "jobs2_per_s": lines / best["jobs2"],
        "batch_vs_bare": best["bare"] / best["batch"],
        "jobs2_vs_bare": best["bare"] / best["jobs2"],
    }


def _bare_in(count: int) -> float:
    signer = Ed25519SigningKey.from_seed(b"\1" * 32)
    message = b"Sign in to example.com: the machine's own scaling"
    signed, public_key = signer.sign(message) + message, signer.public.raw
    start = time.perf_counter()
    for _ in range(count):
        nacl.bindings.crypto_sign_open(signed, public_key)
    return time.perf_counter() - start


def machine_scaling(count: int = 20000) -> float:
    """How much faster two processes run the bare loop than one, on this machine: the
    ceiling for any ``--jobs 2`` ratio (it is below 2 on shared or throttled cores)."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    one = min(_bare_in(count) for _ in range(ROUNDS))
    with context.Pool(2) as pool:
        two = float("inf")
        for _ in range(ROUNDS):
            start = time.perf_counter()
            pool.map(_bare_in, [count, count])
            two = min(two, time.perf_counter() - start)
    return 2 * one / two


if __name__ == "__main__":
    for name, value in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 20000).items():
        print(f"{name:>14}: {value:,.3f}")
