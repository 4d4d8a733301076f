"""The public Python API (walletsign_cli.api): the README's example, and each call directly."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_vector
from walletsign_cli import api
from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.errors import BadInputError, InvalidSignatureError, KeystoreError

README = Path(__file__).parent.parent / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's Python section has no example"
    return match.group(1)


def test_readme_example_runs_and_prints_what_its_comments_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = readme_example()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README
    expected = [line.split("# ", 1)[1] for line in code.splitlines() if "print(" in line]
    assert out.getvalue().splitlines() == expected
    assert (tmp_path / "example-keystore.json").exists()


@pytest.fixture
def store(tmp_path: Path) -> api.Keystore:
    return api.open_keystore(tmp_path / "ks.json")


def connected(store: api.Keystore) -> str:
    plan = api.connect_url(
        store, wallet="solflare", app_url="https://example.com", redirect_link="myapp://c"
    )
    result = api.decode_answer(store, api.simulate_wallet(store, plan.request.url).redirect)
    assert result.saved and result.session_name == "solflare"
    return str(result.data["public_key"])


def test_an_answer_is_matched_to_its_own_request_among_pending_ones(store: api.Keystore) -> None:
    connected(store)
    plan = api.sign_message_url(store, b"\x00\xffbytes", redirect_link="myapp://s")
    assert plan.pending.display == "hex"
    answer = api.simulate_wallet(store, plan.request.url)
    forged = api.sign_message_url(store, "another", redirect_link="myapp://s")
    assert forged.session.name == "solflare"
    result = api.decode_answer(store, answer.redirect, save=False)
    assert result.verified is True and result.exit_code == 0


def test_decode_without_save_changes_nothing(store: api.Keystore) -> None:
    plan = api.connect_url(
        store, wallet="phantom", app_url="https://example.com", redirect_link="myapp://c"
    )
    redirect = api.simulate_wallet(store, plan.request.url).redirect
    before = store.path.read_bytes()
    result = api.decode_answer(store, redirect, save=False)
    assert result.status == "approved" and not result.saved
    assert store.path.read_bytes() == before
    assert "phantom" not in store.load().sessions


def test_a_wallet_error_is_a_rejected_result(store: api.Keystore) -> None:
    result = api.decode_answer(store, "myapp://c?errorCode=4001&errorMessage=no")
    assert (result.status, result.error_code, result.exit_code) == ("rejected", 4001, 4)
    assert not store.path.exists()  # an error redirect never opens the keystore


def test_decode_answer_opens_the_keystore_only_when_the_answer_needs_it(
    store: api.Keystore,
) -> None:
    opened: list[bool] = []

    def opener() -> api.Keystore:
        opened.append(True)
        return store

    rejected = api.decode_answer(opener, "myapp://c?errorCode=4001&errorMessage=no")
    assert rejected.status == "rejected" and opened == []
    plan = api.connect_url(
        store, wallet="phantom", app_url="https://example.com", redirect_link="myapp://c"
    )
    result = api.decode_answer(opener, api.simulate_wallet(store, plan.request.url).redirect)
    assert result.saved and opened == [True]
    assert "phantom" in store.load().sessions


def test_requests_need_a_session(store: api.Keystore) -> None:
    with pytest.raises(KeystoreError, match="no session"):
        api.sign_message_url(store, "hi", redirect_link="myapp://s")
    with pytest.raises(BadInputError):
        api.sign_transactions_url(store, ["not base58 0OIl"], redirect_link="myapp://s")


def test_disconnect_removes_the_session(store: api.Keystore) -> None:
    connected(store)
    plan = api.disconnect_url(store, redirect_link="myapp://d")
    answer = api.simulate_wallet(store, plan.request.url)
    result = api.decode_answer(store, answer.redirect)
    assert result.session_removed
    assert store.load().sessions == {}


def test_verify_signature_raises_when_it_does_not_verify() -> None:
    key = Ed25519SigningKey.from_seed(bytes(range(32)))
    signature = base58.encode(key.sign(b"hello"))
    verdict = api.verify_signature(public_key=str(key.public), signature=signature, message="hello")
    assert verdict.valid and verdict.scheme == "raw" and verdict.signer == str(key.public)
    with pytest.raises(InvalidSignatureError, match="does not verify"):
        api.verify_signature(public_key=str(key.public), signature=signature, message="hellO")
    with pytest.raises(BadInputError, match="exactly one"):
        api.verify_signature(signature=signature, message="hello")


def test_verify_jobs_reports_each_job_as_the_batch_does() -> None:
    key = Ed25519SigningKey.from_seed(bytes(range(32)))
    good = {"id": "a", "public_key": str(key.public), "message": "hi"}
    good["signature"] = base58.encode(key.sign(b"hi"))
    bad = {**good, "id": "b", "message": "ho"}
    results = list(api.verify_jobs([good, bad, {"id": "c", "signature": "x", "message": "m"}]))
    assert [(r.line, r.id, r.valid, r.malformed) for r in results] == [
        (1, "a", True, False),
        (2, "b", False, False),
        (3, "c", False, True),
    ]
    assert results[0].scheme == "raw" and results[1].error and "does not verify" in results[1].error


def test_verify_signature_ethereum_eip191() -> None:
    # ethers' personal_sign vector V1 (tests/vectors/eip191.json).
    case = load_vector("eip191.json")["vectors"][0]
    verdict = api.verify_signature(
        address=case["address"], signature=case["signature"], message=case["message_text"]
    )
    assert verdict.valid and verdict.chain == "ethereum" and verdict.signer == case["address"]
    with pytest.raises(InvalidSignatureError):
        api.verify_signature(
            address=case["address"], signature=case["signature"], message="hello World"
        )


def test_cli_error_redirect_needs_no_passphrase_file(run: Any, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-passphrase")
    result = run("--passphrase-file", missing, "decode-redirect", "myapp://c?errorCode=4001")
    assert result.exit_code == 4, result.stderr


def test_before_save_raising_saves_nothing(store: api.Keystore) -> None:
    def refuse(plan: api.ConnectPlan) -> None:
        assert plan.request.url.startswith("https://phantom.app/ul/v1/connect?")
        raise OSError("cannot write the QR file")

    with pytest.raises(OSError, match="QR file"):
        api.connect_url(
            store,
            wallet="phantom",
            app_url="https://example.com",
            redirect_link="myapp://c",
            before_save=refuse,
        )
    assert not store.path.exists()


def test_send_options_go_into_the_link_and_back(store: api.Keystore) -> None:
    from tests.test_solana_tx import legacy_message, unsigned

    account = base58.decode(connected(store))
    tx = base58.encode(unsigned(legacy_message(account)))
    options = {"skipPreflight": False, "preflightCommitment": "confirmed", "maxRetries": 3}
    plan = api.sign_transactions_url(
        store, [tx], redirect_link="myapp://s", send=True, send_options=options
    )
    answer = api.simulate_wallet(store, plan.request.url)
    assert answer.request.method == "signAndSendTransaction"
    assert answer.send_options == options
    result = api.decode_answer(store, answer.redirect)
    assert result.send_options == options


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"retries": 3}, "send_options: unknown key 'retries'"),
        ({"skipPreflight": "no"}, "send_options: skipPreflight must be true or false"),
    ],
)
def test_bad_send_options_are_refused_before_anything_is_saved(
    store: api.Keystore, options: dict[str, Any], words: str
) -> None:
    from tests.test_solana_tx import legacy_message, unsigned

    tx = base58.encode(unsigned(legacy_message(base58.decode(connected(store)))))
    before = (store.path).read_bytes()
    with pytest.raises(BadInputError, match=re.escape(words)):
        api.sign_transactions_url(
            store, [tx], redirect_link="myapp://s", send=True, send_options=options
        )
    assert store.path.read_bytes() == before


def test_browse_fungible_and_swap_links_as_the_commands_write_them(run: Any) -> None:
    page, ref = "https://example.com/app?x=1", "https://example.com"
    browse = api.browse_url(page, ref=ref, wallet="solflare")
    cli = run("browse-url", page, "--ref", ref, "--wallet", "solflare", "--json")
    assert cli.exit_code == 0 and browse.url == json.loads(cli.stdout)["url"]
    assert api.read_link(browse.url).values == {"url": page, "ref": ref}

    mint = "So11111111111111111111111111111111111111112"
    fungible = api.fungible_url(mint)
    assert fungible.url == json.loads(run("fungible-url", mint, "--json").stdout)["url"]
    swap = api.swap_url(buy=mint)
    assert swap.url == json.loads(run("swap-url", "--buy", mint, "--json").stdout)["url"]
    read = api.read_link(swap.url)
    caip19 = f"solana:101/address:{mint}"  # a bare mint is written as its CAIP-19 id
    assert (read.method, read.values["buy"], read.values["sell"]) == ("swap", caip19, "")


def test_link_calls_name_what_is_wrong() -> None:
    with pytest.raises(BadInputError, match="wallet must be one of"):
        api.browse_url("https://example.com", ref="https://example.com", wallet="metamask")
    with pytest.raises(BadInputError, match="needs --wallet or --base-url"):
        api.browse_url("https://example.com", ref="https://example.com")
    with pytest.raises(BadInputError, match="not a browse, fungible or swap link"):
        api.read_link("https://example.com/")
