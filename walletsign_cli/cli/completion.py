"""Shell completion of keystore names for ``--key``, ``--session`` and ``--wallet-name``.

Completion must never fail loudly: any keystore problem simply completes nothing.
"""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem

from walletsign_cli import inventory
from walletsign_cli.protocols import deeplink


def _names(ctx: click.Context, section: str, incomplete: str) -> list[CompletionItem]:
    explicit = ctx.find_root().params.get("keystore_option")
    found = inventory.names(explicit if isinstance(explicit, str) else None, section, incomplete)
    return [CompletionItem(name) for name in found]


def complete_keys(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names of stored dapp keys."""
    return _names(ctx, "keys", incomplete)


def complete_sessions(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names of saved sessions."""
    return _names(ctx, "sessions", incomplete)


def complete_wallets(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names of simulated wallets."""
    return _names(ctx, "wallets", incomplete)


def complete_clusters(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """The ``cluster`` values the chosen ``--wallet`` documents (every wallet's without one)."""
    wallet = ctx.params.get("wallet")
    allowed = deeplink.clusters_for(wallet if isinstance(wallet, str) else None)
    return [CompletionItem(c) for c in allowed if c.startswith(incomplete)]
