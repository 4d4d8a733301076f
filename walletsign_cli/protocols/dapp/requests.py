"""The encrypted requests of a session: signMessage, the transaction methods, disconnect."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from walletsign_cli.core import base58
from walletsign_cli.core.solana_tx import parse_transaction
from walletsign_cli.errors import BadInputError
from walletsign_cli.limits import MAX_MESSAGE_BYTES, MAX_PAYLOAD_BYTES, check_size
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp.send_options import send_options_text
from walletsign_cli.protocols.dapp.sessions import (
    Session,
    base_url_for,
    resolve_session,
    wallet_warnings,
)
from walletsign_cli.protocols.state import Document, PendingRequest, now_iso

Payload = Callable[[str], dict[str, Any]]
"""The plaintext payload of a request, given the session token."""


@dataclass(frozen=True)
class RequestContent:
    """What a request asks for: its method, its payload and what to remember about it."""

    method: str
    payload: Payload
    remembered: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def text_message(text: str, *, option: str = "--message") -> bytes:
    """A message given as text: its UTF-8 bytes, within the size limit."""
    raw = deeplink.check_text(text, option).encode("utf-8")
    check_size(len(raw), MAX_MESSAGE_BYTES, option)
    return raw


def is_utf8(raw: bytes) -> bool:
    """True when ``raw`` decodes as UTF-8."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sign_message(raw: bytes, display: str | None = None, *, text: bool = False) -> RequestContent:
    """``signMessage`` of ``raw``; ``display`` defaults to utf8 for ``text`` or UTF-8 bytes,
    else hex. An empty message is refused."""
    if not raw:
        raise BadInputError("the message is empty")
    if display is None:
        display = "utf8" if text or is_utf8(raw) else "hex"
    shown = display

    def payload(token: str) -> dict[str, Any]:
        return deeplink.sign_message_payload(raw, token, shown)

    remembered = MappingProxyType({"message": base58.encode(raw), "display": display})
    return RequestContent(deeplink.SIGN_MESSAGE, payload, remembered)


def transaction_texts(values: Sequence[str], *, option: str = "--transaction") -> list[str]:
    """Base58 serialized transactions, checked exactly (a wallet refuses malformed ones)."""
    out = []
    for value in values:
        text = value.strip()
        check_size(len(text), MAX_PAYLOAD_BYTES, option)
        raw = deeplink.decode_b58(text, option)
        if not raw:
            raise BadInputError(f"{option} is empty")
        # Exact when writing: a wallet answers a malformed transaction with -32003/-32000.
        parse_transaction(raw, what=option)
        out.append(text)
    return out


def sign_transactions(
    values: Sequence[str], *, send: bool = False, send_options: Mapping[str, Any] | None = None
) -> RequestContent:
    """signTransaction (one), signAllTransactions (several) or, with ``send``,
    signAndSendTransaction (exactly one), with ``send_options`` (web3.js ``SendOptions``,
    checked by :func:`~walletsign_cli.protocols.dapp.send_options.parse_send_options`)."""
    if send and len(values) != 1:
        raise BadInputError("signAndSendTransaction takes exactly one transaction")
    if send_options is not None and not send:
        raise BadInputError("sendOptions go with signAndSendTransaction only (--send)")
    if not values:
        raise BadInputError("no transaction to sign")
    texts = transaction_texts(values)
    if send:
        method = deeplink.SIGN_AND_SEND_TRANSACTION
    elif len(texts) == 1:
        method = deeplink.SIGN_TRANSACTION
    else:
        method = deeplink.SIGN_ALL_TRANSACTIONS

    options = None if send_options is None else dict(send_options)

    def payload(token: str) -> dict[str, Any]:
        return deeplink.transaction_payload(method, texts, token, options)

    remembered: dict[str, Any] = {"transactions": tuple(texts)}
    if options is not None:
        remembered["send_options"] = send_options_text(options)
    return RequestContent(method, payload, MappingProxyType(remembered))


DISCONNECT = RequestContent(deeplink.DISCONNECT, deeplink.disconnect_payload)
"""The ``disconnect`` request (nothing to remember but the request itself)."""


@dataclass(frozen=True)
class RequestPlan:
    """A built encrypted request and the keystore document that remembers it."""

    request: deeplink.DeeplinkRequest
    session: Session
    wallet: str | None
    redirect_link: str
    pending: PendingRequest
    document: Document

    def to_json(self) -> dict[str, Any]:
        """The SPEC's ``--json`` document."""
        return {
            "url": self.request.url,
            "wallet": self.wallet,
            "method": self.request.method,
            "session_name": self.session.name,
            "params": self.request.params_dict,
            "payload": self.request.payload,
        }

    def warnings(self) -> list[str]:
        """Deprecations, a wallet other than the session's, and URL length."""
        found = wallet_warnings(self.request.method, self.wallet)
        if self.session.wallet and self.wallet and self.wallet != self.session.wallet:
            found.append(
                f"session {self.session.name!r} was made with {self.session.wallet}; "
                f"{self.wallet} holds no shared secret for it and cannot open this request"
            )
        return found + deeplink.url_warnings(self.request.url)


def check_request_options(redirect_link: str, base_url: str | None) -> None:
    """Refuse a malformed redirect link or base URL (exit 3), before any keystore look-up."""
    deeplink.check_url(redirect_link, option="--redirect-link")
    if base_url is not None:
        deeplink.normalize_base_url(base_url)


def plan_request(
    doc: Document,
    *,
    method: str,
    payload: Payload,
    session_name: str | None,
    wallet: str | None,
    base_url: str | None,
    redirect_link: str,
    remembered: Mapping[str, Any] | None = None,
    now: str | None = None,
    nonce: bytes | None = None,
) -> RequestPlan:
    """Build an encrypted request for a saved session (default: the newest); the plan's
    document remembers it under its nonce so that :func:`answer` can match the wallet's
    answer to it. ``doc`` is not changed."""
    check_request_options(redirect_link, base_url)
    session = resolve_session(doc, session_name)
    request = deeplink.build_encrypted(
        base_url_for(session, wallet, base_url),
        method,
        payload(session.token),
        dapp_public_key=session.dapp.public,
        shared=session.shared,
        redirect_link=redirect_link,
        nonce=nonce,
    )
    assert request.nonce is not None  # noqa: S101 - encrypted requests always have one
    chosen = wallet or session.wallet
    pending = PendingRequest(
        method=method,
        session_name=session.name,
        wallet=chosen,
        redirect_link=redirect_link,
        created_at=now or now_iso(),
        **dict(remembered or {}),
    )
    document = doc.with_request(request.nonce, pending)
    return RequestPlan(request, session, chosen, redirect_link, pending, document)


def plan_content(
    doc: Document,
    content: RequestContent,
    *,
    session_name: str | None,
    wallet: str | None,
    base_url: str | None,
    redirect_link: str,
    now: str | None = None,
    nonce: bytes | None = None,
) -> RequestPlan:
    """:func:`plan_request` for a :class:`RequestContent` (:func:`sign_message`, ...)."""
    return plan_request(
        doc,
        method=content.method,
        payload=content.payload,
        session_name=session_name,
        wallet=wallet,
        base_url=base_url,
        redirect_link=redirect_link,
        remembered=content.remembered,
        now=now,
        nonce=nonce,
    )
