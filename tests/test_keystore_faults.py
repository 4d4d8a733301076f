"""Keystore faults: a writer killed mid-write, a full disk, a held lock, unsafe files, leftovers."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import keystore as store_at
from tests.helpers import raw_transaction
from walletsign_cli.errors import KeystoreError
from walletsign_cli.keystore import Keystore

# A writer that loops read-modify-write transactions, printing each counter once it is saved.
# The padding varies in size so that a torn or truncated write could never parse.
WRITER = """
import os
import sys
from pathlib import Path
from tests.helpers import raw_transaction
from walletsign_cli.keystore import Keystore

store = Keystore(Path(sys.argv[1]), passphrase=os.environb.get(b"WALLETSIGN_PASSPHRASE"))
while True:
    with raw_transaction(store) as data:
        entry = data["keys"].get("counter") or {"n": 0}
        n = entry["n"] + 1
        pad = "x" * (20000 + 997 * (n % 50))
        data["keys"]["counter"] = {"n": n, "secret_key": "s%d" % n, "pad": pad}
    print(n, flush=True)
"""


def _counter(path: Path, passphrase: str | None) -> int:
    data = store_at(path, passphrase).load().to_json()
    entry = data["keys"].get("counter")
    if entry is None:
        return 0
    assert entry["secret_key"] == f"s{entry['n']}"  # the sealed value opened to its own state
    return int(entry["n"])


@pytest.mark.parametrize("passphrase", [None, "kill -9 passphrase"])
def test_sigkill_at_random_points_leaves_old_or_new_state(
    keystore_path: Path, passphrase: str | None
) -> None:
    env = dict(os.environ)
    if passphrase:
        env["WALLETSIGN_PASSPHRASE"] = passphrase
    rng = random.Random(8)
    writes = kills = torn = 0
    # Normally done in 2-5 s; the bound only stops a broken writer from looping forever, so
    # it leaves a loaded CI machine plenty of room to reach the counts.
    deadline = time.monotonic() + 90
    while (writes < 300 or kills < 15 or not torn) and time.monotonic() < deadline:
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(keystore_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # the child is writing now
        assert first, child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0, 0.04))
        child.send_signal(signal.SIGKILL)
        # Read the rest through the same buffered reader as the first line: communicate()
        # reads the pipe's descriptor directly and would lose lines readline() buffered.
        rest = child.stdout.read()
        child.wait(timeout=10)
        if child.stderr is not None:
            child.stderr.close()
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        printed = [int(n) for n in (first + rest).split()]
        # Whatever it was doing when killed, the file holds the last confirmed state or the
        # one after it, never a torn mix, and it still parses.
        on_disk = _counter(keystore_path, passphrase)
        assert printed[-1] <= on_disk <= printed[-1] + 1, (printed[-3:], on_disk)
        writes = on_disk
        kills += 1
        # A leftover temp file or an unconfirmed save means the kill landed inside a write.
        left = any(p.suffix == ".tmp" for p in keystore_path.parent.iterdir())
        torn += left or on_disk > printed[-1]
    stats = f"{writes} writes, {kills} kills, {torn} inside a write"
    assert writes >= 300, stats
    assert kills >= 15, stats
    assert torn >= 1, stats  # otherwise the test never hit the window it is about
    assert store_at(keystore_path, passphrase).is_encrypted() == bool(passphrase)
    # The leftovers of killed writers are swept by the next transaction.
    with raw_transaction(store_at(keystore_path, passphrase)) as data:
        data["keys"]["after"] = {"public_key": "x"}
    leftovers = [p.name for p in keystore_path.parent.iterdir() if p.suffix == ".tmp"]
    assert leftovers == []


# -- a full disk ---------------------------------------------------------------------------


@pytest.fixture
def saved(keystore_path: Path) -> Iterator[bytes]:
    with raw_transaction(Keystore(keystore_path)) as data:
        data["keys"]["old"] = {"public_key": "1"}
    yield keystore_path.read_bytes()


def _enospc(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_full_disk_leaves_the_old_file(
    keystore_path: Path, saved: bytes, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    monkeypatch.setattr(os, call, _enospc)
    with (
        pytest.raises(KeystoreError, match="disk full") as info,
        raw_transaction(Keystore(keystore_path)) as data,
    ):
        data["keys"]["new"] = {"public_key": "2"}
    assert info.value.hint == "free some space and run the command again"
    monkeypatch.undo()
    assert keystore_path.read_bytes() == saved
    assert [p.name for p in keystore_path.parent.iterdir() if p.suffix == ".tmp"] == []


@pytest.mark.parametrize("call", ["write", "fsync"])
@pytest.mark.parametrize("as_json", [False, True])
def test_full_disk_exits_5_through_the_cli(
    run: Any,
    keystore_path: Path,
    saved: bytes,
    monkeypatch: pytest.MonkeyPatch,
    call: str,
    as_json: bool,
) -> None:
    monkeypatch.setattr(os, call, _enospc)
    result = run("keygen", "--name", "new", *(["--json"] if as_json else []))
    monkeypatch.undo()
    assert result.exit_code == 5
    assert result.stdout == ""
    if as_json:
        error = json.loads(result.stderr)["error"]
        assert error["exit_code"] == 5
        assert "disk full" in error["message"]
    else:
        assert result.stderr.startswith("walletsign: error: disk full while saving keystore")
        assert "walletsign: hint: free some space" in result.stderr
    assert keystore_path.read_bytes() == saved


def test_full_disk_when_creating_the_temp_file(
    keystore_path: Path, saved: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "mkstemp", _enospc)
    with (
        pytest.raises(KeystoreError, match="disk full"),
        raw_transaction(Keystore(keystore_path)) as data,
    ):
        data["keys"]["new"] = {"public_key": "2"}
    assert keystore_path.read_bytes() == saved


# -- a lock held too long ------------------------------------------------------------------

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


def test_lock_held_by_another_process_times_out_with_exit_5(
    run: Any, keystore_path: Path, saved: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(keystore_path) + ".lock"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setenv("WALLETSIGN_LOCK_TIMEOUT", "0.3")
        started = time.monotonic()
        result = run("keygen", "--name", "waiting")
        elapsed = time.monotonic() - started
        assert result.exit_code == 5
        assert 0.3 <= elapsed < 5
        assert result.stdout == ""
        assert "is locked by another walletsign process (waited 0.3 s)" in result.stderr
        assert "hint: wait for it to finish, or set WALLETSIGN_LOCK_TIMEOUT" in result.stderr
        assert keystore_path.read_bytes() == saved
        # Reading needs no lock: a read-only command still works meanwhile.
        listed = run("keystore", "list", "--json")
        assert listed.exit_code == 0, listed.stderr
        assert [k["name"] for k in json.loads(listed.stdout)["keys"]] == ["old"]
    finally:
        holder.kill()
        holder.communicate()  # reaps it and closes its pipe
    assert run("keygen", "--name", "waiting").exit_code == 0


@pytest.mark.parametrize("value", ["soon", "nan", "inf", "-1"])
def test_bad_lock_timeout_is_refused(run: Any, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WALLETSIGN_LOCK_TIMEOUT", value)
    result = run("keygen")
    assert result.exit_code == 5
    assert f"WALLETSIGN_LOCK_TIMEOUT is not a number of seconds: {value!r}" in result.stderr


# -- unsafe files --------------------------------------------------------------------------


def test_symlinked_keystore_is_refused_with_hint(
    run: Any, keystore_path: Path, tmp_path: Path
) -> None:
    real = tmp_path / "real.json"
    real.write_text(json.dumps({"version": 1}))
    real.chmod(0o600)
    before = real.read_bytes()
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.symlink_to(real)
    for args in (["keygen"], ["keystore", "list"]):
        result = run(*args)
        assert result.exit_code == 5, args
        assert result.stdout == ""
        assert "is a symbolic link; refusing to follow it" in result.stderr
        assert "walletsign: hint: point --keystore" in result.stderr
    assert real.read_bytes() == before
    assert keystore_path.is_symlink()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_group_or_world_readable_keystore_is_refused_with_hint(
    run: Any, keystore_path: Path, saved: bytes, mode: int
) -> None:
    keystore_path.chmod(mode)
    for args in (["keygen", "--name", "x"], ["keystore", "list"]):
        result = run(*args)
        assert result.exit_code == 5, args
        assert f"(mode {mode:04o})" in result.stderr
        assert f"walletsign: hint: chmod 600 {keystore_path}" in result.stderr
    assert keystore_path.read_bytes() == saved
    assert keystore_path.stat().st_mode & 0o777 == mode  # never chmod-ed behind the user's back


def test_fifo_at_the_keystore_path_does_not_hang(run: Any, keystore_path: Path) -> None:
    keystore_path.parent.mkdir(mode=0o700)
    os.mkfifo(keystore_path, 0o600)
    result = run("keystore", "list")
    assert result.exit_code == 5
    assert "is not a regular file" in result.stderr


def test_deeply_nested_keystore_is_corrupt_not_a_crash(run: Any, keystore_path: Path) -> None:
    keystore_path.parent.mkdir(mode=0o700)
    content = b'{"version": 1, "keys": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    keystore_path.write_bytes(content)
    keystore_path.chmod(0o600)
    result = run("keygen")
    assert result.exit_code == 5
    assert "is not valid JSON; it was left untouched" in result.stderr
    assert keystore_path.read_bytes() == content


@pytest.mark.parametrize(
    ("path", "junk"),
    [
        (("sessions", "phantom"), "not an object"),
        (("keys", "default"), ["a", "list"]),
        (("requests", "N"), 5),
        (("wallets", "sim"), None),
        (("wallets", "sim", "dapps"), "x"),
        (("wallets", "sim", "dapps", "PK"), 1),
    ],
)
def test_entries_of_the_wrong_type_are_a_keystore_error(
    run: Any, keystore_path: Path, path: tuple[str, ...], junk: Any
) -> None:
    document: dict[str, Any] = {"version": 1, "wallets": {"sim": {"dapps": {}}}}
    node = document
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = junk
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.write_text(json.dumps(document))
    keystore_path.chmod(0o600)
    before = keystore_path.read_bytes()
    for args in (["keygen", "--name", "n"], ["keystore", "list"]):
        result = run(*args)
        assert result.exit_code == 5, result.stderr
        assert f"{'.'.join(path)} is not an object" in result.stderr
    assert keystore_path.read_bytes() == before


# -- leftovers of a killed writer ----------------------------------------------------------


def test_stale_temp_files_are_swept_and_harmless(
    run: Any, keystore_path: Path, saved: bytes
) -> None:
    folder = keystore_path.parent
    stale = folder / ".keystore.json-k1ll3d_x.tmp"
    stale.write_bytes(b'{"version": 1, "torn')
    other = folder / ".other.json-abcdefgh.tmp"  # another keystore's writer, maybe alive
    other.write_bytes(b"in progress")
    assert run("keystore", "list").exit_code == 0  # reading ignores it
    assert stale.exists()
    result = run("keygen", "--name", "fresh")
    assert result.exit_code == 0, result.stderr
    assert not stale.exists()
    assert other.read_bytes() == b"in progress"
    assert sorted(json.loads(keystore_path.read_text())["keys"]) == ["fresh", "old"]


def test_lone_surrogates_are_refused_on_read_and_write(run: Any, keystore_path: Path) -> None:
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.write_text('{"version": 1, "keys": {"k": {"public_key": "\\udce5"}}}')
    keystore_path.chmod(0o600)
    before = keystore_path.read_bytes()
    result = run("keystore", "list", "--json")
    assert result.exit_code == 5
    assert "not valid Unicode" in json.loads(result.stderr)["error"]["message"]
    assert keystore_path.read_bytes() == before
    keystore_path.unlink()
    with (
        pytest.raises(KeystoreError, match="not valid Unicode"),
        raw_transaction(Keystore(keystore_path)) as data,
    ):
        data["keys"]["k"] = {"public_key": "\udce5"}
    assert not keystore_path.exists()


@pytest.mark.parametrize(
    ("section", "entry", "where"),
    [
        ("sessions", {"wallet": ["phantom"]}, "sessions.s.wallet is not a string"),
        ("keys", {"secret_key": 5}, "keys.s.secret_key is not a string"),
        ("requests", {"transactions": "x"}, "requests.s.transactions is not a list of strings"),
        ("wallets", {"dapps": {"P": {"session": {}}}}, "wallets.s.dapps.P.session is not a"),
    ],
)
def test_text_fields_of_the_wrong_type_are_a_keystore_error(
    run: Any, keystore_path: Path, section: str, entry: dict[str, Any], where: str
) -> None:
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.write_text(json.dumps({"version": 1, section: {"s": entry}}))
    keystore_path.chmod(0o600)
    # Any command that opens the keystore finds it: the document is validated once, on load.
    result = run("keygen", "--name", "other")
    assert result.exit_code == 5
    assert where in result.stderr


def test_a_null_text_field_is_fine(keystore_path: Path) -> None:
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.write_text(json.dumps({"version": 1, "requests": {"n": {"session_name": None}}}))
    keystore_path.chmod(0o600)
    assert Keystore(keystore_path).load().requests["n"].session_name is None
