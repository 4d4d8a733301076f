"""Saved sessions and remembered requests, looked up in a keystore :class:`Document`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from walletsign_cli.core.box import SharedSecret, X25519KeyPair, X25519PublicKey
from walletsign_cli.errors import BadInputError, KeystoreError
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.state import (
    Document,
    PendingRequest,
    SessionEntry,
    check_name,
    damaged,
)

CONNECT_PREFIX = "connect:"


@dataclass(frozen=True)
class Session:
    """A saved session, ready to encrypt requests for."""

    name: str
    wallet: str | None
    base_url: str | None
    token: str
    dapp: X25519KeyPair
    shared: SharedSecret


def connect_request_id(dapp_public_key: str, wallet: str | None) -> str:
    """``connect:<dapp public key>:<wallet>``, where a connect request is remembered."""
    return f"{CONNECT_PREFIX}{dapp_public_key}:{wallet or 'custom'}"


def session_name_or_newest(doc: Document, name: str | None, *, option: str = "--session") -> str:
    """``name`` if it is saved, else (``None``) the most recently saved one; exit 5 if none."""
    sessions = doc.sessions
    if name is None:
        if not sessions:
            raise KeystoreError(
                "no session is saved yet",
                hint="run walletsign connect-url, then walletsign decode-redirect on the answer",
            )
        return max(sessions, key=lambda n: (sessions[n].created_at or "", n))
    check_name(name, option=option)
    if name not in sessions:
        known = ", ".join(sorted(sessions)) or "none"
        raise KeystoreError(
            f"{option}: no session named {name!r} in the keystore (known: {known})",
            hint="decode the wallet's connect answer with decode-redirect to save one",
        )
    return name


def resolve_session(doc: Document, name: str | None, *, option: str = "--session") -> Session:
    """The session ``name`` (default: the most recently saved one); exit 5 if missing,
    incomplete, made with a replaced dapp key or damaged."""
    name = session_name_or_newest(doc, name, option=option)
    entry = doc.sessions[name]
    missing = entry.missing()
    if missing:
        raise KeystoreError(f"session {name!r} is incomplete: no {', '.join(missing)}")
    dapp_key = entry.dapp_key or ""
    dapp = doc.dapp_keypair(dapp_key, option=f"session {name!r}")
    if entry.dapp_public_key is not None and entry.dapp_public_key != str(dapp.public):
        raise KeystoreError(
            f"session {name!r} was made with an earlier dapp key {dapp_key!r}, "
            "which has since been replaced; the wallet cannot open this request",
            hint="connect again: walletsign connect-url ... then decode-redirect the answer",
        )
    return Session(
        name=name,
        wallet=entry.wallet,
        base_url=entry.base_url,
        token=entry.session or "",
        dapp=dapp,
        shared=deeplink.connect_shared(_wallet_key(name, entry), dapp),
    )


def _wallet_key(name: str, entry: SessionEntry) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_base58(
            entry.wallet_encryption_public_key or "", name=f"session {name!r} wallet key"
        )
    except BadInputError as exc:
        raise damaged(exc) from None


def base_url_for(session: Session, wallet: str | None, base_url: str | None) -> str:
    """``base_url`` > ``wallet``'s universal link > the session's base > its wallet's."""
    if base_url is not None:
        return deeplink.normalize_base_url(base_url)
    if wallet is not None and wallet != session.wallet:
        return deeplink.WALLETS[wallet].universal_base
    if session.base_url:
        return session.base_url
    if session.wallet in deeplink.WALLETS:
        return deeplink.WALLETS[session.wallet].universal_base
    raise BadInputError(
        f"session {session.name!r} has no deeplink base for wallet {session.wallet!r}",
        hint="pass --base-url (e.g. https://wallet.example/ul/v1/)",
    )


def wallet_warnings(method: str, wallet: str | None) -> list[str]:
    """Warnings about a method a wallet has retired."""
    info = deeplink.WALLETS.get(wallet or "")
    if info is not None and method in info.deprecated:
        return [
            f"{info.name} deprecated {method}; use signTransaction (or signAllTransactions) "
            "and send the signed transaction yourself"
        ]
    return []


def pending_requests(
    doc: Document, match: Callable[[PendingRequest], bool]
) -> list[tuple[str, PendingRequest]]:
    """The remembered requests ``match`` accepts: unanswered first, then the most recent."""
    found = [(rid, entry) for rid, entry in doc.requests.items() if match(entry)]
    return sorted(
        found, key=lambda item: (not item[1].answered_at, item[1].created_at or ""), reverse=True
    )


def mark_answered(doc: Document, request_id: str | None, at: str, **changes: str) -> Document:
    """``doc`` with the request ``request_id`` marked as answered (unchanged for ``None``)."""
    entry = doc.requests.get(request_id) if request_id is not None else None
    if request_id is None or entry is None:
        return doc
    return doc.with_request(request_id, entry.answered(at, **changes))
