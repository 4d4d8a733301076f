"""Keystore secrets sealed under a passphrase: argon2id once, then XSalsa20-Poly1305 per value.

Only the values of the fields named in :data:`SECRET_FIELDS` are sealed, wherever they sit in
the document, so names, public keys and timestamps stay readable (``keystore list`` works
without the passphrase). Each sealed value is ``"enc:v1:" + base64(nonce ‖ tag ‖ ciphertext)``
of the value's JSON text. The header (salt, limits) lives in the file beside a sealed
constant, so a wrong passphrase is told apart from a damaged value.

What this protects: the confidentiality of the secrets in a copied or backed-up file. What it
does not: the integrity of the unsealed fields, or a process that already holds the passphrase.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nacl.exceptions
import nacl.secret
import nacl.utils
from nacl.pwhash import argon2id

from walletsign_cli.errors import BadInputError, DecryptionError

SECRET_FIELDS = frozenset({"secret_key", "account_secret_key", "session"})
"""Keys whose values are secret, at any depth of the keystore document."""

PREFIX = "enc:v1:"
KDF = "argon2id"
CIPHER = "xsalsa20poly1305"
OPSLIMIT = argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = argon2id.MEMLIMIT_INTERACTIVE
# A file may ask for more, up to libsodium's "sensitive" level; beyond that it is refused
# rather than letting a crafted header pin gigabytes of memory.
_MAX_OPSLIMIT = argon2id.OPSLIMIT_SENSITIVE
_MAX_MEMLIMIT = argon2id.MEMLIMIT_SENSITIVE
_CHECK = "walletsign keystore passphrase check v1"


@dataclass(frozen=True)
class KdfParams:
    """The argon2id parameters stored in the keystore header."""

    salt: bytes
    opslimit: int = OPSLIMIT
    memlimit: int = MEMLIMIT

    @classmethod
    def generate(cls) -> KdfParams:
        """Fresh parameters with a random salt."""
        return cls(nacl.utils.random(argon2id.SALTBYTES))

    @classmethod
    def from_header(cls, header: Any) -> KdfParams:
        """Parse the ``encryption`` header; :class:`BadInputError` if it is malformed."""
        if not isinstance(header, dict):
            raise BadInputError("the 'encryption' header is not an object")
        if header.get("kdf") != KDF or header.get("cipher", CIPHER) != CIPHER:
            raise BadInputError(
                f"unsupported encryption {header.get('kdf')!r}/{header.get('cipher')!r}"
            )
        salt = _b64decode(header.get("salt"), "salt")
        if len(salt) != argon2id.SALTBYTES:
            raise BadInputError(f"the salt is {len(salt)} bytes, not {argon2id.SALTBYTES}")
        ops, mem = header.get("opslimit"), header.get("memlimit")
        if not _int_in(ops, argon2id.OPSLIMIT_MIN, _MAX_OPSLIMIT):
            raise BadInputError(f"opslimit {ops!r} is out of range")
        if not _int_in(mem, argon2id.MEMLIMIT_MIN, _MAX_MEMLIMIT):
            raise BadInputError(f"memlimit {mem!r} is out of range")
        assert isinstance(ops, int) and isinstance(mem, int)  # noqa: S101 - checked above
        return cls(salt, ops, mem)


@dataclass(frozen=True)
class Sealer:
    """The key derived from a passphrase, with the parameters it was derived with."""

    params: KdfParams
    key: bytes = field(repr=False)

    def seal(self, value: Any) -> str:
        """``enc:v1:<base64>`` of the value's JSON text, under a fresh random nonce."""
        plaintext = json.dumps(value, ensure_ascii=False).encode("utf-8")
        sealed = bytes(nacl.secret.SecretBox(self.key).encrypt(plaintext))
        return PREFIX + base64.b64encode(sealed).decode("ascii")

    def open(self, text: str, *, where: str) -> Any:
        """The value sealed in ``text``; :class:`DecryptionError` naming ``where`` if it fails."""
        raw = _b64decode(text[len(PREFIX) :], where)
        try:
            plaintext = nacl.secret.SecretBox(self.key).decrypt(raw)
            return json.loads(plaintext.decode("utf-8"))
        except (nacl.exceptions.CryptoError, ValueError):
            raise DecryptionError(f"the sealed value at {where} does not decrypt") from None

    def header(self) -> dict[str, Any]:
        """The ``encryption`` header to store with documents sealed by this key."""
        return {
            "kdf": KDF,
            "cipher": CIPHER,
            "salt": base64.b64encode(self.params.salt).decode("ascii"),
            "opslimit": self.params.opslimit,
            "memlimit": self.params.memlimit,
            "check": self.seal(_CHECK),
        }


@functools.lru_cache(maxsize=8)
def _derive_key(passphrase: bytes, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    # argon2id is deliberately slow: derive once per process for a given file header.
    return bytes(argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase, salt, opslimit, memlimit))


def derive(passphrase: bytes, params: KdfParams) -> Sealer:
    """The :class:`Sealer` of ``passphrase`` under ``params`` (cached per process)."""
    if not passphrase:
        raise BadInputError("the passphrase is empty")
    key = _derive_key(passphrase, params.salt, params.opslimit, params.memlimit)
    return Sealer(params, key)


def unlock(passphrase: bytes, header: Any) -> Sealer:
    """The :class:`Sealer` for a stored header.

    Raises :class:`BadInputError` for a malformed header and :class:`DecryptionError` for a
    wrong passphrase.
    """
    params = KdfParams.from_header(header)
    check = header.get("check")
    if not is_sealed(check):
        raise BadInputError("the 'encryption' header has no passphrase check")
    sealer = derive(passphrase, params)
    try:
        opened = sealer.open(check, where="encryption.check")
    except DecryptionError:
        raise DecryptionError("wrong passphrase") from None
    if opened != _CHECK:
        raise DecryptionError("wrong passphrase")
    return sealer


def is_sealed(value: Any) -> bool:
    """True for a string in the ``enc:v1:`` form."""
    return isinstance(value, str) and value.startswith(PREFIX)


def seal_document(document: Any, sealer: Sealer) -> Any:
    """A copy of ``document`` with every secret field's value sealed."""
    return _map_secrets(document, lambda value, where: sealer.seal(value))


def open_document(document: Any, sealer: Sealer | None) -> Any:
    """A copy of ``document`` with every sealed secret opened.

    Without a sealer (a plaintext file), a sealed value is an error: it cannot be opened.
    """

    def _open(value: Any, where: str) -> Any:
        if not is_sealed(value):
            return value  # tolerant: a plaintext secret is sealed again at the next write
        if sealer is None:
            raise BadInputError(f"{where} is sealed but the file has no 'encryption' header")
        return sealer.open(value, where=where)

    return _map_secrets(document, _open)


def redact_document(document: Any) -> Any:
    """A copy of ``document`` without any secret field."""
    if isinstance(document, dict):
        return {
            key: redact_document(value)
            for key, value in document.items()
            if key not in SECRET_FIELDS
        }
    if isinstance(document, list):
        return [redact_document(item) for item in document]
    return document


def _map_secrets(document: Any, func: Callable[[Any, str], Any], where: str = "") -> Any:
    if isinstance(document, dict):
        out: dict[str, Any] = {}
        for key, value in document.items():
            path = field_path(where, key)
            if key in SECRET_FIELDS:
                out[key] = func(value, path)
            else:
                out[key] = _map_secrets(value, func, path)
        return out
    if isinstance(document, list):
        return [_map_secrets(item, func, f"{where}[{i}]") for i, item in enumerate(document)]
    return document


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def field_path(where: str, key: Any) -> str:
    """``where.key`` for error messages; a key that could break the line is quoted."""
    part = key if isinstance(key, str) and _PLAIN_KEY.fullmatch(key) else repr(key)
    return f"{where}.{part}" if where else part


def _b64decode(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise BadInputError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise BadInputError(f"{what} is not valid base64") from None


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
