"""Test helpers for writing keystore documents in their stored JSON form."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from walletsign_cli.keystore import Keystore
from walletsign_cli.protocols.state import Document


@contextlib.contextmanager
def raw_transaction(store: Keystore) -> Iterator[dict[str, Any]]:
    """A keystore transaction over the stored JSON form (as a hand edit would change it)."""
    with store.transaction() as txn:
        data = txn.document.to_json()
        yield data
        txn.document = Document.from_json(data)


def keystore(path: Path, passphrase: str | None = None) -> Keystore:
    """The keystore at ``path``, opened with a text passphrase as the CLI would pass it."""
    return Keystore(path, passphrase=passphrase.encode() if passphrase else None)
