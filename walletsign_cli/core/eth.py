"""keccak-256, EIP-191 ``personal_sign``, secp256k1 recovery and EIP-55 addresses.

Imported only on the Ethereum paths: coincurve and pycryptodome stay out of Solana start-up.
keccak-256 is the original Keccak padding (pycryptodome), not NIST SHA3 from hashlib.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import coincurve
from Crypto.Hash import keccak

from walletsign_cli.errors import BadInputError, InvalidSignatureError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N = SECP256K1_N // 2

ERC6492_MAGIC = bytes.fromhex("64926492" * 8)
"""The 32 bytes that end an ERC-6492 signature (a not-yet-deployed contract wallet's)."""


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest (Ethereum's hash)."""
    return keccak.new(digest_bits=256, data=data).digest()


def personal_sign_hash(message: bytes) -> bytes:
    """EIP-191 version 0x45: keccak256("\\x19Ethereum Signed Message:\\n" + len + message).

    The length is the decimal byte length of ``message``, not its character count.
    """
    prefix = b"\x19Ethereum Signed Message:\n" + str(len(message)).encode("ascii")
    return keccak256(prefix + message)


@lru_cache(maxsize=4096)
def to_checksum_address(address: bytes) -> str:
    """The EIP-55 mixed-case form of a 20-byte address (cached: batches repeat signers)."""
    if len(address) != 20:
        raise BadInputError(f"address must be 20 bytes, got {len(address)}")
    lower = address.hex()
    digest = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if d in _UPPER_NIBBLES else c for c, d in zip(lower, digest, strict=False)
    )


_UPPER_NIBBLES = frozenset("89abcdef")


def parse_address(text: str, *, name: str = "address") -> bytes:
    """Parse a 0x address; a mixed-case address must carry a valid EIP-55 checksum."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    if len(body) != 40:
        raise BadInputError(f"{name} must be 20 bytes (40 hex digits), got {len(body)} digits")
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        raise BadInputError(f"{name} is not hex: {text!r}") from None
    if body != body.lower() and body != body.upper() and to_checksum_address(raw) != "0x" + body:
        raise BadInputError(
            f"{name} does not match its EIP-55 checksum: {text}",
            # No corrected spelling: it would be the checksum of the mistyped address.
            hint="the mixed case is a checksum, and it does not fit these digits: the address "
            "is probably mistyped; copy it again from its source",
        )
    return raw


@lru_cache(maxsize=4096)
def public_key_to_address(uncompressed: bytes) -> bytes:
    """The 20-byte address of a 65-byte uncompressed secp256k1 public key (cached: a batch
    recovers the same few signers' keys line after line, and one keccak-256 through
    pycryptodome's Python wrapper costs about 48 k instructions, a cache hit a few hundred)."""
    return keccak256(uncompressed[1:])[-20:]


class EthSignature(NamedTuple):
    """A recoverable secp256k1 signature: ``r``, ``s`` and the recovery id (0 or 1).

    Immutable; a NamedTuple rather than a frozen dataclass because ``verify --batch`` makes
    one a line (a third of the cost of the dataclass's ``__init__``)."""

    r: int
    s: int
    recovery_id: int
    form: str  # how it arrived: "65-byte v=27/28", "65-byte v=0/1", "64-byte EIP-2098", ...

    @classmethod
    def from_bytes(cls, raw: bytes) -> EthSignature:
        """Parse 65 bytes (v = 0/1, 27/28 or EIP-155) or 64 bytes (EIP-2098 compact)."""
        if len(raw) == 65:
            v = raw[64]
            if v in (0, 1):
                rec, form = v, "65-byte v=0/1"
            elif v in (27, 28):
                rec, form = v - 27, "65-byte v=27/28"
            elif v >= 35:
                rec, form = (v - 35) % 2, "65-byte EIP-155 v"
            else:
                raise BadInputError(f"signature v byte is {v}: expected 0, 1, 27 or 28")
            r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
        elif len(raw) == 64:
            r = int.from_bytes(raw[:32], "big")
            vs = int.from_bytes(raw[32:], "big")
            rec, s, form = vs >> 255, vs & ((1 << 255) - 1), "64-byte EIP-2098"
        else:
            raise BadInputError(
                f"signature must be 65 bytes (r, s, v) or 64 (EIP-2098), got {len(raw)}"
            )
        if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
            raise BadInputError("signature r or s is out of range for secp256k1")
        return cls(r, s, rec, form)

    @property
    def high_s(self) -> bool:
        """True when ``s > n/2`` (malleable; EIP-2 forbids it in transactions)."""
        return self.s > _HALF_N

    def to_bytes(self) -> bytes:
        """The canonical 65-byte form with v = 27/28."""
        return (
            self.r.to_bytes(32, "big") + self.s.to_bytes(32, "big") + bytes([27 + self.recovery_id])
        )

    def to_compact(self) -> bytes:
        """The 64-byte EIP-2098 form: r, then the y parity in the top bit of s."""
        return self.r.to_bytes(32, "big") + ((self.recovery_id << 255) | self.s).to_bytes(32, "big")


def is_contract_signature(raw: bytes) -> bool:
    """True when ``raw`` cannot be an EOA's signature but may be a contract wallet's:
    ERC-6492-wrapped, or longer than 65 bytes (r, s, v) (Safe, Argent, Loopring...).
    Only the contract (ERC-1271) can check those; shorter than 64 bytes is malformed."""
    return raw.endswith(ERC6492_MAGIC) or len(raw) > 65


def contract_signature_form(raw: bytes) -> str:
    """How a contract-wallet signature arrived, for the verdict."""
    if raw.endswith(ERC6492_MAGIC):
        return f"{len(raw)}-byte ERC-6492 wrapped"
    return f"{len(raw)}-byte contract (ERC-1271)"


def read_signature(
    raw: bytes, *, contract_ok: bool, name: str = "signature"
) -> tuple[EthSignature | None, str]:
    """An EOA's signature and its form, or (``contract_ok``) None and the form of a contract
    wallet's signature; anything else is bad input naming ``name``."""
    if contract_ok and is_contract_signature(raw):
        return None, contract_signature_form(raw)
    try:
        parsed = EthSignature.from_bytes(raw)
    except BadInputError as exc:
        raise BadInputError(f"{name}: {exc.message}", hint=exc.hint) from None
    return parsed, parsed.form


def recover_address(digest: bytes, signature: EthSignature) -> bytes:
    """The 20-byte address whose key made ``signature`` over the 32-byte ``digest``."""
    compact = (
        signature.r.to_bytes(32, "big")
        + signature.s.to_bytes(32, "big")
        + bytes([signature.recovery_id])
    )
    try:
        public = coincurve.PublicKey.from_signature_and_message(compact, digest, hasher=None)
    except ValueError:
        raise InvalidSignatureError("signature does not recover to any public key") from None
    return public_key_to_address(public.format(compressed=False))


def recover_personal_sign(
    message: bytes, signature: EthSignature, *, allow_high_s: bool = False
) -> bytes:
    """Recover the signer of an EIP-191 ``personal_sign`` signature (high s refused by default)."""
    return recover_digest(personal_sign_hash(message), signature, allow_high_s=allow_high_s)


def verify_personal_sign(
    address: bytes, message: bytes, signature: EthSignature, *, allow_high_s: bool = False
) -> None:
    """Raise :class:`InvalidSignatureError` unless ``address`` signed ``message``."""
    recovered = recover_personal_sign(message, signature, allow_high_s=allow_high_s)
    if recovered != address:
        raise InvalidSignatureError(
            f"signature is by {to_checksum_address(recovered)}, not {to_checksum_address(address)}"
        )


def recover_digest(digest: bytes, signature: EthSignature, *, allow_high_s: bool = False) -> bytes:
    """Recover the signer of a 32-byte digest (EIP-712 and raw hashes; high s refused)."""
    require_low_s(signature, allow_high_s=allow_high_s)
    return recover_address(digest, signature)


def require_low_s(signature: EthSignature, *, allow_high_s: bool = False) -> None:
    """Refuse a high-s signature (as libsecp256k1's verify and ethers do) unless allowed:
    the one place that says why."""
    if signature.high_s and not allow_high_s:
        raise InvalidSignatureError(
            "signature has a high s value (malleable: wallets never produce it)",
            hint="pass --allow-high-s to accept it as plain ecrecover does",
        )


class EthSigner:
    """A secp256k1 key that signs digests the way a wallet does (low s, v = 27/28).

    For tests and simulations: the key lives in memory only.
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise BadInputError(f"an Ethereum private key is 32 bytes, got {len(secret)}")
        try:
            self._key = coincurve.PrivateKey(secret)
        except ValueError:
            raise BadInputError("the private key is not a valid secp256k1 scalar") from None
        self.address = public_key_to_address(self._key.public_key.format(compressed=False))

    def sign_digest(self, digest: bytes) -> EthSignature:
        """Sign a 32-byte digest (libsecp256k1 always gives low s)."""
        raw = self._key.sign_recoverable(digest, hasher=None)
        return EthSignature(
            int.from_bytes(raw[:32], "big"),
            int.from_bytes(raw[32:64], "big"),
            raw[64],
            "65-byte v=27/28",
        )

    def personal_sign(self, message: bytes) -> EthSignature:
        """Sign ``message`` as EIP-191 ``personal_sign``."""
        return self.sign_digest(personal_sign_hash(message))
