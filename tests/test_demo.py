"""``make demo``: the whole exchange against the simulated wallet, run as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from walletsign_cli.demo import SUCCESS

ROOT = Path(__file__).resolve().parent.parent


def run_demo(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "walletsign_cli.demo"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **env},
        timeout=120,
    )


def test_demo_runs_the_whole_loop() -> None:
    done = run_demo()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1].startswith(SUCCESS)
    commands = ("keygen", "connect-url", "simulate", "decode-redirect", "sign-url", "verify")
    for command in (*commands, "simulate-eth"):
        assert f"$ walletsign {command} " in done.stdout
    assert "verified   true" in done.stdout
    assert "valid      true" in done.stdout
    assert done.stderr == ""


def test_demo_fails_loudly_when_a_step_fails() -> None:
    # An unusable lock timeout makes every keystore command exit 5: the first step fails.
    done = run_demo(WALLETSIGN_LOCK_TIMEOUT="soon")
    assert done.returncode == 1
    assert SUCCESS not in done.stdout
    assert "demo FAILED at step 1: walletsign keygen exited 5" in done.stderr


FAKE_PYTHON = """#!/bin/sh
# Stands in for python3 (-m venv DIR) and for the venv's python (-m pip, -m walletsign_cli.demo).
if [ "$1 $2" = "-m venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
fi
if [ "$1 $2" = "-m pip" ]; then
    echo "  BuildBackendWarning: Editable installation." >&2
    echo "  ********************************************" >&2
    exit "${FAKE_PIP_EXIT:-0}"
fi
if [ "$1 $2" = "-m walletsign_cli.demo" ]; then
    echo "the demo"
    exit 0
fi
echo "unexpected: $*" >&2
exit 9
"""


def make_demo_from_nothing(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``make demo`` with no .venv yet, pip and the demo played by a stand-in python (no
    network): what a first run prints."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    fake = tmp_path / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    # A user's first make, not a sub-make of `make test` (which would print "Entering
    # directory" lines and pass its own flags down).
    outer = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    return subprocess.run(
        [make, "-s", "-C", str(ROOT), "demo", f"PYTHON={fake}", f"VENV={tmp_path / 'venv'}"],
        capture_output=True,
        text=True,
        env={**outer, **env},
        timeout=120,
    )


def test_a_first_make_demo_shows_only_the_demo(tmp_path: Path) -> None:
    done = make_demo_from_nothing(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the demo\n"
    assert "Editable installation" not in done.stderr
    assert done.stderr.splitlines() == [
        f"setting up {tmp_path / 'venv'} (once; its log: {tmp_path / 'venv' / 'install.log'})"
    ]
    assert "Editable installation" in (tmp_path / "venv" / "install.log").read_text()


def test_a_failed_install_shows_its_log(tmp_path: Path) -> None:
    done = make_demo_from_nothing(tmp_path, FAKE_PIP_EXIT="1")
    assert done.returncode != 0
    assert "Editable installation" in done.stderr
    assert "installing into" in done.stderr and "failed" in done.stderr
    assert "the demo" not in done.stdout
