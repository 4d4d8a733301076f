"""Start-up stays cheap: each command imports only what it needs.

Every CI call and every keystroke pays the start-up, so ``walletsign --version`` and a plain
Solana ``verify`` must not load rich, qrcode, coincurve, pycryptodome, the keystore, process
pools or servers. Each case runs the CLI in a fresh interpreter and reads ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Ed25519SigningKey

# Drawing, Ethereum, servers, process pools, metadata look-ups: never needed by these paths.
HEAVY = (
    "rich",
    "qrcode",
    "PIL",
    "coincurve",
    "Crypto",
    "walletsign_cli.core.eth",
    "multiprocessing",
    "concurrent.futures",
    "http.server",
    "socketserver",
    "walletsign_cli.listener",
    "asyncio",
    "ssl",
    "urllib.request",
    "email",
    "importlib.metadata",
    "decimal",
    # Cheap alone, but each costs about 2% of a start-up: JSON is loaded by the first
    # --json document (core.encoding), and these paths' value types are plain classes.
    "json",
    "dataclasses",
    # Shared libraries: the escaping rule spells its spaces out, base64 is decoded only
    # when a value is not base58 of the right size (core.encoding).
    "unicodedata",
    "binascii",
    # The first gettext call imports it: --help and --version are built without one.
    "locale",
)
# ``--version`` needs none of the crypto and no command module (the root table is lazy).
VERSION_ALSO = (
    "nacl",
    "walletsign_cli.cli.verify",
    "walletsign_cli.protocols",
    "walletsign_cli.keystore",
    "traceback",
)
# Verifying a signature is pure computation: no keystore, no deeplink protocol.
VERIFY_ALSO = (
    "walletsign_cli.keystore",
    "walletsign_cli.protocols.deeplink",
    "walletsign_cli.protocols.state",
    "walletsign_cli.cli.render",
    "tempfile",
)

# Runs the CLI's main in-process, then reports the exit code and the loaded modules.
PROBE = """
import sys
from walletsign_cli.cli.root import cli
code = None
try:
    cli.main(args=sys.argv[1:], prog_name="walletsign")
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
loaded = sorted(sys.modules)
import json
print("\\n@@" + json.dumps({"code": code, "modules": loaded}))
"""


def probe(*args: str) -> tuple[int, str, set[str]]:
    """Run ``walletsign ARGS`` in a fresh interpreter: (exit code, stdout, loaded modules)."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    out, _, report = proc.stdout.rpartition("\n@@")
    assert report, proc.stderr
    parsed: dict[str, Any] = json.loads(report)
    return int(parsed["code"] or 0), out, set(parsed["modules"])


def loaded_heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules for n in names if m == n or m.startswith(n + "."))


def solana_verify_args() -> list[str]:
    key = Ed25519SigningKey.generate()
    signature = key.sign(b"hello from walletsign")
    return [
        "verify",
        "--public-key",
        str(key.public),
        "--signature",
        base58.encode(signature),
        "--message",
        "hello from walletsign",
    ]


def test_version_imports_nothing_heavy() -> None:
    code, out, modules = probe("--version")
    assert code == 0
    assert out.startswith("walletsign ")
    assert loaded_heavy(modules, HEAVY + VERSION_ALSO) == []


def test_probe_sees_what_a_command_loads() -> None:
    # The guard can fail: the probe reports modules the command really imported.
    code, _, modules = probe("--version")
    assert code == 0
    assert loaded_heavy(modules, ("click", "walletsign_cli.cli.root")) == [
        "click",
        *sorted(m for m in modules if m.startswith("click.")),
        "walletsign_cli.cli.root",
    ]


def test_verify_of_one_solana_signature_imports_nothing_heavy() -> None:
    code, out, modules = probe(*solana_verify_args())
    assert code == 0, out
    assert loaded_heavy(modules, HEAVY + VERIFY_ALSO) == []


def test_an_invalid_solana_signature_is_still_cheap() -> None:
    args = solana_verify_args()
    args[-1] = "another message"
    code, _, modules = probe(*args)
    assert code == 1
    assert loaded_heavy(modules, HEAVY + VERIFY_ALSO) == []


def test_console_script_version_imports_nothing_heavy() -> None:
    # The installed entry-point wrapper may add its own imports (importlib.metadata...).
    script = Path(sys.executable).parent / "walletsign"
    if not script.exists():
        pytest.skip("the console script is not installed next to this interpreter")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPROFILEIMPORTTIME"] = "1"
    proc = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("walletsign ")
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "walletsign_cli.cli.root" in modules
    assert loaded_heavy(modules, HEAVY + VERSION_ALSO) == []
