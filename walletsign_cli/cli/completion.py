"""Shell completion of keystore names for ``--key``, ``--session`` and ``--wallet-name``.

Completion must never fail loudly: any keystore problem simply completes nothing.
"""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem


def _names(ctx: click.Context, section: str, incomplete: str) -> list[CompletionItem]:
    from walletsign_cli.keystore import Keystore, locate

    root = ctx.find_root()
    explicit = root.params.get("keystore_option")
    try:
        data = Keystore(locate(explicit if isinstance(explicit, str) else None)).load_redacted()
    except Exception:  # noqa: BLE001 - a completion never shows an error
        return []
    entries = data.get(section, {})
    return [CompletionItem(name) for name in sorted(entries) if name.startswith(incomplete)]


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
