"""Generate the committed artefacts: shell completions and docs/cli.md.

``python scripts/generate.py completions|docs|all [--check]``; with ``--check`` nothing is
written and the exit status says whether the committed files are current (the tests use it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import click
from click.shell_completion import get_completion_class
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from walletsign_cli.cli.root import PROG, cli  # noqa: E402

COMPLETIONS = {
    "bash": ROOT / "completions" / "walletsign.bash",
    "zsh": ROOT / "completions" / "_walletsign",
    "fish": ROOT / "completions" / "walletsign.fish",
}
DOCS = ROOT / "docs" / "cli.md"


def completion_script(shell: str) -> str:
    """The completion script click writes for ``shell``."""
    cls = get_completion_class(shell)
    if cls is None:
        raise SystemExit(f"unknown shell {shell}")
    complete = cls(cli, {}, PROG, "_WALLETSIGN_COMPLETE")
    source = complete.source()
    return source if source.endswith("\n") else source + "\n"


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name=PROG, terminal_width=100)
    if result.exit_code != 0:
        raise SystemExit(f"--help failed for {args}: {result.output}")
    return result.output


def _command_names(group: click.Group) -> list[str]:
    ctx = click.Context(group, info_name=PROG)
    return group.list_commands(ctx)


def cli_reference() -> str:
    """docs/cli.md: the ``--help`` of the root and of every command, in order."""
    parts = [
        "# walletsign command reference\n",
        "Generated from `--help` by `make docs`; do not edit by hand.\n",
        f"## `{PROG}`\n",
        "```text\n" + _help([]) + "```\n",
    ]
    for name in _command_names(cli):
        parts.append(f"## `{PROG} {name}`\n")
        parts.append("```text\n" + _help([name]) + "```\n")
        command = cli.get_command(click.Context(cli), name)
        if isinstance(command, click.Group):
            for sub in _command_names(command):
                parts.append(f"### `{PROG} {name} {sub}`\n")
                parts.append("```text\n" + _help([name, sub]) + "```\n")
    return "\n".join(parts)


def expected() -> dict[Path, str]:
    """Every generated file and its current content."""
    files = {path: completion_script(shell) for shell, path in COMPLETIONS.items()}
    files[DOCS] = cli_reference()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["completions", "docs", "all"])
    parser.add_argument("--check", action="store_true", help="fail if a file is stale")
    args = parser.parse_args()
    files = expected()
    if args.what == "completions":
        files = {p: t for p, t in files.items() if p != DOCS}
    elif args.what == "docs":
        files = {DOCS: files[DOCS]}
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run make {args.what})", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
