"""x25519 keys and the NaCl box as the wallets use it (``nacl.box.before`` / ``after``).

The wallets' JavaScript (tweetnacl) computes ``shared = box.before(their_pk, my_sk)``
(HSalsa20 over X25519) once per session, then seals each JSON payload with
``box.after(plaintext, nonce, shared)``: XSalsa20-Poly1305, the 16-byte tag first, the
24-byte nonce carried separately. These functions are exactly that, on libsodium.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nacl.bindings
import nacl.exceptions
import nacl.utils

from walletsign_cli.core import base58
from walletsign_cli.errors import BadInputError, DecryptionError

KEY_SIZE = 32
NONCE_SIZE = 24
TAG_SIZE = 16


@dataclass(frozen=True)
class X25519PublicKey:
    """A 32-byte x25519 public key; ``str()`` is its base58 form."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != KEY_SIZE:
            raise BadInputError(f"x25519 public key must be 32 bytes, got {len(self.raw)}")

    @classmethod
    def from_base58(cls, text: str, *, name: str = "public key") -> X25519PublicKey:
        """Parse the base58 form used in deeplinks."""
        return cls(base58.decode_exact(text, KEY_SIZE, name=name))

    def __str__(self) -> str:
        return base58.encode(self.raw)


@dataclass(frozen=True)
class X25519KeyPair:
    """An x25519 keypair. The secret never appears in ``repr``."""

    secret: bytes = field(repr=False)
    public: X25519PublicKey

    @classmethod
    def generate(cls) -> X25519KeyPair:
        """A fresh keypair from the OS random source."""
        return cls.from_secret(nacl.utils.random(KEY_SIZE))

    @classmethod
    def from_secret(cls, secret: bytes) -> X25519KeyPair:
        """The keypair of a 32-byte secret key (as ``nacl.box.keyPair.fromSecretKey``)."""
        if len(secret) != KEY_SIZE:
            raise BadInputError(f"x25519 secret key must be 32 bytes, got {len(secret)}")
        return cls(secret, X25519PublicKey(nacl.bindings.crypto_scalarmult_base(secret)))

    @classmethod
    def from_base58(cls, text: str, *, name: str = "secret key") -> X25519KeyPair:
        """Parse a base58 secret key."""
        return cls.from_secret(base58.decode_exact(text, KEY_SIZE, name=name))

    def secret_base58(self) -> str:
        """The secret in base58, for the keystore or an explicit ``--show-secret``."""
        return base58.encode(self.secret)

    def __str__(self) -> str:
        return str(self.public)


@dataclass(frozen=True)
class SharedSecret:
    """The 32-byte ``box.before`` key of a session. Never printed."""

    raw: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.raw) != KEY_SIZE:
            raise BadInputError("shared secret must be 32 bytes")


def shared_secret(their_public: X25519PublicKey, my_keypair: X25519KeyPair) -> SharedSecret:
    """``nacl.box.before(their_public, my_secret)``: HSalsa20(X25519(sk, pk))."""
    try:
        raw = nacl.bindings.crypto_box_beforenm(their_public.raw, my_keypair.secret)
    except nacl.exceptions.RuntimeError as exc:  # an all-zero (low-order) point
        raise BadInputError("x25519 public key is a low-order point") from exc
    return SharedSecret(raw)


def random_nonce() -> bytes:
    """24 fresh random bytes."""
    return nacl.utils.random(NONCE_SIZE)


def seal(plaintext: bytes, shared: SharedSecret, nonce: bytes | None = None) -> tuple[bytes, bytes]:
    """``nacl.box.after``: ``(nonce, tag ‖ ciphertext)``; a random nonce unless one is given."""
    if nonce is None:
        nonce = random_nonce()
    if len(nonce) != NONCE_SIZE:
        raise BadInputError(f"nonce must be {NONCE_SIZE} bytes, got {len(nonce)}")
    return nonce, nacl.bindings.crypto_box_afternm(plaintext, nonce, shared.raw)


def open_sealed(ciphertext: bytes, nonce: bytes, shared: SharedSecret) -> bytes:
    """``nacl.box.open.after``; raise :class:`DecryptionError` if it does not authenticate."""
    if len(nonce) != NONCE_SIZE:
        raise BadInputError(f"nonce must be {NONCE_SIZE} bytes, got {len(nonce)}")
    if len(ciphertext) < TAG_SIZE:
        raise DecryptionError(
            f"ciphertext is {len(ciphertext)} bytes, shorter than the {TAG_SIZE}-byte tag"
        )
    try:
        return nacl.bindings.crypto_box_open_afternm(ciphertext, nonce, shared.raw)
    except nacl.exceptions.CryptoError:
        raise DecryptionError(
            "decryption failed: the data was tampered with or sealed under another key"
        ) from None
