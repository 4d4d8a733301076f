"""``walletsign keygen``: create or import the dapp's x25519 encryption keypair."""

from __future__ import annotations

import click

from walletsign_cli import inventory
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import read_text_arg
from walletsign_cli.cli.output import emit, emit_json, json_option, note, warn
from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.protocols.state import check_name


@click.command(
    cls=HelpCommand,
    help_groups={
        "Key": ["--name", "--force", "--secret-key"],
        "Output": ["--show-secret", "--json"],
    },
)
@click.option("--name", default="default", show_default=True, help="Name of the keypair.")
@click.option("--force", is_flag=True, help="Overwrite an existing keypair of that name.")
@click.option(
    "--secret-key",
    metavar="B58|-",
    help="Import this base58 x25519 secret key instead of generating one ('-': read stdin).",
)
@click.option(
    "--show-secret", is_flag=True, help="Also print the secret key (it is never shown otherwise)."
)
@json_option
@pass_env
def command(
    env: Environment,
    name: str,
    force: bool,
    secret_key: str | None,
    show_secret: bool,
    as_json: bool,
) -> None:
    """Create (or import) the dapp's x25519 encryption keypair.

    The public key goes in every deeplink as dapp_encryption_public_key; the secret stays
    in the keystore (mode 0600) and opens the wallet's answers.

    \b
    Examples:
      walletsign keygen
      walletsign keygen --name staging --json
      walletsign keygen --name imported --secret-key - < secret.b58
    """
    check_name(name)
    keypair = new_keypair(secret_key)
    store = env.keystore()
    stale = inventory.save_key(store, name, keypair, force=force)
    if stale:
        warn(
            f"replaced dapp key {name!r}; sessions made with it no longer work: "
            f"{', '.join(stale)} (connect again)"
        )
    if as_json:
        emit_json(inventory.key_document(name, keypair, store, show_secret=show_secret))
        return
    emit(str(keypair.public))
    if show_secret:
        emit(keypair.secret_base58())
    note(f"saved dapp key {name!r} in {store.path}")


def new_keypair(secret_key: str | None) -> X25519KeyPair:
    """A fresh keypair, or the one ``--secret-key`` (text or ``-`` for stdin) holds."""
    text = None if secret_key is None else read_text_arg(secret_key, 4096, "--secret-key")
    return inventory.import_keypair(text)
