"""The dapp side of Phantom-style deeplinks, as pure functions over the keystore document.

The shape :func:`walletsign_cli.protocols.simulator.respond` has: a request (or an answer)
and a :class:`~walletsign_cli.protocols.state.Document` in, a plan (or a result) and the new
document out. Keys, nonces and time are injectable; nothing here reads or writes a file,
prints or knows click. The CLI commands and the public API are thin layers on top:

- :func:`plan_connect` builds the ``connect`` deeplink (storing a new dapp key on first use),
- :func:`plan_request` (or :func:`plan_content` with :func:`sign_message`,
  :func:`sign_transactions`, :data:`DISCONNECT`) builds an encrypted request for a saved
  session and remembers it,
- :func:`answer` decodes what the wallet sent back: saves the session of a connect answer,
  matches other answers to the remembered request and verifies signMessage signatures,
  removes the session of a disconnect answer.
"""

from walletsign_cli.protocols.dapp.answers import answer, read_names, read_redirect, rejection
from walletsign_cli.protocols.dapp.connect import ConnectPlan, connect_base, plan_connect
from walletsign_cli.protocols.dapp.requests import (
    DISCONNECT,
    Payload,
    RequestContent,
    RequestPlan,
    check_request_options,
    is_utf8,
    plan_content,
    plan_request,
    sign_message,
    sign_transactions,
    text_message,
    transaction_texts,
)
from walletsign_cli.protocols.dapp.result import RedirectResult, replay_warning
from walletsign_cli.protocols.dapp.sessions import (
    CONNECT_PREFIX,
    Session,
    base_url_for,
    connect_request_id,
    mark_answered,
    pending_requests,
    resolve_session,
    session_name_or_newest,
    wallet_warnings,
)

__all__ = [
    "CONNECT_PREFIX",
    "DISCONNECT",
    "ConnectPlan",
    "Payload",
    "RedirectResult",
    "RequestContent",
    "RequestPlan",
    "Session",
    "answer",
    "base_url_for",
    "check_request_options",
    "connect_base",
    "connect_request_id",
    "is_utf8",
    "mark_answered",
    "pending_requests",
    "plan_connect",
    "plan_content",
    "plan_request",
    "read_names",
    "read_redirect",
    "rejection",
    "replay_warning",
    "resolve_session",
    "session_name_or_newest",
    "sign_message",
    "sign_transactions",
    "text_message",
    "transaction_texts",
    "wallet_warnings",
]
