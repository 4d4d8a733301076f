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

import difflib
from dataclasses import dataclass, field, replace

from walletsign_cli.core import base58, ed25519
from walletsign_cli.errors import BadInputError, InvalidSignatureError

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


# -- checking signatures and comparing messages ----------------------------------------------

SLOT_EMPTY = "empty"
SLOT_VALID = "valid"
SLOT_INVALID = "invalid"


@dataclass(frozen=True)
class SignatureSlot:
    """One signature slot: whose it is, and what it holds (empty, valid or invalid)."""

    index: int
    signer: bytes
    status: str


def verify_slot(tx: Transaction, index: int) -> None:
    """Raise :class:`InvalidSignatureError` unless slot ``index`` holds its signer's valid
    signature over the message (an empty slot does not verify)."""
    ed25519.verify(tx.message.signers[index], tx.message.raw, tx.signatures[index])


def signature_slots(tx: Transaction) -> tuple[SignatureSlot, ...]:
    """Every slot of ``tx`` with its signer and whether it is empty, valid or invalid."""
    slots = []
    for index, signer in enumerate(tx.message.signers):
        status = SLOT_EMPTY
        if tx.signatures[index] != EMPTY_SIGNATURE:
            try:
                verify_slot(tx, index)
                status = SLOT_VALID
            except InvalidSignatureError:
                status = SLOT_INVALID
        slots.append(SignatureSlot(index, signer, status))
    return tuple(slots)


@dataclass(frozen=True)
class ResolvedInstruction:
    """An instruction with its indexes resolved: the keys of the message, or
    ``lookup:<table>[<index>]`` for an account a v0 message loads from a lookup table."""

    program: str
    accounts: tuple[str, ...]
    data: bytes

    def to_json(self) -> dict[str, object]:
        """``{"program", "accounts", "data_hex"}``."""
        return {
            "program": self.program,
            "accounts": list(self.accounts),
            "data_hex": self.data.hex(),
        }


def account_names(message: Message) -> tuple[str, ...]:
    """Every account a message uses, in index order: its keys (base58), then the accounts
    loaded from lookup tables (all writable ones first, then all read-only, as the runtime
    orders them); a loaded account is named by its table and index, since the table's
    contents are on chain."""
    names = [base58.encode(key) for key in message.account_keys]
    tables = message.address_table_lookups
    for kind in ("writable_indexes", "readonly_indexes"):
        for table in tables:
            where = base58.encode(table.account_key)
            names += [f"lookup:{where}[{i}]" for i in getattr(table, kind)]
    return tuple(names)


def resolve_instructions(message: Message) -> tuple[ResolvedInstruction, ...]:
    """The message's instructions with their program and accounts named."""
    names = account_names(message)
    return tuple(
        ResolvedInstruction(
            names[ix.program_id_index], tuple(names[i] for i in ix.accounts), ix.data
        )
        for ix in message.instructions
    )


@dataclass(frozen=True)
class Difference:
    """One way a returned message differs from the requested one.

    ``field`` is ``version``, ``fee_payer``, ``recent_blockhash``, ``header``,
    ``address_table_lookups`` or ``instruction``; for an instruction, ``change`` is
    ``added`` or ``removed`` and ``index`` its place in the message that has it."""

    field: str
    change: str
    asked: object = None
    got: object = None
    index: int | None = None

    def to_json(self) -> dict[str, object]:
        """The difference as JSON (``asked``/``got`` for a field, ``instruction`` for one)."""
        doc: dict[str, object] = {"field": self.field, "change": self.change}
        if self.index is not None:
            doc["index"] = self.index
        if self.asked is not None:
            doc["asked"] = self.asked
        if self.got is not None:
            doc["got"] = self.got
        return doc


def diff_messages(asked: Message, got: Message) -> tuple[Difference, ...]:
    """How ``got`` differs from ``asked``: fields first, then instruction by instruction
    (an instruction changed in place shows as removed and added)."""
    out: list[Difference] = []
    fields = (
        ("version", _version_name(asked), _version_name(got)),
        ("fee_payer", base58.encode(asked.fee_payer), base58.encode(got.fee_payer)),
        (
            "recent_blockhash",
            base58.encode(asked.recent_blockhash),
            base58.encode(got.recent_blockhash),
        ),
        ("header", list(_header_tuple(asked)), list(_header_tuple(got))),
        ("address_table_lookups", _lookups(asked), _lookups(got)),
    )
    for name, before, after in fields:
        if before != after:
            out.append(Difference(name, "changed", before, after))
    old, new = resolve_instructions(asked), resolve_instructions(got)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            out += [
                Difference("instruction", "removed", old[i].to_json(), None, i)
                for i in range(i1, i2)
            ]
        if tag in ("insert", "replace"):
            out += [
                Difference("instruction", "added", None, new[j].to_json(), j) for j in range(j1, j2)
            ]
    return tuple(out)


def _version_name(message: Message) -> str:
    return "legacy" if message.version is None else f"v{message.version}"


def _header_tuple(message: Message) -> tuple[int, int, int]:
    h = message.header
    return (h.num_required_signatures, h.num_readonly_signed, h.num_readonly_unsigned)


def _lookups(message: Message) -> list[dict[str, object]]:
    return [
        {
            "account_key": base58.encode(t.account_key),
            "writable_indexes": list(t.writable_indexes),
            "readonly_indexes": list(t.readonly_indexes),
        }
        for t in message.address_table_lookups
    ]


def serialize_message(message: Message) -> bytes:
    """The wire bytes of a message built or changed in code (a parsed one has ``raw``)."""
    h = message.header
    parts = [bytes([VERSION_PREFIX | message.version])] if message.version is not None else []
    parts += [
        bytes([h.num_required_signatures, h.num_readonly_signed, h.num_readonly_unsigned]),
        encode_compact_u16(len(message.account_keys)),
        *message.account_keys,
        message.recent_blockhash,
        encode_compact_u16(len(message.instructions)),
    ]
    for ix in message.instructions:
        parts += [
            bytes([ix.program_id_index]),
            encode_compact_u16(len(ix.accounts)),
            ix.accounts,
            encode_compact_u16(len(ix.data)),
            ix.data,
        ]
    if message.version is not None:
        parts.append(encode_compact_u16(len(message.address_table_lookups)))
        for t in message.address_table_lookups:
            parts += [
                t.account_key,
                encode_compact_u16(len(t.writable_indexes)),
                t.writable_indexes,
                encode_compact_u16(len(t.readonly_indexes)),
                t.readonly_indexes,
            ]
    return b"".join(parts)


def prepend_instruction(message: Message, program: bytes, data: bytes) -> Message:
    """``message`` with an account-less instruction of ``program`` put first, as wallets add
    compute-budget instructions; the program becomes the last static (read-only unsigned)
    key, so every index of a loaded account moves up by one."""
    keys = len(message.account_keys)
    if program in message.account_keys:
        index = message.account_keys.index(program)
        account_keys, header = message.account_keys, message.header
    else:
        index = keys
        account_keys = (*message.account_keys, program)
        header = replace(
            message.header, num_readonly_unsigned=message.header.num_readonly_unsigned + 1
        )

    def shift(i: int) -> int:
        return i + 1 if i >= keys and index == keys else i

    moved = tuple(
        Instruction(shift(ix.program_id_index), bytes(shift(i) for i in ix.accounts), ix.data)
        for ix in message.instructions
    )
    changed = replace(
        message,
        header=header,
        account_keys=account_keys,
        instructions=(Instruction(index, b"", data), *moved),
        raw=b"",
    )
    return parse_message(serialize_message(changed))
