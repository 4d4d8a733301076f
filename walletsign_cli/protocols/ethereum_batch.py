"""The lean path of ``verify --batch`` for Ethereum lines: EIP-191 ``personal_sign`` and
EIP-712 typed data that verify.

:class:`EthereumLines` answers only a common line that verifies, with the checks of the
general path itself (:func:`~walletsign_cli.protocols.jobs.text_message`,
:func:`~walletsign_cli.protocols.verification.parse_eth_signature_text`,
:func:`~walletsign_cli.core.eth.read_signature`, :func:`~walletsign_cli.core.eth.recover_digest`,
:meth:`~walletsign_cli.protocols.eip712.TypedData.prepare`); what it saves is the job, request,
match and result documents around them, and, for EIP-712, checking the types and hashing the
domain again on every line. Anything else (an invalid or undetermined signature, a malformed
line, a possible sign-in, an unusual key) is None: the general path answers, with its messages.

Loaded by :mod:`walletsign_cli.protocols.batch` at the first Ethereum line (it imports
coincurve and pycryptodome). Its caches are the module's, so that a ``--jobs`` worker keeps
them from one block to the next; both hold only what a line's exact JSON text determines.
"""

from __future__ import annotations

from typing import Any

from walletsign_cli.core import eth
from walletsign_cli.errors import BadInputError, WalletsignError
from walletsign_cli.protocols import eip712, signin
from walletsign_cli.protocols.jobs import (
    TYPED_DATA_SCHEMES,
    Defaults,
    resolve_scheme,
    text_message,
)
from walletsign_cli.protocols.verification import (
    AUTO,
    EIP191,
    ETHEREUM,
    parse_eth_signature_text,
)

PERSONAL_KEYS = frozenset({"address", "signature", "message", "id", "scheme"})
TYPED_KEYS = frozenset({"address", "signature", "typed_data", "id", "scheme"})
VALID_EIP191 = ', "valid": true, "chain": "ethereum", "scheme": "eip191", "error": null}\n'
VALID_EIP712 = ', "valid": true, "chain": "ethereum", "scheme": "eip712", "error": null}\n'
_ADDRESS_CACHE_SIZE = 4096
_PLAN_CACHE_SIZE = 256
_TYPES_PER_PLAN = 8
_SIGN_IN = signin.ETHEREUM

# address text -> its 20 bytes (the general parser's answer for that exact text)
_addresses: dict[str, bytes] = {}
# (primaryType, the domain's items) -> [(types as given, what they and the domain give)]
_plans: dict[tuple[str, tuple[tuple[str, Any], ...]], list[tuple[Any, eip712.Prepared]]] = {}


def _personal_schemes(defaults: Defaults) -> frozenset[str | None]:
    """The job ``scheme`` values (None: absent) under which a line without ``typed_data``
    is EIP-191, as :func:`~walletsign_cli.protocols.jobs.resolve_scheme` resolves them
    under ``defaults`` (a ``typed_data`` line is EIP-712 under ``TYPED_DATA_SCHEMES``)."""
    return frozenset(
        value
        for value in (None, AUTO, EIP191)
        if resolve_scheme(value, ETHEREUM, defaults.scheme) == EIP191
    )


def _address(text: str) -> bytes:
    raw = _addresses.get(text)
    if raw is None:
        raw = eth.parse_address(text.strip(), name="address")
        if len(_addresses) >= _ADDRESS_CACHE_SIZE:
            _addresses.clear()  # a bound on memory; a batch of one app's users refills it
        _addresses[text] = raw
    return raw


def _signature(text: str) -> eth.EthSignature:
    """An EOA's signature, as the general path reads it; a contract wallet's (undetermined
    there) is :class:`BadInputError` here, so the line goes to the general path."""
    raw = parse_eth_signature_text(text, name="signature")[0]
    parsed = eth.read_signature(raw, contract_ok=True, name="signature")[0]
    if parsed is None:
        raise BadInputError("a contract wallet's signature")
    return parsed


def _flat_items(domain: dict[str, Any]) -> tuple[tuple[str, Any], ...] | None:
    """The domain's items when every value is a string or an integer (then they key the
    cache exactly: no bool or float compares equal to them), else None."""
    items = tuple(domain.items())
    for _, value in items:
        if type(value) is not str and type(value) is not int:
            return None
    return items


def _plain_types(types: dict[str, Any]) -> bool:
    """Types made only of lists of ``{name, type}`` strings: a value equal to these is the
    same JSON (a string equals nothing but the same string), so equality finds them."""
    for members in types.values():
        if type(members) is not list:
            return False
        for member in members:
            if type(member) is not dict or len(member) != 2:
                return False
            if type(member.get("name")) is not str or type(member.get("type")) is not str:
                return False
    return True


def _plan(document: dict[str, Any]) -> eip712.Prepared | None:
    """The document's types and domain, checked and hashed once (None when the lean path
    leaves the document to the general path)."""
    types, primary, domain = (document.get(k) for k in ("types", "primaryType", "domain"))
    if type(types) is not dict or type(primary) is not str or type(domain) is not dict:
        return None
    items = _flat_items(domain)
    if items is None:
        return None
    key = (primary, items)
    entries = _plans.get(key)
    if entries is not None:
        for given, plan in entries:
            if given == types:
                return plan
    if not _plain_types(types):
        return None
    plan = eip712.parse(document).prepare()  # BadInputError: the general path says why
    if len(_plans) >= _PLAN_CACHE_SIZE:
        _plans.clear()
    entries = _plans.setdefault(key, [])
    if len(entries) >= _TYPES_PER_PLAN:
        entries.clear()
    entries.append((types, plan))
    return plan


class EthereumLines:
    """Answers the common Ethereum lines of a batch under the command line's defaults."""

    def __init__(self, defaults: Defaults) -> None:
        self.allow_high_s = defaults.allow_high_s
        self.personal = _personal_schemes(defaults)
        self.typed = frozenset(TYPED_DATA_SCHEMES)

    def tail(self, obj: dict[str, Any]) -> str | None:
        """The result line after its ``id`` for a line that verifies, else None."""
        keys = obj.keys()
        scheme = obj.get("scheme")
        if scheme is not None and type(scheme) is not str:
            return None
        address, signature = obj.get("address"), obj.get("signature")
        if type(address) is not str or type(signature) is not str:
            return None
        try:
            if keys <= PERSONAL_KEYS and scheme in self.personal:
                return self._personal(address, signature, obj.get("message"))
            if keys <= TYPED_KEYS and scheme in self.typed:
                return self._typed(address, signature, obj.get("typed_data"))
        except (WalletsignError, ValueError):  # the general path answers, with its message
            return None
        return None

    def _personal(self, address: str, signature: str, message: object) -> str | None:
        if type(message) is not str:
            return None
        data = text_message(message).data
        if signin.may_be_sign_in(data, _SIGN_IN):  # maybe SIWE: the general path decides
            return None
        recovered = eth.recover_personal_sign(
            data, _signature(signature), allow_high_s=self.allow_high_s
        )
        return VALID_EIP191 if recovered == _address(address) else None

    def _typed(self, address: str, signature: str, document: object) -> str | None:
        if type(document) is not dict:
            return None
        message = document.get("message")
        if type(message) is not dict:
            return None
        plan = _plan(document)
        if plan is None:
            return None
        recovered = eth.recover_digest(
            plan.digest(message), _signature(signature), allow_high_s=self.allow_high_s
        )
        return VALID_EIP712 if recovered == _address(address) else None
