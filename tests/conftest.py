"""Shared fixtures: every test gets its own keystore and user dir, never the real one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from walletsign_cli.cli.root import cli

VECTORS = Path(__file__).parent / "vectors"


def load_vector(name: str) -> Any:
    """A JSON vector file copied from shared/vectors."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test touches the real user dir or keystore."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("WALLETSIGN_KEYSTORE", str(tmp_path / "ks" / "keystore.json"))
    for var in ("WALLETSIGN_DEBUG", "WALLETSIGN_PASSPHRASE", "NO_COLOR", "WALLETSIGN_LOCK_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture
def keystore_path(tmp_path: Path) -> Path:
    """The isolated keystore file of this test."""
    return tmp_path / "ks" / "keystore.json"


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    """Run the CLI in-process with stdout and stderr kept apart."""
    runner = CliRunner()
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def run() -> Any:
    """The :func:`invoke` helper as a fixture."""
    return invoke
