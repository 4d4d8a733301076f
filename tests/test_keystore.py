"""The keystore: modes from birth, atomic writes, locking, refusing unsafe or corrupt files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import raw_transaction
from walletsign_cli.errors import KeystoreError
from walletsign_cli.keystore import Keystore, Transaction, locate
from walletsign_cli.protocols.state import Document, KeyEntry, SessionEntry


def test_locate_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLETSIGN_KEYSTORE", str(tmp_path / "env.json"))
    assert locate(str(tmp_path / "flag.json")) == tmp_path / "flag.json"
    assert locate(None) == tmp_path / "env.json"
    monkeypatch.delenv("WALLETSIGN_KEYSTORE")
    assert locate(None) == Path(os.environ["XDG_DATA_HOME"]) / "walletsign" / "keystore.json"


def test_created_0600_in_0700_folder(keystore_path: Path) -> None:
    store = Keystore(keystore_path)
    with raw_transaction(store) as data:
        data["keys"]["a"] = {"public_key": "x"}
    assert stat.S_IMODE(keystore_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keystore_path.parent.stat().st_mode) == 0o700
    assert json.loads(keystore_path.read_text())["version"] == 1


def test_missing_file_reads_empty_and_is_not_created(keystore_path: Path) -> None:
    assert Keystore(keystore_path).load() == Document()
    assert not keystore_path.exists()


@pytest.mark.parametrize(
    "content", [b"{not json", b"[]", b'{"version": 2}', b"\xff\xfe", b'{"version":1,"keys":[]}']
)
def test_bad_file_is_error_and_untouched(keystore_path: Path, content: bytes) -> None:
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.write_bytes(content)
    keystore_path.chmod(0o600)
    store = Keystore(keystore_path)
    with pytest.raises(KeystoreError), raw_transaction(store) as data:
        data["keys"]["x"] = {}
    assert keystore_path.read_bytes() == content


def test_group_readable_is_refused_with_hint(keystore_path: Path) -> None:
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.write_text(json.dumps(Document().to_json()))
    keystore_path.chmod(0o644)
    with pytest.raises(KeystoreError) as info:
        Keystore(keystore_path).load().to_json()
    assert info.value.hint == f"chmod 600 {keystore_path}"


def test_symlink_is_refused(keystore_path: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text(json.dumps(Document().to_json()))
    real.chmod(0o600)
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.symlink_to(real)
    with pytest.raises(KeystoreError, match="symbolic link"):
        Keystore(keystore_path).load().to_json()


def test_failed_replace_leaves_old_file(
    keystore_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Keystore(keystore_path)
    with raw_transaction(store) as data:
        data["keys"]["old"] = {"public_key": "1"}
    before = keystore_path.read_bytes()

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeystoreError, match="disk full"), raw_transaction(store) as data:
        data["keys"]["new"] = {"public_key": "2"}
    assert keystore_path.read_bytes() == before
    assert [p.name for p in keystore_path.parent.iterdir() if p.suffix == ".tmp"] == []


def test_exception_inside_transaction_writes_nothing(keystore_path: Path) -> None:
    store = Keystore(keystore_path)
    with pytest.raises(RuntimeError), raw_transaction(store) as data:
        data["keys"]["x"] = {}
        raise RuntimeError
    assert not keystore_path.exists()


def test_typed_transaction_saves_the_replaced_document(keystore_path: Path) -> None:
    store = Keystore(keystore_path)
    entry = SessionEntry(wallet="phantom", public_key="ACCOUNT")
    with store.transaction() as txn:
        assert isinstance(txn, Transaction)
        assert txn.document == Document()
        txn.document = txn.document.with_session("s", entry)
    assert store.load().sessions == {"s": entry}
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.document = txn.document.without_session("s")
        raise RuntimeError
    assert store.load().sessions == {"s": entry}


def test_unchanged_document_is_not_written(keystore_path: Path) -> None:
    store = Keystore(keystore_path)
    with store.transaction() as txn:
        txn.document = txn.document.without_session("nothing")
    assert not keystore_path.exists()  # an empty plan creates no file
    with store.transaction() as txn:
        txn.document = txn.document.with_key("k", KeyEntry(public_key="P"))
    before = keystore_path.stat()
    with store.transaction() as txn:
        txn.document = txn.document.with_key("k", KeyEntry(public_key="P"))  # equal: no write
    after = keystore_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_lock_timeout_is_keystore_error(keystore_path: Path) -> None:
    store = Keystore(keystore_path, lock_timeout=0.2)
    with store.lock():
        holder = Keystore(keystore_path, lock_timeout=0.2)
        with pytest.raises(KeystoreError, match="locked by another"), holder.lock():
            pass


def test_twenty_concurrent_writers_lose_nothing(keystore_path: Path) -> None:
    env = {**os.environ, "WALLETSIGN_KEYSTORE": str(keystore_path), "WALLETSIGN_LOCK_TIMEOUT": "60"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "walletsign_cli", "keygen", "--name", f"k{i}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(20)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    keys = json.loads(keystore_path.read_text())["keys"]
    assert sorted(keys) == sorted(f"k{i}" for i in range(20))


def test_the_cli_reads_the_variables_the_keystore_names() -> None:
    from walletsign_cli import keystore
    from walletsign_cli.cli import context

    assert context.ENV_PASSPHRASE == keystore.ENV_PASSPHRASE
    assert context.ENV_LOCK_TIMEOUT == keystore.ENV_LOCK_TIMEOUT
    assert context.DEFAULT_LOCK_TIMEOUT == keystore.DEFAULT_LOCK_TIMEOUT
