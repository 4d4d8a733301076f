"""``make demo``: the whole exchange against the simulated wallet, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from walletsign_cli.demo import SUCCESS


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
