"""``walletsign simulate-eth``: an Ethereum wallet in the terminal, with a test key."""

from __future__ import annotations

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import read_file_bytes
from walletsign_cli.cli.output import emit, emit_json, json_option, note
from walletsign_cli.limits import MAX_MESSAGE_BYTES
from walletsign_cli.protocols import eth_signer, jobs
from walletsign_cli.protocols.verification import EIP191, EIP712, SIWE


@click.command(
    cls=HelpCommand,
    help_groups={
        "Request": ["--scheme", "--message", "--message-file", "--typed-data"],
        "Key": ["--key-name"],
        "Signature": ["--compact"],
        "Output": ["--json"],
    },
)
@click.option(
    "--scheme",
    type=click.Choice(eth_signer.SCHEMES),
    help="What to sign: eip191 (personal_sign), siwe, eip712 [default: eip712 with "
    "--typed-data, else eip191].",
)
@click.option("--message", metavar="TEXT", help="personal_sign / SIWE: the message text.")
@click.option("--message-file", metavar="PATH|-", help="The message bytes from a file.")
@click.option("--typed-data", metavar="FILE|-", help="EIP-712: the eth_signTypedData_v4 JSON.")
@click.option(
    "--key-name",
    default="sim",
    show_default=True,
    help="The test key: the same name always gives the same address.",
)
@click.option("--compact", is_flag=True, help="Return the 64-byte EIP-2098 form.")
@json_option
@pass_env
def command(
    env: Environment,
    scheme: str | None,
    message: str | None,
    message_file: str | None,
    typed_data: str | None,
    key_name: str,
    compact: bool,
    as_json: bool,
) -> None:
    """Sign as an Ethereum wallet would, with a test key (for tests and demos).

    Signs personal_sign (EIP-191) messages, Sign-In With Ethereum texts (the message must
    be a valid EIP-4361 message for the key's address) and EIP-712 typed data with a key
    derived from --key-name, and prints the 0x signature (r ‖ s ‖ v, v = 27/28, low s).
    The key is derived from a public rule: never send funds to its address.

    \b
    Examples:
      walletsign simulate-eth --message 'hello'
      walletsign simulate-eth --typed-data permit.json --json
      walletsign simulate-eth --scheme siwe --message-file signin.txt
    """
    given = [v for v in (message, message_file, typed_data) if v is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --message, --message-file, --typed-data")
    signer = eth_signer.simulated_key(key_name)
    if typed_data is not None:
        if scheme not in (None, EIP712):
            raise click.UsageError(f"--typed-data is EIP-712, not --scheme {scheme}")
        document = read_file_bytes(typed_data, MAX_MESSAGE_BYTES, "--typed-data")
        signed = eth_signer.sign_typed_data(signer, document, compact=compact)
    else:
        if scheme == EIP712:
            raise click.UsageError("--scheme eip712 needs --typed-data FILE|-")
        data = (
            jobs.text_message(message, name="--message").data
            if message is not None
            else read_file_bytes(str(message_file), MAX_MESSAGE_BYTES, "--message-file")
        )
        if scheme == SIWE and message_file is not None and data.endswith(b"\n"):
            data = data[:-1]  # an editor's final newline: no sign-in message ends with one
        signed = eth_signer.sign_message(signer, data, scheme=scheme or EIP191, compact=compact)
    if as_json:
        emit_json(signed.to_json())
        return
    emit(signed.signature)
    note(f"signed {signed.scheme} with the test key {key_name!r}: {signed.address}")
    if signed.scheme == SIWE:
        note("check it: walletsign verify --scheme siwe --message FILE --signature SIG")
