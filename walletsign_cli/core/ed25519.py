"""Ed25519 signing and verification on libsodium (its strict rules: canonical S, no
small-order keys or R), as Solana wallets sign messages and session tokens.

Every verification in walletsign goes through :class:`Verifier` (``verify`` below, the
keys' ``verify``, ``open_attached`` and ``verify --batch`` alike): one call site of
libsodium's ``crypto_sign_open``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nacl.bindings
import nacl.exceptions

try:
    # PyNaCl's private cffi module: the fast verifier's way in (the portable path stays).
    from nacl import _sodium
except ImportError:  # another PyNaCl layout
    _sodium = None

from walletsign_cli.core import base58
from walletsign_cli.errors import BadInputError, InvalidSignatureError

PUBLIC_KEY_SIZE = 32
SEED_SIZE = 32
SIGNATURE_SIZE = 64
_NULL = None if _sodium is None else _sodium.ffi.NULL


class _Frozen:
    """Immutable value objects compared by their slots.

    A plain class rather than a frozen dataclass: a dataclass compiles its methods when the
    module is imported, and this module is on every ``verify`` start-up.
    """

    __slots__: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._values()))


class Ed25519PublicKey(_Frozen):
    """A 32-byte ed25519 public key (a Solana address); ``str()`` is base58."""

    __slots__ = ("raw",)
    raw: bytes

    def __init__(self, raw: bytes) -> None:
        if len(raw) != PUBLIC_KEY_SIZE:
            raise BadInputError(f"ed25519 public key must be 32 bytes, got {len(raw)}")
        object.__setattr__(self, "raw", raw)

    def __repr__(self) -> str:
        return f"Ed25519PublicKey(raw={self.raw!r})"

    @classmethod
    def from_base58(cls, text: str, *, name: str = "public key") -> Ed25519PublicKey:
        """Parse a base58 address; a 64-byte Solana keypair here is named as such."""
        raw = base58.decode(text, name=name)
        if len(raw) == 64:
            raise BadInputError(
                f"{name} is 64 bytes: that is a Solana keypair (secret ‖ public), not a public key",
                hint="pass the address (the last 32 bytes), and keep the keypair secret",
            )
        if len(raw) != PUBLIC_KEY_SIZE:
            raise BadInputError(f"{name} must be 32 bytes, got {len(raw)}")
        return cls(raw)

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise :class:`InvalidSignatureError` unless ``signature`` signs ``message``."""
        verify(self.raw, message, signature)

    def __str__(self) -> str:
        return base58.encode(self.raw)


class Ed25519SigningKey(_Frozen):
    """An ed25519 signing key held as its 32-byte seed, hidden from ``repr``."""

    __slots__ = ("public", "seed")
    seed: bytes
    public: Ed25519PublicKey

    def __init__(self, seed: bytes, public: Ed25519PublicKey) -> None:
        object.__setattr__(self, "seed", seed)
        object.__setattr__(self, "public", public)

    def __repr__(self) -> str:
        return f"Ed25519SigningKey(public={self.public!r})"

    @classmethod
    def generate(cls) -> Ed25519SigningKey:
        """A fresh key from the OS random source."""
        return cls.from_seed(nacl.bindings.randombytes(SEED_SIZE))

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519SigningKey:
        """The key of a 32-byte seed (RFC 8032 secret key)."""
        if len(seed) != SEED_SIZE:
            raise BadInputError(f"ed25519 seed must be 32 bytes, got {len(seed)}")
        public, _ = nacl.bindings.crypto_sign_seed_keypair(seed)
        return cls(seed, Ed25519PublicKey(public))

    @classmethod
    def from_base58(cls, text: str, *, name: str = "secret key") -> Ed25519SigningKey:
        """A base58 seed (32 bytes) or Solana keypair (64 bytes: seed ‖ public)."""
        raw = base58.decode(text, name=name)
        if len(raw) == 64:
            key = cls.from_seed(raw[:32])
            if key.public.raw != raw[32:]:
                raise BadInputError(f"{name}: the keypair's public half does not match its seed")
            return key
        return cls.from_seed(raw)

    def _secret(self) -> bytes:
        return self.seed + self.public.raw

    def sign(self, message: bytes) -> bytes:
        """The 64-byte detached signature (``nacl.sign.detached``)."""
        return nacl.bindings.crypto_sign(message, self._secret())[:SIGNATURE_SIZE]

    def sign_attached(self, message: bytes) -> bytes:
        """``signature ‖ message`` (``nacl.sign``), the format of Phantom session tokens."""
        return nacl.bindings.crypto_sign(message, self._secret())

    def seed_base58(self) -> str:
        """The seed in base58, for the keystore."""
        return base58.encode(self.seed)


def _portable_open(signed: bytes, public_key: bytes) -> bool:
    try:
        nacl.bindings.crypto_sign_open(signed, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    return True


class Verifier:
    """Verifies detached ed25519 signatures with libsodium's strict rules.

    The fast path calls ``crypto_sign_open`` through PyNaCl's cffi module with NULL for
    the message output (libsodium then only verifies): nothing is allocated or copied per
    call, where ``nacl.bindings`` allocates two buffers and copies the message out.
    ``portable=True``, or a PyNaCl without that private module, goes through the public
    ``nacl.bindings`` instead, with the same verdicts.
    """

    __slots__ = ("_sign_open", "portable")

    def __init__(self, *, portable: bool = False) -> None:
        lib = None if portable or _sodium is None else _sodium.lib
        self._sign_open: Callable[[Any, Any, bytes, int, bytes], int] | None = getattr(
            lib, "crypto_sign_open", None
        )
        self.portable = self._sign_open is None

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> None:
        """Raise :class:`InvalidSignatureError` unless ``signature`` signs ``message``."""
        if len(signature) != SIGNATURE_SIZE:
            raise InvalidSignatureError(
                f"signature must be {SIGNATURE_SIZE} bytes, got {len(signature)}"
            )
        if len(public_key) != PUBLIC_KEY_SIZE:
            raise InvalidSignatureError(f"public key must be 32 bytes, got {len(public_key)}")
        signed = signature + message
        sign_open = self._sign_open
        if sign_open is None:
            valid = _portable_open(signed, public_key)
        else:
            valid = sign_open(_NULL, _NULL, signed, len(signed), public_key) == 0
        if not valid:
            raise InvalidSignatureError("ed25519 signature does not verify")


_VERIFIER = Verifier()  # stateless: shared by every caller of verify()


def verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Verify a detached ed25519 signature; raise :class:`InvalidSignatureError` if it fails."""
    _VERIFIER.verify(public_key, message, signature)


def open_attached(signed: bytes, public_key: bytes) -> bytes:
    """``nacl.sign.open``: verify ``signature ‖ message`` and return the message."""
    if len(signed) < SIGNATURE_SIZE:
        raise InvalidSignatureError("signed message is shorter than a signature")
    verify(public_key, signed[SIGNATURE_SIZE:], signed[:SIGNATURE_SIZE])
    return signed[SIGNATURE_SIZE:]
