"""Verifying what a wallet gave back: Solana ed25519 (raw, off-chain messages, SIWS) and
Ethereum EIP-191 ``personal_sign`` (MetaMask, ethers, Immutable X Link ``link.sign``).

Encodings are detected here, at the edge: a Solana signature or key may arrive as base58,
base64 or hex, and the one found is reported. Verification raises
:class:`InvalidSignatureError` with one line saying what failed (and a hint when another
reading of the same input would verify); the command turns it into a verdict.
The Ethereum core (coincurve, pycryptodome) is imported only on the Ethereum path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from walletsign_cli.core import base58, ed25519
from walletsign_cli.core.encoding import decode_base64, from_json
from walletsign_cli.core.record import Record
from walletsign_cli.errors import (
    BadInputError,
    InvalidSignatureError,
    UndeterminedSignatureError,
)
from walletsign_cli.protocols import offchain, siws

if TYPE_CHECKING:
    from walletsign_cli.core.eth import EthSignature

SOLANA = "solana"
ETHEREUM = "ethereum"

RAW = "raw"
SIWS = "siws"
EIP191 = "eip191"
EIP712 = "eip712"
SIWE = "siwe"
OFFCHAIN = "offchain"
AUTO = "auto"
SOLANA_SCHEMES = (AUTO, RAW, OFFCHAIN, *offchain.LAYOUTS, SIWS)
SCHEMES = (*SOLANA_SCHEMES, EIP191, EIP712, SIWE)
"""``--scheme`` values. Results name what matched: raw, offchain-legacy-v0, offchain-v0,
offchain-v1, siws, eip191, eip712 or siwe."""

VALID = "valid"
INVALID = "invalid"
UNDETERMINED = "undetermined"
NEEDS_RPC = "needs an RPC to check (ERC-1271 / ERC-6492)"
"""The reason of an ``undetermined`` verdict: only the contract wallet can say."""

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
_HEX = frozenset("0123456789abcdefABCDEF")
_B58 = frozenset(base58.ALPHABET)
_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


# --- encodings -------------------------------------------------------------------------


def _candidates(text: str) -> Iterator[tuple[bytes, str]]:
    """Every encoding ``text`` is valid in, base58 first (Solana's own); decoded as the
    caller asks for them (a base58 signature of the right size is never tried as base64)."""
    if text[:2] in ("0x", "0X"):
        body = text[2:]
        if len(body) % 2 == 0 and set(body) <= _HEX:
            yield bytes.fromhex(body), "hex"
        return
    chars = set(text)
    if chars <= _B58:
        yield base58.decode(text), "base58"
    if len(text) % 2 == 0 and chars <= _HEX:
        yield bytes.fromhex(text), "hex"
    for alphabet, name in ((_B64, "base64"), (_B64URL, "base64url")):
        if chars <= alphabet and "=" not in text.rstrip("="):
            padded = text + "=" * (-len(text) % 4)
            try:
                decoded = decode_base64(padded, urlsafe=name == "base64url")
            except ValueError:
                continue
            yield decoded, name
            return


def decode_binary(text: str, size: int, *, name: str) -> tuple[bytes, str]:
    """Decode base58, base64 or hex, preferring the reading that yields ``size`` bytes.

    When no reading has that size, the most specific one is returned (``0x``/hex, then
    base58, then base64) and the caller judges the length. Text valid in no encoding is
    bad input naming ``name``.
    """
    value = text.strip()
    if not value:
        raise BadInputError(f"{name} is empty")
    found = []
    for raw, encoding in _candidates(value):
        if len(raw) == size:
            return raw, encoding
        found.append((raw, encoding))
    if not found:
        if value[:2] in ("0x", "0X"):
            raise BadInputError(f"{name} starts with 0x but is not hex")
        # base58's own error names the bad character and hints at the likely mix-up.
        base58.decode(value, name=name)
        raise BadInputError(f"{name} is not base58, base64 or hex")
    hexes = [c for c in found if c[1] == "hex"]
    return hexes[0] if hexes else found[0]


def parse_solana_public_key(text: str, *, name: str = "--public-key") -> tuple[bytes, str]:
    """A 32-byte ed25519 public key in base58, base64 or hex; a 64-byte keypair is refused."""
    value = text.strip()
    if value.startswith("["):
        return _key_from_json_array(value, name)
    for prefix in _KEY_PREFIXES:
        # Tolerant reading: a key exported with its type in front (NEAR-style ``ed25519:``).
        if value[: len(prefix)].lower() == prefix and len(value) > len(prefix):
            raw, encoding = parse_solana_public_key(value[len(prefix) :], name=name)
            return raw, f"{encoding} after the prefix {prefix}"
    if value[:2] in ("0x", "0X") and len(value) == 42:
        raise BadInputError(
            f"{name} looks like an Ethereum address, not a Solana public key",
            hint="verify Ethereum signatures with --address",
        )
    raw, encoding = decode_binary(value, PUBLIC_KEY_SIZE, name=name)
    if len(raw) != PUBLIC_KEY_SIZE:
        pairs = [(r, e) for r, e in _candidates(value) if len(r) == 64]
        if pairs:
            raise _keypair_error(name, pairs[0][0], f"{pairs[0][1]} text")
        raise BadInputError(
            f"{name} must be a 32-byte ed25519 public key, got {len(raw)} bytes ({encoding})"
        )
    return raw, encoding


_KEY_PREFIXES = ("ed25519:", "solana:")


def _keypair_error(name: str, keypair: bytes, form: str) -> BadInputError:
    """A pasted keypair is refused, naming its form and its public half (never the secret
    half): the user learns what to pass instead."""
    public = base58.encode(keypair[PUBLIC_KEY_SIZE:])
    return BadInputError(
        f"{name} is 64 bytes ({form}): that is a Solana keypair (secret ‖ public), "
        f"not a public key; its public half is {public}",
        hint=f"pass {name} {public} (`solana address -k FILE` prints it); "
        "and treat that keypair as leaked if it was shared",
    )


def _key_from_json_array(value: str, name: str) -> tuple[bytes, str]:
    try:
        numbers = from_json(value)
        raw = bytes(numbers)
    except (ValueError, TypeError, RecursionError):
        raise BadInputError(f"{name} is not a base58 key or a JSON byte array") from None
    if len(raw) == 64:
        raise _keypair_error(name, raw, "a JSON array of 64 byte values")
    if len(raw) != PUBLIC_KEY_SIZE:
        raise BadInputError(f"{name} must be 32 bytes, got {len(raw)} (JSON array)")
    return raw, "json-array"


# --- results ---------------------------------------------------------------------------
# Results are Records (core/record.py), not NamedTuples or dataclasses: typed and compared
# by value, and each about 0.3 ms cheaper to define in a fresh process, which matters on
# the start-up path of ``walletsign verify``.

_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})


class Match(Record):
    """What verified: the scheme's name and details about it."""

    __slots__ = ("scheme", "signer", "details")
    scheme: Final[str]
    signer: Final[str]
    details: Final[Mapping[str, Any]]

    def __init__(self, scheme: str, signer: str, details: Mapping[str, Any] = _NO_DETAILS) -> None:
        self.scheme = scheme
        self.signer = signer
        self.details = details


def _tried(scheme: str) -> list[str]:
    """The readings a Solana ``scheme`` checks: the raw bytes, then its off-chain layouts."""
    return ([RAW] if scheme in (AUTO, RAW) else []) + list(_layouts(scheme))


class Verdict(Record):
    """The answer of ``verify``; the text and JSON renderers both take it."""

    __slots__ = (
        "valid",
        "chain",
        "scheme",
        "signer",
        "signature_encoding",
        "message_encoding",
        "reason",
        "hint",
        "details",
        "undetermined",
    )
    valid: Final[bool]
    chain: Final[str]
    scheme: Final[str | None]
    signer: Final[str | None]
    signature_encoding: Final[str | None]
    message_encoding: Final[str | None]
    reason: Final[str | None]
    hint: Final[str | None]
    details: Final[Mapping[str, Any]]
    undetermined: Final[bool]

    def __init__(
        self,
        valid: bool,
        chain: str,
        scheme: str | None,
        signer: str | None,
        signature_encoding: str | None,
        message_encoding: str | None = None,
        reason: str | None = None,
        hint: str | None = None,
        details: Mapping[str, Any] = _NO_DETAILS,
        undetermined: bool = False,
    ) -> None:
        self.valid = valid
        self.chain = chain
        self.scheme = scheme
        self.signer = signer
        self.signature_encoding = signature_encoding
        self.message_encoding = message_encoding
        self.reason = reason
        self.hint = hint
        self.details = details
        self.undetermined = undetermined

    @property
    def status(self) -> str:
        """``valid``, ``invalid``, or ``undetermined`` (a contract wallet: needs an RPC)."""
        if self.valid:
            return VALID
        return UNDETERMINED if self.undetermined else INVALID

    def to_json(self) -> dict[str, Any]:
        """The SPEC's keys first, then the extras (``reason`` and ``hint`` when invalid)."""
        document: dict[str, Any] = {
            "valid": self.valid,
            "chain": self.chain,
            "scheme": self.scheme,
            "signer": self.signer,
            "signature_encoding": self.signature_encoding,
            "message_encoding": self.message_encoding,
            "status": self.status,
        }
        if not self.valid:
            document["reason"] = self.reason
        document["hint"] = self.hint  # always present, null when there is none
        document.update(self.details)
        return document


class Alternative(Record):
    """Another reading of the message the user may have meant, and how to ask for it."""

    __slots__ = ("message", "hint")
    message: Final[bytes]
    hint: Final[str]

    def __init__(self, message: bytes, hint: str) -> None:
        self.message = message
        self.hint = hint


# --- Solana ----------------------------------------------------------------------------


def _signs(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether one reading of the message verifies (auto tries several, so no error here)."""
    try:
        ed25519.verify(public_key, message, signature)
    except InvalidSignatureError:
        return False
    return True


class SolanaRequest(Record):
    """A Solana signature to check, decoded."""

    __slots__ = (
        "public_key",
        "signature",
        "message",
        "signature_encoding",
        "message_encoding",
        "public_key_encoding",
        "alternatives",
    )
    public_key: Final[bytes]
    signature: Final[bytes]
    message: Final[bytes]
    signature_encoding: Final[str]
    message_encoding: Final[str]
    public_key_encoding: Final[str]
    alternatives: Final[tuple[Alternative, ...]]

    def __init__(
        self,
        public_key: bytes,
        signature: bytes,
        message: bytes,
        signature_encoding: str,
        message_encoding: str,
        public_key_encoding: str = "base58",
        alternatives: tuple[Alternative, ...] = (),
    ) -> None:
        self.public_key = public_key
        self.signature = signature
        self.message = message
        self.signature_encoding = signature_encoding
        self.message_encoding = message_encoding
        self.public_key_encoding = public_key_encoding
        self.alternatives = alternatives

    @classmethod
    def parse(
        cls,
        public_key: str,
        signature: str,
        message: bytes,
        *,
        message_encoding: str,
        alternatives: tuple[Alternative, ...] = (),
        names: tuple[str, str] = ("--public-key", "--signature"),
    ) -> SolanaRequest:
        """Decode the key and signature (a signature of the wrong length is kept: invalid)."""
        key, key_encoding = parse_solana_public_key(public_key, name=names[0])
        sig, sig_encoding = decode_binary(signature, SIGNATURE_SIZE, name=names[1])
        return cls(key, sig, message, sig_encoding, message_encoding, key_encoding, alternatives)

    @property
    def signer(self) -> str:
        """The public key in base58 (the Solana address)."""
        return base58.encode(self.public_key)

    def verdict(self, match: Match) -> Verdict:
        """The verdict for a signature that verified."""
        return Verdict(
            True,
            SOLANA,
            match.scheme,
            match.signer,
            self.signature_encoding,
            self.message_encoding,
            details={"public_key_encoding": self.public_key_encoding, **match.details},
        )

    def failed(self, scheme: str, error: InvalidSignatureError) -> Verdict:
        """The verdict for a signature that did not verify under ``scheme``: ``auto`` is
        reported as what it tried (``scheme`` the message's own reading, ``tried`` all)."""
        tried = _tried(scheme)
        details: dict[str, Any] = {"public_key_encoding": self.public_key_encoding}
        if scheme in (AUTO, OFFCHAIN) and len(tried) > 1:
            details["tried"] = tried
        return Verdict(
            False,
            SOLANA,
            tried[0] if scheme == AUTO and tried else scheme,
            self.signer,
            self.signature_encoding,
            self.message_encoding,
            reason=error.message,
            hint=error.hint,
            details=details,
        )

    def verify(
        self,
        scheme: str = AUTO,
        *,
        now: datetime | None = None,
        domain: str | None = None,
        nonce: str | None = None,
        application_domain: bytes = offchain.ZERO_DOMAIN,
        hints: bool = True,
        chain_id: str | None = None,
    ) -> Match:
        """Return what matched, or raise :class:`InvalidSignatureError` saying why not.

        ``auto`` tries the raw bytes first, then the off-chain layouts around them; a raw
        match that is itself a serialized off-chain message or a SIWS message is named as
        such (and a SIWS message must pass :func:`siws.check`).
        """
        if len(self.signature) != SIGNATURE_SIZE:
            raise InvalidSignatureError(
                f"signature is {len(self.signature)} bytes ({self.signature_encoding}); "
                f"an ed25519 signature is {SIGNATURE_SIZE}",
                hint="65 bytes r‖s‖v is an Ethereum signature: check it with --address"
                if len(self.signature) == 65 and hints
                else None,
            )
        claims = {"now": now, "domain": domain, "nonce": nonce, "chain_id": chain_id}
        scheme = effective_scheme(scheme, domain, nonce, chain_id)
        if scheme == SIWS:
            return self._siws(claims)
        match = self._match(scheme, application_domain, claims)
        if match is not None:
            return match
        raise InvalidSignatureError(
            self._reason(scheme),
            hint=self._hint(scheme, application_domain) if hints else None,
        )

    def _match(
        self, scheme: str, application_domain: bytes, claims: dict[str, Any]
    ) -> Match | None:
        key, sig, message = self.public_key, self.signature, self.message
        layouts = _layouts(scheme)
        serialized = message.startswith(offchain.SIGNING_DOMAIN)
        if (scheme in (AUTO, RAW) or (layouts and serialized)) and _signs(key, message, sig):
            return self._name_raw_match(scheme, layouts, claims)
        if not layouts or (serialized and scheme != AUTO):
            return None
        for candidate in offchain.candidates(
            message, key, layouts=layouts, application_domain=application_domain
        ):
            if _signs(key, candidate.serialize(), sig):
                details = {"offchain": candidate.describe()}
                if scheme == AUTO and siws.may_be_sign_in(message):
                    return self._siws_match(message, candidate.layout, claims, details)
                return Match(candidate.layout, self.signer, details)
        return None

    def _name_raw_match(
        self, scheme: str, layouts: tuple[str, ...], claims: dict[str, Any]
    ) -> Match:
        message = self.message
        if message.startswith(offchain.SIGNING_DOMAIN) and scheme != RAW:
            try:
                parsed = offchain.parse(message)
            except BadInputError as exc:
                if scheme == AUTO:
                    return Match(RAW, self.signer)
                raise InvalidSignatureError(
                    f"the signature covers these bytes, but they are not a well-formed "
                    f"off-chain message: {exc.message}"
                ) from None
            signed_by = parsed.layout == offchain.LEGACY_V0 or self.public_key in parsed.signers
            if parsed.layout in layouts and signed_by:
                details = {"offchain": parsed.describe(), "message_form": "serialized"}
                if siws.may_be_sign_in(parsed.body):
                    return self._siws_match(parsed.body, parsed.layout, claims, details)
                return Match(parsed.layout, self.signer, details)
            if scheme == AUTO:
                return Match(RAW, self.signer)
            raise InvalidSignatureError(
                f"the signature covers a {parsed.layout} message"
                + ("" if signed_by else " that does not list this key among its signers")
                + f", not {scheme}"
            )
        if scheme == AUTO and siws.may_be_sign_in(message):
            return self._siws_match(message, RAW, claims, {})
        return Match(RAW, self.signer)

    def _siws(self, claims: dict[str, Any]) -> Match:
        if self.message.startswith(offchain.SIGNING_DOMAIN):
            return self._siws_serialized(claims)
        parsed = siws.parse(_utf8(self.message, "SIWS message"))
        if _signs(self.public_key, self.message, self.signature):
            framing = RAW
        else:
            wrapped = offchain.OffchainMessage(
                offchain.V1, self.message, signers=(self.public_key,)
            )
            if not _signs(self.public_key, wrapped.serialize(), self.signature):
                raise InvalidSignatureError(
                    f"ed25519 signature by {self.signer} does not verify over this "
                    "Sign-In With Solana message (raw or in an offchain-v1 envelope)",
                    hint="the wallet signs the exact text: check line breaks and spaces",
                )
            framing = offchain.V1
        siws.check(parsed, self.signer, **claims)
        return Match(SIWS, self.signer, {"siws": parsed.to_json(), "siws_framing": framing})

    def _siws_serialized(self, claims: dict[str, Any]) -> Match:
        """A SIWS message inside a serialized off-chain message (the bytes a relying party
        holds from ``solana:signIn`` 1.1): the envelope must list the key, the body is SIWS."""
        try:
            envelope = offchain.parse(self.message)
        except BadInputError as exc:
            raise BadInputError(
                f"SIWS message: a malformed off-chain message: {exc.message}"
            ) from None
        if not _signs(self.public_key, self.message, self.signature):
            raise InvalidSignatureError(
                f"ed25519 signature by {self.signer} does not verify over this "
                f"{envelope.layout} message",
                hint="the wallet signs the exact bytes: check the message encoding",
            )
        if envelope.layout != offchain.LEGACY_V0 and self.public_key not in envelope.signers:
            raise InvalidSignatureError(
                f"the {envelope.layout} message does not list {self.signer} among its signers"
            )
        parsed = siws.parse(_utf8(envelope.body, "the off-chain message's SIWS body"))
        siws.check(parsed, self.signer, **claims)
        details = {
            "siws": parsed.to_json(),
            "siws_framing": envelope.layout,
            "offchain": envelope.describe(),
            "message_form": "serialized",
        }
        return Match(SIWS, self.signer, details)

    def _siws_match(
        self, message: bytes, framing: str, claims: dict[str, Any], details: dict[str, Any]
    ) -> Match:
        try:
            parsed = siws.parse(message.decode("utf-8"))
        except UnicodeDecodeError:
            return Match(framing, self.signer, details)
        except BadInputError as exc:
            # Signed, but not a sign-in by the reference's reading: no claim is checked.
            return Match(framing, self.signer, {**details, "not_sign_in": exc.message})
        siws.check(parsed, self.signer, **claims)
        return Match(
            SIWS, self.signer, {"siws": parsed.to_json(), "siws_framing": framing, **details}
        )

    def _reason(self, scheme: str) -> str:
        tried = _tried(scheme)
        return (
            f"ed25519 signature by {self.signer} does not verify over the "
            f"{len(self.message)}-byte message (tried {', '.join(tried)})"
        )

    def _hint(self, scheme: str, application_domain: bytes) -> str:
        if scheme != AUTO:
            probe = SolanaRequest(self.public_key, self.signature, self.message, "", "")
            try:
                found = probe.verify(AUTO, application_domain=application_domain, hints=False)
            except (InvalidSignatureError, BadInputError):
                pass
            else:
                return f"it is a valid {found.scheme} signature: use --scheme {found.scheme}"
        for alternative in self.alternatives:
            probe = SolanaRequest(self.public_key, self.signature, alternative.message, "", "")
            try:
                probe.verify(AUTO, hints=False)
            except (InvalidSignatureError, BadInputError):
                continue
            return alternative.hint
        return (
            "the wallet signed exact bytes: check the message encoding "
            "(--message, --message-hex, --message-b58) and the public key"
        )


def effective_scheme(
    scheme: str, domain: str | None, nonce: str | None, chain_id: str | None = None
) -> str:
    """``auto`` with an expected domain, nonce or chain id means SIWS (nothing else
    carries them)."""
    if scheme == AUTO and (domain is not None or nonce is not None or chain_id is not None):
        return SIWS
    return scheme


def _layouts(scheme: str) -> tuple[str, ...]:
    if scheme in (AUTO, OFFCHAIN):
        return offchain.LAYOUTS
    if scheme in offchain.LAYOUTS:
        return (scheme,)
    return ()


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInputError(f"{what} is not UTF-8 text") from None


# --- Ethereum --------------------------------------------------------------------------


def parse_eth_signature_text(text: str, *, name: str = "--signature") -> tuple[bytes, str, str]:
    """The signature bytes, their encoding and where they came from.

    Accepts 0x-hex (65 bytes r‖s‖v with v 27/28 or Immutable ``signRaw``'s 00/01, or 64-byte
    EIP-2098), with or without ``0x`` or JSON quotes, and a whole Link result pasted as
    ``{"result": "0x…"}`` (also ``{"data": {"result": …}}``, as Link posts it).
    """
    value = text.strip()
    if len(value) == 132 and value[:2] == "0x":  # the usual 65-byte 0x-hex: one step
        try:
            return bytes.fromhex(value[2:]), "hex", "argument"
        except ValueError:
            pass  # the general path names what is wrong
    source = "argument"
    if value.startswith("{"):
        value, source = _from_link_json(value, name), "link-result-json"
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    body = value[2:] if value[:2] in ("0x", "0X") else value
    if not body:
        raise BadInputError(f"{name} is empty")
    if len(body) % 2 or not set(body) <= _HEX:
        solana = base58.decode_fixed(value, SIGNATURE_SIZE) is not None
        raise BadInputError(
            f"{name} is not 0x-hex ({len(body)} characters)"
            + ("; it is a base58 ed25519 signature, as Solana wallets return" if solana else ""),
            hint="verify a Solana signature with --public-key ADDRESS (not --address)"
            if solana
            else "an Ethereum signature is 0x followed by 130 hex digits (r, s, v)",
        )
    return bytes.fromhex(body), "hex", source


def _from_link_json(value: str, name: str) -> str:
    try:
        document = from_json(value)
    except ValueError as exc:  # a json.JSONDecodeError
        reason = getattr(exc, "msg", str(exc))
        raise BadInputError(f"{name} starts with '{{' but is not JSON: {reason}") from None
    except RecursionError:
        raise BadInputError(f"{name} is JSON nested too deeply") from None
    for path in (("result",), ("data", "result"), ("signature",)):
        node: Any = document
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node.strip():
            return node
    raise BadInputError(
        f'{name} is JSON without a "result" string',
        hint='paste the whole link.sign answer, e.g. {"result": "0x…"}',
    )


class EthereumRequest(Record):
    """An EIP-191 ``personal_sign`` signature to check (``address`` None: recover only).

    ``signature`` is None for a contract wallet's signature (ERC-6492-wrapped, or not 65
    or 64 bytes): ``contract_signature`` holds it, and only an RPC could judge it.
    """

    __slots__ = (
        "address",
        "signature",
        "message",
        "signature_encoding",
        "message_encoding",
        "signature_source",
        "alternatives",
        "contract_signature",
        "contract_form",
    )
    address: Final[bytes | None]
    signature: Final[EthSignature | None]
    message: Final[bytes]
    signature_encoding: Final[str]
    message_encoding: Final[str]
    signature_source: Final[str]
    alternatives: Final[tuple[Alternative, ...]]
    contract_signature: Final[bytes]
    contract_form: Final[str]

    def __init__(
        self,
        address: bytes | None,
        signature: EthSignature | None,
        message: bytes,
        signature_encoding: str,
        message_encoding: str,
        signature_source: str = "argument",
        alternatives: tuple[Alternative, ...] = (),
        contract_signature: bytes = b"",
        contract_form: str = "",
    ) -> None:
        self.address = address
        self.signature = signature
        self.message = message
        self.signature_encoding = signature_encoding
        self.message_encoding = message_encoding
        self.signature_source = signature_source
        self.alternatives = alternatives
        self.contract_signature = contract_signature
        self.contract_form = contract_form

    @classmethod
    def parse(
        cls,
        address: str | None,
        signature: str,
        message: bytes,
        *,
        message_encoding: str,
        alternatives: tuple[Alternative, ...] = (),
        names: tuple[str, str] = ("--address", "--signature"),
    ) -> EthereumRequest:
        """Decode the address and signature; malformed ones are bad input."""
        from walletsign_cli.core import eth

        raw_address = None if address is None else eth.parse_address(address.strip(), name=names[0])
        raw, encoding, source = parse_eth_signature_text(signature, name=names[1])
        contract_ok = raw_address is not None
        parsed, form = eth.read_signature(raw, contract_ok=contract_ok, name=names[1])
        contract = (raw, form) if parsed is None else (b"", "")
        return cls(
            raw_address,
            parsed,
            message,
            encoding,
            message_encoding,
            source,
            alternatives,
            *contract,
        )

    def _details(self) -> dict[str, Any]:
        form = self.contract_form if self.signature is None else self.signature.form
        details: dict[str, Any] = {"signature_form": form}
        if self.signature_source != "argument":
            details["signature_source"] = self.signature_source
        return details

    def verify(self, *, allow_high_s: bool = False, hints: bool = True) -> Match:
        """Check the signature against ``address`` (or recover the signer when it is None)."""
        from walletsign_cli.core import eth

        if self.signature is None:
            raise contract_wallet_error(self.contract_form, self.claimed_signer)
        eth.require_low_s(self.signature, allow_high_s=allow_high_s)
        recovered = eth.recover_personal_sign(self.message, self.signature, allow_high_s=True)
        signer = eth.to_checksum_address(recovered)
        details = self._details()
        if self.address is None:
            return Match(EIP191, signer, {**details, "recovered": True})
        if recovered == self.address:
            return Match(EIP191, signer, details)
        raise InvalidSignatureError(
            f"EIP-191 signature over the {len(self.message)}-byte message is by {signer}, "
            f"not {eth.to_checksum_address(self.address)}",
            hint=self._hint() if hints else None,
        )

    def _hint(self) -> str:
        from walletsign_cli.core import eth

        assert self.signature is not None  # noqa: S101 - verify() checked it
        for alternative in self.alternatives:
            try:
                signer = eth.recover_personal_sign(
                    alternative.message, self.signature, allow_high_s=True
                )
            except InvalidSignatureError:
                continue
            if signer == self.address:
                return alternative.hint
        return (
            "personal_sign signs the exact message bytes: check --message vs --message-hex; "
            "a hash or EIP-712 typed data is a different scheme; "
            "a contract wallet (ERC-1271) can only be checked with an RPC"
        )

    @property
    def claimed_signer(self) -> str | None:
        """The EIP-55 form of ``address``."""
        from walletsign_cli.core import eth

        return None if self.address is None else eth.to_checksum_address(self.address)

    def verdict(self, match: Match) -> Verdict:
        """The verdict for a signature that verified (or was recovered)."""
        return Verdict(
            True,
            ETHEREUM,
            match.scheme,
            match.signer,
            self.signature_encoding,
            self.message_encoding,
            details=match.details,
        )

    def failed(self, error: InvalidSignatureError | UndeterminedSignatureError) -> Verdict:
        """The verdict for a signature that did not verify (or that only a contract can judge)."""
        return Verdict(
            False,
            ETHEREUM,
            EIP191,
            self.claimed_signer,
            self.signature_encoding,
            self.message_encoding,
            reason=error.message,
            hint=error.hint,
            details=self._details(),
            undetermined=isinstance(error, UndeterminedSignatureError),
        )


def contract_wallet_error(form: str, signer: str | None) -> UndeterminedSignatureError:
    """The undetermined verdict's error: a contract wallet's signature, and no RPC here."""
    who = f" by {signer}" if signer else ""
    return UndeterminedSignatureError(
        f"{NEEDS_RPC}: a {form} signature{who} is a smart-contract wallet's",
        hint="only the contract's isValidSignature (ERC-1271), through an ERC-6492 validator "
        "when not deployed, can judge it; walletsign makes no network calls",
    )
