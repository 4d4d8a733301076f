"""Ethereum sign requests beyond ``personal_sign``: EIP-712 typed data and Sign-In With
Ethereum (EIP-4361), as verification jobs.

Loaded through the scheme table (:data:`walletsign_cli.protocols.jobs.SCHEMES`) only when
an ``eip712`` or ``siwe`` job runs, so coincurve and pycryptodome stay off the Solana path.
The signature rules are those of EIP-191 verification
(:class:`~walletsign_cli.protocols.verification.EthereumRequest`): 65 bytes with v in
{0, 1, 27, 28} or 64-byte EIP-2098, high s refused unless allowed, the form reported; a
signature that is ERC-6492-wrapped or neither 65 nor 64 bytes is a contract wallet's and
gets the ``undetermined`` verdict (it needs an RPC).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from walletsign_cli.core import eth
from walletsign_cli.errors import BadInputError, InvalidSignatureError, UndeterminedSignatureError
from walletsign_cli.limits import MAX_MESSAGE_BYTES, check_size
from walletsign_cli.protocols import eip712, signin
from walletsign_cli.protocols.signin import Claims, SignInMessage
from walletsign_cli.protocols.verification import (
    EIP712,
    ETHEREUM,
    SIWE,
    Match,
    Verdict,
    contract_wallet_error,
    parse_eth_signature_text,
)


class Signature(NamedTuple):
    """A parsed ``--signature``: an EOA's (``eoa``) or a contract wallet's (``eoa`` None)."""

    eoa: eth.EthSignature | None
    raw: bytes
    encoding: str
    source: str
    form: str

    @classmethod
    def parse(cls, text: str, *, name: str, contract_ok: bool) -> Signature:
        """Decode 0x-hex (or a Link result); ``contract_ok``: keep a contract signature."""
        raw, encoding, source = parse_eth_signature_text(text, name=name)
        parsed, form = eth.read_signature(raw, contract_ok=contract_ok, name=name)
        return cls(parsed, raw, encoding, source, form)

    def details(self) -> dict[str, Any]:
        """The verdict's signature keys."""
        details: dict[str, Any] = {"signature_form": self.form}
        if self.source != "argument":
            details["signature_source"] = self.source
        return details

    def recover(self, digest: bytes, signer: str | None, *, allow_high_s: bool) -> str:
        """The EIP-55 address that signed ``digest``; a contract wallet's signature is
        undetermined, a high s invalid (unless allowed)."""
        if self.eoa is None:
            raise contract_wallet_error(self.form, signer)
        eth.require_low_s(self.eoa, allow_high_s=allow_high_s)
        return eth.to_checksum_address(eth.recover_address(digest, self.eoa))


def _claimed(address: str | None, name: str) -> str | None:
    if address is None:
        return None
    return eth.to_checksum_address(eth.parse_address(address.strip(), name=name))


def _verdict(scheme: str, signer: str | None, signature: Signature, **extra: Any) -> Verdict:
    return Verdict(False, ETHEREUM, scheme, signer, signature.encoding, **extra)


# --- EIP-712 -------------------------------------------------------------------------------


class TypedDataRequest(NamedTuple):
    """An EIP-712 signature to check (``address`` None: recover the signer only)."""

    address: str | None
    signature: Signature
    typed: eip712.TypedData
    hashes: eip712.Hashes

    @classmethod
    def parse(
        cls,
        address: str | None,
        signature: str,
        typed_data: object,
        *,
        names: tuple[str, str, str] = ("--address", "--signature", "--typed-data"),
    ) -> TypedDataRequest:
        """Decode the signer, the signature and the typed data (hashing it: a value out of
        range or a missing field is bad input here, before any signature is judged)."""
        claimed = _claimed(address, names[0])
        if isinstance(typed_data, str):
            check_size(len(typed_data), MAX_MESSAGE_BYTES, names[2])
        typed = eip712.parse(typed_data, what=names[2])
        hashes = typed.hashes()
        parsed = Signature.parse(signature, name=names[1], contract_ok=claimed is not None)
        return cls(claimed, parsed, typed, hashes)

    def describe(self) -> dict[str, Any]:
        """What was signed: primary type, domain, domain separator and digest."""
        details: dict[str, Any] = {
            "primary_type": self.typed.primary_type,
            "domain": self.typed.describe_domain(),
            "domain_separator": "0x" + self.hashes.domain_separator.hex(),
            "digest": "0x" + self.hashes.digest.hex(),
        }
        if self.hashes.warnings:
            details["warnings"] = list(self.hashes.warnings)
        return {**details, **self.signature.details()}

    def verify(self, *, allow_high_s: bool = False, hints: bool = True) -> Match:
        """Check the signature against ``address`` (or recover the signer when it is None)."""
        signer = self.signature.recover(self.hashes.digest, self.address, allow_high_s=allow_high_s)
        if self.address is None:
            return Match(EIP712, signer, {**self.describe(), "recovered": True})
        if signer == self.address:
            return Match(EIP712, signer, self.describe())
        raise InvalidSignatureError(
            f"EIP-712 signature over digest 0x{self.hashes.digest.hex()} is by {signer}, "
            f"not {self.address}",
            hint="any change to the domain (chainId, verifyingContract) or to a value changes "
            "the digest: compare with `walletsign typed-data hash`; a contract wallet "
            "(ERC-1271) can only be checked with an RPC"
            if hints
            else None,
        )

    def verdict(self, match: Match) -> Verdict:
        """The verdict for a signature that verified (or was recovered)."""
        return Verdict(
            True,
            ETHEREUM,
            EIP712,
            match.signer,
            self.signature.encoding,
            "typed-data",
            details=match.details,
        )

    def failed(self, error: InvalidSignatureError | UndeterminedSignatureError) -> Verdict:
        """The verdict for a signature that did not verify (or only a contract can judge)."""
        return _verdict(
            EIP712,
            self.address,
            self.signature,
            message_encoding="typed-data",
            reason=error.message,
            hint=error.hint,
            details=self.describe(),
            undetermined=isinstance(error, UndeterminedSignatureError),
        )


# --- Sign-In With Ethereum -----------------------------------------------------------------


def eip55_problem(address: str) -> str | None:
    """Why a SIWE address line is refused (EIP-4361 requires the EIP-55 form), or None."""
    raw = bytes.fromhex(address[2:])
    checksummed = eth.to_checksum_address(raw)
    if address != checksummed:
        return f"{address} is not EIP-55 checksummed (it would be {checksummed})"
    return None


def parse_siwe(text: str) -> SignInMessage:
    """Parse a SIWE message (EIP-4361's ABNF, EIP-55 address, the round-trip rule)."""
    return signin.parse_siwe(text, eip55_problem)


class SiweRequest(NamedTuple):
    """A Sign-In With Ethereum signature (EIP-191 over the message text) to check."""

    address: str | None  # --address: must be the message's address when given
    signature: Signature
    message: bytes
    parsed: SignInMessage
    message_encoding: str

    @classmethod
    def parse(
        cls,
        address: str | None,
        signature: str,
        message: bytes,
        *,
        message_encoding: str,
        names: tuple[str, str] = ("--address", "--signature"),
    ) -> SiweRequest:
        """Decode the signature and parse the message (bad input when it is not SIWE)."""
        claimed = _claimed(address, names[0])
        try:
            text = message.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInputError("Sign-In With Ethereum message is not UTF-8 text") from None
        parsed = parse_siwe(text)
        return cls(
            claimed,
            Signature.parse(signature, name=names[1], contract_ok=True),
            message,
            parsed,
            message_encoding,
        )

    def describe(self) -> dict[str, Any]:
        """The message's fields and the signature's form."""
        return {"siwe": self.parsed.to_json(), **self.signature.details()}

    def verify(self, claims: Claims, *, allow_high_s: bool = False) -> Match:
        """Recover the signer, then check the sign-in's claims (as SIWS does)."""
        if self.address is not None and self.address != self.parsed.address:
            raise InvalidSignatureError(
                f"the message signs in as {self.parsed.address}, not {self.address}"
            )
        signer = self.signature.recover(
            eth.personal_sign_hash(self.message), self.parsed.address, allow_high_s=allow_high_s
        )
        try:
            signin.check(self.parsed, signer, claims)
        except InvalidSignatureError as exc:
            if signer != self.parsed.address:
                raise InvalidSignatureError(
                    exc.message,
                    hint=f"if {self.parsed.address} is a contract wallet (ERC-1271), only an "
                    "RPC can check its signature",
                ) from None
            raise
        warnings = signin.time_warnings(self.parsed, claims.now)
        details = self.describe()
        if warnings:
            details["warnings"] = warnings
        return Match(SIWE, signer, details)

    def verdict(self, match: Match) -> Verdict:
        """The verdict for a sign-in that verified."""
        return Verdict(
            True,
            ETHEREUM,
            SIWE,
            match.signer,
            self.signature.encoding,
            self.message_encoding,
            details=match.details,
        )

    def failed(self, error: InvalidSignatureError | UndeterminedSignatureError) -> Verdict:
        """The verdict for a sign-in that did not verify (or only a contract can judge)."""
        return _verdict(
            SIWE,
            self.parsed.address,
            self.signature,
            message_encoding=self.message_encoding,
            reason=error.message,
            hint=error.hint,
            details=self.describe(),
            undetermined=isinstance(error, UndeterminedSignatureError),
        )


# --- the scheme table's entry points ---------------------------------------------------------


def parse_job(
    scheme: str,
    obj: Mapping[str, Any],
    message: Any,
    names: tuple[str, str],
    *,
    recover: bool,
) -> TypedDataRequest | SiweRequest:
    """The request of an ``eip712`` or ``siwe`` job (``message`` a
    :class:`~walletsign_cli.protocols.jobs.Message`, None for typed data)."""
    signature = obj.get("signature")
    if not isinstance(signature, str):
        raise BadInputError("signature is missing or not a string")
    address = obj.get("address")
    if address is not None and not isinstance(address, str):
        raise BadInputError("address must be a string")
    if scheme == EIP712:
        if address is None and not recover:
            raise BadInputError("address is missing (an eip712 job names its signer)")
        if "typed_data" not in obj:
            raise BadInputError("typed_data is missing (an eip712 job carries its typed data)")
        spelled = "--typed-data" if names[0].startswith("--") else "typed_data"
        return TypedDataRequest.parse(
            address, signature, obj["typed_data"], names=(*names, spelled)
        )
    return SiweRequest.parse(
        address, signature, message.data, message_encoding=message.encoding, names=names
    )


def verify_job(job: Any) -> Match:
    """Verify a parsed ``eip712`` or ``siwe`` :class:`~walletsign_cli.protocols.jobs.Job`."""
    request = job.request
    defaults = job.defaults
    if isinstance(request, TypedDataRequest):
        return request.verify(allow_high_s=defaults.allow_high_s, hints=job.hints)
    assert isinstance(request, SiweRequest)  # noqa: S101 - the table's rows say so
    claims = Claims(defaults.now, job.domain, job.nonce, defaults.chain_id)
    return request.verify(claims, allow_high_s=defaults.allow_high_s)
