"""The JSON keystore: locate, lock, load, save atomically, refuse unsafe files.

One file, ``{"version": 1, "keys": {}, "sessions": {}, "requests": {}, "wallets": {}}``,
created 0600 inside a 0700 folder (never chmod-ed afterwards), replaced atomically
(temp file in the same folder, fsync, ``os.replace``) while an inter-process lock is held
across the whole read-modify-write. A file that cannot be read, parsed or understood is an
error and is never rewritten.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from walletsign_cli.errors import KeystoreError

VERSION = 1
SECTIONS = ("keys", "sessions", "requests", "wallets")
ENV_PATH = "WALLETSIGN_KEYSTORE"
ENV_LOCK_TIMEOUT = "WALLETSIGN_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 10.0

Data = dict[str, Any]


def default_path() -> Path:
    """``<user data dir>/walletsign/keystore.json`` for this platform."""
    home = Path.home()
    if sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "walletsign" / "keystore.json"


def locate(explicit: str | os.PathLike[str] | None) -> Path:
    """``--keystore`` > ``$WALLETSIGN_KEYSTORE`` > the user data dir."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_PATH)
    return Path(env) if env else default_path()


def empty() -> Data:
    """A new, empty keystore document."""
    return {"version": VERSION, **{section: {} for section in SECTIONS}}


class Keystore:
    """One keystore file. Cheap to construct; touches the disk only when asked."""

    def __init__(self, path: Path, *, lock_timeout: float | None = None) -> None:
        self.path = path
        if lock_timeout is None:
            raw = os.environ.get(ENV_LOCK_TIMEOUT)
            try:
                lock_timeout = float(raw) if raw else DEFAULT_LOCK_TIMEOUT
            except ValueError:
                raise KeystoreError(f"{ENV_LOCK_TIMEOUT} is not a number: {raw!r}") from None
        self.lock_timeout = lock_timeout

    @property
    def lock_path(self) -> Path:
        """The lock file beside the keystore."""
        return self.path.with_name(self.path.name + ".lock")

    # -- reading -------------------------------------------------------------------------

    def load(self) -> Data:
        """The current document (an empty one if the file does not exist yet)."""
        try:
            st = self.path.lstat()
        except FileNotFoundError:
            return empty()
        except OSError as exc:
            raise KeystoreError(f"cannot read keystore {self.path}: {exc.strerror}") from None
        self._check_safe(st)
        try:
            text = self.path.read_bytes()
        except OSError as exc:
            raise KeystoreError(f"cannot read keystore {self.path}: {exc.strerror}") from None
        return self._parse(text)

    def _check_safe(self, st: os.stat_result) -> None:
        import stat

        if stat.S_ISLNK(st.st_mode):
            raise KeystoreError(
                f"keystore {self.path} is a symbolic link; refusing to follow it",
                hint="point --keystore (or WALLETSIGN_KEYSTORE) at the real file",
            )
        if not stat.S_ISREG(st.st_mode):
            raise KeystoreError(f"keystore {self.path} is not a regular file")
        if os.name == "posix" and st.st_mode & 0o077:
            raise KeystoreError(
                f"keystore {self.path} is readable or writable by group or others "
                f"(mode {stat.S_IMODE(st.st_mode):04o})",
                hint=f"chmod 600 {self.path}",
            )

    def _parse(self, text: bytes) -> Data:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise KeystoreError(
                f"keystore {self.path} is not valid JSON; it was left untouched",
                hint="restore it from a backup, or point --keystore at another file",
            ) from None
        if not isinstance(data, dict):
            raise KeystoreError(f"keystore {self.path} is not a JSON object; left untouched")
        version = data.get("version")
        if version != VERSION:
            raise KeystoreError(
                f"keystore {self.path} has version {version!r}; this walletsign reads version "
                f"{VERSION}; it was left untouched",
                hint="upgrade walletsign, or use another --keystore",
            )
        for section in SECTIONS:
            value = data.setdefault(section, {})
            if not isinstance(value, dict):
                raise KeystoreError(f"keystore {self.path}: {section!r} is not an object")
        return data

    # -- writing -------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the inter-process lock (``flock`` on ``<file>.lock``) or exit 5 on timeout."""
        self._ensure_folder()
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise KeystoreError(f"cannot open lock file {self.lock_path}: {exc.strerror}") from None
        try:
            self._acquire(fd)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _acquire(self, fd: int) -> None:
        import fcntl

        deadline = time.monotonic() + self.lock_timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise KeystoreError(
                        f"keystore {self.path} is locked by another walletsign process "
                        f"(waited {self.lock_timeout:g} s)",
                        hint=f"wait for it to finish, or set {ENV_LOCK_TIMEOUT} to wait longer",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Data]:
        """Lock, load, let the caller change the document, then save it if it changed.

        If the block raises, nothing is written.
        """
        with self.lock():
            data = self.load()
            before = json.dumps(data, sort_keys=True)
            yield data
            if json.dumps(data, sort_keys=True) != before:
                self._write(data)

    def _ensure_folder(self) -> None:
        folder = self.path.parent
        if not folder.exists():
            try:
                folder.mkdir(mode=0o700, parents=True)
            except FileExistsError:
                pass
            except OSError as exc:
                raise KeystoreError(f"cannot create folder {folder}: {exc.strerror}") from None

    def _write(self, data: Data) -> None:
        folder = self.path.parent
        payload = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")
        try:
            # mkstemp creates the file 0600 from birth.
            fd, tmp = tempfile.mkstemp(prefix=".keystore-", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise self._write_error(exc) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)  # noqa: PTH105 - the atomic step, spelled as such
        except OSError as exc:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise self._write_error(exc) from None
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _write_error(self, exc: OSError) -> KeystoreError:
        if exc.errno == errno.ENOSPC:
            return KeystoreError(
                f"disk full while saving keystore {self.path}; the previous file is unchanged"
            )
        return KeystoreError(
            f"cannot save keystore {self.path}: {exc.strerror or exc}; "
            "the previous file is unchanged"
        )


# -- typed access to the sections ---------------------------------------------------------

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def check_name(name: str, *, option: str = "--name") -> str:
    """A keystore entry name: 1-64 of ``A-Z a-z 0-9 . _ -``, not starting with ``.`` or ``-``."""
    from walletsign_cli.errors import BadInputError

    if not name or len(name) > 64 or not set(name) <= _NAME_CHARS or name[0] in ".-":
        raise BadInputError(
            f"{option} {name!r} is not a valid name: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return name


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    import datetime as _dt

    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def dapp_keypair(data: Data, name: str, *, option: str = "--key") -> X25519KeyPair:
    """The stored dapp keypair ``name``; exit 5 if there is none."""
    from walletsign_cli.core.box import X25519KeyPair

    entry = data["keys"].get(name)
    if not isinstance(entry, dict) or "secret_key" not in entry:
        known = ", ".join(sorted(data["keys"])) or "none"
        raise KeystoreError(
            f"{option}: no dapp key named {name!r} in the keystore (known: {known})",
            hint="create one with: walletsign keygen --name " + name,
        )
    return X25519KeyPair.from_base58(str(entry["secret_key"]), name=f"stored key {name!r}")


def put_dapp_keypair(data: Data, name: str, keypair: X25519KeyPair) -> None:
    """Store (or replace) the dapp keypair ``name``."""
    data["keys"][name] = {
        "public_key": str(keypair.public),
        "secret_key": keypair.secret_base58(),
        "created_at": now_iso(),
    }


if TYPE_CHECKING:
    from walletsign_cli.core.box import X25519KeyPair
