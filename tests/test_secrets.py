"""No secret in any output: a whole flow, every command in four output modes, grepped.

The flow (keygen, connect-url, simulate, decode-redirect, sign-url, simulate,
decode-redirect, verify, disconnect, and a few failures) runs with and without a passphrase.
Every command runs plain, with ``--json``, with ``--debug`` and with both; its stdout and
stderr are searched for every secret of the keystore it built, in every encoding a
careless line could print: dapp and wallet secret keys, the shared secrets computed from
them, and the passphrase.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers import keystore as store_at
from walletsign_cli.core import base58, box
from walletsign_cli.core.ed25519 import Ed25519SigningKey

PASSPHRASE = "Zq8-correct-horse-passphrase"
MODES: list[tuple[list[str], list[str]]] = [
    ([], []),
    ([], ["--json"]),
    (["--debug"], []),
    (["--debug"], ["--json"]),
]


@dataclass
class Transcript:
    """Every output of a flow, with the command that produced it."""

    outputs: list[tuple[list[str], str]] = field(default_factory=list)


def _forms(raw: bytes) -> set[str]:
    """The ways a secret could be printed, and the prefixes an abbreviation would show."""
    encoded = {
        base58.encode(raw),
        raw.hex(),
        raw.hex().upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return encoded | {text[:12] for text in encoded}


def _secrets(keystore: Path, passphrase: str | None) -> dict[str, set[str]]:
    data = store_at(keystore, passphrase).load().to_json()
    found: dict[str, set[str]] = {}
    dapp_keys = {}
    for name, entry in data["keys"].items():
        pair = box.X25519KeyPair.from_base58(entry["secret_key"])
        dapp_keys[str(pair.public)] = pair
        found[f"keys.{name}.secret_key"] = _forms(pair.secret)
    for name, session in data["sessions"].items():
        pair = dapp_keys[session["dapp_public_key"]]
        wallet_pk = box.X25519PublicKey.from_base58(session["wallet_encryption_public_key"])
        found[f"sessions.{name} shared secret"] = _forms(box.shared_secret(wallet_pk, pair).raw)
    for name, wallet in data["wallets"].items():
        account = Ed25519SigningKey.from_base58(wallet["account_secret_key"])
        found[f"wallets.{name}.account_secret_key"] = _forms(account.seed) | _forms(
            account.seed + account.public.raw
        )
        for dapp_pk, dapp in wallet.get("dapps", {}).items():
            pair = box.X25519KeyPair.from_base58(dapp["secret_key"])
            found[f"wallets.{name}.dapps.{dapp_pk}.secret_key"] = _forms(pair.secret)
            shared = box.shared_secret(box.X25519PublicKey.from_base58(dapp_pk), pair)
            found[f"wallets.{name}.dapps.{dapp_pk} shared secret"] = _forms(shared.raw)
    if passphrase:
        found["passphrase"] = {passphrase}
    return found


class Flow:
    """Runs each step in the four output modes and keeps the ``--json`` result."""

    def __init__(self, keystore: Path, global_args: list[str], passphrase: str | None) -> None:
        self.keystore = keystore
        self.global_args = global_args
        self.passphrase = passphrase
        self.transcript = Transcript()

    def step(self, *args: str, input: str | None = None, expect: int = 0) -> dict[str, Any]:
        from walletsign_cli.cli.root import cli

        document: dict[str, Any] = {}
        for before, after in MODES:
            argv = ["--keystore", str(self.keystore), *self.global_args, *before, *args, *after]
            result = CliRunner().invoke(cli, argv, input=input, catch_exceptions=False)
            self.transcript.outputs.append((argv, result.stdout + "\n" + result.stderr))
            assert result.exit_code != 70, (argv, result.stderr)
            if after and result.exit_code == expect and result.stdout.strip():
                document = json.loads(result.stdout.splitlines()[0])
        return document


def _run_flow(flow: Flow) -> None:
    flow.step("keygen")
    connect = flow.step(
        "connect-url",
        "--wallet",
        "phantom",
        "--app-url",
        "https://example.com",
        "--redirect-link",
        "myapp://onConnect",
    )
    answer = flow.step("simulate", connect["url"])
    flow.step("decode-redirect", answer["redirect"])
    sign = flow.step("sign-url", "--redirect-link", "myapp://onSign", "--message", "hello")
    signed = flow.step("simulate", sign["url"])
    decoded = flow.step("decode-redirect", signed["redirect"])
    signature = decoded["data"]["signature"]
    public_key = (
        store_at(flow.keystore, flow.passphrase)
        .load()
        .to_json()["sessions"]["phantom"]["public_key"]
    )
    flow.step("verify", "--public-key", public_key, "--signature", signature, "--message", "hello")
    flow.step("verify", "--public-key", public_key, "--signature", signature, "--message", "x")
    # Failures: tampered answer, refused request, missing session, existing key, bad input.
    tampered = signed["redirect"][:-3] + (
        "111" if not signed["redirect"].endswith("111") else "222"
    )
    flow.step("decode-redirect", tampered, expect=3)
    reject = flow.step("sign-url", "--redirect-link", "myapp://onSign", "--message", "no")
    rejected = flow.step("simulate", reject["url"], "--reject", "4001")
    flow.step("decode-redirect", rejected["redirect"], expect=4)
    flow.step("sign-url", "--redirect-link", "myapp://x", "--message", "m", "--session", "nope")
    flow.step("keygen", expect=5)
    flow.step("decode-redirect", "myapp://onSign?nonce=abc&data=def", expect=3)
    disconnect = flow.step("disconnect-url", "--redirect-link", "myapp://onDisconnect")
    bye = flow.step("simulate", disconnect["url"])
    flow.step("decode-redirect", bye["redirect"])
    flow.step("keystore", "list")
    flow.step("keystore", "path")


@pytest.fixture(params=["plain", "env-passphrase", "passphrase-file"])
def flow(
    request: pytest.FixtureRequest,
    keystore_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flow]:
    global_args: list[str] = []
    if request.param == "env-passphrase":
        monkeypatch.setenv("WALLETSIGN_PASSPHRASE", PASSPHRASE)
    elif request.param == "passphrase-file":
        path = tmp_path / "passphrase"
        path.write_text(PASSPHRASE + "\n")
        global_args = ["--passphrase-file", str(path)]
    yield Flow(keystore_path, global_args, None if request.param == "plain" else PASSPHRASE)


def test_no_secret_reaches_any_output(flow: Flow) -> None:
    _run_flow(flow)
    secrets = _secrets(flow.keystore, flow.passphrase)
    assert any("wallets." in name for name in secrets)  # the simulated wallet was there
    assert any("shared secret" in name for name in secrets)
    leaks = [
        (name, " ".join(argv[2:]))
        for argv, output in flow.transcript.outputs
        for name, forms in secrets.items()
        if any(form in output for form in forms)
    ]
    assert leaks == []
    assert len(flow.transcript.outputs) >= 4 * 20
    if flow.passphrase:
        text = flow.keystore.read_text()
        assert all(form not in text for forms in secrets.values() for form in forms)


def test_the_check_would_catch_a_leak(keystore_path: Path, run: Any) -> None:
    """--show-secret is the one way to print a secret; the grep must see it."""
    result = run("keygen", "--show-secret")
    secrets = _secrets(keystore_path, None)
    assert any(form in result.stdout for form in secrets["keys.default.secret_key"])


@pytest.mark.parametrize("mode", MODES, ids=["text", "json", "debug", "debug-json"])
def test_secret_inputs_are_not_echoed_in_errors(
    run: Any, tmp_path: Path, mode: tuple[list[str], list[str]]
) -> None:
    """A secret the user passed in is not repeated back, even when the command fails."""
    before, after = mode
    secret = box.X25519KeyPair.from_secret(b"\7" * 32).secret_base58()
    assert run("keygen", "--secret-key", secret).exit_code == 0
    again = run(*before, "keygen", "--secret-key", secret, *after)
    assert again.exit_code == 5
    private = (b"\x09" * 32).hex()
    keyfile = tmp_path / "key.hex"
    keyfile.write_text(private)
    wrong = run(*before, "decrypt", "--private-key-file", str(keyfile), "-", *after, input="{}")
    assert wrong.exit_code == 3
    wrong_inline = run(*before, "decrypt", "--private-key", private, "-", *after, input="x")
    assert wrong_inline.exit_code == 3
    passfile = tmp_path / "pass"
    passfile.write_text(PASSPHRASE)
    assert run("--passphrase-file", str(passfile), "keystore", "encrypt").exit_code == 0
    bad = tmp_path / "bad"
    bad.write_text(PASSPHRASE + "-wrong")
    locked = run(*before, "--passphrase-file", str(bad), "keygen", "--name", "n", *after)
    assert locked.exit_code == 5
    for result in (again, wrong, wrong_inline, locked):
        output = result.stdout + result.stderr
        assert secret not in output
        assert private not in output
        assert PASSPHRASE not in output
