"""``sendOptions`` of ``signAndSendTransaction``: web3.js ``SendOptions``, checked.

The wallets' docs call it "an optional object ... defined in Solana web3.js" (research §4.3).
web3.js defines four keys: ``skipPreflight`` (boolean), ``preflightCommitment`` (a
``Commitment``), ``maxRetries`` and ``minContextSlot`` (numbers; the RPC takes unsigned
integers). Writing is exact: known keys, right types, current commitments only. Reading
(the simulated wallet) is tolerant: an object or, as one Swift implementation sends it, a
JSON string of one; what is odd is noted, not refused (what wallets refuse is uncertain).
"""

from __future__ import annotations

import json
from typing import Any

from walletsign_cli.errors import BadInputError
from walletsign_cli.limits import MAX_PAYLOAD_BYTES, check_size

SEND_OPTIONS = "sendOptions"
COMMITMENTS = ("processed", "confirmed", "finalized")
# web3.js still types these, "Deprecated as of v1.5.5" (connection.ts ``Commitment``).
DEPRECATED_COMMITMENTS = ("recent", "single", "singleGossip", "root", "max")
KEYS = ("skipPreflight", "preflightCommitment", "maxRetries", "minContextSlot")
_U64_MAX = 2**64 - 1
_EXAMPLE = 'e.g. --send-options \'{"skipPreflight":false,"preflightCommitment":"confirmed"}\''


def parse_send_options(text: str, *, option: str = "--send-options") -> dict[str, Any]:
    """``--send-options JSON``: a JSON object of web3.js ``SendOptions``; bad input (exit 3)
    names the key and what is wrong with it. Key order is kept (it is written as given)."""
    check_size(len(text), MAX_PAYLOAD_BYTES, option)
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise BadInputError(
            f"{option} is not JSON: {exc}",
            hint=_EXAMPLE,
        ) from None
    except RecursionError:
        raise BadInputError(f"{option} is JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise BadInputError(f"{option} must be a JSON object, got {type(value).__name__}")
    problems = check_values(value)
    if problems:
        raise BadInputError(f"{option}: {problems[0]}", hint=_EXAMPLE)
    return value


def check_values(value: dict[str, Any]) -> list[str]:
    """What is wrong with a ``SendOptions`` object, one line each (empty when nothing is)."""
    problems = []
    for key, item in value.items():
        if key not in KEYS:
            problems.append(f"unknown key {key!r} (web3.js SendOptions has {', '.join(KEYS)})")
        elif key == "skipPreflight" and not isinstance(item, bool):
            problems.append(f"skipPreflight must be true or false, got {json.dumps(item)}")
        elif key == "preflightCommitment":
            problems.extend(_commitment_problem(item))
        elif key in ("maxRetries", "minContextSlot") and not _is_unsigned(item):
            problems.append(f"{key} must be a whole number 0 or more, got {json.dumps(item)}")
    return problems


def _commitment_problem(item: Any) -> list[str]:
    if item in COMMITMENTS:
        return []
    if item in DEPRECATED_COMMITMENTS:
        return [
            f"preflightCommitment {item!r} is deprecated (web3.js 1.5.5): use "
            f"{', '.join(COMMITMENTS)}"
        ]
    return [f"preflightCommitment must be one of {', '.join(COMMITMENTS)}, got {json.dumps(item)}"]


def _is_unsigned(item: Any) -> bool:
    # JSON true/false are ints to Python, not numbers to web3.js.
    return isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= _U64_MAX


def read_send_options(payload: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """A received payload's ``sendOptions`` (tolerant: an object, or a JSON string of one)
    and notes about what a careful wallet would question."""
    if SEND_OPTIONS not in payload:
        return None, []
    value = payload[SEND_OPTIONS]
    notes = []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None, ["sendOptions is a string that is not JSON: ignored"]
        notes.append("sendOptions came as a JSON string, not an object (read anyway)")
    if not isinstance(value, dict):
        return None, [f"sendOptions is not an object ({type(value).__name__}): ignored"]
    return value, notes + [f"sendOptions: {problem}" for problem in check_values(value)]


def send_options_text(value: dict[str, Any]) -> str:
    """Compact JSON, key order kept (how it is remembered and shown)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
