"""The dapp's ``connect`` request: build it and what the keystore must remember for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.errors import BadInputError
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp.sessions import connect_request_id
from walletsign_cli.protocols.state import Document, KeyEntry, PendingRequest, check_name, now_iso


@dataclass(frozen=True)
class ConnectPlan:
    """A built connect request and the keystore document that remembers it."""

    request: deeplink.DeeplinkRequest
    wallet: str | None
    base_url: str
    key_name: str
    keypair: X25519KeyPair
    created: bool
    pending: PendingRequest
    document: Document

    @property
    def request_id(self) -> str:
        """The ``requests`` entry of this connect (it has no nonce)."""
        return connect_request_id(str(self.keypair.public), self.wallet)

    def to_json(self) -> dict[str, Any]:
        """The SPEC's ``--json`` document."""
        return {
            "url": self.request.url,
            "wallet": self.wallet,
            "method": deeplink.CONNECT,
            "params": self.request.params_dict,
            "key": self.key_name,
        }

    def warnings(self) -> list[str]:
        """What a user should know before opening the URL (its length, a cluster the wallet
        does not document)."""
        found = deeplink.url_warnings(self.request.url)
        cluster = deeplink.cluster_warning(self.pending.cluster or "", self.wallet)
        return found if cluster is None else [cluster, *found]


def connect_base(wallet: str | None, base_url: str | None) -> str:
    """``base_url`` (normalized) or ``wallet``'s universal link."""
    if base_url is not None:
        return deeplink.normalize_base_url(base_url)
    if wallet is None:
        raise BadInputError("a connect request needs a wallet or a base URL")
    return deeplink.WALLETS[wallet].universal_base


def plan_connect(
    doc: Document,
    *,
    wallet: str | None,
    app_url: str,
    redirect_link: str,
    cluster: str,
    key: str,
    base_url: str | None,
    now: str | None = None,
    keypair: X25519KeyPair | None = None,
) -> ConnectPlan:
    """Validate and build the connect request; the plan's document stores a new dapp key
    ``key`` (``keypair``, else a fresh one, when ``key`` is not stored yet) and remembers
    the request. ``doc`` is not changed."""
    check_name(key, option="--key")
    deeplink.check_url(app_url, option="--app-url")
    deeplink.check_url(redirect_link, option="--redirect-link")
    deeplink.check_cluster(cluster, wallet)
    base = connect_base(wallet, base_url)
    at = now or now_iso()
    created = key not in doc.keys
    if created:
        keypair = keypair or X25519KeyPair.generate()
        doc = doc.with_key(key, KeyEntry.of(keypair, at))
    else:
        keypair = doc.dapp_keypair(key)
    request = deeplink.build_connect(
        base,
        dapp_public_key=keypair.public,
        app_url=app_url,
        redirect_link=redirect_link,
        cluster=cluster,
    )
    pending = PendingRequest(
        method=deeplink.CONNECT,
        wallet=wallet,
        redirect_link=redirect_link,
        created_at=at,
        dapp_key=key,
        dapp_public_key=str(keypair.public),
        base_url=base,
        app_url=app_url,
        cluster=cluster,
    )
    doc = doc.with_request(connect_request_id(str(keypair.public), wallet), pending)
    return ConnectPlan(request, wallet, base, key, keypair, created, pending, doc)
