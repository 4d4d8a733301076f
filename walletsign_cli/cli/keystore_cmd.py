"""``walletsign keystore``: where the keystore is, what it holds, and sealing it at rest."""

from __future__ import annotations

import click

from walletsign_cli import inventory
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand, HelpGroup
from walletsign_cli.cli.output import emit, emit_json, json_option, note, warn


@click.group(cls=HelpGroup)
def command() -> None:
    """Inspect the keystore, or encrypt and decrypt its secrets in place.

    \b
    Examples:
      walletsign keystore path
      walletsign keystore list --json
      WALLETSIGN_PASSPHRASE=... walletsign keystore encrypt
      walletsign --passphrase-file ~/.walletsign-pass keystore decrypt
    """


@command.command("path", cls=HelpCommand, help_groups={"Output": ["--json"]})
@json_option
@pass_env
def path_command(env: Environment, as_json: bool) -> None:
    """Print the keystore's path (and whether it exists and is encrypted).

    \b
    Examples:
      walletsign keystore path
      walletsign --keystore ./ks.json keystore path --json
    """
    found = inventory.status(env.keystore())
    if as_json:
        emit_json(found)
        return
    emit(found["keystore"])
    if not found["exists"]:
        note("the keystore does not exist yet; keygen or connect-url creates it")
    elif found["problem"]:
        warn(found["problem"])
    elif found["encrypted"]:
        note("its secrets are encrypted under a passphrase")


@command.command("list", cls=HelpCommand, help_groups={"Output": ["--json"]})
@json_option
@pass_env
def list_command(env: Environment, as_json: bool) -> None:
    """List the keys, sessions, wallets and pending requests by name (never a secret).

    Works on an encrypted keystore without the passphrase: names are not sealed.

    \b
    Examples:
      walletsign keystore list
      walletsign keystore list --json | jq '.sessions[].name'
    """
    listing = inventory.listing(env.keystore())
    if as_json:
        emit_json(listing)
        return
    for line in inventory.listing_lines(listing):
        emit(line)


@command.command("encrypt", cls=HelpCommand, help_groups={"Output": ["--json"]})
@json_option
@pass_env
def encrypt_command(env: Environment, as_json: bool) -> None:
    """Seal the keystore's secrets under the passphrase, in place and atomically.

    The passphrase comes from WALLETSIGN_PASSPHRASE or the global --passphrase-file; every
    later command needs it too. Only the secret fields are sealed; names stay readable.

    \b
    Examples:
      WALLETSIGN_PASSPHRASE='correct horse' walletsign keystore encrypt
      walletsign --passphrase-file ~/.walletsign-pass keystore encrypt --json
    """
    _convert(env, encrypt=True, as_json=as_json)


@command.command("decrypt", cls=HelpCommand, help_groups={"Output": ["--json"]})
@json_option
@pass_env
def decrypt_command(env: Environment, as_json: bool) -> None:
    """Store the keystore's secrets in plain text again (mode 0600), in place.

    Atomic, like every keystore write.

    \b
    Examples:
      WALLETSIGN_PASSPHRASE='correct horse' walletsign keystore decrypt
    """
    _convert(env, encrypt=False, as_json=as_json)


def _convert(env: Environment, *, encrypt: bool, as_json: bool) -> None:
    done = inventory.convert(env.keystore(), encrypt=encrypt)
    if as_json:
        emit_json(done)
        return
    emit(done["keystore"])
    state = "encrypted" if encrypt else "decrypted (plain text, mode 0600)"
    note(f"the keystore is {state}" if done["changed"] else f"the keystore was already {state}")
