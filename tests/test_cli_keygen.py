"""``walletsign keygen`` and the error conventions, through CliRunner."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from walletsign_cli.core import base58
from walletsign_cli.core.box import X25519KeyPair


def test_keygen_json_in_empty_keystore(run: Any, keystore_path: Path) -> None:
    result = run("keygen", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"name", "public_key", "keystore"}
    assert doc["name"] == "default"
    assert len(base58.decode(doc["public_key"])) == 32
    assert doc["keystore"] == str(keystore_path)
    assert stat.S_IMODE(keystore_path.stat().st_mode) == 0o600
    stored = json.loads(keystore_path.read_text())["keys"]["default"]
    assert stored["public_key"] == doc["public_key"]
    assert stored["secret_key"] not in result.stdout + result.stderr


def test_keygen_text_prints_key_only_on_stdout(run: Any) -> None:
    result = run("keygen", "--name", "a")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    assert "saved dapp key 'a'" in result.stderr


def test_refuses_overwrite_without_force(run: Any, keystore_path: Path) -> None:
    assert run("keygen").exit_code == 0
    before = keystore_path.read_bytes()
    result = run("keygen")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert "already exists" in result.stderr
    assert "walletsign: hint: " in result.stderr and "pass --force" in result.stderr
    assert keystore_path.read_bytes() == before
    assert run("keygen", "--force").exit_code == 0
    assert keystore_path.read_bytes() != before


def test_import_secret_key_from_argument_and_stdin(run: Any) -> None:
    keypair = X25519KeyPair.from_secret(b"\1" * 32)
    result = run("keygen", "--name", "imp", "--secret-key", keypair.secret_base58())
    assert result.stdout.strip() == str(keypair.public)
    result = run(
        "keygen", "--name", "imp2", "--secret-key", "-", input=keypair.secret_base58() + "\n"
    )
    assert result.stdout.strip() == "C6cUahgsea11j7dTmSFiNydnaPG9kg7yPFagXqerHGnC"


def test_show_secret_only_when_asked(run: Any) -> None:
    secret = X25519KeyPair.from_secret(b"\1" * 32).secret_base58()
    result = run("keygen", "--secret-key", secret, "--show-secret", "--json")
    assert json.loads(result.stdout)["secret_key"] == secret


def test_bad_secret_key_exit_3_names_option(run: Any, keystore_path: Path) -> None:
    result = run("keygen", "--secret-key", "0OIl")
    assert result.exit_code == 3
    assert result.stderr.startswith("walletsign: error: --secret-key is not base58")
    assert not keystore_path.exists()
    result = run("keygen", "--secret-key", base58.encode(b"\1" * 31), "--json")
    assert result.exit_code == 3
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["exit_code"] == 3
    assert "32 bytes" in error["message"]


def test_corrupt_keystore_exit_5_untouched(run: Any, keystore_path: Path) -> None:
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.write_text("{not json")
    keystore_path.chmod(0o600)
    result = run("keygen")
    assert result.exit_code == 5
    assert "not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr
    assert keystore_path.read_text() == "{not json"


def test_bad_name_exit_3(run: Any) -> None:
    result = run("keygen", "--name", "../evil")
    assert result.exit_code == 3
    assert "--name" in result.stderr


def test_usage_error_is_2_and_json_form(run: Any) -> None:
    result = run("keygen", "--bogus")
    assert result.exit_code == 2
    result = run("keygen", "--bogus", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert json.loads(result.stderr)["error"]["type"] == "usage"


def test_version_and_help(run: Any) -> None:
    from walletsign_cli import __version__

    assert run("--version").stdout.strip() == f"walletsign {__version__}"
    result = run("-h")
    assert result.exit_code == 0
    assert "keygen" in result.stdout
    assert "Examples:" in run("keygen", "--help").stdout
