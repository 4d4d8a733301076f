"""The keystore document as typed entries: what a dapp and a simulated wallet remember.

One module knows the layout of every entry and converts it to and from JSON. The keystore
(``walletsign_cli.keystore``) reads the file, hands the parsed JSON to
:meth:`Document.from_json` once (type errors are found there, naming the field), and writes
:meth:`Document.to_json` back. Everything else works on frozen entries and builds a new
:class:`Document` to change anything, so a plan can be computed without touching the disk.

Values stay text (base58, ISO 8601) as stored; decoding them into keys happens where they
are used (:meth:`KeyEntry.keypair`), and a damaged value there is a keystore problem (exit 5).
Fields this version does not know are kept in ``extra`` and written back unchanged.
"""

from __future__ import annotations

import copy
import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.core.sealing import field_path
from walletsign_cli.errors import BadInputError, KeystoreError

VERSION = 1
SECTIONS = ("keys", "sessions", "requests", "wallets")
_DOCUMENT_FIELDS = frozenset({*SECTIONS, "version"})

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def check_name(name: str, *, option: str = "--name") -> str:
    """A keystore entry name: 1-64 of ``A-Z a-z 0-9 . _ -``, not starting with ``.`` or ``-``."""
    if not name or len(name) > 64 or not set(name) <= _NAME_CHARS or name[0] in ".-":
        raise BadInputError(
            f"{option} {name!r} is not a valid name: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return name


def now_iso() -> str:
    """UTC now, ISO 8601 to the microsecond, so that "most recent" is well defined."""
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")
    return now.replace("+00:00", "Z")


def damaged(exc: BadInputError) -> KeystoreError:
    """A malformed value read back from the keystore is a keystore problem (exit 5)."""
    return KeystoreError(
        f"the keystore holds a damaged value: {exc.message}",
        hint="replace the entry (walletsign keygen --force, or connect again), "
        "or restore the keystore from a backup",
    )


# --- entries ---------------------------------------------------------------------------

E = TypeVar("E", bound="_Entry")
T = TypeVar("T")


@dataclass(frozen=True)
class _Entry:
    """Text fields (``str | None``) plus the unknown ones in ``extra``."""

    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, kw_only=True, repr=False)
    # Fields holding something other than text, with their parser.
    _SPECIAL: ClassVar[Mapping[str, Callable[[Any, str], Any]]] = _EMPTY

    @classmethod
    def from_json(cls: type[E], obj: Any, where: str) -> E:
        """Parse a stored entry; :class:`BadInputError` names the field that is wrong."""
        if not isinstance(obj, dict):
            raise BadInputError(f"{where} is not an object")
        known = {f.name for f in fields(cls)} - {"extra"}
        values: dict[str, Any] = {}
        for key in known & obj.keys():
            value = obj[key]
            parse = cls._SPECIAL.get(key)
            if parse is not None:
                values[key] = parse(value, field_path(where, key))
            elif value is None or isinstance(value, str):
                values[key] = value
            else:
                raise BadInputError(f"{field_path(where, key)} is not a string")
        return cls(**values, extra=_unknown(obj, known))

    def to_json(self) -> dict[str, Any]:
        """The stored form: known fields that are set, then the unknown ones as they were."""
        out: dict[str, Any] = copy.deepcopy(dict(self.extra))
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = _to_json(value)
        return out


def _unknown(obj: dict[str, Any], known: set[str] | frozenset[str]) -> Mapping[str, Any]:
    # Deep copies: nested unknown values must not be shared with the caller's JSON.
    extra = {k: copy.deepcopy(v) for k, v in obj.items() if k not in known}
    return MappingProxyType(extra) if extra else _EMPTY


def _to_json(value: Any) -> Any:
    if isinstance(value, _Entry):
        return value.to_json()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return {k: _to_json(v) for k, v in value.items()}
    return value


def _text_list(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not (isinstance(value, list) and all(isinstance(t, str) for t in value)):
        raise BadInputError(f"{where} is not a list of strings")
    return tuple(value)


@dataclass(frozen=True)
class KeyEntry(_Entry):
    """A dapp's x25519 encryption keypair (``keys.NAME``)."""

    public_key: str | None = None
    secret_key: str | None = None
    created_at: str | None = None

    @classmethod
    def of(cls, keypair: X25519KeyPair, created_at: str) -> KeyEntry:
        """The entry storing ``keypair``."""
        return cls(str(keypair.public), keypair.secret_base58(), created_at)

    def keypair(self, name: str) -> X25519KeyPair:
        """The keypair; exit 5 (damaged) when the stored secret is not one."""
        try:
            return X25519KeyPair.from_base58(self.secret_key or "", name=f"stored key {name!r}")
        except BadInputError as exc:
            raise damaged(exc) from None


@dataclass(frozen=True)
class SessionEntry(_Entry):
    """A connected session, saved from a wallet's connect answer (``sessions.NAME``)."""

    wallet: str | None = None
    base_url: str | None = None
    dapp_key: str | None = None
    dapp_public_key: str | None = None
    wallet_encryption_public_key: str | None = None
    public_key: str | None = None
    session: str | None = None
    cluster: str | None = None
    app_url: str | None = None
    redirect_link: str | None = None
    created_at: str | None = None

    REQUIRED: ClassVar[tuple[str, ...]] = (
        "dapp_key",
        "wallet_encryption_public_key",
        "public_key",
        "session",
    )

    def missing(self) -> list[str]:
        """The fields a request in this session needs and that are not stored."""
        return [name for name in self.REQUIRED if getattr(self, name) is None]


@dataclass(frozen=True)
class PendingRequest(_Entry):
    """A request walletsign built, remembered to match the wallet's answer (``requests.ID``).

    Encrypted requests are stored under their nonce; connect requests under
    ``connect:<dapp public key>:<wallet>``.
    """

    method: str | None = None
    session_name: str | None = None
    wallet: str | None = None
    redirect_link: str | None = None
    created_at: str | None = None
    answered_at: str | None = None
    dapp_key: str | None = None
    dapp_public_key: str | None = None
    base_url: str | None = None
    app_url: str | None = None
    cluster: str | None = None
    message: str | None = None
    display: str | None = None
    transactions: tuple[str, ...] | None = None
    send_options: str | None = None  # signAndSendTransaction's sendOptions, compact JSON

    _SPECIAL: ClassVar[Mapping[str, Callable[[Any, str], Any]]] = MappingProxyType(
        {"transactions": _text_list}
    )

    def answered(self, at: str, **changes: Any) -> PendingRequest:
        """This request marked as answered (the first answer's time is kept)."""
        return replace(self, answered_at=self.answered_at or at, **changes)


@dataclass(frozen=True)
class WalletDapp(_Entry):
    """What a simulated wallet keeps per connected dapp key (``wallets.NAME.dapps.PK``)."""

    secret_key: str | None = None
    session: str | None = None
    app_url: str | None = None
    cluster: str | None = None
    created_at: str | None = None


def _dapps(value: Any, where: str) -> Mapping[str, WalletDapp]:
    if value is None:
        return _EMPTY
    if not isinstance(value, dict):
        raise BadInputError(f"{where} is not an object")
    return MappingProxyType(
        {pk: WalletDapp.from_json(entry, field_path(where, pk)) for pk, entry in value.items()}
    )


@dataclass(frozen=True)
class WalletEntry(_Entry):
    """A simulated wallet: its account key and the dapps it is connected to."""

    account_secret_key: str | None = None
    account_public_key: str | None = None
    created_at: str | None = None
    dapps: Mapping[str, WalletDapp] = field(default_factory=lambda: _EMPTY)

    _SPECIAL: ClassVar[Mapping[str, Callable[[Any, str], Any]]] = MappingProxyType(
        {"dapps": _dapps}
    )

    def with_dapp(self, dapp_public_key: str, entry: WalletDapp) -> WalletEntry:
        """This wallet with ``dapps[dapp_public_key]`` set."""
        return replace(self, dapps=_put(self.dapps, dapp_public_key, entry))

    def without_dapp(self, dapp_public_key: str) -> WalletEntry:
        """This wallet without ``dapps[dapp_public_key]``."""
        return replace(self, dapps=_drop(self.dapps, dapp_public_key))

    def to_json(self) -> dict[str, Any]:
        """As stored; ``dapps`` is always written (an empty object when there is none)."""
        out = super().to_json()
        out["dapps"] = _to_json(self.dapps)
        return out


# --- the document ----------------------------------------------------------------------


def _section(value: Any, name: str, cls: type[E]) -> Mapping[str, E]:
    if value is None:
        return _EMPTY
    if not isinstance(value, dict):
        raise BadInputError(f"{name!r} is not an object")
    return MappingProxyType(
        {key: cls.from_json(entry, field_path(name, key)) for key, entry in value.items()}
    )


@dataclass(frozen=True)
class Document:
    """The whole keystore: four sections of typed entries. Frozen: change by ``replace``."""

    keys: Mapping[str, KeyEntry] = field(default_factory=lambda: _EMPTY)
    sessions: Mapping[str, SessionEntry] = field(default_factory=lambda: _EMPTY)
    requests: Mapping[str, PendingRequest] = field(default_factory=lambda: _EMPTY)
    wallets: Mapping[str, WalletEntry] = field(default_factory=lambda: _EMPTY)
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Document:
        """Parse the stored document (secrets already opened); :class:`BadInputError` names
        the first field that is wrong. The version must be :data:`VERSION`."""
        if not isinstance(data, dict):
            raise BadInputError("the document is not a JSON object")
        return cls(
            keys=_section(data.get("keys"), "keys", KeyEntry),
            sessions=_section(data.get("sessions"), "sessions", SessionEntry),
            requests=_section(data.get("requests"), "requests", PendingRequest),
            wallets=_section(data.get("wallets"), "wallets", WalletEntry),
            extra=_unknown(data, _DOCUMENT_FIELDS),
        )

    def to_json(self) -> dict[str, Any]:
        """The stored form (before sealing)."""
        return {
            **copy.deepcopy(dict(self.extra)),
            "version": VERSION,
            "keys": _to_json(self.keys),
            "sessions": _to_json(self.sessions),
            "requests": _to_json(self.requests),
            "wallets": _to_json(self.wallets),
        }

    # Functional updates: each returns a new document.

    def with_key(self, name: str, entry: KeyEntry) -> Document:
        """This document with ``keys[name]`` set."""
        return replace(self, keys=_put(self.keys, name, entry))

    def with_session(self, name: str, entry: SessionEntry) -> Document:
        """This document with ``sessions[name]`` set."""
        return replace(self, sessions=_put(self.sessions, name, entry))

    def without_session(self, name: str) -> Document:
        """This document without ``sessions[name]``."""
        return replace(self, sessions=_drop(self.sessions, name))

    def with_request(self, request_id: str, entry: PendingRequest) -> Document:
        """This document with ``requests[request_id]`` set."""
        return replace(self, requests=_put(self.requests, request_id, entry))

    def with_wallet(self, name: str, entry: WalletEntry) -> Document:
        """This document with ``wallets[name]`` set."""
        return replace(self, wallets=_put(self.wallets, name, entry))

    # Look-ups that fail the way the commands need (exit 5, naming what is known).

    def dapp_keypair(self, name: str, *, option: str = "--key") -> X25519KeyPair:
        """The stored dapp keypair ``name``; exit 5 if there is none or it is damaged."""
        entry = self.keys.get(name)
        if entry is None or entry.secret_key is None:
            known = ", ".join(sorted(self.keys)) or "none"
            raise KeystoreError(
                f"{option}: no dapp key named {name!r} in the keystore (known: {known})",
                hint="create one with: walletsign keygen --name " + name,
            )
        return entry.keypair(name)


def _put(section: Mapping[str, T], name: str, entry: T) -> Mapping[str, T]:
    return MappingProxyType({**section, name: entry})


def _drop(section: Mapping[str, T], name: str) -> Mapping[str, T]:
    return MappingProxyType({k: v for k, v in section.items() if k != name})
