"""How fast ``walletsign verify --batch`` checks Ethereum signatures, against a bare loop.

``measure(scheme)`` writes a JSON Lines file of valid signatures (``eip191``: a
``personal_sign`` message a line; ``eip712``: a Mail typed-data document a line, each with
its own contents), a few signers in turn, then times over the same jobs:

- ``bare``: coincurve + keccak-256 and nothing else: the digest computed by hand-written
  code for exactly this layout (EIP-191 prefix; for EIP-712 the Mail struct's words), then
  ``PublicKey.from_signature_and_message`` and the address compared;
- ``batch``: the ``--batch`` code path in this process (read, parse JSON, decode, hash,
  recover, write);
- ``jobs2``: the same with ``--jobs 2`` (worker start-up included).

Each is the best of a few rounds, interleaved. Goals: ``batch_vs_bare >= 0.9`` and
``jobs2_vs_bare >= 1.6``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import coincurve
from Crypto.Hash import keccak

from walletsign_cli.cli.verify_batch import verify_stream
from walletsign_cli.core import eth
from walletsign_cli.protocols.jobs import Defaults

ROUNDS = 3
SIGNERS = 8
MAIL_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
    "Mail": [
        {"name": "from", "type": "Person"},
        {"name": "to", "type": "Person"},
        {"name": "contents", "type": "string"},
    ],
}
CONTRACT = "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"
DOMAIN = {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": CONTRACT}
BOB = "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"


def _k(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


_MAIL_TYPE = _k(b"Mail(Person from,Person to,string contents)Person(string name,address wallet)")
_PERSON_TYPE = _k(b"Person(string name,address wallet)")
_DOMAIN_TYPE = _k(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)


def _bare_mail_digest(message: dict[str, Any]) -> bytes:
    """The Mail digest by hand: the layout is known, no type parsing at all."""

    def person(value: dict[str, str]) -> bytes:
        wallet = bytes.fromhex(value["wallet"][2:]).rjust(32, b"\0")
        return _k(_PERSON_TYPE + _k(value["name"].encode()) + wallet)

    contract = bytes.fromhex(CONTRACT[2:]).rjust(32, b"\0")
    separator = _k(_DOMAIN_TYPE + _k(b"Ether Mail") + _k(b"1") + (1).to_bytes(32, "big") + contract)
    struct = _k(
        _MAIL_TYPE
        + person(message["from"])
        + person(message["to"])
        + _k(message["contents"].encode())
    )
    return _k(b"\x19\x01" + separator + struct)


def _make_file(path: Path, lines: int, scheme: str) -> list[tuple[str, Any, bytes, bytes]]:
    signers = [eth.EthSigner((i + 1).to_bytes(32, "big")) for i in range(SIGNERS)]
    jobs: list[tuple[str, Any, bytes, bytes]] = []
    with path.open("w", encoding="utf-8") as handle:
        for i in range(lines):
            signer = signers[i % SIGNERS]
            address = eth.to_checksum_address(signer.address)
            if scheme == "eip191":
                payload: Any = f"Sign in to example.com: request {i}"
                digest = eth.personal_sign_hash(payload.encode())
                record = {"id": i, "address": address, "message": payload}
            else:
                payload = {
                    "from": {"name": f"user {i}", "wallet": address},
                    "to": {"name": "Bob", "wallet": BOB},
                    "contents": f"Hello, Bob! ({i})",
                }
                digest = _bare_mail_digest(payload)
                document = {
                    "types": MAIL_TYPES,
                    "primaryType": "Mail",
                    "domain": DOMAIN,
                    "message": payload,
                }
                record = {"id": i, "address": address, "typed_data": document}
            signature = signer.sign_digest(digest).to_bytes()
            record["signature"] = "0x" + signature.hex()
            handle.write(json.dumps(record) + "\n")
            jobs.append((scheme, payload, signature, signer.address))
    return jobs


def _time_bare(jobs: list[tuple[str, Any, bytes, bytes]]) -> float:
    recover = coincurve.PublicKey.from_signature_and_message
    start = time.perf_counter()
    for scheme, payload, signature, address in jobs:
        if scheme == "eip191":
            data = payload.encode()
            digest = _k(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)
        else:
            digest = _bare_mail_digest(payload)
        compact = signature[:64] + bytes([signature[64] - 27])
        public = recover(compact, digest, hasher=None).format(compressed=False)
        if _k(public[1:])[-20:] != address:
            raise RuntimeError("bare loop: wrong signer")
    return time.perf_counter() - start


def _time_batch(path: Path, jobs: int, lines: int) -> float:
    with open(os.devnull, "w", encoding="utf-8") as sink, path.open("rb") as stream:  # noqa: PTH123
        start = time.perf_counter()
        valid, invalid, malformed = verify_stream(stream, sink.write, Defaults(), jobs=jobs)
        elapsed = time.perf_counter() - start
    if (valid, invalid, malformed) != (lines, 0, 0):
        raise RuntimeError(f"batch gave {valid} valid, {invalid} invalid, {malformed} malformed")
    return elapsed


def measure(scheme: str, lines: int = 5000) -> dict[str, float]:
    """Signatures per second of each path and the two ratios to the bare loop."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.jsonl"
        jobs = _make_file(path, lines, scheme)
        best = {"bare": float("inf"), "batch": float("inf"), "jobs2": float("inf")}
        for _ in range(ROUNDS):
            best["bare"] = min(best["bare"], _time_bare(jobs))
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


if __name__ == "__main__":
    for name in ("eip191", "eip712"):
        for key, value in measure(name, int(sys.argv[1]) if len(sys.argv) > 1 else 2000).items():
            print(f"{name} {key:>14}: {value:,.3f}")
