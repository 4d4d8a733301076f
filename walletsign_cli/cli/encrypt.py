"""``walletsign encrypt``: MetaMask / Immutable Link x25519-xsalsa20-poly1305 encryption."""

from __future__ import annotations

import json

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import read_file_bytes
from walletsign_cli.cli.output import emit, json_option, note
from walletsign_cli.limits import MAX_MESSAGE_BYTES
from walletsign_cli.protocols import eth_encryption


@click.command(
    cls=HelpCommand,
    help_groups={
        "Recipient": ["--public-key"],
        "Message": ["--message", "--message-file", "--pad"],
        "Output": ["--json"],
    },
)
@click.option(
    "--public-key",
    required=True,
    metavar="B64",
    help="The recipient's base64 encryption key (eth_getEncryptionPublicKey, link.getPublicKey).",
)
@click.option("--message", metavar="TEXT", help="The text to encrypt.")
@click.option(
    "--message-file",
    metavar="PATH|-",
    help="Encrypt this file's UTF-8 text, byte for byte ('-': read stdin).",
)
@click.option(
    "--pad",
    is_flag=True,
    help="eth-sig-util encryptSafely: pad to a multiple of 2048 bytes to hide the length.",
)
@json_option
@pass_env
def command(
    env: Environment,
    public_key: str,
    message: str | None,
    message_file: str | None,
    pad: bool,
    as_json: bool,
) -> None:
    """Encrypt a message to an eth_getEncryptionPublicKey / link.getPublicKey key.

    Writes the {version, nonce, ephemPublicKey, ciphertext} object that eth_decrypt takes,
    exactly as @metamask/eth-sig-util encrypt (or, with --pad, encryptSafely) builds it,
    on one line of stdout (text mode and --json print the same object). Each run uses a
    fresh ephemeral key and nonce. MetaMask has deprecated eth_getEncryptionPublicKey and
    eth_decrypt (not provably secure); use this for compatibility only.

    \b
    Examples:
      walletsign encrypt --public-key C5YMNdqE4kLgxQhJO1MfuQcHP5hjVSXzamzd/TxlR0U= \\
          --message 'My name is Satoshi Buterin'
      walletsign encrypt --public-key KEY --message-file note.txt --pad > note.enc.json
      echo -n secret | walletsign encrypt --public-key KEY --message-file - --json
    """
    eth_encryption.check_encrypt_options(message, message_file)
    recipient = eth_encryption.parse_public_key(public_key)
    if message_file is not None:
        raw = read_file_bytes(message_file, MAX_MESSAGE_BYTES, "--message-file")
        text = eth_encryption.file_text(raw)
    else:
        assert message is not None  # noqa: S101 - checked above
        text = message
    encrypted, size = eth_encryption.encrypt_text(recipient, text, pad=pad)
    # JSON.stringify form on one line: the artefact, in text mode and with --json alike.
    emit(json.dumps(encrypted.to_json(), separators=(",", ":")))
    if not as_json:
        form = "padded (encryptSafely)" if pad else "unpadded"
        note(f"encrypted {size:,} bytes to {public_key.strip()}, {form}")
