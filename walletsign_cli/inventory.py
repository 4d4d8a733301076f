"""What a keystore holds and where it is, as the documents ``walletsign keystore`` prints.

Names and public keys only: never a secret (the listing reads the redacted document, which
an encrypted keystore gives without its passphrase).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.errors import KeystoreError
from walletsign_cli.keystore import Keystore
from walletsign_cli.protocols.state import KeyEntry, now_iso


def shown_path(path: Path) -> str:
    """``path`` as text any stream can print: a path from undecodable argv bytes holds
    surrogates, which become U+FFFD (as ``click.format_filename`` does)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def status(store: Keystore) -> dict[str, Any]:
    """Where the keystore is, whether it exists and is encrypted, and what is wrong with it.

    A broken keystore is reported (``problem``), not raised: where it is matters most then.
    """
    exists = store.path.exists() or store.path.is_symlink()
    problem: str | None = None
    encrypted: bool | None = None
    try:
        encrypted = store.is_encrypted()
        if exists:
            store.load_redacted()
    except KeystoreError as exc:
        problem = exc.message
    return {
        "keystore": shown_path(store.path),
        "exists": exists,
        "encrypted": encrypted,
        "problem": problem,
    }


def listing(store: Keystore) -> dict[str, Any]:
    """The keys, sessions and wallets by name (sorted), and how many requests wait."""
    data = store.load_redacted()
    return {
        "keystore": shown_path(store.path),
        "encrypted": store.is_encrypted(),
        "keys": [
            {"name": name, "public_key": entry.public_key}
            for name, entry in sorted(data.keys.items())
        ],
        "sessions": [
            {
                "name": name,
                "wallet": entry.wallet,
                "public_key": entry.public_key,
                "dapp_key": entry.dapp_key,
            }
            for name, entry in sorted(data.sessions.items())
        ],
        "wallets": [
            {"name": name, "account_public_key": entry.account_public_key}
            for name, entry in sorted(data.wallets.items())
        ],
        "pending_requests": sum(1 for entry in data.requests.values() if not entry.answered_at),
    }


def convert(store: Keystore, *, encrypt: bool) -> dict[str, Any]:
    """Seal (``encrypt``) or unseal the keystore's secrets in place; ``changed`` is False
    when it already was so."""
    changed = store.convert(encrypt=encrypt)
    return {"keystore": shown_path(store.path), "encrypted": encrypt, "changed": changed}


def save_key(store: Keystore, name: str, keypair: X25519KeyPair, *, force: bool) -> list[str]:
    """Store ``keypair`` as dapp key ``name`` (``force``: replacing one of that name) and
    return the sessions made with the key it replaced, which stop working."""
    with store.transaction() as txn:
        doc = txn.document
        if name in doc.keys and not force:
            raise KeystoreError(
                f"a dapp key named {name!r} already exists in {store.path}",
                hint="pass --force to replace it (the sessions made with it stop working)",
            )
        stale = sorted(
            session_name for session_name, entry in doc.sessions.items() if entry.dapp_key == name
        )
        txn.document = doc.with_key(name, KeyEntry.of(keypair, now_iso()))
    return stale
