"""``walletsign typed-data``: EIP-712 typed data, hashed step by step (offline)."""

from __future__ import annotations

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand, HelpGroup
from walletsign_cli.cli.inputs import read_file_bytes
from walletsign_cli.cli.output import emit, emit_json, json_option, warn
from walletsign_cli.limits import MAX_MESSAGE_BYTES
from walletsign_cli.protocols import eip712
from walletsign_cli.text import printable


@click.group(cls=HelpGroup)
def command() -> None:
    """EIP-712 typed data (eth_signTypedData_v4): what a wallet signs, step by step.

    \b
    Examples:
      walletsign typed-data hash permit.json
      cat order.json | walletsign typed-data hash - --json
    """


@command.command("hash", cls=HelpCommand, help_groups={"Output": ["--json"]})
@click.argument("source", metavar="FILE|-")
@json_option
@pass_env
def hash_command(env: Environment, source: str, as_json: bool) -> None:
    """Print the encoded type, type hash, struct hash, domain separator and digest.

    The digest is keccak256(0x1901 ‖ domain separator ‖ struct hash), the 32 bytes a
    wallet signs; compare each value with what a contract computes (hashStruct,
    _domainSeparatorV4, _hashTypedDataV4). A missing field, a value out of range, an
    undefined type or a type that contains itself is bad input (exit 3), naming it.

    \b
    Examples:
      walletsign typed-data hash permit.json
      walletsign typed-data hash - --json < order.json
    """
    raw = read_file_bytes(source, MAX_MESSAGE_BYTES, "typed data")
    typed = eip712.loads(raw, what="typed data")
    hashes = typed.hashes()
    if as_json:
        emit_json(
            {
                "primary_type": typed.primary_type,
                "domain": typed.describe_domain(),
                **hashes.to_json(),
            }
        )
        return
    rows = (
        ("primary type", typed.primary_type),
        ("encoded type", hashes.encoded_type),
        ("type hash", "0x" + hashes.type_hash.hex()),
        ("struct hash", "0x" + hashes.struct_hash.hex()),
        ("domain separator", "0x" + hashes.domain_separator.hex()),
        ("digest", "0x" + hashes.digest.hex()),
    )
    for name, value in rows:
        emit(f"{name + ':':<18}{printable(value)}")
    for warning in hashes.warnings:
        warn(printable(warning))
