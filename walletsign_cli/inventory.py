"""What a keystore holds and where it is, as the documents ``walletsign keystore`` prints.

Names and public keys only: never a secret (the listing reads the redacted document, which
an encrypted keystore gives without its passphrase).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.errors import BadInputError, KeystoreError
from walletsign_cli.keystore import Keystore, locate
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


def listing_lines(listing: dict[str, Any]) -> list[str]:
    """:func:`listing` as text: a section per kind, one ``name  field=value`` line per item."""
    lines = []
    for section in ("keys", "sessions", "wallets"):
        lines.append(f"{section}:")
        for item in listing[section]:
            details = "  ".join(f"{k}={_text(v)}" for k, v in item.items() if k != "name" and v)
            lines.append(f"  {_text(item['name'])}  {details}".rstrip())
    lines.append(f"pending requests: {listing['pending_requests']}")
    return lines


def _text(value: Any) -> str:
    # A hand-edited keystore may hold anything: never let it drive the terminal.
    text = str(value)
    return text if text.isprintable() else repr(text)


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
            # SPEC.md fixes exit 5 for this refusal (keygen: "without --force (exit 5)"), so
            # the error stays a keystore one; the hint says both ways out.
            raise KeystoreError(
                f"a dapp key named {name!r} already exists in {store.path}",
                hint=f"choose another --name to keep it, or pass --force to replace it "
                f"(sessions made with {name!r} then stop working)",
            )
        stale = sorted(
            session_name for session_name, entry in doc.sessions.items() if entry.dapp_key == name
        )
        txn.document = doc.with_key(name, KeyEntry.of(keypair, now_iso()))
    return stale


def key_document(
    name: str, keypair: X25519KeyPair, store: Keystore, *, show_secret: bool = False
) -> dict[str, str]:
    """``keygen --json``: the key's name and public key, and (only when asked) its secret."""
    document = {"name": name, "public_key": str(keypair.public), "keystore": str(store.path)}
    if show_secret:
        document["secret_key"] = keypair.secret_base58()
    return document


def import_keypair(secret_key: str | None, name: str = "--secret-key") -> X25519KeyPair:
    """A fresh keypair, or the one the base58 x25519 ``secret_key`` gives."""
    if secret_key is None:
        return X25519KeyPair.generate()
    if not secret_key:
        raise BadInputError(f"{name} is empty")
    return X25519KeyPair.from_base58(secret_key, name=name)


def names(keystore_option: str | None, section: str, prefix: str) -> list[str]:
    """The sorted names in ``section`` (keys, sessions or wallets) that start with ``prefix``,
    for shell completion: any keystore problem gives none."""
    try:
        data = Keystore(locate(keystore_option)).load_redacted()
    except Exception:  # noqa: BLE001 - a completion never shows an error
        return []
    found: Iterable[str] = getattr(data, section)
    return [name for name in sorted(found) if name.startswith(prefix)]
