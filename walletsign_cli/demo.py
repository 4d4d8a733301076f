"""``make demo``: a whole deeplink exchange against the simulated wallet, step by step,
then an Ethereum sign-in and typed-data signature from the simulated Ethereum wallet.

Every step runs the real command line (``python -m walletsign_cli``, as a user would) in a
temporary keystore, and prints the command, what was sent, what came back and what it
decrypts to. It ends with one success line, or exits 1 at the first step that fails.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from walletsign_cli.core import base58
from walletsign_cli.protocols.signin import ETHEREUM, SignInMessage

APP_URL = "https://example.com"
REDIRECT = "walletsign-demo://on"
SHOWN_ARG_CHARS = 72
SUCCESS = (
    "demo OK: connect, signMessage and verify all passed against the simulated wallet, "
    "both faulty wallets were caught, and SIWE and EIP-712 passed against the "
    "simulated Ethereum wallet"
)
PERMIT: dict[str, Any] = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        "Permit": [
            {"name": "owner", "type": "address"},
            {"name": "spender", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "nonce", "type": "uint256"},
            {"name": "deadline", "type": "uint256"},
        ],
    },
    "primaryType": "Permit",
    "domain": {
        "name": "Demo Token",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "message": {
        "spender": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB",
        "value": "1000000000000000000",
        "nonce": 0,
        "deadline": 4102444800,
    },
}


class StepFailed(Exception):
    """A step did not do what the exchange needs."""


@dataclass
class Demo:
    """Runs the commands in one temporary keystore and prints each step."""

    keystore: Path
    step: int = 0

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["WALLETSIGN_KEYSTORE"] = str(self.keystore)
        env.pop("WALLETSIGN_PASSPHRASE", None)
        env["PYTHONIOENCODING"] = "utf-8"
        return env

    def title(self, text: str) -> None:
        self.step += 1
        head = f"── {self.step}. {text} "
        print(f"\n{head}{'─' * max(0, 78 - len(head))}")

    def run(self, *args: str, expect: int = 0, input: str | None = None) -> dict[str, Any]:
        """Run ``walletsign ARGS --json``; its JSON document, or :class:`StepFailed`."""
        argv = [*args, "--json"]
        print("$ walletsign " + " ".join(_shown(a) for a in argv))
        result = subprocess.run(
            [sys.executable, "-m", "walletsign_cli", *argv],
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=self.env(),
            timeout=60,
            check=False,
        )
        if result.returncode != expect:
            detail = result.stderr.strip().splitlines()[-1:] or ["(no message)"]
            raise StepFailed(
                f"walletsign {args[0]} exited {result.returncode}, expected {expect}: {detail[0]}"
            )
        try:
            document = json.loads(result.stdout)
        except ValueError:
            raise StepFailed(f"walletsign {args[0]} did not print one JSON document") from None
        if not isinstance(document, dict):
            raise StepFailed(f"walletsign {args[0]} printed JSON that is not an object")
        return document


def _shown(arg: str) -> str:
    text = arg if len(arg) <= SHOWN_ARG_CHARS else arg[: SHOWN_ARG_CHARS - 1] + "…"
    return shlex.quote(text)


def _abbrev(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 60:
        return f"{value[:24]}…{value[-8:]} ({len(value)} chars)"
    if isinstance(value, dict):
        return {k: _abbrev(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_abbrev(v) for v in value]
    return value


def show(label: str, value: Any) -> None:
    """One ``label: value`` line; long opaque values shortened."""
    text = value if isinstance(value, str) else json.dumps(_abbrev(value), ensure_ascii=False)
    if isinstance(value, str) and len(value) > 110:
        text = value[:107] + "…"
    print(f"  {label:<10} {text}")


def require(condition: bool, what: str) -> None:
    """Fail the step unless ``condition`` holds."""
    if not condition:
        raise StepFailed(what)


def exchange(demo: Demo) -> None:
    """keygen → connect-url → simulate → decode-redirect → sign-url → simulate →
    decode-redirect (verified) → verify."""
    demo.title("The dapp creates its x25519 encryption key (keygen)")
    key = demo.run("keygen")
    show("public", key["public_key"])

    demo.title("The dapp asks the wallet to connect (connect-url)")
    connect = demo.run(
        "connect-url",
        "--wallet",
        "phantom",
        "--app-url",
        APP_URL,
        "--redirect-link",
        REDIRECT + "Connect",
        "--cluster",
        "devnet",
    )
    show("sent", connect["url"])
    show("params", connect["params"])

    demo.title("The wallet approves (simulate)")
    answer = demo.run("simulate", connect["url"])
    show("asked", answer["request"])
    show("came back", answer["redirect"])
    show("decrypted", answer.get("data"))
    require(answer.get("status") == "approved", "the simulated wallet did not approve")

    demo.title("The dapp opens the answer and saves the session (decode-redirect)")
    session = demo.run("decode-redirect", answer["redirect"])
    show("status", session["status"])
    show("decrypted", session["data"])
    show("saved as", session["session_name"])
    account = session["data"]["public_key"]
    require(account == answer.get("public_key"), "the session's public key is not the wallet's")

    message = f"Sign in to example.com (demo nonce {secrets.token_hex(4)})"
    demo.title("The dapp asks for a signature (sign-url)")
    sign = demo.run("sign-url", "--redirect-link", REDIRECT + "SignMessage", "--message", message)
    show("sent", sign["url"])
    show("payload", sign["payload"])

    demo.title("The wallet signs (simulate)")
    signed = demo.run("simulate", sign["url"])
    show("asked", signed["request"])
    show("message", base58.decode(signed["request"]["message"]).decode("utf-8"))
    show("came back", signed["redirect"])
    show("decrypted", signed.get("data"))
    require(signed.get("status") == "approved", "the simulated wallet did not sign")

    demo.title("The dapp opens the answer and checks it (decode-redirect)")
    decoded = demo.run("decode-redirect", signed["redirect"])
    show("decrypted", decoded["data"])
    show("verified", decoded["verified"])
    require(decoded.get("verified") is True, "decode-redirect did not verify the signature")
    signature = decoded["data"]["signature"]

    demo.title("Anyone can check the signature offline (verify)")
    verdict = demo.run(
        "verify", "--public-key", account, "--signature", signature, "--message", message
    )
    show("valid", verdict.get("valid"))
    show("scheme", verdict.get("scheme"))
    require(verdict.get("valid") is True, "verify did not accept the signature")


def ethereum(demo: Demo) -> None:
    """simulate-eth signs a Sign-In With Ethereum message and an EIP-712 permit; verify
    checks both offline."""
    demo.title("The Ethereum test wallet's address (simulate-eth)")
    address = demo.run("simulate-eth", "--message", "hello")["address"]
    show("address", address)

    text = SignInMessage(
        domain="example.com",
        address=address,
        statement="Sign in to the demo",
        uri=APP_URL,
        version="1",
        chain_id="1",
        nonce=secrets.token_hex(8),
        issued_at="2030-01-01T00:00:00Z",
        expiration_time="2030-01-01T00:10:00Z",
        chain=ETHEREUM,
    ).text()
    demo.title("The wallet signs in with Ethereum (simulate-eth --scheme siwe)")
    signin = demo.run("simulate-eth", "--scheme", "siwe", "--message", text)
    show("signature", signin["signature"])
    demo.title("The dapp checks the sign-in (verify --scheme siwe)")
    verdict = demo.run(
        "verify",
        "--scheme",
        "siwe",
        "--message",
        text,
        "--signature",
        signin["signature"],
        "--domain",
        "example.com",
        "--at",
        "2030-01-01T00:05:00Z",
    )
    show("valid", verdict.get("valid"))
    require(verdict.get("valid") is True, "verify did not accept the sign-in")

    permit = json.dumps({**PERMIT, "message": {"owner": address, **PERMIT["message"]}})
    demo.title("The wallet signs EIP-712 typed data (simulate-eth --typed-data)")
    typed = demo.run("simulate-eth", "--typed-data", "-", input=permit)
    show("digest", typed["digest"])
    demo.title("Anyone can check the typed-data signature (verify --scheme eip712)")
    verdict = demo.run(
        "verify",
        "--typed-data",
        "-",
        "--address",
        address,
        "--signature",
        typed["signature"],
        input=permit,
    )
    show("valid", verdict.get("valid"))
    show("digest", verdict.get("digest"))
    require(verdict.get("digest") == typed["digest"], "verify hashed other typed data")
    require(verdict.get("valid") is True, "verify did not accept the typed-data signature")


def failures(demo: Demo) -> None:
    """Two wallets that misbehave (``simulate --fault``), and what walletsign says: a
    signature by another key is refused (exit 1) and ``doctor`` names why; an answer of
    ``message ‖ signature`` is recognised and verified."""
    message = "Sign in to example.com (a wallet that misbehaves)"
    demo.title("A wallet signs with another key (simulate --fault other-key)")
    sign = demo.run("sign-url", "--redirect-link", REDIRECT + "SignMessage", "--message", message)
    forged = demo.run("simulate", "--fault", "other-key", sign["url"])
    decoded = demo.run("decode-redirect", forged["redirect"], expect=1)
    show("verified", decoded["verified"])
    require(decoded.get("verified") is False, "decode-redirect accepted a forged signature")
    report = demo.run("doctor", forged["redirect"], expect=3)
    problems = [c for c in report["checks"] if c["status"] == "problem"]
    for check in problems:
        show("problem", f"{check['message']} ({check['hint']})")
    require(bool(problems), "doctor found no problem in a forged answer")

    demo.title("A wallet answers message ‖ signature (simulate --fault message-signature)")
    sign = demo.run("sign-url", "--redirect-link", REDIRECT + "SignMessage", "--message", message)
    glued = demo.run("simulate", "--fault", "message-signature", sign["url"])
    decoded = demo.run("decode-redirect", glued["redirect"])
    show("signature", decoded["data"]["signature"])
    show("verified", decoded["verified"])
    require(decoded.get("verified") is True, "the signature part of message ‖ signature")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; 0 on success, 1 when a step failed."""
    del argv
    with tempfile.TemporaryDirectory(prefix="walletsign-demo-") as folder:
        demo = Demo(Path(folder) / "keystore" / "keystore.json")
        print(f"walletsign demo: a Phantom deeplink exchange, keystore {demo.keystore}")
        try:
            exchange(demo)
            failures(demo)
            ethereum(demo)
        except StepFailed as exc:
            print(f"\ndemo FAILED at step {demo.step}: {exc}", file=sys.stderr)
            return 1
        except (KeyError, TypeError) as exc:
            print(
                f"\ndemo FAILED at step {demo.step}: unexpected output ({exc!r})", file=sys.stderr
            )
            return 1
        except subprocess.TimeoutExpired:
            print(f"\ndemo FAILED at step {demo.step}: the command timed out", file=sys.stderr)
            return 1
    print(f"\n{SUCCESS} ({demo.step} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
