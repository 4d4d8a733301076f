"""Phantom-style Solana deeplinks, as Phantom, Solflare and Backpack speak them.

The dapp sends ``<base>/<method>?<query>``; the wallet answers by opening ``redirect_link``
with ``nonce`` and ``data`` (or ``errorCode``/``errorMessage``). Every binary value is base58;
``payload`` and ``data`` are ``nacl.box.after`` over compact UTF-8 JSON (research/deeplinks.md
§2-§4). Writing is exact (URLSearchParams encoding, the demo app's parameter order); reading
is tolerant where the wallets differ (§4.1.1, §7).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from walletsign_cli.core import base58, box, ed25519
from walletsign_cli.core.box import SharedSecret, X25519KeyPair, X25519PublicKey
from walletsign_cli.errors import BadInputError, DecryptionError, InvalidSignatureError
from walletsign_cli.limits import MAX_PAYLOAD_BYTES, MAX_URL_CHARS, check_size

CONNECT = "connect"
DISCONNECT = "disconnect"
SIGN_MESSAGE = "signMessage"
SIGN_TRANSACTION = "signTransaction"
SIGN_ALL_TRANSACTIONS = "signAllTransactions"
SIGN_AND_SEND_TRANSACTION = "signAndSendTransaction"
METHODS = (
    CONNECT,
    DISCONNECT,
    SIGN_MESSAGE,
    SIGN_TRANSACTION,
    SIGN_ALL_TRANSACTIONS,
    SIGN_AND_SEND_TRANSACTION,
)
CLUSTERS = ("mainnet-beta", "testnet", "devnet")
# Backpack's docs: leave cluster unset or mainnet-beta for Solana, this value for Eclipse.
ECLIPSE = "solana:EAQLJCV2mh23BsK2P9oYpV5CHVLDNHTxY"
DEFAULT_CLUSTER = "mainnet-beta"
DISPLAYS = ("utf8", "hex")
KEY_PARAM_SUFFIX = "_encryption_public_key"
DAPP_KEY_PARAM = "dapp_encryption_public_key"

# iOS is comfortable below this: "no hard limit ... iOS may impose practical limits around
# 2,000 characters, so keeping it under ~1,500 is generally safe" (Phantom staff,
# github.com/phantom/docs/discussions/448). The one length figure: doctor uses it too.
IOS_SAFE_URL_CHARS = 1_500


@dataclass(frozen=True)
class Wallet:
    """One wallet that speaks the protocol."""

    name: str
    universal_base: str
    scheme_base: str | None
    key_param: str
    deprecated: frozenset[str] = frozenset()
    # What the wallet's connect page documents for ``cluster`` (research §4.1, §8).
    clusters: tuple[str, ...] = CLUSTERS
    # Other hosts whose ``/ul/`` links the wallet opens too (read, never written by default).
    other_hosts: tuple[str, ...] = ()
    # The ``browse`` link's base: Phantom's has no version segment (research §4.7).
    browse_base: str = ""

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host of the wallet's universal links, the documented one first."""
        return (urlsplit(self.universal_base).hostname or "", *self.other_hosts)


WALLETS: dict[str, Wallet] = {
    "phantom": Wallet(
        "phantom",
        "https://phantom.app/ul/v1/",
        "phantom://v1/",
        "phantom_encryption_public_key",
        deprecated=frozenset({SIGN_AND_SEND_TRANSACTION}),
        # phantom.com is Phantom's current site; its deeplink pages still show phantom.app.
        other_hosts=("phantom.com",),
        browse_base="https://phantom.app/ul/browse/",
    ),
    "solflare": Wallet(
        "solflare",
        "https://solflare.com/ul/v1/",
        "solflare://ul/v1/",
        "solflare_encryption_public_key",
        browse_base="https://solflare.com/ul/v1/browse/",
    ),
    # Backpack's docs say wallet_encryption_public_key (encryption page); the connect page
    # shows a placeholder, so reading accepts any *_encryption_public_key (uncertain, §4.1.1).
    "backpack": Wallet(
        "backpack",
        "https://backpack.app/ul/v1/",
        None,
        "wallet_encryption_public_key",
        clusters=(DEFAULT_CLUSTER, ECLIPSE),
        # Backpack's browse page is cited by third parties as /ul/v1/browse/ (uncertain).
        browse_base="https://backpack.app/ul/v1/browse/",
    ),
}
WALLET_NAMES = tuple(WALLETS)
ALL_CLUSTERS = tuple(dict.fromkeys(c for w in WALLETS.values() for c in w.clusters))


def clusters_for(wallet: str | None) -> tuple[str, ...]:
    """The ``cluster`` values ``wallet`` documents (every wallet's, for an unnamed one)."""
    info = WALLETS.get(wallet or "")
    return info.clusters if info is not None else ALL_CLUSTERS


def check_cluster(cluster: str, wallet: str | None, *, option: str = "--cluster") -> str:
    """``cluster`` if ``wallet`` documents it, or if it is one of SPEC.md's three (fixed for
    every wallet: :func:`cluster_warning` then says when this wallet does not document it);
    else bad input (exit 3) listing what the wallet does."""
    allowed = clusters_for(wallet)
    if cluster not in allowed and cluster not in CLUSTERS:
        who = f"{wallet} documents" if wallet in WALLETS else "the wallets document"
        others = [w.name for w in WALLETS.values() if cluster in w.clusters]
        extra = [c for c in CLUSTERS if c not in allowed]
        also = f" (or {', '.join(extra)}, accepted with a warning)" if extra else ""
        raise BadInputError(
            f"{option} {cluster!r} is not a cluster {who}: {', '.join(allowed)}{also}",
            hint=f"{cluster} is documented by {', '.join(others)} only" if others else None,
        )
    return cluster


def cluster_warning(cluster: str, wallet: str | None) -> str | None:
    """What to say when ``cluster`` is accepted (SPEC.md fixes it for every wallet) though
    ``wallet``'s documentation does not list it, else None."""
    if wallet not in WALLETS or cluster in clusters_for(wallet):
        return None
    return (
        f"{wallet}'s documentation lists no cluster {cluster!r} (it lists "
        f"{', '.join(clusters_for(wallet))}): the wallet may refuse the request"
    )


def wallet_for_host(scheme: str, host: str) -> str | None:
    """The wallet whose custom scheme is ``scheme`` or whose universal links live on ``host``."""
    scheme, host = scheme.lower(), host.lower()
    for wallet in WALLETS.values():
        if scheme == wallet.name:
            return wallet.name
        if scheme in ("https", "http") and any(
            host == home or host.endswith("." + home) for home in wallet.hosts
        ):
            return wallet.name
    return None


ERROR_CODES: dict[int, str] = {
    4900: "Disconnected",
    4100: "Unauthorized",
    4001: "User Rejected Request",
    -32000: "Invalid Input",
    -32002: "Requested resource not available",
    -32003: "Transaction Rejected",
    -32601: "Method Not Found",
    -32603: "Internal Error",
}
UNKNOWN_ERROR = "Unknown Error"


def error_name(code: int) -> str:
    """The wallet error table's name for ``code`` (research §6)."""
    return ERROR_CODES.get(code, UNKNOWN_ERROR)


# -- writing -------------------------------------------------------------------------------

_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


def form_encode(text: str) -> str:
    """One value as ``URLSearchParams`` writes it (application/x-www-form-urlencoded)."""
    out: list[str] = []
    for byte in text.encode("utf-8"):
        if byte in _FORM_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def encode_query(params: list[tuple[str, str]]) -> str:
    """``new URLSearchParams(params).toString()``, order kept."""
    return "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in params)


def payload_json(payload: dict[str, Any]) -> bytes:
    """``Buffer.from(JSON.stringify(payload))``: compact, key order kept, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def check_text(text: str, what: str) -> str:
    """Refuse strings that are not valid Unicode (lone surrogates from undecodable bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInputError(f"{what} is not valid UTF-8 text") from None
    return text


def check_url(text: str, *, option: str) -> str:
    """A URL given on the command line: a scheme, no whitespace; returned unchanged."""
    if not text:
        raise BadInputError(f"{option} is empty")
    check_text(text, option)
    if any(c.isspace() for c in text):
        raise BadInputError(f"{option} contains whitespace: {text!r}")
    if not _SCHEME.match(text):
        raise BadInputError(
            f"{option} is not a URL (no scheme): {text!r}",
            hint="use a full link such as myapp://onConnect or https://example.com/cb",
        )
    check_size(len(text), MAX_URL_CHARS, option)
    try:
        urlsplit(text)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket: http://[::1
        raise BadInputError(f"{option} is not a valid URL: {exc}") from None
    return text


def normalize_base_url(text: str, *, option: str = "--base-url") -> str:
    """A deeplink base such as ``phantom://v1/``: a scheme, no query; ends with ``/``."""
    check_url(text, option=option)
    if "?" in text or "#" in text:
        raise BadInputError(f"{option} must not carry a query or fragment: {text!r}")
    return text if text.endswith("/") else text + "/"


@dataclass(frozen=True)
class DeeplinkRequest:
    """A built request: the URL, its query parameters in order, and the plaintext payload."""

    url: str
    method: str
    params: list[tuple[str, str]]
    payload: dict[str, Any] | None = None
    nonce: str | None = None

    @property
    def params_dict(self) -> dict[str, str]:
        """The parameters as a JSON object (order kept)."""
        return dict(self.params)


def build_connect(
    base_url: str,
    *,
    dapp_public_key: X25519PublicKey,
    app_url: str,
    redirect_link: str,
    cluster: str = "mainnet-beta",
) -> DeeplinkRequest:
    """The ``connect`` URL (no encryption; parameter order as the demo app)."""
    params = [
        (DAPP_KEY_PARAM, str(dapp_public_key)),
        ("cluster", cluster),
        ("app_url", app_url),
        ("redirect_link", redirect_link),
    ]
    return DeeplinkRequest(f"{base_url}{CONNECT}?{encode_query(params)}", CONNECT, params)


def build_encrypted(
    base_url: str,
    method: str,
    payload: dict[str, Any],
    *,
    dapp_public_key: X25519PublicKey,
    shared: SharedSecret,
    redirect_link: str,
    nonce: bytes | None = None,
) -> DeeplinkRequest:
    """Any method with an encrypted payload (a fresh random nonce unless one is given)."""
    if nonce is None:
        nonce = box.random_nonce()  # looked up at call time so tests can pin it
    nonce, sealed = box.seal(payload_json(payload), shared, nonce)
    nonce_b58 = base58.encode(nonce)
    params = [
        (DAPP_KEY_PARAM, str(dapp_public_key)),
        ("nonce", nonce_b58),
        ("redirect_link", redirect_link),
        ("payload", base58.encode(sealed)),
    ]
    return DeeplinkRequest(
        f"{base_url}{method}?{encode_query(params)}", method, params, payload, nonce_b58
    )


def sign_message_payload(message: bytes, session: str, display: str = "utf8") -> dict[str, Any]:
    """``{"message", "session", "display"}`` in the order the wallets' demo apps send."""
    return {"message": base58.encode(message), "session": session, "display": display}


def transaction_payload(
    method: str, transactions: list[str], session: str, send_options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The payload of the three transaction methods (transactions already base58)."""
    if method == SIGN_ALL_TRANSACTIONS:
        return {"transactions": list(transactions), "session": session}
    payload: dict[str, Any] = {"transaction": transactions[0]}
    if method == SIGN_AND_SEND_TRANSACTION and send_options is not None:
        payload["sendOptions"] = send_options
    payload["session"] = session
    return payload


def disconnect_payload(session: str) -> dict[str, Any]:
    """``{"session"}``."""
    return {"session": session}


def url_warnings(url: str) -> list[str]:
    """Human warnings about a URL a phone must open: its size above the safe length."""
    if len(url) > IOS_SAFE_URL_CHARS:
        return [
            f"the URL is {len(url):,} characters ({len(url.encode('utf-8')):,} bytes); iOS may "
            f"refuse links over about {IOS_SAFE_URL_CHARS:,} (Phantom's guidance, "
            "phantom/docs discussion #448)"
        ]
    return []


# -- reading -------------------------------------------------------------------------------

# The parameters a wallet writes; only these must not repeat (the redirect link's own
# query may carry anything).
_PROTOCOL_PARAMS = frozenset({"nonce", "data", "errorCode", "errorMessage"})


@dataclass(frozen=True)
class Redirect:
    """What a wallet appended to the redirect link, parsed but not yet decrypted."""

    url: str
    link: str
    params: list[tuple[str, str]]
    error_code: int | None = None
    error_message: str | None = None
    key_param: str | None = None
    wallet_public_key: X25519PublicKey | None = None
    nonce: bytes | None = None
    data: bytes | None = None
    repairs: tuple[str, ...] = ()  # what was repaired in the pasted text (see protocols.paste)

    @property
    def kind(self) -> str:
        """``error``, ``connect``, ``encrypted`` or ``empty`` (a disconnect answer)."""
        if self.error_code is not None:
            return "error"
        if self.wallet_public_key is not None:
            return "connect"
        if self.data is not None:
            return "encrypted"
        return "empty"

    @property
    def wallet_hint(self) -> str | None:
        """The wallet named by the connect key parameter's prefix, if any."""
        if self.key_param is None:
            return None
        prefix = self.key_param[: -len(KEY_PARAM_SUFFIX)]
        for wallet in WALLETS.values():
            if wallet.key_param == self.key_param or wallet.name == prefix:
                return wallet.name
        return None if prefix == "wallet" else prefix


def looks_like_request(url: str) -> bool:
    """Whether ``url`` is a deeplink to a wallet (it names the dapp key or carries a
    ``payload``) rather than a wallet's answer."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return False
    names = {name for name, _ in parse_qsl(query, keep_blank_values=True)}
    return DAPP_KEY_PARAM in names or "payload" in names


def request_method(url: str) -> str:
    """The method a request deeplink names (its last path segment, or a custom scheme's host)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    return segments[-1] if segments else parts.netloc


def clean_pasted_url(text: str) -> str:
    """Drop all whitespace: chat clients wrap long URLs and add line breaks around them."""
    return "".join(text.split())


def _split_query(url: str) -> tuple[str, str]:
    # Wallets append '?' naively even when redirect_link already has a query (§7), and a
    # web redirect may put it after a fragment: every '?', '&' and '#' separates fields.
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=-1)
    if cut < 0:
        return url, ""
    return url[:cut], re.sub(r"[?#]", "&", url[cut + 1 :])


def decode_b58(value: str, name: str) -> bytes:
    """Base58 of a deeplink value, saying so when it looks like base64 instead."""
    # parse_qsl turns a raw '+' into a space, so a space is base64's '+' too.
    if not frozenset("+/= ").isdisjoint(value):  # a C-speed scan: `data` may be 1 MB
        raise BadInputError(
            f"{name} is not base58 (it looks like base64, the most common mistake in the wild)",
            hint="Phantom-style deeplinks use base58 for every binary value",
        )
    if "0" in value and _HEX_TEXT.match(value):  # '0' is not a base58 digit
        raise BadInputError(
            f"{name} is not base58 (it looks like hex)",
            hint="Phantom-style deeplinks use base58 for every binary value",
        )
    return base58.decode(value, name=name)


_HEX_TEXT = re.compile(r"^(?:0x)?[0-9a-fA-F]+$")


def decode_b58_exact(value: str, size: int, name: str) -> bytes:
    """Base58 of exactly ``size`` bytes, with the base64 diagnosis."""
    raw = decode_b58(value, name)
    if len(raw) != size:
        raise BadInputError(f"{name} must be {size} bytes, got {len(raw)}")
    return raw


def parse_redirect(url: str) -> Redirect:
    """Parse a redirect URL (whitespace already removed); checks shapes and encodings."""
    _check_redirect_text(url)
    link, query = _split_query(url)
    params = parse_qsl(query, keep_blank_values=True)
    seen = _first_values(params)
    if "errorCode" in seen:
        raw_code = seen["errorCode"].strip()
        try:
            code = int(raw_code)
        except ValueError:
            raise BadInputError(f"errorCode is not an integer: {raw_code[:40]!r}") from None
        return Redirect(url, link, params, error_code=code, error_message=seen.get("errorMessage"))

    key_param = _find_key_param(seen)
    wallet_pk = None
    if key_param is not None:
        wallet_pk = X25519PublicKey(decode_b58_exact(seen[key_param], 32, key_param))
    if "nonce" not in seen and "data" not in seen and key_param is None:
        return Redirect(url, link, params)
    for required in ("nonce", "data"):
        if required not in seen:
            raise BadInputError(f"{required} parameter is missing from the redirect URL")
    check_size(len(seen["data"]), MAX_PAYLOAD_BYTES, "data")
    nonce = decode_b58_exact(seen["nonce"], box.NONCE_SIZE, "nonce")
    data = decode_b58(seen["data"], "data")
    return Redirect(url, link, params, None, None, key_param, wallet_pk, nonce, data)


def _check_redirect_text(url: str) -> None:
    check_size(len(url), MAX_URL_CHARS, "the redirect URL")
    if not url:
        raise BadInputError("the redirect URL is empty")
    check_text(url, "the redirect URL")
    if not _SCHEME.match(url):
        raise BadInputError(
            f"the redirect URL has no scheme: {url[:40]!r}",
            hint="paste the whole link the wallet opened, e.g. myapp://onConnect?...",
        )


def _first_values(params: list[tuple[str, str]]) -> dict[str, str]:
    # The wallet's own parameters must not repeat; the redirect link's query may.
    seen: dict[str, str] = {}
    for name, value in params:
        relevant = name in _PROTOCOL_PARAMS or name.endswith(KEY_PARAM_SUFFIX)
        if relevant and name in seen:
            raise BadInputError(f"parameter {name} appears more than once in the redirect URL")
        seen.setdefault(name, value)
    return seen


def _find_key_param(seen: dict[str, str]) -> str | None:
    # Backpack's documented name first, then the named wallets', then any other (§4.1.1).
    preferred = ["wallet_encryption_public_key"] + [w.key_param for w in WALLETS.values()]
    for name in preferred:
        if name in seen:
            return name
    others = [n for n in seen if n.endswith(KEY_PARAM_SUFFIX) and n != DAPP_KEY_PARAM]
    return others[0] if others else None


def open_json(data: bytes, nonce: bytes, shared: SharedSecret, *, name: str = "data") -> Any:
    """Decrypt ``data`` and parse it as UTF-8 JSON (raises :class:`DecryptionError` first)."""
    plaintext = box.open_sealed(data, nonce, shared)
    return parse_plaintext(plaintext, name=name)


def parse_plaintext(plaintext: bytes, *, name: str = "data") -> dict[str, Any]:
    """The decrypted bytes as a JSON object."""
    check_size(len(plaintext), MAX_PAYLOAD_BYTES, f"decrypted {name}")
    try:
        value = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadInputError(f"decrypted {name} is not UTF-8 JSON") from None
    except RecursionError:
        raise BadInputError(f"decrypted {name} is JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise BadInputError(f"decrypted {name} is JSON but not an object")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadInputError(f"decrypted {name} holds a lone surrogate: not valid Unicode") from None
    return value


def try_open(
    data: bytes, nonce: bytes, candidates: list[tuple[str, SharedSecret]]
) -> tuple[str, bytes] | None:
    """The first candidate whose shared secret authenticates ``data``, with the plaintext."""
    for name, shared in candidates:
        try:
            return name, box.open_sealed(data, nonce, shared)
        except DecryptionError:
            continue
    return None


def connect_shared(wallet_public_key: X25519PublicKey, dapp: X25519KeyPair) -> SharedSecret:
    """``nacl.box.before(wallet_pk, dapp_sk)``."""
    return box.shared_secret(wallet_public_key, dapp)


def method_for_answer(data: dict[str, Any]) -> tuple[str, ...]:
    """The methods whose answer has the shape of ``data``, most specific first."""
    if "transactions" in data:
        return (SIGN_ALL_TRANSACTIONS,)
    if "transaction" in data:
        return (SIGN_TRANSACTION,)
    if "signature" in data:
        return (SIGN_MESSAGE, SIGN_AND_SEND_TRANSACTION)
    if "public_key" in data and "session" in data:
        return (CONNECT,)
    return ()


# -- session tokens --------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionToken:
    """Phantom's documented session layout, base58(signature64 ‖ JSON). Opaque to dapps:
    this is for display only, and ``None`` comes back for any other layout."""

    signature: bytes = field(repr=False)
    signed: bytes = field(repr=False)
    data: dict[str, Any]

    def signed_by(self, public_key: bytes) -> bool:
        """True when the user's account key signed it (as Phantom's docs describe)."""
        try:
            ed25519.verify(public_key, self.signed, self.signature)
        except InvalidSignatureError:
            return False
        return True


def parse_session_token(token: str) -> SessionToken | None:
    """Parse a session token for display; ``None`` when it is not in Phantom's layout."""
    try:
        raw = base58.decode(token, name="session")
    except BadInputError:
        return None
    if len(raw) <= 64:
        return None
    try:
        data = json.loads(raw[64:].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    return SessionToken(raw[:64], raw[64:], data)
