"""walletsign as a Python library: build deeplinks, decode answers, verify signatures.

The command line is a client of these functions; they print nothing and never exit. Each
changing call reads the keystore once and saves inside one locked transaction, exactly as
the commands do. Errors are the exceptions of :mod:`walletsign_cli.errors`: bad input is a
:class:`~walletsign_cli.errors.BadInputError` (also a ``ValueError``), keystore trouble a
:class:`~walletsign_cli.errors.KeystoreError` (also an ``OSError``), and a signature that does
not verify an :class:`~walletsign_cli.errors.InvalidSignatureError`.

::

    from walletsign_cli import api

    store = api.open_keystore("keystore.json")
    connect = api.connect_url(
        store, wallet="phantom", app_url="https://example.com", redirect_link="myapp://c"
    )
    print(connect.request.url)            # open it on the phone
    result = api.decode_answer(store, redirect_url)   # saves the session
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from walletsign_cli.errors import BadInputError, InvalidSignatureError, KeystoreError
from walletsign_cli.keystore import DEFAULT_LOCK_TIMEOUT, Keystore, locate
from walletsign_cli.protocols import dapp, deeplink, diagnosis, jobs, simulator
from walletsign_cli.protocols.dapp import ConnectPlan, RedirectResult, RequestPlan, links
from walletsign_cli.protocols.dapp.links import Link
from walletsign_cli.protocols.dapp.send_options import check_values
from walletsign_cli.protocols.diagnosis import Report
from walletsign_cli.protocols.jobs import DEFAULTS, Defaults, JobResult
from walletsign_cli.protocols.simulator import Answer
from walletsign_cli.protocols.state import check_name
from walletsign_cli.protocols.verification import AUTO, Verdict

__all__ = [
    "Answer",
    "ConnectPlan",
    "Defaults",
    "InvalidSignatureError",
    "JobResult",
    "Keystore",
    "Link",
    "RedirectResult",
    "Report",
    "RequestPlan",
    "Verdict",
    "browse_url",
    "connect_url",
    "decode_answer",
    "diagnose",
    "disconnect_url",
    "fungible_url",
    "open_keystore",
    "read_link",
    "request_url",
    "sign_message_url",
    "sign_transactions_url",
    "simulate_wallet",
    "swap_url",
    "verify_jobs",
    "verify_signature",
]


def open_keystore(
    path: str | os.PathLike[str] | None = None,
    *,
    passphrase: str | bytes | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Keystore:
    """The keystore at ``path`` (default: ``$WALLETSIGN_KEYSTORE``, else the user data dir).

    Nothing is read until a call needs it. ``passphrase`` opens (and seals) an encrypted
    keystore; unlike the CLI, the library never reads ``$WALLETSIGN_PASSPHRASE`` itself.
    """
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    return Keystore(locate(path), passphrase=secret, lock_timeout=lock_timeout)


def connect_url(
    store: Keystore,
    *,
    wallet: str | None,
    app_url: str,
    redirect_link: str,
    cluster: str = "mainnet-beta",
    key: str = "default",
    base_url: str | None = None,
    before_save: Callable[[ConnectPlan], None] | None = None,
) -> ConnectPlan:
    """Build the ``connect`` deeplink (``.request.url``) and remember it in ``store``; the
    dapp key ``key`` is created on first use (``.created``).

    ``before_save`` is called with the plan inside the keystore transaction, before it is
    saved: if it raises (say, a QR file that cannot be written), nothing is saved.
    """
    with store.transaction() as txn:
        plan = dapp.plan_connect(
            txn.document,
            wallet=wallet,
            app_url=app_url,
            redirect_link=redirect_link,
            cluster=cluster,
            key=key,
            base_url=base_url,
        )
        if before_save is not None:
            before_save(plan)
        txn.document = plan.document
    return plan


def request_url(
    store: Keystore,
    content: dapp.RequestContent,
    *,
    redirect_link: str,
    session: str | None = None,
    wallet: str | None = None,
    base_url: str | None = None,
    before_save: Callable[[RequestPlan], None] | None = None,
) -> RequestPlan:
    """The encrypted deeplink of ``content`` (``dapp.sign_message(...)``,
    ``dapp.sign_transactions(...)``, ``dapp.DISCONNECT``) for a saved session (default: the
    newest), remembered in ``store``; ``before_save`` as in :func:`connect_url`."""
    with store.transaction() as txn:
        plan = dapp.plan_content(
            txn.document,
            content,
            session_name=session,
            wallet=wallet,
            base_url=base_url,
            redirect_link=redirect_link,
        )
        if before_save is not None:
            before_save(plan)
        txn.document = plan.document
    return plan


def sign_message_url(
    store: Keystore,
    message: str | bytes,
    *,
    redirect_link: str,
    session: str | None = None,
    display: str | None = None,
    wallet: str | None = None,
    base_url: str | None = None,
) -> RequestPlan:
    """An encrypted ``signMessage`` deeplink for a saved session (default: the newest),
    remembered so that :func:`decode_answer` verifies the wallet's signature. ``str`` is
    signed as UTF-8 text; ``display`` is ``"utf8"`` or ``"hex"``."""
    if isinstance(message, str):
        content = dapp.sign_message(dapp.text_message(message), display, text=True)
    else:
        content = dapp.sign_message(message, display)
    return request_url(
        store,
        content,
        redirect_link=redirect_link,
        session=session,
        wallet=wallet,
        base_url=base_url,
    )


def sign_transactions_url(
    store: Keystore,
    transactions: Sequence[str],
    *,
    redirect_link: str,
    send: bool = False,
    send_options: Mapping[str, Any] | None = None,
    session: str | None = None,
    wallet: str | None = None,
    base_url: str | None = None,
) -> RequestPlan:
    """``signTransaction`` (one base58 transaction), ``signAllTransactions`` (several) or,
    with ``send``, ``signAndSendTransaction``; each transaction is parsed first.
    ``send_options`` (with ``send`` only): web3.js ``SendOptions``, as ``--send-options``
    checks them, e.g. ``{"skipPreflight": False, "preflightCommitment": "confirmed"}``."""
    if send_options is not None:
        problems = check_values(dict(send_options))
        if problems:
            raise BadInputError(f"send_options: {problems[0]}")
    content = dapp.sign_transactions(transactions, send=send, send_options=send_options)
    return request_url(
        store,
        content,
        redirect_link=redirect_link,
        session=session,
        wallet=wallet,
        base_url=base_url,
    )


def disconnect_url(
    store: Keystore,
    *,
    redirect_link: str,
    session: str | None = None,
    wallet: str | None = None,
    base_url: str | None = None,
) -> RequestPlan:
    """The encrypted ``disconnect`` deeplink for a saved session."""
    return request_url(
        store,
        dapp.DISCONNECT,
        redirect_link=redirect_link,
        session=session,
        wallet=wallet,
        base_url=base_url,
    )


def _link_wallet(wallet: str | None) -> str | None:
    if wallet is not None and wallet not in deeplink.WALLETS:
        raise BadInputError(f"wallet must be one of {', '.join(deeplink.WALLETS)}, got {wallet!r}")
    return wallet


def browse_url(
    url: str, *, ref: str, wallet: str | None = None, base_url: str | None = None
) -> Link:
    """The ``browse`` deeplink that opens ``url`` in the wallet's in-app browser (``ref``: the
    requesting app's URL); unencrypted, nothing is stored. ``.url`` is the link."""
    return links.build_browse(url, ref, wallet=_link_wallet(wallet), base_url=base_url)


def fungible_url(
    token: str, *, wallet: str | None = "phantom", base_url: str | None = None
) -> Link:
    """Phantom's ``fungible`` deeplink: the token page of ``token`` (CAIP-19 or a mint)."""
    return links.build_fungible(token, wallet=_link_wallet(wallet), base_url=base_url)


def swap_url(
    *,
    buy: str | None = None,
    sell: str | None = None,
    wallet: str | None = "phantom",
    base_url: str | None = None,
) -> Link:
    """Phantom's ``swap`` deeplink with ``buy`` and ``sell`` filled in (``None``: SOL)."""
    return links.build_swap(buy, sell, wallet=_link_wallet(wallet), base_url=base_url)


def read_link(url: str) -> Link:
    """A browse, fungible or swap link read back (``.method``, ``.values``, ``.notes``), as
    ``decode-redirect`` reads one."""
    return links.parse_link(url)


def decode_answer(
    store: Keystore | Callable[[], Keystore],
    url: str | deeplink.Redirect,
    *,
    key: str | None = None,
    session: str | None = None,
    save: bool = True,
) -> RedirectResult:
    """Decode what the wallet sent back (a URL, or one parsed with
    :func:`walletsign_cli.protocols.dapp.read_redirect`), as ``decode-redirect`` does, and
    (with ``save``) record it: a connect answer saves a session, a disconnect answer
    removes it.

    A wallet error or a signature that does not verify is a result (``.status``,
    ``.verified``, ``.exit_code``), not an exception. ``store`` may be a function that opens
    the keystore: it is called only when the answer needs it (a wallet error never does).
    """
    if isinstance(url, deeplink.Redirect):
        redirect = url
        dapp.read_names(key, session)
    else:
        redirect = dapp.read_redirect(url, key=key, session=session)
    if redirect.kind == "error":
        return dapp.rejection(redirect)  # a wallet error never opens the keystore
    if not isinstance(store, Keystore):
        store = store()
    if not save:
        result, _ = dapp.answer(redirect, store.load(), key=key, session=session)
        result.saved = False
        return result
    with store.transaction() as txn:
        result, txn.document = dapp.answer(redirect, txn.document, key=key, session=session)
    return result


def diagnose(store: Keystore | None, text: str, *, expect_answer: bool = False) -> Report:
    """Every check ``walletsign doctor`` makes on ``text`` (a request deeplink or a wallet's
    answer, pasted as it came), with ``store`` (``None``: no keystore). Reads only; a keystore
    that is missing or cannot be opened is one of the checks, never an exception.
    ``expect_answer`` (as decode-redirect): a request deeplink is then a problem.
    """
    doc, where, check = None, None, None
    if store is not None:
        where = str(store.path)
        if not store.path.exists():
            check = diagnosis.checks.warning(
                "keystore",
                f"no keystore at {where}: nothing to decrypt with",
                hint="pass --keystore PATH of the keystore that built the request",
            )
        else:
            try:
                doc = store.load()
            except KeystoreError as exc:
                # Not a problem of the URL: what it alone tells is still checked.
                check = diagnosis.checks.warning(
                    "keystore", f"{where} cannot be opened: {exc.message}", exc.hint
                )
    if doc is not None:
        check = diagnosis.checks.ok(
            "keystore",
            f"keystore {where}: {len(doc.keys)} dapp key(s), {len(doc.sessions)} session(s), "
            f"{len(doc.requests)} remembered request(s)",
        )
    return diagnosis.diagnose(
        text, doc, keystore=where, keystore_problem=check, expect_answer=expect_answer
    )


def simulate_wallet(
    store: Keystore,
    url: str,
    *,
    wallet_name: str = "sim",
    wallet: str | None = None,
    reject: int | None = None,
    error_message: str | None = None,
    fault: str | None = None,
) -> Answer:
    """Answer a request deeplink as the wallet would (``walletsign simulate``): the
    returned answer's ``redirect`` is the URL the wallet opens. The simulated wallet's
    account and per-dapp keys are kept in ``store`` under ``wallets[wallet_name]``.

    ``reject`` presses Reject with that wallet error code; ``wallet`` overrides the wallet
    read from the URL (for a custom base URL); ``fault`` (a key of
    :data:`walletsign_cli.protocols.simulator.FAULTS`) answers wrongly on purpose.
    """
    check_name(wallet_name, option="--wallet-name")
    request = simulator.parse_request(url, wallet=wallet)
    with store.transaction() as txn:
        answer = simulator.respond(
            request,
            txn.document.wallets.get(wallet_name),
            wallet_name=wallet_name,
            reject=reject,
            error_message=error_message,
            fault=fault,
        )
        if answer.state is not None:
            txn.document = txn.document.with_wallet(wallet_name, answer.state)
    return answer


def verify_signature(
    *,
    signature: str,
    message: str | bytes,
    public_key: str | None = None,
    address: str | None = None,
    scheme: str = AUTO,
) -> Verdict:
    """Verify one signature: Solana (``public_key``: raw, off-chain, SIWS) or Ethereum
    (``address``: EIP-191), through the same scheme table as ``verify`` and ``--batch``.

    Returns the :class:`Verdict` of a valid signature; raises :class:`InvalidSignatureError`
    (saying why) when it does not verify, and :class:`BadInputError` for malformed input
    (including neither or both of ``public_key`` and ``address``). ``str`` messages are
    signed as UTF-8 text.
    """
    job: dict[str, Any] = {"signature": signature, "scheme": scheme}
    if public_key is not None:
        job["public_key"] = public_key
    if address is not None:
        job["address"] = address
    text = jobs.text_message(message) if isinstance(message, str) else jobs.file_message(message)
    parsed = jobs.parse_job(job, message=text)
    return parsed.request.verdict(parsed.check())


def verify_jobs(
    items: Iterable[Mapping[str, Any]], *, defaults: Defaults = DEFAULTS
) -> Iterator[JobResult]:
    """Verify many jobs (dicts with the keys of ``verify --batch`` lines: ``public_key`` or
    ``address``, ``signature``, ``message`` / ``message_hex`` / ``message_b58``, optional
    ``scheme``, ``id``, ``domain``, ``nonce``): one :class:`JobResult` each, in order.

    This is a report, not a check: a bad signature or a malformed job is a result
    (``valid`` False, ``error`` saying why, ``malformed`` for the latter), never an
    exception, exactly as the batch's result lines.
    """
    return jobs.verify_jobs(items, defaults)
