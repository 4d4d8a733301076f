"""The JSON keystore: locate, lock, load, save atomically, refuse unsafe files.

One file, ``{"version": 1, "keys": {}, "sessions": {}, "requests": {}, "wallets": {}}``,
created 0600 inside a 0700 folder (never chmod-ed afterwards), replaced atomically
(temp file in the same folder, fsync, ``os.replace``) while an inter-process lock is held
across the whole read-modify-write. A file that cannot be read, parsed or understood is an
error and is never rewritten.

With a passphrase (``WALLETSIGN_PASSPHRASE`` or ``--passphrase-file``) the secret fields are
sealed at rest (:mod:`walletsign_cli.core.sealing`): :meth:`Keystore.load` opens them and
:meth:`Keystore._write` seals them, so no other module ever sees ciphertext.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from walletsign_cli.core import sealing
from walletsign_cli.core.encoding import MAX_JSON_DEPTH, too_deep
from walletsign_cli.core.sealing import Sealer
from walletsign_cli.errors import BadInputError, DecryptionError, KeystoreError
from walletsign_cli.protocols.state import VERSION, Document

ENV_PATH = "WALLETSIGN_KEYSTORE"
ENV_LOCK_TIMEOUT = "WALLETSIGN_LOCK_TIMEOUT"
ENV_PASSPHRASE = "WALLETSIGN_PASSPHRASE"
DEFAULT_LOCK_TIMEOUT = 10.0
HEADER = "encryption"
PASSPHRASE_HINT = f"set {ENV_PASSPHRASE} or pass --passphrase-file PATH (before the subcommand)"


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


class Keystore:
    """One keystore file. Cheap to construct; touches the disk only when asked.

    ``passphrase`` opens an encrypted file and makes every write seal the secrets. Nothing
    here reads the environment: the CLI resolves ``$WALLETSIGN_PASSPHRASE`` and
    ``$WALLETSIGN_LOCK_TIMEOUT`` (the ``ENV_*`` names below) and passes them in.
    """

    def __init__(
        self,
        path: Path,
        *,
        passphrase: bytes | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._passphrase = passphrase or None

    def __repr__(self) -> str:
        return f"Keystore({str(self.path)!r})"  # never the passphrase

    @property
    def lock_path(self) -> Path:
        """The lock file beside the keystore."""
        return self.path.with_name(self.path.name + ".lock")

    # -- reading -------------------------------------------------------------------------

    def load(self) -> Document:
        """The current document, secrets opened (an empty one if the file does not exist yet)."""
        return self._read()[0]

    def load_redacted(self) -> Document:
        """The current document without any secret field; needs no passphrase."""
        raw = self._read_raw()
        if raw is None:
            return Document()
        raw.pop(HEADER, None)
        return self._typed(sealing.redact_document(raw))

    def is_encrypted(self) -> bool:
        """Whether the file on disk has its secrets sealed under a passphrase."""
        raw = self._read_raw()
        return raw is not None and HEADER in raw

    def _read_raw(self) -> dict[str, Any] | None:
        """The parsed file as stored (``None`` if it does not exist), after the safety checks."""
        try:
            # O_NONBLOCK: a FIFO planted at the path must not hang us (fstat refuses it below).
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self._check_safe(self.path.lstat())
            raise KeystoreError(f"cannot read keystore {self.path}: {exc.strerror}") from None
        try:
            self._check_safe(os.fstat(fd))
            with os.fdopen(fd, "rb", closefd=False) as handle:
                text = handle.read()
        except OSError as exc:
            if isinstance(exc, KeystoreError):
                raise
            raise KeystoreError(f"cannot read keystore {self.path}: {exc.strerror}") from None
        finally:
            os.close(fd)
        return self._parse(text)

    def _read(self) -> tuple[Document, Sealer | None]:
        """The document with its secrets opened, and the sealer of the file (if encrypted)."""
        raw = self._read_raw()
        if raw is None:
            return Document(), None
        header = raw.pop(HEADER, None)
        sealer = None
        if header is not None:
            if not self._passphrase:
                raise KeystoreError(
                    f"keystore {self.path} is encrypted and no passphrase was given",
                    hint=PASSPHRASE_HINT,
                )
            try:
                sealer = sealing.unlock(self._passphrase, header)
            except DecryptionError:
                raise KeystoreError(
                    f"wrong passphrase for keystore {self.path}; nothing was changed",
                    hint=f"check {ENV_PASSPHRASE} or the --passphrase-file",
                ) from None
            except BadInputError as exc:
                raise KeystoreError(
                    f"keystore {self.path}: bad 'encryption' header: {exc.message}; "
                    "it was left untouched"
                ) from None
        try:
            opened = sealing.open_document(raw, sealer)
        except BadInputError as exc:
            raise KeystoreError(
                f"keystore {self.path}: {exc.message}; it was left untouched",
                hint="restore it from a backup, or point --keystore at another file",
            ) from None
        return self._typed(opened), sealer

    def _typed(self, data: dict[str, Any]) -> Document:
        """The one validation of the document's layout: every entry and field typed."""
        try:
            return Document.from_json(data)
        except BadInputError as exc:
            raise KeystoreError(
                f"keystore {self.path}: {exc.message}; it was left untouched",
                hint="restore it from a backup, or remove that entry by hand",
            ) from None

    def _check_safe(self, st: os.stat_result) -> None:
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

    def _parse(self, text: bytes) -> dict[str, Any]:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise KeystoreError(
                f"keystore {self.path} is not valid JSON; it was left untouched",
                hint="restore it from a backup, or point --keystore at another file",
            ) from None
        if too_deep(data):
            raise KeystoreError(
                f"keystore {self.path} nests deeper than {MAX_JSON_DEPTH} levels; "
                "it was left untouched",
                hint="restore it from a backup, or point --keystore at another file",
            )
        if not isinstance(data, dict):
            raise KeystoreError(f"keystore {self.path} is not a JSON object; left untouched")
        if not _is_unicode(data):
            raise KeystoreError(
                f"keystore {self.path} holds a string that is not valid Unicode "
                "(a lone surrogate escape); it was left untouched",
                hint="restore it from a backup, or point --keystore at another file",
            )
        version = data.get("version")
        if version != VERSION:
            raise KeystoreError(
                f"keystore {self.path} has version {version!r}; this walletsign reads version "
                f"{VERSION}; it was left untouched",
                hint="upgrade walletsign, or use another --keystore",
            )
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
    def transaction(self) -> Iterator[Transaction]:
        """Lock, read once, let the caller replace ``txn.document``, then save it if it changed.

        If the block raises, nothing is written. An encrypted file stays encrypted; a new or
        plaintext file is sealed from this write on when a passphrase was given.
        """
        with self.lock():
            self._remove_stale_temps()
            document, sealer = self._read()
            txn = Transaction(document)
            yield txn
            if txn.document != document:
                self._write(txn.document, sealer or self._new_sealer())

    def convert(self, *, encrypt: bool) -> bool:
        """Rewrite the file in place with its secrets sealed (or opened); True if it changed.

        Encrypting needs the passphrase; decrypting needs it too, to open the secrets.
        """
        if encrypt and not self._passphrase:
            raise KeystoreError("no passphrase was given to encrypt with", hint=PASSPHRASE_HINT)
        with self.lock():
            self._remove_stale_temps()
            data, sealer = self._read()
            exists = self.path.exists()
            if (not exists and not encrypt) or (exists and (sealer is not None) == encrypt):
                return False
            self._write(data, self._new_sealer() if encrypt else None)
            return True

    def _new_sealer(self) -> Sealer | None:
        if not self._passphrase:
            return None
        return sealing.derive(self._passphrase, sealing.KdfParams.generate())

    def _ensure_folder(self) -> None:
        folder = self.path.parent
        if not folder.exists():
            try:
                folder.mkdir(mode=0o700, parents=True)
            except FileExistsError:
                pass
            except OSError as exc:
                raise KeystoreError(f"cannot create folder {folder}: {exc.strerror}") from None

    @property
    def _temp_prefix(self) -> str:
        return f".{self.path.name}-"

    def _remove_stale_temps(self) -> None:
        """Delete temp files a killed writer left behind (safe: we hold the lock)."""
        # mkstemp's random part is 8 characters of [a-z0-9_]; matching it exactly keeps the
        # temp files of another keystore in the same folder out of reach.
        pattern = re.compile(re.escape(self._temp_prefix) + r"[a-z0-9_]{8}\.tmp")
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)  # noqa: PTH108 - a DirEntry path

    def _write(self, data: Document, sealer: Sealer | None = None) -> None:
        document = data.to_json()
        if sealer is not None:
            document = {HEADER: sealer.header(), **sealing.seal_document(document, sealer)}
        if not _is_unicode(document):
            # Saved, it would make every later command fail; refuse it now instead.
            raise KeystoreError(
                f"cannot save keystore {self.path}: a value is not valid Unicode text; "
                "the previous file is unchanged"
            )
        payload = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("ascii")
        folder = self.path.parent
        try:
            # mkstemp creates the file 0600 from birth.
            fd, tmp = tempfile.mkstemp(prefix=self._temp_prefix, suffix=".tmp", dir=folder)
        except OSError as exc:
            raise self._write_error(exc) from None
        try:
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
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
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return KeystoreError(
                f"disk full while saving keystore {self.path}; the previous file is unchanged",
                hint="free some space and run the command again",
            )
        return KeystoreError(
            f"cannot save keystore {self.path}: {exc.strerror or exc}; "
            "the previous file is unchanged"
        )


def _is_unicode(document: Any) -> bool:
    """False when a string in ``document`` holds a lone surrogate (no output can encode it)."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Transaction:
    """The document of one :meth:`Keystore.transaction`: replace ``document`` to save it."""

    def __init__(self, document: Document) -> None:
        self.document = document
