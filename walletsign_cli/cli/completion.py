"""Shell completion of keystore names for ``--key``, ``--session`` and ``--wallet-name``.

Completion must never fail loudly: any keystore problem simply completes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import click
from click.shell_completion import CompletionItem

from walletsign_cli.keystore import Keystore, locate
from walletsign_cli.protocols.state import Document


def _names(
    ctx: click.Context, section: Callable[[Document], Iterable[str]], incomplete: str
) -> list[CompletionItem]:
    root = ctx.find_root()
    explicit = root.params.get("keystore_option")
    try:
        data = Keystore(locate(explicit if isinstance(explicit, str) else None)).load_redacted()
    except Exception:  # noqa: BLE001 - a completion never shows an error
        return []
    names = section(data)
    return [CompletionItem(name) for name in sorted(names) if name.startswith(incomplete)]


def complete_keys(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names of stored dapp keys."""
    return _names(ctx, lambda doc: doc.keys, incomplete)


def complete_sessions(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names of saved sessions."""
    return _names(ctx, lambda doc: doc.sessions, incomplete)


def complete_wallets(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names of simulated wallets."""
    return _names(ctx, lambda doc: doc.wallets, incomplete)
