"""Sign-In With Solana: the Solana face of :mod:`walletsign_cli.protocols.signin`.

The grammar, the round-trip rule and the claim checks are shared with Sign-In With
Ethereum there; this module keeps the Solana names (an address is the base58 signing key).
``verifySignIn`` of ``@solana/wallet-standard-util`` never compares the address line with
the signing key and checks no times; :func:`check` does both, as a relying party must.
"""

from datetime import datetime

from walletsign_cli.protocols import signin
from walletsign_cli.protocols.signin import SIWS_HEADER_SUFFIX, Claims, SignInMessage, parse_time

HEADER_SUFFIX = SIWS_HEADER_SUFFIX

__all__ = [
    "HEADER_SUFFIX",
    "SignInMessage",
    "check",
    "may_be_sign_in",
    "mentions_sign_in",
    "parse",
    "parse_time",
]


def may_be_sign_in(message: bytes) -> bool:
    """True when the header line could be a SIWS one: the cheap test before :func:`parse`."""
    return signin.may_be_sign_in(message, signin.SOLANA)


def mentions_sign_in(message: bytes) -> bool:
    """True when the SIWS header text occurs anywhere in ``message`` (a faster, looser test)."""
    return signin.mentions_sign_in(message, signin.SOLANA)


def parse(text: str) -> SignInMessage:
    """Parse a SIWS message; raise :class:`BadInputError` when it is not one (see
    :func:`signin.parse_siws`: the text must be exactly what its fields rebuild)."""
    return signin.parse_siws(text)


def check(
    message: SignInMessage,
    signer: str,
    *,
    now: datetime | None = None,
    domain: str | None = None,
    nonce: str | None = None,
    chain_id: str | None = None,
) -> None:
    """Raise :class:`InvalidSignatureError` unless the message's claims hold (the address
    line is the signing key; domain, nonce, chain id as expected; the time inside)."""
    signin.check(message, signer, Claims(now, domain, nonce, chain_id))
