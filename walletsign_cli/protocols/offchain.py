"""Solana off-chain messages: the three byte layouts a wallet or CLI may have signed.

All start with the signing domain ``b"\\xffsolana offchain"`` (0xff can never begin a
transaction message, so a signature over one can never be replayed as a transaction):

- ``offchain-legacy-v0``: version 0 · format · u16 LE length · body. What
  ``solana sign-offchain-message`` produces (``solana-offchain-message`` 3.0.0).
- ``offchain-v0``: version 0 · application domain (32) · format · signer count · signers
  (32 each) · u16 LE length · body. The proposal's layout (Kit ``@solana/offchain-messages``
  v0, Ledger app-solana).
- ``offchain-v1``: version 1 · signer count · signers (sorted, unique) · UTF-8 body
  (Kit v1, wallet-standard ``solana:signOffchainMessage``, SIWS 1.1).

Sources: anza-xyz/solana-sdk ``offchain-message/src/lib.rs``, the agave proposal
``off-chain-message-signing.md``, anza-xyz/kit ``packages/offchain-messages``.
"""

from __future__ import annotations

from typing import Final

from walletsign_cli.core import base58
from walletsign_cli.core.record import Record
from walletsign_cli.errors import BadInputError

SIGNING_DOMAIN = b"\xffsolana offchain"

LEGACY_V0 = "offchain-legacy-v0"
V0 = "offchain-v0"
V1 = "offchain-v1"
LAYOUTS = (LEGACY_V0, V0, V1)

FORMAT_RESTRICTED_ASCII = 0
FORMAT_LIMITED_UTF8 = 1
FORMAT_EXTENDED_UTF8 = 2

# Legacy v0 (the crate on master): body limits after the 17 + 3 header bytes.
LEGACY_MAX_LEN_LEDGER = 1212
LEGACY_MAX_LEN = 65515
# Spec v0: limits on preamble + body together.
V0_MAX_TOTAL_LEDGER = 1232
V0_MAX_TOTAL = 65535

ZERO_DOMAIN = bytes(32)


def is_restricted_ascii(body: bytes) -> bool:
    """Printable ASCII only (0x20..0x7e), the v0 format 0 alphabet."""
    return body.isascii() and all(0x20 <= b <= 0x7E for b in body)


def is_utf8(body: bytes) -> bool:
    """True when ``body`` is valid UTF-8."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class OffchainMessage(Record):
    """One off-chain message: its layout, body and preamble fields."""

    __slots__ = ("layout", "body", "format", "application_domain", "signers")
    layout: Final[str]
    body: Final[bytes]
    format: Final[int | None]  # v0 layouts only
    application_domain: Final[bytes | None]  # offchain-v0 only
    signers: Final[tuple[bytes, ...]]  # offchain-v0 and offchain-v1

    def __init__(
        self,
        layout: str,
        body: bytes,
        format: int | None = None,
        application_domain: bytes | None = None,
        signers: tuple[bytes, ...] = (),
    ) -> None:
        self.layout = layout
        self.body = body
        self.format = format
        self.application_domain = application_domain
        self.signers = signers

    def serialize(self) -> bytes:
        """The exact bytes that are signed (preamble ‖ body). Only the v0 layouts carry the
        body's length, in two bytes: a longer body cannot be one (bad input, not a crash)."""
        if len(self.signers) > 255:
            raise BadInputError(
                f"an off-chain message has at most 255 signers, got {len(self.signers)}"
            )
        signers = b"".join(self.signers)
        count = bytes([len(self.signers)])
        if self.layout == V1:
            return SIGNING_DOMAIN + b"\1" + count + signers + self.body
        if len(self.body) > V0_MAX_TOTAL:
            raise BadInputError(
                f"a {self.layout} off-chain message body is at most {V0_MAX_TOTAL:,} bytes "
                f"(its length has two bytes), got {len(self.body):,}"
            )
        length = len(self.body).to_bytes(2, "little")
        if self.layout == LEGACY_V0:
            return SIGNING_DOMAIN + bytes([0, self.format or 0]) + length + self.body
        if self.layout == V0:
            domain = self.application_domain or ZERO_DOMAIN
            head = SIGNING_DOMAIN + b"\0" + domain + bytes([self.format or 0])
            return head + count + signers + length + self.body
        raise BadInputError(f"unknown off-chain layout {self.layout!r}")

    def describe(self) -> dict[str, object]:
        """The preamble as JSON-ready values (base58 keys)."""
        info: dict[str, object] = {"layout": self.layout}
        if self.format is not None:
            info["format"] = self.format
        if self.application_domain is not None:
            info["application_domain"] = base58.encode(self.application_domain)
        if self.signers:
            info["signers"] = [base58.encode(s) for s in self.signers]
        return info


def legacy_v0_format(body: bytes) -> int | None:
    """The format ``solana sign-offchain-message`` picks for ``body`` (None: not allowed)."""
    if not body:
        return None
    if len(body) <= LEGACY_MAX_LEN_LEDGER:
        if is_restricted_ascii(body):
            return FORMAT_RESTRICTED_ASCII
        return FORMAT_LIMITED_UTF8 if is_utf8(body) else None
    if len(body) <= LEGACY_MAX_LEN and is_utf8(body):
        return FORMAT_EXTENDED_UTF8
    return None


def _legacy_format_ok(fmt: int, body: bytes) -> bool:
    if fmt == FORMAT_RESTRICTED_ASCII:
        return len(body) <= LEGACY_MAX_LEN_LEDGER and is_restricted_ascii(body)
    if fmt == FORMAT_LIMITED_UTF8:
        return len(body) <= LEGACY_MAX_LEN_LEDGER and is_utf8(body)
    if fmt == FORMAT_EXTENDED_UTF8:
        return len(body) <= LEGACY_MAX_LEN and is_utf8(body)
    return False


def _v0_preamble_len(signer_count: int) -> int:
    return len(SIGNING_DOMAIN) + 1 + 32 + 1 + 1 + 32 * signer_count + 2


def _v0_format_ok(fmt: int, body: bytes, signer_count: int) -> bool:
    total = _v0_preamble_len(signer_count) + len(body)
    if not body:
        return False
    if fmt == FORMAT_RESTRICTED_ASCII:
        return total <= V0_MAX_TOTAL_LEDGER and is_restricted_ascii(body)
    if fmt == FORMAT_LIMITED_UTF8:
        return total <= V0_MAX_TOTAL_LEDGER and is_utf8(body)
    if fmt == FORMAT_EXTENDED_UTF8:
        return total <= V0_MAX_TOTAL and is_utf8(body)
    return False


def legacy_v0(body: bytes) -> OffchainMessage:
    """The legacy v0 message of ``body``, format chosen as the agave CLI does."""
    fmt = legacy_v0_format(body)
    if fmt is None:
        raise BadInputError(
            "message cannot be a legacy v0 off-chain message "
            f"(empty, over {LEGACY_MAX_LEN} bytes, or not UTF-8)"
        )
    return OffchainMessage(LEGACY_V0, body, format=fmt)


def v0_formats(body: bytes, signer_count: int = 1) -> list[int]:
    """The spec v0 formats ``body`` may use, the most restrictive first."""
    return [f for f in (0, 1, 2) if _v0_format_ok(f, body, signer_count)]


def spec_v0(
    body: bytes,
    signers: tuple[bytes, ...],
    *,
    application_domain: bytes = ZERO_DOMAIN,
    fmt: int | None = None,
) -> OffchainMessage:
    """A spec v0 message; ``fmt`` defaults to the most restrictive one the body allows."""
    allowed = v0_formats(body, len(signers))
    if not signers or not allowed or (fmt is not None and fmt not in allowed):
        raise BadInputError("message cannot be a v0 off-chain message with that format")
    return OffchainMessage(
        V0,
        body,
        format=allowed[0] if fmt is None else fmt,
        application_domain=application_domain,
        signers=signers,
    )


def v1(body: bytes, signers: tuple[bytes, ...]) -> OffchainMessage:
    """A v1 message: signers sorted by bytes and unique, body non-empty UTF-8."""
    ordered = tuple(sorted(set(signers)))
    if not ordered or not body or not is_utf8(body):
        raise BadInputError("message cannot be a v1 off-chain message (empty or not UTF-8)")
    return OffchainMessage(V1, body, signers=ordered)


def candidates(
    body: bytes,
    signer: bytes,
    *,
    layouts: tuple[str, ...] = LAYOUTS,
    application_domain: bytes = ZERO_DOMAIN,
) -> list[OffchainMessage]:
    """Every off-chain message ``signer`` may have signed around ``body``, likeliest first.

    The v0 layouts carry a format byte; the one the agave CLI and Kit pick by default comes
    first, then (spec v0 only) the other formats the body is allowed to use.
    """
    found: list[OffchainMessage] = []
    if LEGACY_V0 in layouts and legacy_v0_format(body) is not None:
        found.append(legacy_v0(body))
    if V0 in layouts:
        found.extend(
            OffchainMessage(
                V0, body, format=f, application_domain=application_domain, signers=(signer,)
            )
            for f in v0_formats(body)
        )
    if V1 in layouts and body and is_utf8(body):
        found.append(OffchainMessage(V1, body, signers=(signer,)))
    return found


def parse(data: bytes) -> OffchainMessage:
    """Parse a serialized off-chain message strictly (every length and format rule)."""
    if not data.startswith(SIGNING_DOMAIN):
        raise BadInputError("not an off-chain message: no \\xffsolana offchain signing domain")
    rest = data[len(SIGNING_DOMAIN) :]
    if not rest:
        raise BadInputError("off-chain message has no header version")
    version = rest[0]
    if version == 0:
        legacy = _parse_legacy(rest)
        if legacy is not None:
            return legacy
        return _parse_v0(rest)
    if version == 1:
        return _parse_v1(rest)
    raise BadInputError(f"off-chain message header version {version} is unknown")


def _parse_legacy(rest: bytes) -> OffchainMessage | None:
    if len(rest) < 4:
        return None
    fmt, length = rest[1], int.from_bytes(rest[2:4], "little")
    body = rest[4:]
    if length == 0 or len(body) != length or not _legacy_format_ok(fmt, body):
        return None
    return OffchainMessage(LEGACY_V0, body, format=fmt)


def _parse_v0(rest: bytes) -> OffchainMessage:
    if len(rest) < 1 + 32 + 1 + 1:
        raise BadInputError("v0 off-chain message is truncated")
    domain, fmt, count = rest[1:33], rest[33], rest[34]
    if count == 0:
        raise BadInputError("v0 off-chain message has no signers")
    start = 35 + 32 * count
    if len(rest) < start + 2:
        raise BadInputError("v0 off-chain message is truncated in its signers")
    signers = tuple(rest[35 + 32 * i : 67 + 32 * i] for i in range(count))
    length = int.from_bytes(rest[start : start + 2], "little")
    body = rest[start + 2 :]
    if length != len(body):
        raise BadInputError(f"v0 off-chain message says {length} bytes but holds {len(body)}")
    if not _v0_format_ok(fmt, body, count):
        raise BadInputError(f"v0 off-chain message body does not fit its format {fmt}")
    return OffchainMessage(V0, body, format=fmt, application_domain=domain, signers=signers)


def _parse_v1(rest: bytes) -> OffchainMessage:
    if len(rest) < 2 or rest[1] == 0:
        raise BadInputError("v1 off-chain message has no signers")
    count = rest[1]
    start = 2 + 32 * count
    if len(rest) <= start:
        raise BadInputError("v1 off-chain message is truncated or has an empty body")
    signers = tuple(rest[2 + 32 * i : 34 + 32 * i] for i in range(count))
    if list(signers) != sorted(set(signers)):
        raise BadInputError("v1 off-chain message signers are not sorted and unique")
    body = rest[start:]
    if not is_utf8(body):
        raise BadInputError("v1 off-chain message body is not UTF-8")
    return OffchainMessage(V1, body, signers=signers)
