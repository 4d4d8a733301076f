"""A simulated Ethereum wallet: real secp256k1 signatures with a test key, no wallet needed.

For tests, demos and CI: it signs what a wallet would (``personal_sign`` of a message, a
Sign-In With Ethereum text, EIP-712 typed data) with a key derived from a name, so the same
name always gives the same address. The derivation is public: a test key must never hold
funds. ``verify`` checks what it produces like any wallet's signature.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from walletsign_cli.core import eth
from walletsign_cli.errors import BadInputError
from walletsign_cli.protocols import eip712
from walletsign_cli.protocols.ethereum import parse_siwe
from walletsign_cli.protocols.verification import EIP191, EIP712, SIWE

TEST_KEY_DOMAIN = b"walletsign simulated Ethereum key v1:"
"""keccak256(this ‖ name) is the test key of ``name`` (public on purpose: tests only)."""

SCHEMES = (EIP191, SIWE, EIP712)


def simulated_key(name: str = "sim") -> eth.EthSigner:
    """The deterministic test key of ``name``."""
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInputError("--key-name is not valid Unicode text") from None
    if not raw:
        raise BadInputError("--key-name must not be empty")
    return eth.EthSigner(eth.keccak256(TEST_KEY_DOMAIN + raw))


class Signed(NamedTuple):
    """A signature as a wallet returns it, and what it covers."""

    scheme: str
    address: str
    signature: str
    digest: str
    compact: bool

    def to_json(self) -> dict[str, Any]:
        """The ``simulate-eth --json`` document."""
        return {
            "scheme": self.scheme,
            "address": self.address,
            "signature": self.signature,
            "signature_form": "64-byte EIP-2098" if self.compact else "65-byte v=27/28",
            "digest": self.digest,
            "test_key": True,
        }


def _signed(signer: eth.EthSigner, scheme: str, digest: bytes, *, compact: bool) -> Signed:
    signature = signer.sign_digest(digest)
    raw = signature.to_compact() if compact else signature.to_bytes()
    return Signed(
        scheme,
        eth.to_checksum_address(signer.address),
        "0x" + raw.hex(),
        "0x" + digest.hex(),
        compact,
    )


def sign_message(
    signer: eth.EthSigner, message: bytes, *, scheme: str = EIP191, compact: bool = False
) -> Signed:
    """``personal_sign`` of ``message``; with ``scheme`` ``siwe`` the message must be a
    Sign-In With Ethereum text naming the signer's address (a wallet refuses others)."""
    if scheme == SIWE:
        try:
            text = message.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInputError("Sign-In With Ethereum message is not UTF-8 text") from None
        parsed = parse_siwe(text)
        address = eth.to_checksum_address(signer.address)
        if parsed.address != address:
            raise BadInputError(
                f"the sign-in is for {parsed.address}, but this test key is {address}",
                hint="put the test key's address on the message's second line",
            )
    return _signed(signer, scheme, eth.personal_sign_hash(message), compact=compact)


def sign_typed_data(signer: eth.EthSigner, document: object, *, compact: bool = False) -> Signed:
    """``eth_signTypedData_v4`` of the typed-data document (JSON text or object)."""
    typed = eip712.parse(document, what="--typed-data")
    return _signed(signer, EIP712, typed.digest(), compact=compact)
