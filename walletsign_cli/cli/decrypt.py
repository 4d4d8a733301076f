"""``walletsign decrypt``: open a MetaMask / Immutable Link x25519-xsalsa20-poly1305 object."""

from __future__ import annotations

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import read_file_bytes
from walletsign_cli.cli.output import emit_json, emit_text, json_option, note
from walletsign_cli.limits import MAX_PAYLOAD_BYTES
from walletsign_cli.protocols import eth_encryption


@click.command(
    cls=HelpCommand,
    help_groups={"Key": ["--private-key", "--private-key-file"], "Output": ["--json"]},
)
@click.argument("file", metavar="FILE|-")
@click.option(
    "--private-key",
    metavar="HEX",
    help="The recipient's 32-byte Ethereum private key in hex (visible in shell history).",
)
@click.option(
    "--private-key-file",
    metavar="PATH|-",
    help="Read the hex private key from this file ('-': stdin); keeps it out of shell history.",
)
@json_option
@pass_env
def command(
    env: Environment,
    file: str,
    private_key: str | None,
    private_key_file: str | None,
    as_json: bool,
) -> None:
    """Decrypt an eth_decrypt object with the recipient's Ethereum private key.

    FILE holds the {version, nonce, ephemPublicKey, ciphertext} JSON (or the 0x-hex of it
    that eth_decrypt receives); both the plain form and eth-sig-util's encryptSafely padded
    form open. The plaintext is printed on stdout as it is to a file or a pipe; on a
    terminal, control and bidirectional characters in it are shown as escapes (\\x1b,
    \\u202e). The raw private key is the x25519 secret, as in eth-sig-util. MetaMask has
    deprecated eth_getEncryptionPublicKey and eth_decrypt (not provably secure); use this for
    compatibility only.

    \b
    Examples:
      walletsign decrypt --private-key-file key.hex note.enc.json
      walletsign encrypt --public-key KEY --message hi \\
          | walletsign decrypt --private-key-file key.hex -
      walletsign decrypt --private-key-file - note.enc.json --json < key.hex
    """
    eth_encryption.check_decrypt_options(file, private_key, private_key_file)

    if private_key_file is not None:
        key_bytes = read_file_bytes(private_key_file, 4096, "--private-key-file")
        secret = eth_encryption.parse_private_key(
            key_bytes.decode("ascii", "replace"), "--private-key-file"
        )
    else:
        assert private_key is not None  # noqa: S101 - checked above
        secret = eth_encryption.parse_private_key(private_key, "--private-key")

    raw = read_file_bytes(file, MAX_PAYLOAD_BYTES, "FILE")
    result = eth_encryption.decrypt_document(raw, secret)

    if as_json:
        emit_json({"plaintext": result.plaintext, "padded": result.padded})
        return
    emit_text(result.plaintext)
    if result.padded:
        note("opened eth-sig-util's padded (encryptSafely) form")
