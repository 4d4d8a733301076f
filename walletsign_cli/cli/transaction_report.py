"""How decode-redirect shows the checks of a transaction answer (stderr, human mode): each
signature slot, and how the returned message differs from the requested one."""

from __future__ import annotations

from typing import Any

from walletsign_cli.cli.output import note
from walletsign_cli.protocols.dapp import RedirectResult
from walletsign_cli.protocols.dapp.transactions import describe_difference


def show_transactions(result: RedirectResult) -> None:
    """One line per signature slot and per difference, for each returned transaction."""
    for check in result.transaction_checks or ():
        where = f"transaction {check['index'] + 1}"
        verified = {True: "verified", False: "NOT verified", None: "not checked"}[check["verified"]]
        note(f"{where} ({check['version'] or 'unknown'}): {verified}")
        for slot in check["signatures"]:
            note(f"  slot {slot['slot']} {slot['signer']}: {slot['status']}")
        for line in diff_lines(check["diff"]):
            note(f"  {line}")


def diff_lines(diff: list[dict[str, Any]]) -> list[str]:
    """``+``/``-`` lines for instructions, ``~`` lines for changed fields."""
    return [describe_difference(change) for change in diff]
