"""Completions and docs/cli.md are generated, committed, and must not go stale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from walletsign_cli.cli.completion import complete_keys
from walletsign_cli.cli.root import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("what", ["completions", "docs"])
def test_generated_files_are_current(what: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate.py"), what, "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + f"\nrun: make {what}"


def test_every_command_is_documented_with_examples() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import generate

    reference = generate.cli_reference()
    for name in generate._command_names(cli):
        assert f"## `walletsign {name}`" in reference
    for block in reference.split("## `walletsign ")[2:]:
        assert "Examples:" in block, block.splitlines()[0]


def test_completion_of_keystore_names(run: object, keystore_path: Path) -> None:
    assert CliRunner().invoke(cli, ["keygen", "--name", "alpha"]).exit_code == 0
    assert CliRunner().invoke(cli, ["keygen", "--name", "beta"]).exit_code == 0
    ctx = click.Context(cli, info_name="walletsign")
    ctx.params["keystore_option"] = str(keystore_path)
    names = [item.value for item in complete_keys(ctx, click.Option(["--key"]), "a")]
    assert names == ["alpha"]
    assert os.environ["WALLETSIGN_KEYSTORE"] == str(keystore_path)
