"""Match a connect answer to the request it answers, and tell an older answer from a new one.

A connect answer's session token (in Phantom's layout) says which cluster and app it was
issued for and when. Each remembered connect request for the dapp key is held against those:
the answer fits a request with the same cluster and app URL. An answer whose wallet key and
session token are a saved session's was decoded before; one that fits no request and whose
session was issued before the newest request was made answers an earlier request: either is
an older answer, never recorded as the answer to a newer request. An answer that fits no
request but came after it is the wallet's answer with other claims (a session for another
cluster): it is matched, the difference is a warning, and the request stays unanswered, so
that its real answer is not taken for a second one.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp.sessions import pending_requests
from walletsign_cli.protocols.state import Document, PendingRequest

# Phones' clocks drift: a session issued up to this long before a request may still answer it.
CLOCK_SKEW_SECONDS = 300


@dataclass
class ConnectMatch:
    """The request a connect answer answers (if any), and what was found on the way."""

    request_id: str | None = None
    request: PendingRequest | None = None
    older: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        """The answer's claims are the request's: record it as that request's answer."""
        return self.request_id is not None and not self.warnings


def match_connect(
    doc: Document,
    dapp_public: str,
    wallet: str | None,
    wallet_key: str,
    claims: dict[str, Any],
    token: str,
) -> ConnectMatch:
    """The remembered connect request this answer answers (see the module docstring)."""
    requests = pending_requests(
        doc, lambda r: r.method == deeplink.CONNECT and r.dapp_public_key == dapp_public
    )
    if wallet is not None:
        requests.sort(key=lambda item: item[1].wallet != wallet)
    earlier = [
        (name, s)
        for name, s in doc.sessions.items()
        if (s.wallet_encryption_public_key, s.session, s.dapp_public_key)
        == (wallet_key, token, dapp_public)
        and wallet in (None, s.wallet)
    ]
    if earlier:
        name, entry = earlier[0]
        return ConnectMatch(
            older=True, warnings=[_older(name, entry.cluster, entry.created_at, requests)]
        )
    fitting = [item for item in requests if _fits(item[1], claims)]
    if fitting:
        return ConnectMatch(fitting[0][0], fitting[0][1])
    if not requests:
        return ConnectMatch()
    rid, req = requests[0]
    issued = _issued(claims)
    made = _seconds(req.created_at)
    if issued is not None and made is not None and issued < made - CLOCK_SKEW_SECONDS:
        # Other claims and an earlier time: the answer to an earlier request.
        return ConnectMatch(older=True, warnings=[_issued_before(claims, req)])
    return ConnectMatch(rid, req, warnings=_differences(req, claims))


def _older(
    name: str, cluster: str | None, saved: str | None, requests: list[tuple[str, PendingRequest]]
) -> str:
    text = (
        f"an older answer: it was decoded before, as session {name!r} "
        f"({cluster or 'mainnet-beta'}, saved at {saved or 'an unknown time'})"
    )
    waiting = [r for _, r in requests if not r.answered_at]
    if waiting:
        text += (
            f"; the connect request of {waiting[0].created_at} "
            f"({waiting[0].cluster or 'mainnet-beta'}) is still waiting for its answer"
        )
    return text + "; nothing was recorded"


def _issued_before(claims: dict[str, Any], req: PendingRequest) -> str:
    return (
        f"an older answer: its session was issued at {_iso(_issued(claims))} "
        f"({claims.get('cluster', 'mainnet-beta')}), before the connect request of "
        f"{req.created_at} ({req.cluster or 'mainnet-beta'}); nothing was recorded"
    )


def _fits(req: PendingRequest, claims: dict[str, Any]) -> bool:
    # The time alone never refuses a request: what a token's timestamp means is not
    # documented beyond "when the user approved" (research §5, uncertain).
    return not claims or not _differences(req, claims)


def _differences(req: PendingRequest, claims: dict[str, Any]) -> list[str]:
    out = []
    cluster = claims.get("cluster", "mainnet-beta") if claims else None
    if cluster is not None and cluster != (req.cluster or "mainnet-beta"):
        out.append(
            f"the wallet issued the session for {cluster}, but the request asked "
            f"{req.cluster or 'mainnet-beta'}"
        )
    app_url = claims.get("app_url")
    if isinstance(app_url, str) and req.app_url is not None and app_url != req.app_url:
        out.append(
            f"the session was issued to app {app_url}, but the request was for {req.app_url}"
        )
    return out


def _issued(claims: dict[str, Any]) -> float | None:
    value = claims.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _seconds(value) if isinstance(value, str) else None
    # Seconds (Phantom's docs); a value this large is milliseconds (uncertain: tolerant).
    return value / 1000 if value > 10**11 else float(value)


def _seconds(text: str | None) -> float | None:
    if not text:
        return None
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return moment.timestamp()


def _iso(seconds: float | None) -> str:
    if seconds is None:
        return "an unknown time"
    return _dt.datetime.fromtimestamp(int(seconds), _dt.UTC).isoformat().replace("+00:00", "Z")
