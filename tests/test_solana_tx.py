"""The Solana wire format: transactions built byte by byte here, parsed and signed there.

The builders below write the layout from the Solana docs directly (their own compact-u16
encoder included), so the module under test is checked against an independent writer.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey, VerifyKey

from walletsign_cli.core import base58, solana_tx
from walletsign_cli.errors import BadInputError, InvalidSignatureError

PAYER = SigningKey(b"\x04" * 32)
OTHER = SigningKey(b"\x05" * 32)
SYSTEM_PROGRAM = bytes(32)
RECIPIENT = bytes(range(32))
BLOCKHASH = bytes(range(100, 132))
TABLE = bytes(range(50, 82))


def short_vec(n: int) -> bytes:
    """compact-u16 as the Solana docs describe it: 7 bits a byte, low bits first."""
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def transfer_instruction(lamports: int = 1_000) -> bytes:
    """System program transfer (index 2) from account 0 to account 1."""
    data = (2).to_bytes(4, "little") + lamports.to_bytes(8, "little")
    return bytes([2]) + short_vec(2) + bytes([0, 1]) + short_vec(len(data)) + data


def legacy_message(payer: bytes, *, signers: int = 1, extra: bytes | None = None) -> bytes:
    keys = [payer] + ([extra] if extra is not None else []) + [RECIPIENT, SYSTEM_PROGRAM]
    header = bytes([signers, 0, 1])  # the system program is read-only unsigned
    body = header + short_vec(len(keys)) + b"".join(keys) + BLOCKHASH
    ix = transfer_instruction()
    if extra is not None:  # indexes shift by the extra signer
        data = (2).to_bytes(4, "little") + (5).to_bytes(8, "little")
        ix = bytes([3]) + short_vec(2) + bytes([0, 2]) + short_vec(len(data)) + data
    return body + short_vec(1) + ix


def v0_message(payer: bytes) -> bytes:
    keys = [payer, SYSTEM_PROGRAM]
    header = bytes([1, 0, 1])
    # The recipient comes from a lookup table: account index 2 (first loaded writable).
    data = (2).to_bytes(4, "little") + (7).to_bytes(8, "little")
    ix = bytes([1]) + short_vec(2) + bytes([0, 2]) + short_vec(len(data)) + data
    lookup = TABLE + short_vec(1) + bytes([3]) + short_vec(1) + bytes([9])
    return (
        bytes([0x80])
        + header
        + short_vec(len(keys))
        + b"".join(keys)
        + BLOCKHASH
        + short_vec(1)
        + ix
        + short_vec(1)
        + lookup
    )


def unsigned(message: bytes, slots: int = 1) -> bytes:
    return short_vec(slots) + bytes(64) * slots + message


PAYER_PK = bytes(PAYER.verify_key)


# -- compact-u16 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "00"),
        (0x7F, "7f"),
        (0x80, "8001"),
        (0xFF, "ff01"),
        (0x3FFF, "ff7f"),
        (0x4000, "808001"),
        (0xFFFF, "ffff03"),
    ],
)
def test_compact_u16_known_answers(value: int, encoded: str) -> None:
    raw = bytes.fromhex(encoded)
    assert solana_tx.encode_compact_u16(value) == raw
    assert solana_tx.decode_compact_u16(raw, 0, "x") == (value, len(raw))


@pytest.mark.parametrize(
    ("encoded", "why"),
    [
        ("8000", "overlong"),
        ("ff8000", "overlong"),
        ("ffff04", "over 65535"),
        ("ffffff01", "longer than 3 bytes"),
        ("80", "cut short"),
        ("", "cut short"),
    ],
)
def test_compact_u16_refuses_non_canonical(encoded: str, why: str) -> None:
    with pytest.raises(BadInputError, match=why):
        solana_tx.decode_compact_u16(bytes.fromhex(encoded), 0, "x")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 0xFFFF))
def test_compact_u16_round_trip(value: int) -> None:
    raw = solana_tx.encode_compact_u16(value)
    assert raw == short_vec(value)
    assert solana_tx.decode_compact_u16(raw + b"\xff", 0, "x") == (value, len(raw))


# -- parsing ---------------------------------------------------------------------------------


def test_legacy_transaction_fields() -> None:
    message = legacy_message(PAYER_PK)
    tx = solana_tx.parse_transaction(unsigned(message))
    assert tx.version == "legacy"
    assert tx.message.version is None
    assert tx.message.raw == message
    assert tx.message.header == solana_tx.MessageHeader(1, 0, 1)
    assert tx.message.account_keys == (PAYER_PK, RECIPIENT, SYSTEM_PROGRAM)
    assert tx.message.fee_payer == PAYER_PK
    assert tx.message.signers == (PAYER_PK,)
    assert tx.message.recent_blockhash == BLOCKHASH
    (ix,) = tx.message.instructions
    assert (ix.program_id_index, ix.accounts) == (2, bytes([0, 1]))
    assert ix.data[:4] == (2).to_bytes(4, "little")
    assert tx.message.address_table_lookups == ()
    assert tx.signatures == (bytes(64),)
    assert tx.serialize() == unsigned(message)


def test_v0_transaction_fields() -> None:
    message = v0_message(PAYER_PK)
    tx = solana_tx.parse_transaction(unsigned(message))
    assert tx.version == "v0"
    assert tx.message.version == 0
    assert tx.message.account_keys == (PAYER_PK, SYSTEM_PROGRAM)
    (lookup,) = tx.message.address_table_lookups
    assert lookup == solana_tx.AddressTableLookup(TABLE, bytes([3]), bytes([9]))
    assert tx.message.instructions[0].accounts == bytes([0, 2])  # index 2: from the table
    assert tx.serialize() == unsigned(message)


@pytest.mark.parametrize("build", [legacy_message, v0_message], ids=["legacy", "v0"])
def test_signing_fills_the_fee_payer_slot_only(build: object) -> None:
    assert callable(build)
    message = build(PAYER_PK)
    tx = solana_tx.parse_transaction(unsigned(message))
    signature = PAYER.sign(message).signature
    signed = tx.with_signature(0, signature)
    raw = signed.serialize()
    assert raw == short_vec(1) + signature + message
    VerifyKey(PAYER_PK).verify(message, raw[1:65])
    assert solana_tx.parse_transaction(raw).signatures == (signature,)


def test_partially_signed_transaction_keeps_the_other_signature() -> None:
    other_pk = bytes(OTHER.verify_key)
    message = legacy_message(PAYER_PK, signers=2, extra=other_pk)
    theirs = OTHER.sign(message).signature
    raw = short_vec(2) + bytes(64) + theirs + message
    tx = solana_tx.parse_transaction(raw)
    assert tx.message.signers == (PAYER_PK, other_pk)
    mine = PAYER.sign(message).signature
    assert tx.with_signature(0, mine).serialize() == short_vec(2) + mine + theirs + message


def _bad(raw: bytes, match: str) -> None:
    with pytest.raises(BadInputError, match=match):
        solana_tx.parse_transaction(raw, what="transaction 1")


def test_every_truncation_is_refused_cleanly() -> None:
    for build in (legacy_message, v0_message):
        raw = unsigned(build(PAYER_PK))
        for cut in range(len(raw)):
            with pytest.raises(BadInputError, match="transaction 1"):
                solana_tx.parse_transaction(raw[:cut], what="transaction 1")


def test_trailing_bytes_are_refused() -> None:
    _bad(unsigned(legacy_message(PAYER_PK)) + b"\0", "1 unexpected trailing byte")


def test_signature_count_must_match_the_header() -> None:
    message = legacy_message(PAYER_PK)
    _bad(unsigned(message, slots=2), "2 signature slot.*requires 1")
    _bad(short_vec(0) + message, "0 signature slot.*requires 1")


def test_unknown_message_version_is_refused() -> None:
    message = bytearray(v0_message(PAYER_PK))
    message[0] = 0x81
    _bad(unsigned(bytes(message)), "version 1 is not supported")


def test_header_rules() -> None:
    message = bytearray(legacy_message(PAYER_PK))
    message[1] = 1  # read-only signed == required: no writable fee payer
    _bad(unsigned(bytes(message)), "fee payer is not writable")
    message = bytearray(legacy_message(PAYER_PK))
    message[2] = 3  # 1 signer + 3 read-only unsigned > 3 keys
    _bad(unsigned(bytes(message)), "there are 3 key")
    message = bytearray(legacy_message(PAYER_PK))
    message[0] = 0
    _bad(short_vec(0) + bytes(message), "no fee payer")


def test_instruction_indexes_are_checked() -> None:
    message = legacy_message(PAYER_PK)
    ix_at = 3 + 1 + 3 * 32 + 32 + 1  # header, key count, keys, blockhash, instruction count
    for program, match in ((0, "program index 0"), (3, "program index 3")):
        bad = bytearray(message)
        bad[ix_at] = program
        _bad(unsigned(bytes(bad)), match)
    bad = bytearray(message)
    bad[ix_at + 3] = 7  # the second account index
    _bad(unsigned(bytes(bad)), "account index 7 is out of range")
    # v0: a program may not come from a lookup table; accounts may.
    v0 = bytearray(v0_message(PAYER_PK))
    v0_ix = 1 + 3 + 1 + 2 * 32 + 32 + 1
    v0[v0_ix] = 2
    _bad(unsigned(bytes(v0)), "program index 2")


def test_duplicate_account_keys_are_refused() -> None:
    message = legacy_message(PAYER_PK, signers=1, extra=PAYER_PK)
    _bad(unsigned(message), "lists an account key twice")


def test_a_lookup_that_loads_nothing_is_refused() -> None:
    message = v0_message(PAYER_PK)
    # Replace the lookup's index lists by two empty ones (and keep the instruction valid
    # by pointing it at the system program's static index instead of a loaded one).
    empty = message[: -(32 + 4)] + TABLE + short_vec(0) + short_vec(0)
    ix_accounts = 1 + 3 + 1 + 2 * 32 + 32 + 1 + 1 + 1
    fixed = bytearray(empty)
    fixed[ix_accounts + 1] = 1
    _bad(unsigned(bytes(fixed)), "lookup 0 loads no account")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(raw: bytes) -> None:
    try:
        tx = solana_tx.parse_transaction(raw)
    except BadInputError:
        return
    assert tx.serialize() == raw


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_single_byte_corruptions_never_crash(data: st.DataObject) -> None:
    raw = bytearray(unsigned(data.draw(st.sampled_from([legacy_message, v0_message]))(PAYER_PK)))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] = data.draw(st.integers(0, 255))
    try:
        tx = solana_tx.parse_transaction(bytes(raw))
    except BadInputError:
        return
    assert tx.serialize() == bytes(raw)


# -- signature slots, serialization and message diffs -----------------------------------------


def test_signature_slots_report_each_slot() -> None:
    message = legacy_message(PAYER_PK, signers=2, extra=bytes(OTHER.verify_key))
    tx = solana_tx.parse_transaction(unsigned(message, 2))
    assert [s.status for s in solana_tx.signature_slots(tx)] == ["empty", "empty"]
    tx = tx.with_signature(1, OTHER.sign(message).signature)
    tx = tx.with_signature(0, PAYER.sign(message + b"x").signature)
    slots = solana_tx.signature_slots(tx)
    assert [(s.signer, s.status) for s in slots] == [
        (PAYER_PK, "invalid"),
        (bytes(OTHER.verify_key), "valid"),
    ]
    with pytest.raises(InvalidSignatureError):
        solana_tx.verify_slot(tx, 0)
    solana_tx.verify_slot(tx, 1)


@pytest.mark.parametrize("build", [legacy_message, v0_message])
def test_serialize_message_round_trips(build: Callable[[bytes], bytes]) -> None:
    raw = build(PAYER_PK)
    assert solana_tx.serialize_message(solana_tx.parse_message(raw)) == raw


def test_prepend_instruction_keeps_lookup_accounts() -> None:
    message = solana_tx.parse_message(v0_message(PAYER_PK))
    program = bytes(range(200, 232))
    changed = solana_tx.prepend_instruction(message, program, b"\x03")
    before = solana_tx.resolve_instructions(message)
    after = solana_tx.resolve_instructions(changed)
    assert after[1:] == before  # the loaded account index moved, its name did not
    assert any(a.startswith("lookup:") for a in before[0].accounts)
    diff = solana_tx.diff_messages(message, changed)
    assert [(d.field, d.change, d.index) for d in diff] == [
        ("header", "changed", None),
        ("instruction", "added", 0),
    ]


def test_diff_names_blockhash_and_fee_payer() -> None:
    asked = solana_tx.parse_message(legacy_message(PAYER_PK))
    got = solana_tx.parse_message(
        legacy_message(bytes(OTHER.verify_key)).replace(BLOCKHASH, bytes(range(1, 33)))
    )
    fields = {d.field: d for d in solana_tx.diff_messages(asked, got)}
    # The transfer's source is the fee payer, so the instruction changed too.
    assert set(fields) == {"fee_payer", "recent_blockhash", "instruction"}
    assert fields["fee_payer"].to_json()["got"] == base58.encode(bytes(OTHER.verify_key))
