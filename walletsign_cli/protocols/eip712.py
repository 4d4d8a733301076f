"""EIP-712 typed structured data: parse the ``eth_signTypedData_v4`` JSON, hash it.

The JSON is what a dapp passes to ``eth_signTypedData_v4``::

    {"types": {"EIP712Domain": [...], "Mail": [{"name": "from", "type": "Person"}, ...]},
     "primaryType": "Mail", "domain": {...}, "message": {...}}

Encoding follows the EIP (eips.ethereum.org/EIPS/eip-712) and, where the EIP is silent,
MetaMask's ``eth-sig-util`` V4 (what MetaMask signs):

- ``encodeType``: the primary type, then the types it references (directly or through
  arrays), sorted by name; ``typeHash = keccak256(encodeType)``.
- ``hashStruct(s) = keccak256(typeHash ‖ encodeData(s))``; atomic values are 32-byte
  words (``bool``, ``address``, ``uintN``/``intN`` two's complement, ``bytesN`` padded right),
  ``bytes``/``string`` are their keccak-256, structs their ``hashStruct``, arrays the
  keccak-256 of their encoded elements.
- digest: ``keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message))``; with
  ``primaryType`` ``EIP712Domain`` the message part is left out (as eth-sig-util does).

Stricter than eth-sig-util, as ethers is: every field must be present (eth-sig-util hashes
a missing struct as zeros), and a type that references itself (a cycle) is refused, since
no finite value of it exists with every field present. Tolerant where signing tools are:
integers as JSON numbers, decimal or 0x-hex strings; extra keys in a value are ignored;
an absent ``EIP712Domain`` type is inferred from the domain's keys (as ethers does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from walletsign_cli.core import eth
from walletsign_cli.errors import BadInputError

DOMAIN_TYPE = "EIP712Domain"
DOMAIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
)
"""The domain's standard fields, in the EIP's order."""

MAX_DEPTH = 64
"""Nesting of structs and arrays in one value (deeper is refused, not a RecursionError)."""

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_ARRAY = re.compile(r"(?P<element>.+)\[(?P<size>[0-9]*)\]")
_UINT = re.compile(r"(?P<kind>u?int)(?P<bits>[0-9]+)")
_BYTES_N = re.compile(r"bytes(?P<size>[0-9]+)")


class Field(NamedTuple):
    """One member of a struct type: its name and its type string."""

    name: str
    type: str


class Types(dict[str, tuple[Field, ...]]):
    """Checked struct types, name -> fields; remembers each encoded type string (the same
    types, checked once, serve every line of a batch)."""

    __slots__ = ("encoded",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.encoded: dict[str, str] = {}


class Hashes(NamedTuple):
    """What ``typed-data hash`` prints: each step from the types to the signed digest."""

    encoded_type: str
    type_hash: bytes
    struct_hash: bytes
    domain_separator: bytes
    digest: bytes
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """0x-hex values, snake_case keys."""
        return {
            "encoded_type": self.encoded_type,
            "type_hash": "0x" + self.type_hash.hex(),
            "struct_hash": "0x" + self.struct_hash.hex(),
            "domain_separator": "0x" + self.domain_separator.hex(),
            "digest": "0x" + self.digest.hex(),
            "warnings": list(self.warnings),
        }


class TypedData(NamedTuple):
    """A parsed ``eth_signTypedData_v4`` document."""

    types: Mapping[str, tuple[Field, ...]]
    primary_type: str
    domain: Mapping[str, Any]
    message: Mapping[str, Any]

    def encode_type(self, name: str | None = None) -> str:
        """The encoded type string of ``name`` (default: the primary type)."""
        return encode_type(self.types, name or self.primary_type)

    def type_hash(self, name: str | None = None) -> bytes:
        """keccak256 of the encoded type string."""
        return _type_hash(self.encode_type(name))

    def struct_hash(self, warnings: list[str] | None = None) -> bytes:
        """``hashStruct(message)`` under the primary type (the domain for EIP712Domain)."""
        value = self.domain if self.primary_type == DOMAIN_TYPE else self.message
        root = "domain" if self.primary_type == DOMAIN_TYPE else "message"
        return hash_struct(self.types, self.primary_type, value, root, warnings)

    def domain_separator(self, warnings: list[str] | None = None) -> bytes:
        """``hashStruct(domain)`` under ``EIP712Domain`` (the same flat domain again, as in a
        batch of one dapp's requests, is hashed once)."""
        fields = self.types[DOMAIN_TYPE]
        values = tuple(self.domain.items())
        flat = all(type(v) in (str, int) for _, v in values)
        if flat and all(_is_builtin(f.type) for f in fields):
            separator, cached = _domain_separator(fields, values)
            if warnings is not None:
                warnings.extend(cached)
            return separator
        return hash_struct(self.types, DOMAIN_TYPE, self.domain, "domain", warnings)

    def digest(self) -> bytes:
        """The 32 bytes a wallet signs."""
        return self.hashes().digest

    def hashes(self) -> Hashes:
        """Every intermediate value, to compare with what a contract computes."""
        warnings: list[str] = []
        separator = self.domain_separator(warnings)
        struct = self.struct_hash(warnings if self.primary_type != DOMAIN_TYPE else None)
        return Hashes(
            self.encode_type(),
            self.type_hash(),
            struct,
            separator,
            signed_digest(separator, None if self.primary_type == DOMAIN_TYPE else struct),
            tuple(warnings),
        )

    def prepare(self) -> Prepared:
        """What the types, the primary type and the domain give for any message (the
        domain separator hashed once); :class:`BadInputError` as :meth:`hashes` says."""
        if self.primary_type == DOMAIN_TYPE:
            raise BadInputError("typed data: an EIP712Domain document has no message part")
        return Prepared(self.types, self.primary_type, self.domain_separator())

    def describe_domain(self) -> dict[str, Any]:
        """The standard domain fields present (chainId as an integer, addresses EIP-55)."""
        fields = dict(self.types[DOMAIN_TYPE])
        described: dict[str, Any] = {}
        for name, _ in DOMAIN_FIELDS:
            if name not in fields or name not in self.domain:
                continue
            value = self.domain[name]
            kind = fields[name]
            if kind == "address":
                value = eth.to_checksum_address(_address(value, f"domain.{name}"))
            elif _UINT.fullmatch(kind):
                value = _integer(value, f"domain.{name}")
            elif kind.startswith("bytes"):
                value = "0x" + _bytes(value, f"domain.{name}").hex()
            described[name] = value
        return described


def signed_digest(separator: bytes, struct: bytes | None) -> bytes:
    """``keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message))``, the message part
    left out (``struct`` None) for the primary type ``EIP712Domain``."""
    parts = b"\x19\x01" + separator
    if struct is not None:
        parts += struct
    return eth.keccak256(parts)


class Prepared(NamedTuple):
    """A document without its message: checked types, a primary type other than
    ``EIP712Domain``, and the domain separator (a batch of one dapp's requests repeats
    them line after line, with a new message each time)."""

    types: Mapping[str, tuple[Field, ...]]
    primary_type: str
    domain_separator: bytes

    def digest(self, message: Mapping[str, Any]) -> bytes:
        """The digest of the document with this ``message``, as :meth:`TypedData.hashes`."""
        struct = hash_struct(self.types, self.primary_type, message, "message")
        return signed_digest(self.domain_separator, struct)


# --- parsing the document ------------------------------------------------------------------


def loads(text: str | bytes, *, what: str = "typed data") -> TypedData:
    """Parse the JSON text of a typed-data document."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{what} is not JSON: {exc}") from None
    except RecursionError:
        raise BadInputError(f"{what} is JSON nested too deeply") from None
    return parse(document, what=what)


def parse(document: object, *, what: str = "typed data") -> TypedData:
    """Check the document's shape and its types (undefined types, cycles, bad names)."""
    if isinstance(document, str | bytes):
        return loads(document, what=what)
    if not isinstance(document, Mapping):
        raise BadInputError(
            f"{what} must be a JSON object with types, primaryType, domain, message"
        )
    types = _parse_types(document.get("types"), what)
    primary = document.get("primaryType")
    if not isinstance(primary, str) or not primary:
        raise BadInputError(f"{what}: primaryType is missing or not a string")
    domain = document.get("domain", {})
    message = document.get("message", {})
    if not isinstance(domain, Mapping) or not isinstance(message, Mapping):
        raise BadInputError(f"{what}: domain and message must be JSON objects")
    if DOMAIN_TYPE not in types:
        inferred = tuple(Field(n, t) for n, t in DOMAIN_FIELDS if n in domain)
        types = Types({**types, DOMAIN_TYPE: inferred})
    if primary not in types:
        raise BadInputError(f"{what}: primaryType {primary!r} is not defined in types")
    return TypedData(types, primary, domain, message)


def _parse_types(value: object, what: str) -> Types:
    """The checked types (undefined types, cycles, bad names refused); the same types
    given again (a batch of one dapp's requests) are checked once."""
    key = _types_key(value)
    if key is None:
        return _check_types(value, what)
    return _checked_types(key, what)


def _types_key(value: object) -> tuple[tuple[str, tuple[tuple[object, object], ...]], ...] | None:
    """A hashable copy of well-shaped types (lists of two-key objects), else None (the
    uncached path then names what is wrong)."""
    if not isinstance(value, dict):
        return None
    for members in value.values():
        if not isinstance(members, list):
            return None
        if not all(type(m) is dict and len(m) == 2 for m in members):
            return None
    try:
        key = tuple(
            (name, tuple((m["name"], m["type"]) for m in members))
            for name, members in value.items()
        )
        hash(key)
    except (KeyError, TypeError):
        return None
    return key


@lru_cache(maxsize=256)
def _checked_types(
    key: tuple[tuple[str, tuple[tuple[object, object], ...]], ...], what: str
) -> Types:
    raw = {name: [{"name": n, "type": t} for n, t in members] for name, members in key}
    return _check_types(raw, what)


def _check_types(value: object, what: str) -> Types:
    if not isinstance(value, Mapping):
        raise BadInputError(f"{what}: types is missing or not a JSON object")
    types = Types()
    for name, members in value.items():
        if not _IDENTIFIER.fullmatch(name) or _is_builtin(name):
            raise BadInputError(f"{what}: {name!r} is not a valid struct type name")
        if not isinstance(members, list):
            raise BadInputError(f"{what}: types.{name} must be a list of {{name, type}}")
        types[name] = tuple(_parse_field(name, member, what) for member in members)
        names = [f.name for f in types[name]]
        if len(set(names)) != len(names):
            raise BadInputError(f"{what}: type {name} has two fields with the same name")
    for name, fields in types.items():
        for field in fields:
            _check_type(types, _base(field.type), f"{name}.{field.name}", what)
    for name in types:
        _check_acyclic(types, name)
    return types


def _parse_field(struct: str, member: object, what: str) -> Field:
    if not isinstance(member, Mapping):
        raise BadInputError(f"{what}: a member of {struct} is not a {{name, type}} object")
    name, kind = member.get("name"), member.get("type")
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise BadInputError(f"{what}: a member of {struct} has no valid name")
    if not isinstance(kind, str) or not kind:
        raise BadInputError(f"{what}: {struct}.{name} has no type")
    return Field(name, kind)


def _base(kind: str) -> str:
    """The element type under any array suffixes (``Person[2][]`` -> ``Person``)."""
    while (array := _ARRAY.fullmatch(kind)) is not None:
        kind = array["element"]
    return kind


def _is_builtin(kind: str) -> bool:
    if kind in ("bool", "address", "string", "bytes"):
        return True
    integer = _UINT.fullmatch(kind)
    if integer is not None:
        bits = int(integer["bits"])
        return 8 <= bits <= 256 and bits % 8 == 0 and str(bits) == integer["bits"]
    fixed = _BYTES_N.fullmatch(kind)
    if fixed is None:
        return False
    size = fixed["size"]
    return 1 <= int(size) <= 32 and str(int(size)) == size


def _check_type(types: Mapping[str, Any], base: str, where: str, what: str) -> None:
    if _is_builtin(base) or base in types:
        return
    if _UINT.fullmatch(base) or _BYTES_N.fullmatch(base) or base in ("uint", "int", "byte"):
        raise BadInputError(f"{what}: {where} has type {base!r}: not a valid EIP-712 type")
    raise BadInputError(f"{what}: {where} has type {base!r}, which is not defined in types")


def _references(types: Mapping[str, tuple[Field, ...]], name: str) -> list[str]:
    return [_base(f.type) for f in types[name] if _base(f.type) in types]


def _check_acyclic(types: Mapping[str, tuple[Field, ...]], start: str) -> None:
    """Refuse a type that reaches itself (ethers: "circular type reference")."""
    stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        for ref in _references(types, name):
            if ref == start:
                raise BadInputError(
                    f"typed data: circular type reference {' -> '.join((*path, ref))}",
                    hint="a struct cannot contain itself; no finite value of it exists",
                )
            if ref not in seen:
                seen.add(ref)
                stack.append((ref, (*path, ref)))


# --- the encoding --------------------------------------------------------------------------


def dependencies(types: Mapping[str, tuple[Field, ...]], name: str) -> list[str]:
    """Every struct type ``name`` references, directly or not (``name`` not included)."""
    found: list[str] = []
    pending = [name]
    while pending:
        for ref in _references(types, pending.pop()):
            if ref != name and ref not in found:
                found.append(ref)
                pending.append(ref)
    return found


def encode_type(types: Mapping[str, tuple[Field, ...]], name: str) -> str:
    """``Name(type member,...)`` for ``name`` and then its dependencies sorted by name."""
    if isinstance(types, Types) and name in types.encoded:
        return types.encoded[name]
    if name not in types:
        raise BadInputError(f"typed data: type {name!r} is not defined in types")
    ordered = [name, *sorted(dependencies(types, name))]
    text = "".join(f"{t}({','.join(f'{f.type} {f.name}' for f in types[t])})" for t in ordered)
    if isinstance(types, Types):
        types.encoded[name] = text
    return text


def hash_struct(
    types: Mapping[str, tuple[Field, ...]],
    name: str,
    value: object,
    path: str,
    warnings: list[str] | None = None,
) -> bytes:
    """``keccak256(typeHash ‖ encodeData(value))``; ``warnings`` collects what was read
    tolerantly (an address with a bad EIP-55 checksum)."""
    return eth.keccak256(_Encoder(types, warnings).data(name, value, path, 0))


def encode_data(
    types: Mapping[str, tuple[Field, ...]], name: str, value: object, path: str
) -> bytes:
    """``typeHash ‖`` the 32-byte encoding of each member, in the type's order."""
    return _Encoder(types, None).data(name, value, path, 0)


@lru_cache(maxsize=1024)
def _type_hash(encoded_type: str) -> bytes:
    """keccak256 of an encoded type string (a batch signs the same types line after line)."""
    return eth.keccak256(encoded_type.encode("utf-8"))


@lru_cache(maxsize=256)
def _domain_separator(
    fields: tuple[Field, ...], values: tuple[tuple[str, Any], ...]
) -> tuple[bytes, tuple[str, ...]]:
    found: list[str] = []
    separator = hash_struct({DOMAIN_TYPE: fields}, DOMAIN_TYPE, dict(values), "domain", found)
    return separator, tuple(found)


class _Encoder:
    def __init__(self, types: Mapping[str, tuple[Field, ...]], warnings: list[str] | None) -> None:
        self.types = types
        self.warnings = [] if warnings is None else warnings
        self.type_hashes: dict[str, bytes] = {}

    def type_hash(self, name: str) -> bytes:
        found = self.type_hashes.get(name)
        if found is None:
            found = _type_hash(encode_type(self.types, name))
            self.type_hashes[name] = found
        return found

    def data(self, name: str, value: object, path: str, depth: int) -> bytes:
        if not isinstance(value, Mapping):
            raise BadInputError(f"typed data: {path} must be an object (type {name})")
        words = [self.type_hash(name)]
        for field in self.types[name]:
            where = f"{path}.{field.name}"
            if field.name not in value:
                raise BadInputError(f"typed data: {where} is missing (type {field.type})")
            words.append(self.value(field.type, value[field.name], where, depth + 1))
        return b"".join(words)

    def value(self, kind: str, value: object, path: str, depth: int) -> bytes:
        if depth > MAX_DEPTH:
            raise BadInputError(f"typed data: {path} is nested over {MAX_DEPTH} levels deep")
        array = _ARRAY.fullmatch(kind)
        if array is not None:
            return self.array(array["element"], array["size"], value, path, depth)
        if kind in self.types:
            return eth.keccak256(self.data(kind, value, path, depth))
        if kind == "string":
            if not isinstance(value, str):
                raise BadInputError(f"typed data: {path} must be a string")
            return eth.keccak256(value.encode("utf-8", "surrogatepass"))
        if kind == "bytes":
            return eth.keccak256(_bytes(value, path))
        if kind == "address":
            raw = _address(value, path)
            if _bad_checksum(value, raw):
                self.warnings.append(f"{path} has a bad EIP-55 checksum: {value}")
            return raw.rjust(32, b"\0")
        return encode_atomic(kind, value, path)

    def array(self, element: str, size: str, value: object, path: str, depth: int) -> bytes:
        if not isinstance(value, list):
            raise BadInputError(f"typed data: {path} must be an array ({element}[{size}])")
        if size and len(value) != int(size):
            raise BadInputError(
                f"typed data: {path} has {len(value)} elements; its type {element}[{size}] "
                f"needs exactly {int(size)}"
            )
        encoded = (
            self.value(element, item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)
        )
        return eth.keccak256(b"".join(encoded))


def encode_atomic(kind: str, value: object, path: str) -> bytes:
    """The 32-byte word of a ``bool``, ``address``, ``uintN``/``intN`` or ``bytesN`` value."""
    if kind == "bool":
        if not isinstance(value, bool):
            raise BadInputError(f"typed data: {path} must be true or false")
        return int(value).to_bytes(32, "big")
    if kind == "address":
        return _address(value, path).rjust(32, b"\0")
    integer = _UINT.fullmatch(kind)
    if integer is not None:
        return _encode_integer(integer["kind"], int(integer["bits"]), value, path)
    fixed = _BYTES_N.fullmatch(kind)
    if fixed is not None:
        raw = _bytes(value, path)
        size = int(fixed["size"])
        if len(raw) != size:
            raise BadInputError(f"typed data: {path} must be {size} bytes ({kind}), got {len(raw)}")
        return raw.ljust(32, b"\0")
    raise BadInputError(f"typed data: {path} has an unknown type {kind!r}")  # pragma: no cover


def _encode_integer(kind: str, bits: int, value: object, path: str) -> bytes:
    number = _integer(value, path)
    if kind == "uint":
        low, high = 0, (1 << bits) - 1
    else:
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if not low <= number <= high:
        raise BadInputError(
            f"typed data: {path} = {number} is out of range for {kind}{bits} ({low} to {high})"
        )
    return number.to_bytes(32, "big", signed=True) if number < 0 else number.to_bytes(32, "big")


def _integer(value: object, path: str) -> int:
    """A JSON integer, or a decimal or 0x-hex string (optionally negative)."""
    if isinstance(value, bool):
        raise BadInputError(f"typed data: {path} must be an integer, not {str(value).lower()}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        negative = text.startswith("-")
        body = text[1:] if negative else text
        try:
            if body[:2] in ("0x", "0X") and len(body) > 2:
                number = int(body[2:], 16)
            elif body.isdigit() and body.isascii():
                number = int(body, 10)
            else:
                raise ValueError(body)
        except ValueError:
            pass
        else:
            return -number if negative else number
    raise BadInputError(f"typed data: {path} must be an integer (a number, decimal or 0x-hex)")


def _bytes(value: object, path: str) -> bytes:
    if not isinstance(value, str) or value[:2] not in ("0x", "0X"):
        raise BadInputError(f"typed data: {path} must be 0x-hex bytes")
    body = value[2:]
    if len(body) % 2:
        raise BadInputError(f"typed data: {path} has an odd number of hex digits")
    try:
        return bytes.fromhex(body)
    except ValueError:
        raise BadInputError(f"typed data: {path} is not hex") from None


def _address(value: object, path: str) -> bytes:
    """The 20 bytes; a bad EIP-55 checksum is read (the bytes signed are the same) and
    reported as a warning by the encoder, as wallets display the address anyway."""
    if not isinstance(value, str):
        raise BadInputError(f"typed data: {path} must be a 0x address string")
    return eth.parse_address(value.lower(), name=f"typed data: {path}")


def _bad_checksum(text: object, raw: bytes) -> bool:
    assert isinstance(text, str)  # noqa: S101 - _address checked it
    body = text[2:] if text[:2] in ("0x", "0X") else text
    mixed = body != body.lower() and body != body.upper()
    return mixed and eth.to_checksum_address(raw) != "0x" + body
