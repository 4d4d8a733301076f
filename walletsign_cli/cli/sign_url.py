"""``walletsign sign-url``: an encrypted signMessage or transaction deeplink for a session.

Also the session helpers ``disconnect-url`` shares: resolving a saved session, its shared
secret and its deeplink base.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from walletsign_cli.cli.completion import complete_sessions
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.listen_flow import (
    LISTEN_HELP_GROUP,
    LISTEN_OPTIONS,
    await_answer,
    listen_options,
    start_listener,
)
from walletsign_cli.cli.output import json_option
from walletsign_cli.errors import BadInputError, KeystoreError
from walletsign_cli.keystore import Data, Keystore, now_iso
from walletsign_cli.protocols import deeplink

if TYPE_CHECKING:
    from walletsign_cli.core.box import SharedSecret, X25519KeyPair

SESSION_FIELDS = ("dapp_key", "wallet_encryption_public_key", "public_key", "session")


@dataclass(frozen=True)
class Session:
    """A saved session, ready to encrypt requests for."""

    name: str
    wallet: str | None
    base_url: str | None
    token: str
    dapp: X25519KeyPair
    shared: SharedSecret


def resolve_session(data: Data, name: str | None, *, option: str = "--session") -> Session:
    """The session ``name`` (default: the most recently saved one); exit 5 if missing."""
    from walletsign_cli.core.box import X25519PublicKey
    from walletsign_cli.keystore import check_name, damaged, dapp_keypair

    sessions = data["sessions"]
    if name is None:
        if not sessions:
            raise KeystoreError(
                "no session is saved yet",
                hint="run walletsign connect-url, then walletsign decode-redirect on the answer",
            )
        name = max(sessions, key=lambda n: (str(_field(sessions[n], "created_at") or ""), n))
    else:
        check_name(name, option=option)
        if name not in sessions:
            known = ", ".join(sorted(sessions)) or "none"
            raise KeystoreError(
                f"{option}: no session named {name!r} in the keystore (known: {known})",
                hint="decode the wallet's connect answer with decode-redirect to save one",
            )
    entry = sessions[name]
    if not isinstance(entry, dict):
        raise KeystoreError(f"session {name!r} in the keystore is not an object")
    missing = [f for f in SESSION_FIELDS if not isinstance(entry.get(f), str)]
    if missing:
        raise KeystoreError(f"session {name!r} is incomplete: no {', '.join(missing)}")
    dapp = dapp_keypair(data, entry["dapp_key"], option=f"session {name!r}")
    recorded = entry.get("dapp_public_key")
    if isinstance(recorded, str) and recorded != str(dapp.public):
        raise KeystoreError(
            f"session {name!r} was made with an earlier dapp key {entry['dapp_key']!r}, "
            "which has since been replaced; the wallet cannot open this request",
            hint="connect again: walletsign connect-url ... then decode-redirect the answer",
        )
    try:
        wallet_pk = X25519PublicKey.from_base58(
            entry["wallet_encryption_public_key"], name=f"session {name!r} wallet key"
        )
    except BadInputError as exc:
        raise damaged(exc) from None
    return Session(
        name=name,
        wallet=_text(entry.get("wallet")),
        base_url=_text(entry.get("base_url")),
        token=entry["session"],
        dapp=dapp,
        shared=deeplink.connect_shared(wallet_pk, dapp),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _field(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, dict) else None


def base_url_for(session: Session, wallet: str | None, base_url: str | None) -> str:
    """``--base-url`` > ``--wallet``'s universal link > the session's base > its wallet's."""
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


def request_tables(
    request: deeplink.DeeplinkRequest, extra: list[tuple[str, str]] | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The parameter table and the decrypted payload table of a built request."""
    from walletsign_cli.cli.render import abbreviate, payload_rows

    params = [(k, abbreviate(v) if k == "payload" else v) for k, v in request.params]
    tables: list[tuple[str, list[tuple[str, str]]]] = [(f"{request.method} parameters", params)]
    if request.payload is not None:
        tables.append(("decrypted payload", payload_rows(request.payload) + (extra or [])))
    return tables


session_option = click.option(
    "--session",
    "session_name",
    metavar="NAME",
    shell_complete=complete_sessions,
    help="The saved session [default: the most recently saved].",
)
"""``--session NAME`` for the commands that send a request in a saved session."""


def wallet_warnings(method: str, wallet: str | None) -> list[str]:
    """Warnings about a method a wallet has retired."""
    info = deeplink.WALLETS.get(wallet or "")
    if info is not None and method in info.deprecated:
        return [
            f"{info.name} deprecated {method}; use signTransaction (or signAllTransactions) "
            "and send the signed transaction yourself"
        ]
    return []


def remember_request(
    data: Data,
    request: deeplink.DeeplinkRequest,
    session: Session,
    wallet: str | None,
    redirect_link: str,
    extra: dict[str, Any],
) -> None:
    """Store the request under its nonce so ``decode-redirect`` can match the answer."""
    assert request.nonce is not None  # noqa: S101 - encrypted requests always have one
    data["requests"][request.nonce] = {
        "method": request.method,
        "session_name": session.name,
        "wallet": wallet,
        "redirect_link": redirect_link,
        "created_at": now_iso(),
        **extra,
    }


def _message_bytes(message: str | None, message_hex: str | None, message_file: str | None) -> bytes:
    from walletsign_cli.cli.inputs import parse_hex, read_file_bytes
    from walletsign_cli.limits import MAX_MESSAGE_BYTES, check_size

    if message is not None:
        raw = deeplink.check_text(message, "--message").encode("utf-8")
        check_size(len(raw), MAX_MESSAGE_BYTES, "--message")
    elif message_hex is not None:
        check_size(len(message_hex), 2 * MAX_MESSAGE_BYTES + 2, "--message-hex")
        raw = parse_hex(message_hex, "--message-hex")
    else:
        assert message_file is not None  # noqa: S101 - checked by the caller
        raw = read_file_bytes(message_file, MAX_MESSAGE_BYTES, "--message-file")
    if not raw:
        raise BadInputError("the message is empty")
    return raw


def _transactions(values: tuple[str, ...]) -> list[str]:
    from walletsign_cli.core.solana_tx import parse_transaction
    from walletsign_cli.limits import MAX_PAYLOAD_BYTES, check_size

    out = []
    for value in values:
        text = value.strip()
        check_size(len(text), MAX_PAYLOAD_BYTES, "--transaction")
        raw = deeplink.decode_b58(text, "--transaction")
        if not raw:
            raise BadInputError("--transaction is empty")
        # Exact when writing: a wallet answers a malformed transaction with -32003/-32000.
        parse_transaction(raw, what="--transaction")
        out.append(text)
    return out


def _immutable(
    message: str | None,
    others: dict[str, Any],
    description: str | None,
    link_env: str | None,
    as_json: bool,
) -> None:
    import importlib

    given = [name for name, value in others.items() if value]
    if given:
        raise click.UsageError(f"{', '.join(given)} cannot be used with --wallet immutable")
    if message is None:
        raise click.UsageError("--wallet immutable needs --message TEXT")
    if description is None:
        raise click.UsageError("--wallet immutable needs --description TEXT")
    # Imported by name: another module owns the Immutable X Link side.
    module = importlib.import_module("walletsign_cli.cli.immutable_sign")
    module.sign_immutable(
        message=message, description=description, env=link_env or "mainnet", as_json=as_json
    )


@click.command(
    cls=HelpCommand,
    help_groups={
        "Message": ["--message", "--message-hex", "--message-file", "--display"],
        "Transactions": ["--transaction", "--send"],
        "Request": ["--redirect-link", "--session", "--wallet", "--base-url"],
        "Immutable X Link (--wallet immutable)": ["--description", "--env"],
        "Output": ["--qr", "--qr-file", "--json"],
        LISTEN_HELP_GROUP: LISTEN_OPTIONS,
    },
)
@click.option(
    "--redirect-link",
    metavar="URL",
    help="Where the wallet sends its answer (required unless --listen).",
)
@click.option("--message", metavar="TEXT", help="The message to sign, as UTF-8 text.")
@click.option("--message-hex", metavar="HEX", help="The message bytes in hex.")
@click.option(
    "--message-file", metavar="PATH|-", help="The message bytes from a file ('-': stdin)."
)
@click.option(
    "--display",
    type=click.Choice(deeplink.DISPLAYS),
    help="How the wallet shows the message [default: utf8, or hex for bytes that are not UTF-8].",
)
@session_option
@click.option(
    "--transaction",
    "transactions",
    metavar="B58",
    multiple=True,
    help="A serialized transaction in base58 (once: signTransaction; repeated: "
    "signAllTransactions).",
)
@click.option("--send", is_flag=True, help="With one --transaction: signAndSendTransaction.")
@click.option(
    "--wallet",
    type=click.Choice([*deeplink.WALLET_NAMES, "immutable"]),
    help="The wallet [default: the session's].",
)
@click.option("--base-url", metavar="URL", help="Another deeplink base, e.g. phantom://v1/.")
@click.option("--description", metavar="TEXT", help="With --wallet immutable: the description.")
@click.option(
    "--env",
    "link_env",
    type=click.Choice(["mainnet", "sandbox"]),
    help="With --wallet immutable: the Link environment [default: mainnet].",
)
@click.option("--qr", is_flag=True, help="Draw a QR code of the URL on stderr.")
@click.option("--qr-file", metavar="PATH", help="Write a QR code of the URL to PATH (.svg, .png).")
@listen_options
@json_option
@pass_env
def command(
    env: Environment,
    redirect_link: str | None,
    message: str | None,
    message_hex: str | None,
    message_file: str | None,
    display: str | None,
    session_name: str | None,
    transactions: tuple[str, ...],
    send: bool,
    wallet: str | None,
    base_url: str | None,
    description: str | None,
    link_env: str | None,
    qr: bool,
    qr_file: str | None,
    listen: bool,
    listen_host: str,
    listen_port: int,
    listen_timeout: float,
    as_json: bool,
) -> None:
    """Build an encrypted signMessage (or transaction) deeplink for a saved session.

    The request is remembered in the keystore, so decode-redirect can match the wallet's
    answer to it and verify the signature. With --wallet immutable it prints the Immutable
    X Link request instead (link.sign has no URL form). Immutable X was sunset in February
    2026: this builds and checks the documented Link format (archived signatures still
    verify) rather than reaching a live service.

    \b
    Examples:
      walletsign sign-url --redirect-link myapp://onSignMessage --message 'Sign in to Example'
      walletsign sign-url --redirect-link myapp://onSign --message-hex 00ff10 --display hex
      walletsign sign-url --redirect-link myapp://onSignTx --transaction 4hXTCk... --qr
      walletsign sign-url --wallet immutable --message 'hello' --description 'Log in'
      walletsign sign-url --listen --message 'Sign in to Example' --qr
    """
    if wallet == "immutable":
        others = {
            "--message-hex": message_hex,
            "--message-file": message_file,
            "--transaction": transactions,
            "--send": send,
            "--session": session_name,
            "--base-url": base_url,
            "--display": display,
            "--redirect-link": redirect_link,
            "--qr": qr,
            "--qr-file": qr_file,
            "--listen": listen,
        }
        _immutable(message, others, description, link_env, as_json)
        return
    if description is not None or link_env is not None:
        raise click.UsageError("--description and --env go with --wallet immutable only")
    sources = [
        o
        for o, v in (
            ("--message", message),
            ("--message-hex", message_hex),
            ("--message-file", message_file),
        )
        if v is not None
    ]
    if transactions and sources:
        raise click.UsageError(f"--transaction cannot be combined with {sources[0]}")
    if not transactions and len(sources) != 1:
        raise click.UsageError(
            "give exactly one of --message, --message-hex, --message-file (or --transaction)"
        )
    if send and len(transactions) != 1:
        raise click.UsageError("--send takes exactly one --transaction")
    if transactions and display is not None:
        raise click.UsageError("--display goes with a message, not --transaction")
    listener = start_listener(listen, redirect_link, listen_host, listen_port, listen_timeout)
    if listener is not None:
        redirect_link = listener.redirect_link
    assert redirect_link is not None  # noqa: S101 - start_listener refuses neither
    deeplink.check_url(redirect_link, option="--redirect-link")
    if base_url is not None:
        deeplink.normalize_base_url(base_url)

    from walletsign_cli.core import base58

    remembered: dict[str, Any]
    shown: list[tuple[str, str]] = []
    if transactions:
        txs = _transactions(transactions)
        if send:
            method = deeplink.SIGN_AND_SEND_TRANSACTION
        elif len(txs) == 1:
            method = deeplink.SIGN_TRANSACTION
        else:
            method = deeplink.SIGN_ALL_TRANSACTIONS
        remembered = {"transactions": txs}
    else:
        raw = _message_bytes(message, message_hex, message_file)
        if display is None:
            display = "utf8" if message is not None or _is_utf8(raw) else "hex"
        method = deeplink.SIGN_MESSAGE
        remembered = {"message": base58.encode(raw), "display": display}
        from walletsign_cli.cli.render import shown_message

        shown.append(("message (decoded)", shown_message(raw, display)))

    def payload(token: str) -> dict[str, Any]:
        if method == deeplink.SIGN_MESSAGE:
            return deeplink.sign_message_payload(raw, token, remembered["display"])
        return deeplink.transaction_payload(method, remembered["transactions"], token)

    store = env.keystore()
    plan = plan_request(
        store.load(),
        method=method,
        payload=payload,
        session_name=session_name,
        wallet=wallet,
        base_url=base_url,
        redirect_link=redirect_link,
        remembered=remembered,
        shown=shown,
    )
    run_plan(env, store, plan, qr=qr, qr_file=qr_file)
    if listener is not None:
        await_answer(env, listener, key=None, session=plan.session.name)


@dataclass(frozen=True)
class RequestPlan:
    """A built encrypted request, what to remember about it, and what to show."""

    request: deeplink.DeeplinkRequest
    session: Session
    wallet: str | None
    redirect_link: str
    remembered: dict[str, Any]
    shown: list[tuple[str, str]]

    def document(self) -> dict[str, Any]:
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

    def save(self, data: Data) -> None:
        """Remember the request (inside a keystore transaction)."""
        remember_request(
            data, self.request, self.session, self.wallet, self.redirect_link, self.remembered
        )


def plan_request(
    data: Data,
    *,
    method: str,
    payload: Callable[[str], dict[str, Any]],
    session_name: str | None,
    wallet: str | None,
    base_url: str | None,
    redirect_link: str,
    remembered: dict[str, Any],
    shown: list[tuple[str, str]] | None = None,
) -> RequestPlan:
    """Build an encrypted request for a session; nothing is written or printed."""
    session = resolve_session(data, session_name)
    base = base_url_for(session, wallet, base_url)
    request = deeplink.build_encrypted(
        base,
        method,
        payload(session.token),
        dapp_public_key=session.dapp.public,
        shared=session.shared,
        redirect_link=redirect_link,
    )
    return RequestPlan(
        request, session, wallet or session.wallet, redirect_link, remembered, shown or []
    )


def run_plan(
    env: Environment, store: Keystore, plan: RequestPlan, *, qr: bool, qr_file: str | None
) -> None:
    """Check the QR code, remember the request, then print it."""
    from walletsign_cli.cli.render import prepare_qr, present_request

    code = prepare_qr(plan.request.url, qr=qr, qr_file=qr_file)
    with store.transaction() as data:
        plan.save(data)
    present_request(
        env,
        plan.document(),
        tables=request_tables(plan.request, plan.shown),
        warnings=plan.warnings(),
        qr=code,
        draw_qr=qr,
        qr_file=qr_file,
    )


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
