"""The Solana transaction wire format, enough to put a wallet's signature in its slot.

A transaction is ``compact-u16 count ‖ count × 64-byte signatures ‖ message``; the message is
legacy, or versioned when its first byte has the top bit set (``0x80 | version``; only v0
exists). Its layout: a 3-byte header (required signatures, read-only signed, read-only
unsigned), compact-u16 account keys (32 bytes each), the 32-byte recent blockhash, compact-u16
instructions (program index, compact-u16 account indexes, compact-u16 data), and for v0 the
address table lookups. Signatures are ed25519 over the message bytes, in the order of the
first ``num_required_signatures`` account keys; key 0 is the fee payer.

Parsing follows the runtime's sanitize rules, so a transaction this module accepts is one
a validator would not refuse for its shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from walletsign_cli.errors import BadInputError

SIGNATURE_SIZE = 64
KEY_SIZE = 32
BLOCKHASH_SIZE = 32
VERSION_PREFIX = 0x80
EMPTY_SIGNATURE = bytes(SIGNATURE_SIZE)


def encode_compact_u16(value: int) -> bytes:
    """Solana's ``short_vec`` length: 7 bits a byte, little end first, at most 3 bytes."""
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"compact-u16 out of range: {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_compact_u16(data: bytes, offset: int, what: str) -> tuple[int, int]:
    """``(value, next offset)``; refuses overlong (alias) encodings and values over 0xffff."""
    value = 0
    for i in range(3):
        if offset + i >= len(data):
            raise BadInputError(f"{what}: the length of {_at(offset)} is cut short")
        byte = data[offset + i]
        # A zero continuation byte would encode the same value in more bytes: the runtime
        # refuses it, and so do we (one transaction, one byte string).
        if i > 0 and byte == 0:
            raise BadInputError(f"{what}: overlong compact-u16 length {_at(offset)}")
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if value > 0xFFFF:
                raise BadInputError(f"{what}: compact-u16 length over 65535 {_at(offset)}")
            return value, offset + i + 1
    raise BadInputError(f"{what}: compact-u16 length longer than 3 bytes {_at(offset)}")


def _at(offset: int) -> str:
    return f"at byte {offset}"


@dataclass(frozen=True)
class MessageHeader:
    """The 3-byte message header."""

    num_required_signatures: int
    num_readonly_signed: int
    num_readonly_unsigned: int


@dataclass(frozen=True)
class Instruction:
    """A compiled instruction: indexes into the message's accounts."""

    program_id_index: int
    accounts: bytes
    data: bytes


@dataclass(frozen=True)
class AddressTableLookup:
    """A v0 address lookup table and the indexes it loads (writable, then read-only)."""

    account_key: bytes
    writable_indexes: bytes
    readonly_indexes: bytes


@dataclass(frozen=True)
class Message:
    """A parsed message; ``raw`` is the exact bytes the signatures cover."""

    version: int | None
    header: MessageHeader
    account_keys: tuple[bytes, ...]
    recent_blockhash: bytes
    instructions: tuple[Instruction, ...]
    address_table_lookups: tuple[AddressTableLookup, ...]
    raw: bytes = field(repr=False)

    @property
    def fee_payer(self) -> bytes:
        """Account key 0, which pays the fee and signs first."""
        return self.account_keys[0]

    @property
    def signers(self) -> tuple[bytes, ...]:
        """The keys whose signatures the transaction needs, in slot order."""
        return self.account_keys[: self.header.num_required_signatures]


@dataclass(frozen=True)
class Transaction:
    """A parsed transaction: its signature slots and its message."""

    signatures: tuple[bytes, ...]
    message: Message

    @property
    def version(self) -> str:
        """``legacy`` or ``v0``, as the Solana tools name them."""
        return "legacy" if self.message.version is None else f"v{self.message.version}"

    def serialize(self) -> bytes:
        """The wire bytes: the signatures, then the message exactly as it was received."""
        parts = [encode_compact_u16(len(self.signatures)), *self.signatures, self.message.raw]
        return b"".join(parts)

    def with_signature(self, index: int, signature: bytes) -> Transaction:
        """A copy with ``signature`` in slot ``index``; every other slot kept."""
        if len(signature) != SIGNATURE_SIZE:
            raise ValueError(f"signature must be {SIGNATURE_SIZE} bytes")
        slots = list(self.signatures)
        slots[index] = signature
        return replace(self, signatures=tuple(slots))


class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.offset = 0
        self.what = what

    def take(self, size: int, name: str) -> bytes:
        end = self.offset + size
        if end > len(self.data):
            raise BadInputError(
                f"{self.what} is cut short: {name} needs {size} bytes at byte {self.offset}, "
                f"{len(self.data) - self.offset} left"
            )
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def byte(self, name: str) -> int:
        return self.take(1, name)[0]

    def length(self, name: str) -> int:
        value, self.offset = decode_compact_u16(self.data, self.offset, f"{self.what} {name}")
        return value

    def vector(self, name: str, item_size: int = 1) -> bytes:
        return self.take(self.length(name) * item_size, name)


def parse_transaction(raw: bytes, *, what: str = "transaction") -> Transaction:
    """Parse wire bytes; raise :class:`BadInputError` naming ``what`` if they are malformed."""
    reader = _Reader(raw, what)
    count = reader.length("signature count")
    signatures = tuple(reader.take(SIGNATURE_SIZE, f"signature {i}") for i in range(count))
    message = _parse_message(raw[reader.offset :], what)
    if count != message.header.num_required_signatures:
        raise BadInputError(
            f"{what} has {count} signature slot(s) but its header requires "
            f"{message.header.num_required_signatures}"
        )
    return Transaction(signatures, message)


def parse_message(raw: bytes, *, what: str = "message") -> Message:
    """Parse message bytes alone (what the signatures cover)."""
    return _parse_message(raw, what)


def _parse_message(raw: bytes, what: str) -> Message:
    reader = _Reader(raw, what)
    first = reader.byte("message header")
    version: int | None = None
    if first & VERSION_PREFIX:
        version = first & 0x7F
        if version != 0:
            raise BadInputError(f"{what}: message version {version} is not supported (only v0)")
        first = reader.byte("message header")
    header = MessageHeader(first, reader.byte("message header"), reader.byte("message header"))
    keys_blob = reader.vector("account keys", KEY_SIZE)
    keys = tuple(keys_blob[i : i + KEY_SIZE] for i in range(0, len(keys_blob), KEY_SIZE))
    blockhash = reader.take(BLOCKHASH_SIZE, "recent blockhash")
    instructions = []
    for i in range(reader.length("instruction count")):
        program = reader.byte(f"instruction {i} program index")
        accounts = reader.vector(f"instruction {i} accounts")
        data = reader.vector(f"instruction {i} data")
        instructions.append(Instruction(program, accounts, data))
    lookups = []
    if version is not None:
        for i in range(reader.length("address table lookup count")):
            key = reader.take(KEY_SIZE, f"address table lookup {i} key")
            writable = reader.vector(f"address table lookup {i} writable indexes")
            readonly = reader.vector(f"address table lookup {i} read-only indexes")
            lookups.append(AddressTableLookup(key, writable, readonly))
    if reader.offset != len(raw):
        raise BadInputError(f"{what} has {len(raw) - reader.offset} unexpected trailing byte(s)")
    message = Message(
        version, header, keys, blockhash, tuple(instructions), tuple(lookups), bytes(raw)
    )
    _sanitize(message, what)
    return message


def _sanitize(message: Message, what: str) -> None:
    """The runtime's ``sanitize`` checks on a message's shape."""
    _check_header(message, what)
    keys = len(message.account_keys)
    if len(set(message.account_keys)) != keys:
        raise BadInputError(f"{what} lists an account key twice")
    loaded = sum(
        len(t.writable_indexes) + len(t.readonly_indexes) for t in message.address_table_lookups
    )
    total = keys + loaded
    if total > 256:
        raise BadInputError(f"{what} uses {total} accounts, more than 256")
    for i, lookup in enumerate(message.address_table_lookups):
        if not lookup.writable_indexes and not lookup.readonly_indexes:
            raise BadInputError(f"{what}: address table lookup {i} loads no account")
    _check_instructions(message, what, total)


def _check_header(message: Message, what: str) -> None:
    header = message.header
    keys = len(message.account_keys)
    if header.num_required_signatures == 0:
        raise BadInputError(f"{what} requires no signature: it has no fee payer")
    if header.num_readonly_signed >= header.num_required_signatures:
        raise BadInputError(f"{what}: every signer is read-only, so the fee payer is not writable")
    if header.num_required_signatures + header.num_readonly_unsigned > keys:
        raise BadInputError(
            f"{what}: the header counts {header.num_required_signatures} signer(s) and "
            f"{header.num_readonly_unsigned} read-only account(s) but there are {keys} key(s)"
        )


def _check_instructions(message: Message, what: str, total: int) -> None:
    keys = len(message.account_keys)
    for i, instruction in enumerate(message.instructions):
        # A program is never the fee payer and is never loaded from a lookup table.
        if not 0 < instruction.program_id_index < keys:
            raise BadInputError(
                f"{what}: instruction {i} program index {instruction.program_id_index} "
                f"is out of range (1..{keys - 1})"
            )
        for index in instruction.accounts:
            if index >= total:
                raise BadInputError(
                    f"{what}: instruction {i} account index {index} is out of range "
                    f"(0..{total - 1})"
                )
