"""Base58 with the Bitcoin alphabet, sub-quadratic at any size.

Byte-for-byte the encoding of npm ``bs58`` and PyPI ``base58``: each leading zero byte is one
``1``, the rest is the big-endian integer in base 58. The ``base58`` package converts one digit
at a time (quadratic); this module splits the number over powers of 58 (divide and conquer),
so a 64 KB ``signAllTransactions`` answer decodes in milliseconds instead of seconds.

Splitting needs big divisions when encoding, and CPython's ``int`` division is quadratic, so
large inputs are encoded with :mod:`decimal` (libmpdec divides by Newton iteration and
multiplies by number-theoretic transform); decoding only multiplies, which ``int`` does well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from walletsign_cli.errors import BadInputError

_COMPILED: dict[int, Callable[[bytes], bytes]] = {}
try:
    # The optional compiled decoder of 32- and 64-byte values (``walletsign[fast]``:
    # Firedancer's fd58). It answers exactly what :func:`decode_fixed_python` answers (the
    # tests compare the two on arbitrary text); without it the pure-Python one runs.
    import fd58
except ImportError:  # pragma: no cover - depends on the install
    pass
else:
    _COMPILED.update({32: fd58.dec32, 64: fd58.dec64})

if TYPE_CHECKING:
    # decimal is imported by the large-input path only: start-up does not pay for it.
    import decimal

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE = 58
_PAIR_BASE = _BASE * _BASE
# Encoding two digits per step halves the Python-level loop. The pair table (3,364 strings)
# is built by the first encode, not at import: ``verify`` and ``--version`` start-ups do not
# pay for it. (Decoding by pairs gains nothing over one digit a step: there is no table.)
_PAIRS: list[str] = []
# Numbers below this (64 bytes: keys, signatures) are encoded a digit at a time, table-free.
_ONE_BY_ONE_BELOW = 1 << 512
_DIGIT = {c: i for i, c in enumerate(ALPHABET)}
# Below this many digits the plain loop wins; above it, split recursively.
_CHUNK_DIGITS = 96
# _POWERS[i] = 58 ** (_CHUNK_DIGITS * 2**i), grown on demand.
_POWERS: list[int] = [_BASE**_CHUNK_DIGITS]


def _power(i: int) -> int:
    while len(_POWERS) <= i:
        _POWERS.append(_POWERS[-1] * _POWERS[-1])
    return _POWERS[i]


def _digits(i: int) -> int:
    return _CHUNK_DIGITS << i


def _build_pairs() -> list[str]:
    _PAIRS.extend(a + b for a in ALPHABET for b in ALPHABET)
    return _PAIRS


def _encode_small(n: int) -> str:
    if n < _ONE_BY_ONE_BELOW:  # a key or a signature: 88 steps or fewer, no table needed
        digits: list[str] = []
        while n:
            n, r = divmod(n, _BASE)
            digits.append(ALPHABET[r])
        return "".join(reversed(digits))
    pairs = _PAIRS or _build_pairs()
    out: list[str] = []
    while n:
        n, r = divmod(n, _PAIR_BASE)
        out.append(pairs[r])
    return "".join(reversed(out)).lstrip("1")


def _encode_rec(n: int, level: int, width: int) -> str:
    """Digits of ``n`` (``n < 58**_digits(level+1)``), left-padded to ``width``."""
    if level < 0 or n < _POWERS[0]:
        s = _encode_small(n)
    else:
        q, r = divmod(n, _power(level))
        s = _encode_rec(q, level - 1, 0) + _encode_rec(r, level - 1, _digits(level))
        s = s.lstrip("1") if width == 0 else s
    return s.rjust(width, "1") if width else s


def encode_int(n: int) -> str:
    """Base58 digits of a non-negative integer (``""`` for zero)."""
    if n < _POWERS[0]:
        return _encode_small(n)
    level = 0
    while _power(level + 1) <= n:
        level += 1
    return _encode_rec(n, level, 0)


# From this many bytes on, encoding goes through decimal (measured crossover: ~24 KB).
_DECIMAL_FROM_BYTES = 32 * 1024
# Chunks of this many bytes become one Decimal directly (int -> Decimal is quadratic).
_DECIMAL_LEAF_BYTES = 512
_DEC_POWERS_256: dict[int, decimal.Decimal] = {}
# _DEC_POWERS[i] = Decimal(58) ** (_CHUNK_DIGITS * 2**i), computed under the exact context.
_DEC_POWERS: list[decimal.Decimal] = []


def _dec_power(i: int) -> decimal.Decimal:
    import decimal

    if not _DEC_POWERS:
        _DEC_POWERS.append(decimal.Decimal(_POWERS[0]))
    while len(_DEC_POWERS) <= i:
        _DEC_POWERS.append(_DEC_POWERS[-1] * _DEC_POWERS[-1])
    return _DEC_POWERS[i]


def _bytes_to_decimal(data: bytes) -> decimal.Decimal:
    import decimal

    if len(data) <= _DECIMAL_LEAF_BYTES:
        return decimal.Decimal(int.from_bytes(data, "big"))
    low = _DECIMAL_LEAF_BYTES
    while 2 * low < len(data):
        low *= 2
    power = _DEC_POWERS_256.get(low)
    if power is None:
        power = _DEC_POWERS_256[low] = decimal.Decimal(256) ** low
    return _bytes_to_decimal(data[:-low]) * power + _bytes_to_decimal(data[-low:])


def _decimal_digits(x: decimal.Decimal, level: int, width: int, out: list[str]) -> None:
    """Append the digits of ``x`` (``x < 58**_digits(level+1)``), left-padded to ``width``."""
    if level < 0 or x < _dec_power(0):
        s = _encode_small(int(x))
        out.append(s.rjust(width, "1") if width else s)
    elif not width and x < _dec_power(level):
        _decimal_digits(x, level - 1, 0, out)
    else:
        q, r = divmod(x, _dec_power(level))
        k = _digits(level)
        _decimal_digits(q, level - 1, width - k if width else 0, out)
        _decimal_digits(r, level - 1, k, out)


def _encode_decimal(data: bytes) -> str:
    import decimal  # lazy: 6 ms at start-up, needed only for inputs over 32 KB

    out: list[str] = []
    # Integer arithmetic in this context is exact; any rounding would raise instead.
    exact = decimal.Context(
        prec=decimal.MAX_PREC,
        Emax=decimal.MAX_EMAX,
        Emin=decimal.MIN_EMIN,
        traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation],
    )
    with decimal.localcontext(exact):
        x = _bytes_to_decimal(data)
        level = 0
        while _dec_power(level + 1) <= x:
            level += 1
        _decimal_digits(x, level, 0, out)
    return "".join(out)


def encode(data: bytes) -> str:
    """Encode bytes as base58 (Bitcoin alphabet)."""
    stripped = data.lstrip(b"\0")
    zeros = len(data) - len(stripped)
    if len(stripped) >= _DECIMAL_FROM_BYTES:
        return "1" * zeros + _encode_decimal(stripped)
    return "1" * zeros + encode_int(int.from_bytes(stripped, "big"))


def _leaf(digits: bytes) -> int:
    """The value of at most ``2 * _CHUNK_DIGITS`` digit bytes: a short run one digit a step,
    a long one by merging neighbouring slots in a few big-integer steps (as
    :func:`decode_fixed` does), instead of a Python step per digit."""
    if len(digits) <= _LOOP_DIGITS:
        n = 0
        for d in digits:
            n = n * _BASE + d
        return n
    x = int.from_bytes(digits, "big")
    for width, mask, excess in _LEAF_LEVELS[: (len(digits) - 1).bit_length()]:
        x -= ((x >> width) & mask) * excess
    return x


def _decode_rec(digits: bytes) -> int:
    if len(digits) <= 2 * _CHUNK_DIGITS:
        return _leaf(digits)
    level = 0
    while _digits(level + 1) < len(digits):
        level += 1
    k = _digits(level)
    return _decode_rec(digits[:-k]) * _power(level) + _decode_rec(digits[-k:])


def decode(text: str, *, name: str = "value") -> bytes:
    """Decode base58 text to bytes; raise :class:`BadInputError` naming ``name`` if invalid."""
    body = text.lstrip("1")
    zeros = len(text) - len(body)
    digits = body.encode("ascii").translate(_DIGIT_BYTES) if body.isascii() else None
    if digits is None or 255 in digits:
        bad = next((i, c) for i, c in enumerate(text) if c not in _DIGIT)
        raise BadInputError(
            f"{name} is not base58: invalid character {bad[1]!r} at position {bad[0]}",
            hint=hint_for(text),
        )
    n = _decode_rec(digits) if digits else 0
    return b"\0" * zeros + n.to_bytes((n.bit_length() + 7) // 8, "big")


def hint_for(text: str) -> str | None:
    """A hint for text that was meant as base58 but looks like base64 or hex, else None."""
    if any(c in "+/=" for c in text):
        return "this looks like base64; Phantom-style deeplinks use base58 everywhere"
    if any(c in "0OIl" for c in text) and all(c.isalnum() for c in text):
        return "base58 has no 0, O, I or l; check for a copy error or a hex value"
    return None


def decode_exact(text: str, size: int, *, name: str) -> bytes:
    """Decode base58 that must hold exactly ``size`` bytes (a key, a nonce, a signature)."""
    fixed = decode_fixed(text, size) if size in _LEVELS else None
    if fixed is not None:
        return fixed
    raw = decode(text, name=name)
    if len(raw) != size:
        # The value itself is never echoed: it may be a secret key.
        hint = hint_for(text)
        if size == 32 and len(raw) == 64:
            hint = "64 bytes is a Solana keypair (secret ‖ public), not a 32-byte key"
        raise BadInputError(f"{name} must be {size} bytes, got {len(raw)}", hint=hint)
    return raw


# --- fixed-size decoding (keys and signatures) ------------------------------------------

# Digit value of each byte; 255 marks a byte outside the alphabet.
_DIGIT_BYTES = bytes(_DIGIT.get(chr(c), 255) for c in range(256))


def _swar_levels(steps: int) -> tuple[tuple[int, int, int], ...]:
    """(slot width, mask of the even slots, ``2**width - base``) for each step of
    :func:`decode_fixed` over ``2**steps`` one-byte digit slots (``base < 2**width`` always:
    58 < 256, and both square at each step)."""
    levels = []
    width, base = 8, _BASE
    bits = 8 << steps
    for _ in range(steps):
        unit = (1 << width) - 1
        mask = sum(unit << (2 * width * j) for j in range(bits // (2 * width)))
        levels.append((width, mask, (1 << width) - base))
        width, base = width * 2, base * base
    return tuple(levels)


# Masks as wide as the input needs: 64 slots for a key (<= 44 digits), 128 for a signature.
_LEVELS = {32: _swar_levels(6), 64: _swar_levels(7)}
# A leaf of the general decoder: up to 256 digits; below _LOOP_DIGITS the plain loop wins.
_LEAF_LEVELS = _swar_levels(8)
_LOOP_DIGITS = 24
# The longest base58 text of a 32-byte key and of a 64-byte signature.
_MAX_DIGITS = {32: 44, 64: 88}


def decode_fixed_python(text: str, size: int) -> bytes | None:
    """The ``size`` bytes (32 or 64) of canonical base58 ``text``, or None when it is not
    exactly that (then :func:`decode` gives the error message). Fast: no per-digit loop.

    One digit per byte in a big integer, then steps that each merge every pair of
    neighbouring slots (``high * base + low``, slots and base doubling in width), all in
    a few big-integer operations instead of a Python loop per digit. A pair's bits are
    ``low + high * 2**width``, so a merge subtracts ``high * (2**width - base)``: four
    operations a step. (This runs twice per ``verify --batch`` line: every step counts.)
    """
    if len(text) > _MAX_DIGITS[size] or not text.isascii():
        return None
    digits = text.encode("ascii").translate(_DIGIT_BYTES)
    if 255 in digits:
        return None
    x = int.from_bytes(digits, "big")
    for width, mask, excess in _LEVELS[size]:
        x -= ((x >> width) & mask) * excess
    try:
        raw = x.to_bytes(size, "big")
    except OverflowError:  # more than size bytes
        return None
    if text[:1] != "1":  # no leading zero byte may then be there
        return raw if raw[:1] != b"\0" else None
    zeros = len(text) - len(text.lstrip("1"))
    if raw[:zeros] != bytes(zeros) or (zeros < size and raw[zeros] == 0):
        return None
    return raw


def _compiled_at(size: int) -> Callable[[str], bytes | None]:
    """:func:`decode_fixed_python` at ``size``, answered by fd58 (about a fifth of its
    instructions)."""
    decode, most = _COMPILED[size], _MAX_DIGITS[size]

    def decode_at_size(text: str) -> bytes | None:
        if len(text) > most:  # no copy of a huge text to refuse
            return None
        try:
            return decode(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError):  # not base58, not canonical, not that size
            return None

    return decode_at_size


def _python_at(size: int) -> Callable[[str], bytes | None]:
    def decode_at_size(text: str) -> bytes | None:
        return decode_fixed_python(text, size)

    return decode_at_size


COMPILED = bool(_COMPILED)
"""Whether :func:`decode_fixed` is the compiled decoder (``walletsign[fast]`` installed)."""
_AT_SIZE = {size: (_compiled_at if COMPILED else _python_at)(size) for size in (32, 64)}


def _decode_fixed_compiled(text: str, size: int) -> bytes | None:
    return _AT_SIZE[size](text)


decode_fixed = _decode_fixed_compiled if COMPILED else decode_fixed_python
# One size each, without looking the size up: what ``verify --batch`` calls on every line.
decode32 = _AT_SIZE[32]
""":func:`decode_fixed` of a 32-byte value (a key): its bytes or None."""
decode64 = _AT_SIZE[64]
""":func:`decode_fixed` of a 64-byte value (a signature): its bytes or None."""
