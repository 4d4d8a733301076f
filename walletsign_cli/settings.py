"""Settings the CLI takes from the process, checked here: the CLI reads the environment and
passes the raw values in (nothing here looks at ``os.environ``). A bad setting is a
:class:`~walletsign_cli.errors.KeystoreError` (exit 5): it is the keystore's to use."""

from __future__ import annotations

import math

from walletsign_cli.errors import KeystoreError


def read_passphrase_file(path: str) -> bytes:
    """The first line of ``path`` (without its ``\\r\\n``), which must not be empty."""
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 - user path
            first = handle.read(64 * 1024).split(b"\n", 1)[0].removesuffix(b"\r")
    except OSError as exc:
        raise KeystoreError(f"--passphrase-file: cannot read {path}: {exc.strerror}") from None
    if not first:
        raise KeystoreError(f"--passphrase-file: {path} starts with an empty line")
    return first


def parse_lock_timeout(raw: str | None, *, name: str, default: float) -> float:
    """``raw`` seconds (``default`` when unset or empty): finite and not negative."""
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = math.nan
    # nan or inf would wait forever; a negative wait is a typo.
    if not (math.isfinite(value) and value >= 0):
        raise KeystoreError(
            f"{name} is not a number of seconds: {raw!r}",
            hint=f"for example {name}=30",
        )
    return value
