"""How a decoded wallet answer is shown: shared by ``decode-redirect`` and ``listen``.

JSON, or ``name  value`` lines, on stdout; on a terminal, tables and a coloured verdict on
stderr instead of the lines (which are printed whenever stdout is not a terminal, so a pipe
always gets them); notes and warnings on stderr. The rows are
:mod:`walletsign_cli.protocols.dapp.report`'s.
"""

from __future__ import annotations

from walletsign_cli.cli import render
from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.output import emit, emit_json, note, warn
from walletsign_cli.cli.transaction_report import show_transactions
from walletsign_cli.protocols.dapp import RedirectResult
from walletsign_cli.protocols.dapp import report as rows


def report(env: Environment, result: RedirectResult) -> int:
    """Print ``result`` and return the exit code (:attr:`RedirectResult.exit_code`)."""
    for text in result.warnings:
        warn(text)
    if env.as_json:
        emit_json(result.to_json())
    else:
        if not render.interactive():
            for line in rows.answer_lines(result):
                emit(line)
        render.show_tables(env, rows.answer_tables(result), verdict=rows.verdict(result))
    for text in rows.answer_notes(result):
        note(text)
    if not env.as_json:
        show_transactions(result)
    return result.exit_code
