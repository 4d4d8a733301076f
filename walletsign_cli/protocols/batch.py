"""``verify --batch`` blocks: whole JSON Lines in, their result lines and counts out (pure).

The common line (a Solana ``public_key``, a base58 ``signature``, a text ``message``, no
other scheme) takes a lean path: the C JSON scanner, a cached key decode, a fixed-size
base58 decode, one :class:`~walletsign_cli.core.ed25519.Verifier` call and a preformatted
result line. The common Ethereum line (an ``address``, an EIP-191 ``message`` or EIP-712
``typed_data``) has its own, in :mod:`walletsign_cli.protocols.ethereum_batch`, loaded at the
first such line. Every other line, and any line a lean path does not accept as valid, goes
through :func:`~walletsign_cli.protocols.jobs.job_result`, as a single ``verify`` does.
"""

import functools
import importlib
import json
from json.scanner import make_scanner
from typing import Any, NamedTuple, cast

from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Verifier
from walletsign_cli.core.encoding import MAX_JSON_DEPTH, to_json, too_deep
from walletsign_cli.errors import BadInputError, InvalidSignatureError
from walletsign_cli.limits import MAX_BATCH_LINE_BYTES
from walletsign_cli.protocols import jobs, siws
from walletsign_cli.protocols.jobs import DEFAULTS, Defaults, JobResult
from walletsign_cli.protocols.verification import AUTO, RAW, parse_solana_public_key

LEAN_SCHEMES = (None, AUTO, RAW)
"""A job's own ``scheme`` values the lean path answers (absent, ``auto``, ``raw``)."""
# The C scanner under json.loads, called without its per-call wrapping.
_SCAN = make_scanner(cast(Any, json.JSONDecoder()))
_BLANK = object()
_NOT_UTF8 = object()
_TOO_DEEP = object()
_KEY_CACHE_SIZE = 4096
_SIGN_IN = siws.HEADER_SUFFIX.encode()  # siws.mentions_sign_in, without a call per line
_SIGN_IN_TEXT = siws.HEADER_SUFFIX
_VALID_SOLANA_RAW = ', "valid": true, "chain": "solana", "scheme": "raw", "error": null}\n'
_ETHEREUM_LINES = "walletsign_cli.protocols.ethereum_batch"


class BlockResult(NamedTuple):
    """The result lines of one block and how many were valid, invalid and malformed."""

    text: str
    valid: int
    invalid: int
    malformed: int


def result_line(result: JobResult) -> str:
    """One output line: the result's document as :func:`to_json` writes every JSON (control,
    bidirectional and other unsafe characters of an id or a message as JSON escapes; a lone
    surrogate, legal in a JSON escape but not in UTF-8, too)."""
    return to_json(result.to_json()) + "\n"


def _plain(text: str) -> bool:
    """Whether a string's JSON is itself in quotes: printable ASCII, no quote, no backslash."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def _json_id(value: Any) -> str:
    """:func:`to_json` of an id, without calling it for the usual plain string or int."""
    if value is None:
        return "null"
    if type(value) is str and _plain(value):
        return f'"{value}"'
    if type(value) is int:
        return str(value)
    return to_json(value)


def _never(number: int, obj: Any) -> None:
    """The lean path when it is switched off: every line goes to the general path."""


def decode_key(text: str) -> bytes:
    """A Solana ``public_key`` text as 32 bytes: canonical base58 first (nearly every line),
    any other form through the general parser (:class:`BadInputError` when malformed)."""
    raw = base58.decode32(text)
    return parse_solana_public_key(text, name="public_key")[0] if raw is None else raw


def _split(blob: bytes) -> tuple[list[str], set[int]]:
    """The lines of ``blob`` and the indexes of those that are not UTF-8 (then empty)."""
    bad_utf8: set[int] = set()
    try:
        lines = blob.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = []
        for index, raw in enumerate(blob.split(b"\n")):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append("")
                bad_utf8.add(index)
    if blob.endswith(b"\n"):
        lines.pop()
    return lines, bad_utf8


def _load_slowly(line: str) -> Any:
    """The line's JSON value, or a marker: blank, not JSON (None), nested too deeply."""
    try:
        return json.loads(line)
    except ValueError:
        return _BLANK if not line.strip() else None
    except RecursionError:  # absurd nesting: json's recursion limit
        return _TOO_DEEP


def _malformed(line: str, obj: Any) -> str | None:
    """Why a line cannot be a job before it is even looked at, or None."""
    if len(line) > MAX_BATCH_LINE_BYTES // 4 and (
        len(line.encode("utf-8", "surrogatepass")) > MAX_BATCH_LINE_BYTES
    ):
        return f"line is over the {MAX_BATCH_LINE_BYTES:,}-byte limit"
    if obj is _NOT_UTF8:
        return "line is not UTF-8"
    if obj is _TOO_DEEP:
        return "line is JSON nested too deeply"
    if obj is None or obj is _BLANK:
        return "line is not JSON"
    return None


def lean_defaults(defaults: Defaults) -> bool:
    """Whether the lean path may answer under ``defaults``: Solana ``auto`` or ``raw`` with no
    expected sign-in domain, nonce or chain id (anything else changes the verdict)."""
    return (
        defaults.scheme in (AUTO, RAW)
        and defaults.domain is None
        and defaults.nonce is None
        and defaults.chain_id is None
    )


def plain_raw(data: bytes) -> bool:
    """Whether a verified raw Solana message is only that: an off-chain message or a SIWS
    sign-in is named by the general path, which then answers."""
    return data[:1] != b"\xff" and _SIGN_IN not in data


class BatchVerifier:
    """Verifies blocks of JSON Lines under the command line's :class:`Defaults`."""

    def __init__(self, defaults: Defaults = DEFAULTS, verifier: Verifier | None = None) -> None:
        self.defaults = defaults
        self._verify = (verifier or Verifier()).verify
        self._keys: dict[str, bytes] = {}
        self._ethereum: Any = None  # an EthereumLines, made at the first Ethereum line
        self._lean = True  # False: every line takes the general path (the tests compare)
        self._lean_first = self._lean_line if lean_defaults(defaults) else self._ethereum_line

    def block(self, first_line: int, blob: bytes) -> BlockResult:
        """Results for ``blob`` (whole lines; its first line is number ``first_line``).

        Blank lines are skipped (no result line) but still counted in line numbers.
        """
        lines, bad_utf8 = _split(blob)
        out: list[str] = []
        append = out.append
        lean = self._lean_first if self._lean else _never
        counts = [0, 0, 0]  # valid, invalid, malformed
        number = first_line - 1
        for line in lines:
            number += 1
            try:  # the C scanner, without json.loads' wrapping (and its call) around it
                obj, end = _SCAN(line, 0)
            except (StopIteration, ValueError, RecursionError):
                obj = end = None
            if end != len(line):
                obj = _load_slowly(line)
            if bad_utf8 and number - first_line in bad_utf8:
                obj = _NOT_UTF8
            elif obj is _BLANK:
                continue
            text = lean(number, obj)
            if text is None:
                result = self._general(number, line, obj)
                text = result_line(result)
                counts[0 if result.valid else 2 if result.malformed else 1] += 1
            else:
                counts[0] += 1
            append(text)
        return BlockResult("".join(out), *counts)

    def _lean_line(self, number: int, obj: Any) -> str | None:
        """The result line of a common line that verifies, else None (the general path
        decides, with its messages). Every operation here runs once per line."""
        if type(obj) is not dict:
            return None
        key_text = obj.get("public_key")
        if key_text is None:  # not Solana (a get: a KeyError raised and caught costs more)
            return self._ethereum_line(number, obj)
        signature, message = obj.get("signature"), obj.get("message")
        if (  # three strings, and no key but them, "id" and "scheme" (a subset test costs more)
            type(key_text) is not str
            or type(signature) is not str
            or type(message) is not str
            or len(obj) - ("id" in obj) - ("scheme" in obj) != 3
        ):
            return None
        # Not plain_raw: a SIWS sign-in is named by the general path (and UTF-8 text never
        # holds the 0xff of an off-chain message header). A text search costs a third of a
        # bytes one, so the text is searched, before any decoding.
        if _SIGN_IN_TEXT in message or ("scheme" in obj and obj["scheme"] not in LEAN_SCHEMES):
            return None
        raw_signature = base58.decode64(signature)
        if raw_signature is None:
            return None
        key = self._keys.get(key_text)
        try:
            if key is None:
                key = self._remember(key_text)
            self._verify(key, message.encode("utf-8"), raw_signature)
        except (BadInputError, InvalidSignatureError, UnicodeEncodeError):
            return None
        id_value = obj.get("id")
        if (  # _plain, inlined: the id of nearly every line
            type(id_value) is str
            and id_value.isascii()
            and id_value.isprintable()
            and '"' not in id_value
            and "\\" not in id_value
        ):
            return f'{{"line": {number}, "id": "{id_value}"{_VALID_SOLANA_RAW}'
        if id_value is not None and type(id_value) is not str and type(id_value) is not int:
            return None  # an array or object id: the general path checks its depth
        return f'{{"line": {number}, "id": {_json_id(id_value)}{_VALID_SOLANA_RAW}'

    def _ethereum_line(self, number: int, obj: Any) -> str | None:
        """The result line of a common Ethereum line that verifies, else None."""
        if type(obj) is not dict or "address" not in obj:
            return None
        lines = self._ethereum
        if lines is None:
            module = importlib.import_module(_ETHEREUM_LINES)  # coincurve: Ethereum lines only
            lines = self._ethereum = module.EthereumLines(self.defaults)
        tail: str | None = lines.tail(obj)
        if tail is None:
            return None
        id_value = obj.get("id")
        if id_value is not None and type(id_value) is not str and type(id_value) is not int:
            return None  # an array or object id: the general path checks its depth
        return '{"line": ' + str(number) + ', "id": ' + _json_id(id_value) + tail

    def _remember(self, key_text: str) -> bytes:
        key = base58.decode32(key_text) or decode_key(key_text)  # one call less a new key
        if len(self._keys) >= _KEY_CACHE_SIZE:
            self._keys.clear()  # a bound on memory; a batch of one app's users refills it
        self._keys[key_text] = key
        return key

    def _general(self, number: int, line: str, obj: Any) -> JobResult:
        reason = _malformed(line, obj)
        # Fewer brackets than the limit cannot nest past it: the walk is skipped (C scans).
        if reason is None and line.count("[") + line.count("{") > MAX_JSON_DEPTH and too_deep(obj):
            reason = "line is JSON nested too deeply"
            obj = None  # not even its id is echoed
        if reason is not None:
            id_value = obj.get("id") if isinstance(obj, dict) else None
            return JobResult(number, id_value, False, None, None, reason, True)
        return jobs.job_result(number, obj, self.defaults)


@functools.lru_cache(maxsize=4)
def _worker_verifier(defaults: Defaults) -> BatchVerifier:
    return BatchVerifier(defaults)


def verify_block(defaults: Defaults, first_line: int, blob: bytes) -> BlockResult:
    """One block: the task a worker process runs. A worker keeps one
    :class:`BatchVerifier` per :class:`Defaults` (one per run), so its key cache lasts from
    block to block instead of starting empty at each."""
    return _worker_verifier(defaults).block(first_line, blob)
