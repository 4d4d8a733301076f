"""The rest of the deeplink surface: sendOptions, per-wallet clusters, hosts, browse,
fungible, swap and the length warning. Expected URLs come from the wallets' docs
(docs/protocol.md lists the pages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import base58 as b58
import pytest
from nacl.signing import VerifyKey

from tests.test_simulate import Loop, ok_json, query
from tests.test_solana_tx import legacy_message, unsigned
from walletsign_cli.errors import BadInputError
from walletsign_cli.protocols import deeplink, simulator
from walletsign_cli.protocols.dapp import links
from walletsign_cli.protocols.dapp.send_options import (
    parse_send_options,
    read_send_options,
)

# Phantom's browse page (docs.phantom.com/phantom-deeplinks/other-methods/browse), verbatim.
PHANTOM_BROWSE_DOC = (
    "https://phantom.app/ul/browse/https%3A%2F%2Fmagiceden.io%2Fitem-details%2F"
    "8yjN8iRuoiYiKW487cnW9vn6mLBR5E8aCNKsBRmTP9vN?ref=https%3A%2F%2Fmagiceden.io"
)
# Solflare's browse page gives https://solflare.com/ul/v1/browse/<url>?ref=<ref>; its demo app
# browses https://solrise.finance with ref https://solflare.com.
SOLFLARE_BROWSE_DOC = (
    "https://solflare.com/ul/v1/browse/https%3A%2F%2Fsolrise.finance?ref=https%3A%2F%2Fsolflare.com"
)
# Phantom's fungible page, verbatim.
FUNGIBLE_DOC = (
    "https://phantom.app/ul/v1/fungible?token="
    "solana%3A101%2Faddress%3AFoXyMu5xwXre7zEoSvzViRk3nGawHUp9kUh97y2NDhcq"
)
# Phantom's swap page: the structure /ul/v1/swap?buy=<buy>&sell=<sell> with its examples'
# values (the examples themselves write swap/?, which reading accepts).
SWAP_DOC_SOL_TO_WIF = (
    "https://phantom.app/ul/v1/swap?buy="
    "solana%3A101%2Faddress%3AEKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm&sell="
)
SWAP_DOC_BRIDGE = (
    "https://phantom.app/ul/v1/swap?buy="
    "eip155%3A1%2Faddress%3A0xdAC17F958D2ee523a2206206994597C13D831ec7&sell="
    "solana%3A101%2Faddress%3AEPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
)
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
FOXY = "solana:101/address:FoXyMu5xwXre7zEoSvzViRk3nGawHUp9kUh97y2NDhcq"
SMALL_PAGE = {"url": "https://a.b", "ref": "x://y"}


def bytes_of(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


@pytest.fixture
def connected(run: Any, keystore_path: Path) -> Loop:
    """A phantom session with the simulated wallet."""
    loop = Loop(run, keystore_path, "phantom")
    loop.connect()
    return loop


@pytest.fixture
def stored(run: Any, keystore_path: Path) -> bytes:
    """A keystore with a dapp key in it; its bytes before the command under test."""
    assert run("keygen").exit_code == 0
    return keystore_path.read_bytes()


# -- sendOptions -------------------------------------------------------------------------------


def test_send_options_keep_keys_and_order() -> None:
    text = '{"maxRetries":3,"skipPreflight":true,"preflightCommitment":"confirmed"}'
    value = parse_send_options(text)
    assert list(value) == ["maxRetries", "skipPreflight", "preflightCommitment"]
    assert parse_send_options('{"minContextSlot": 0}') == {"minContextSlot": 0}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json", "not JSON"),
        ("[1]", "must be a JSON object"),
        ('{"skipPreflights": true}', "unknown key 'skipPreflights'"),
        ('{"skipPreflight": 1}', "skipPreflight must be true or false"),
        ('{"maxRetries": true}', "maxRetries must be a whole number"),
        ('{"maxRetries": -1}', "maxRetries must be a whole number"),
        ('{"minContextSlot": 1.5}', "minContextSlot must be a whole number"),
        ('{"preflightCommitment": "max"}', "deprecated"),
        ('{"preflightCommitment": "fast"}', "must be one of processed, confirmed, finalized"),
    ],
)
def test_bad_send_options_name_the_key(text: str, words: str) -> None:
    with pytest.raises(BadInputError, match=words):
        parse_send_options(text)


def test_received_send_options_are_read_tolerantly() -> None:
    assert read_send_options({}) == (None, [])
    value, notes = read_send_options({"sendOptions": '{"maxRetries":2}'})
    assert value == {"maxRetries": 2} and "JSON string" in notes[0]
    value, notes = read_send_options({"sendOptions": {"retries": 2}})
    assert value == {"retries": 2} and "unknown key 'retries'" in notes[0]
    assert read_send_options({"sendOptions": 5})[0] is None


def test_send_options_build_simulate_decode(connected: Loop, run: Any) -> None:
    tx = b58.b58encode(unsigned(legacy_message(connected.account))).decode()
    options = '{"skipPreflight":false,"preflightCommitment":"finalized","maxRetries":3}'
    built = connected.sign_url("--transaction", tx, "--send", "--send-options", options)
    assert built["method"] == "signAndSendTransaction"
    assert built["payload"]["sendOptions"] == json.loads(options)
    assert list(built["payload"]) == ["transaction", "sendOptions", "session"]

    answered = run("simulate", built["url"], "--json")
    sent = ok_json(answered)
    assert sent["send_options"] == json.loads(options)
    assert sent["request"]["sendOptions"] == json.loads(options)
    human = run("simulate", built["url"])
    assert 'sendOptions {"skipPreflight": false' in human.stderr

    decoded = ok_json(run("decode-redirect", sent["redirect"], "--json"))
    assert decoded["method"] == "signAndSendTransaction"
    assert decoded["send_options"] == json.loads(options)
    VerifyKey(connected.account).verify(
        legacy_message(connected.account), b58.b58decode(decoded["data"]["signature"])
    )
    lines = run("decode-redirect", human.stdout.strip(), "--no-save")
    assert "send_options  " in lines.stdout and '"maxRetries":3' in lines.stdout


def test_a_bad_send_option_changes_nothing(connected: Loop, run: Any, keystore_path: Path) -> None:
    tx = b58.b58encode(unsigned(legacy_message(connected.account))).decode()
    before = keystore_path.read_bytes()
    for options, words in (
        ('{"skipPreflight":"no"}', "skipPreflight must be true or false"),
        ('{"maxRetry":3}', "unknown key 'maxRetry'"),
    ):
        result = run(
            "sign-url", "--redirect-link", "myapp://s", "--transaction", tx, "--send",
            "--send-options", options,
        )  # fmt: skip
        assert result.exit_code == 3
        assert words in result.stderr and "--send-options" in result.stderr
        assert result.stdout == ""
    assert keystore_path.read_bytes() == before
    result = run("sign-url", "--redirect-link", "myapp://s", "--transaction", tx,
                 "--send-options", "{}")  # fmt: skip
    assert result.exit_code == 2 and "--send-options goes with --send" in result.stderr
    assert keystore_path.read_bytes() == before


# -- clusters ----------------------------------------------------------------------------------


def test_clusters_per_wallet() -> None:
    assert deeplink.clusters_for("phantom") == ("mainnet-beta", "testnet", "devnet")
    assert deeplink.clusters_for("solflare") == ("mainnet-beta", "testnet", "devnet")
    assert deeplink.clusters_for("backpack") == ("mainnet-beta", deeplink.ECLIPSE)
    assert deeplink.ECLIPSE == "solana:EAQLJCV2mh23BsK2P9oYpV5CHVLDNHTxY"
    assert set(deeplink.clusters_for(None)) == {*deeplink.CLUSTERS, deeplink.ECLIPSE}
    # SPEC.md fixes mainnet-beta, testnet and devnet for every wallet: accepted, with a
    # warning where the wallet's documentation does not list one; anything else is refused.
    assert deeplink.check_cluster("devnet", "backpack") == "devnet"
    warning = deeplink.cluster_warning("devnet", "backpack")
    assert warning is not None and "backpack's documentation lists no cluster 'devnet'" in warning
    assert deeplink.cluster_warning("devnet", "phantom") is None
    assert deeplink.cluster_warning(deeplink.ECLIPSE, "backpack") is None
    with pytest.raises(BadInputError, match="mainnet-beta, solana:EAQL") as caught:
        deeplink.check_cluster("localnet", "backpack")
    assert "testnet, devnet, accepted with a warning" in caught.value.message
    with pytest.raises(BadInputError, match="mainnet-beta, testnet, devnet") as caught:
        deeplink.check_cluster(deeplink.ECLIPSE, "phantom")
    assert caught.value.hint == f"{deeplink.ECLIPSE} is documented by backpack only"


def test_backpack_devnet_is_accepted_with_a_warning(run: Any) -> None:
    result = run("connect-url", "--wallet", "backpack", "--app-url", "https://example.com",
                 "--redirect-link", "myapp://c", "--cluster", "devnet")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "&cluster=devnet&" in result.stdout or "cluster=devnet" in result.stdout
    assert "warning: backpack's documentation lists no cluster 'devnet'" in result.stderr


def test_backpack_eclipse_connect_url(run: Any) -> None:
    doc = ok_json(
        run("connect-url", "--wallet", "backpack", "--app-url", "https://example.com",
            "--redirect-link", "myapp://c", "--cluster", deeplink.ECLIPSE, "--json")
    )  # fmt: skip
    assert "&cluster=solana%3AEAQLJCV2mh23BsK2P9oYpV5CHVLDNHTxY&" in doc["url"]
    assert doc["params"]["cluster"] == deeplink.ECLIPSE


@pytest.mark.parametrize(
    ("wallet", "cluster"),
    [("backpack", "localnet"), ("phantom", deeplink.ECLIPSE), ("solflare", "localnet")],
)
def test_an_unknown_cluster_changes_nothing(
    run: Any, stored: bytes, keystore_path: Path, wallet: str, cluster: str
) -> None:
    result = run("connect-url", "--wallet", wallet, "--app-url", "https://example.com",
                 "--redirect-link", "myapp://c", "--cluster", cluster)  # fmt: skip
    assert result.exit_code == 3
    assert f"--cluster {cluster!r} is not a cluster {wallet} documents: " in result.stderr
    assert ", ".join(deeplink.clusters_for(wallet)) in result.stderr
    assert result.stdout == ""
    assert keystore_path.read_bytes() == stored


# -- hosts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://phantom.app/ul/v1/connect",
        "https://phantom.com/ul/v1/connect",
        "https://www.phantom.com/ul/v1/connect",
        "phantom://v1/connect",
    ],
)
def test_phantom_hosts(url: str) -> None:
    assert simulator.wallet_of(url) == "phantom"
    assert deeplink.WALLETS["phantom"].hosts == ("phantom.app", "phantom.com")


def test_a_phantom_com_link_is_answered_as_phantom(run: Any) -> None:
    built = ok_json(
        run("connect-url", "--wallet", "phantom", "--base-url", "https://phantom.com/ul/v1/",
            "--app-url", "https://example.com", "--redirect-link", "myapp://c", "--json")
    )  # fmt: skip
    assert built["url"].startswith("https://phantom.com/ul/v1/connect?")
    answer = ok_json(run("simulate", built["url"], "--json"))
    assert answer["wallet"] == "phantom"
    assert "phantom_encryption_public_key" in query(answer["redirect"])
    decoded = ok_json(run("decode-redirect", answer["redirect"], "--json"))
    assert decoded["wallet"] == "phantom"


def test_help_prints_the_documented_default(run: Any) -> None:
    assert "https://phantom.app/ul/v1/" in run("connect-url", "--help").stdout
    assert "https://phantom.app/ul/browse/" in run("browse-url", "--help").stdout


# -- browse, fungible, swap: byte for byte ---------------------------------------------------


def test_browse_matches_the_docs() -> None:
    phantom = links.build_browse(
        "https://magiceden.io/item-details/8yjN8iRuoiYiKW487cnW9vn6mLBR5E8aCNKsBRmTP9vN",
        "https://magiceden.io",
        wallet="phantom",
        base_url=None,
    )
    assert phantom.url == PHANTOM_BROWSE_DOC
    solflare = links.build_browse(
        "https://solrise.finance", "https://solflare.com", wallet="solflare", base_url=None
    )
    assert solflare.url == SOLFLARE_BROWSE_DOC
    backpack = links.build_browse(
        "https://a.example", "https://b", wallet="backpack", base_url=None
    )
    assert backpack.url.startswith("https://backpack.app/ul/v1/browse/https%3A%2F%2Fa.example?")


def test_fungible_and_swap_match_the_docs() -> None:
    token = "solana:101/address:FoXyMu5xwXre7zEoSvzViRk3nGawHUp9kUh97y2NDhcq"
    assert links.build_fungible(token, wallet="phantom", base_url=None).url == FUNGIBLE_DOC
    wif = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"  # a bare mint becomes solana:101/...
    assert links.build_swap(wif, None, wallet="phantom", base_url=None).url == SWAP_DOC_SOL_TO_WIF
    bridge = links.build_swap(
        "eip155:1/address:0xdAC17F958D2ee523a2206206994597C13D831ec7",
        f"solana:101/address:{USDC}",
        wallet="phantom",
        base_url=None,
    )
    assert bridge.url == SWAP_DOC_BRIDGE


def test_encode_component_is_encode_uri_component() -> None:
    # encodeURIComponent keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ) and escapes UTF-8 bytes.
    assert links.encode_component("a b/c?d=é!~*'()") == "a%20b%2Fc%3Fd%3D%C3%A9!~*'()"


@pytest.mark.parametrize(
    ("url", "method", "values"),
    [
        (
            PHANTOM_BROWSE_DOC,
            "browse",
            {
                "url": "https://magiceden.io/item-details/8yjN8iRuoiYiKW487cnW9vn6mLBR5E8aCNKsBRmTP9vN",
                "ref": "https://magiceden.io",
            },
        ),
        (SOLFLARE_BROWSE_DOC, "browse", {"url": "https://solrise.finance", "ref": "https://solflare.com"}),
        (
            "https://solflare.com/ul/browse/https%3A%2F%2Fa.b?ref=x%3A%2F%2Fy",
            "browse",
            {"url": "https://a.b", "ref": "x://y"},
        ),
        ("phantom://browse/https%3A%2F%2Fa.b?ref=x%3A%2F%2Fy", "browse", SMALL_PAGE),
        (FUNGIBLE_DOC, "fungible", {"token": FOXY}),
        (
            "https://phantom.app/ul/v1/swap/?buy=solana%3A101%2Faddress%3AEKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm&sell=",
            "swap",
            {"buy": "solana:101/address:EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm", "sell": ""},
        ),
    ],
)  # fmt: skip
def test_links_are_read(url: str, method: str, values: dict[str, str]) -> None:
    link = links.parse_link(url)
    assert (link.method, link.values) == (method, values)
    assert link.wallet in ("phantom", "solflare")


def test_answers_and_requests_are_not_links() -> None:
    assert links.link_method("https://example.com/browse/cb?nonce=abc&data=def") is None
    assert links.link_method("myapp://swap?errorCode=4001") is None
    assert links.link_method("https://phantom.app/ul/v1/signMessage?payload=x") is None
    assert links.link_method("myapp://onConnect?phantom_encryption_public_key=x") is None


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["browse-url", "https://a.example", "--ref", "https://b"], "missing option '--wallet'"),
    ],
)
def test_browse_needs_a_wallet(run: Any, argv: list[str], words: str) -> None:
    result = run(*argv)
    assert result.exit_code == 2 and words in result.stderr


# -- build -> simulate -> decode, through the command line ------------------------------------


@pytest.mark.parametrize(
    ("argv", "method", "opens"),
    [
        (
            ["browse-url", "https://example.com/mint?id=1", "--ref", "https://example.com",
             "--wallet", "solflare"],
            "browse",
            "https://example.com/mint?id=1",
        ),
        (["fungible-url", USDC], "fungible", f"solana:101/address:{USDC}"),
        (["swap-url", "--sell", USDC], "swap", f"solana:101/address:{USDC} -> SOL"),
    ],
)  # fmt: skip
def test_build_simulate_decode(
    run: Any, keystore_path: Path, argv: list[str], method: str, opens: str
) -> None:
    built = ok_json(run(*argv, "--json"))
    assert built["method"] == method and built["opens"] == opens
    plain = run(*argv)
    assert plain.exit_code == 0 and plain.stdout == built["url"] + "\n"

    opened = run("simulate", built["url"], "--json")
    doc = ok_json(opened)
    assert doc["status"] == "opened" and doc["redirect"] is None
    assert (doc["method"], doc["opens"], doc["request"]) == (method, opens, built["params"])
    human = run("simulate", "-", input=built["url"])
    assert human.exit_code == 0 and human.stdout == opens + "\n"
    assert "it sends no answer" in human.stderr

    decoded = ok_json(run("decode-redirect", built["url"], "--json"))
    assert decoded == {"status": "link", **built}
    lines = run("decode-redirect", built["url"])
    assert lines.exit_code == 0 and f"method  {method}" in lines.stdout
    assert bytes_of(keystore_path) is None  # no keystore was needed, none was made


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["swap-url", "--wallet", "solflare"], "solflare documents no swap deeplink"),
        (["fungible-url", "USDC"], "not a 32-byte Solana mint address"),
        (["fungible-url", "solana:101/token"], "not a CAIP-19 asset id"),
        (["browse-url", "ftp://a.b", "--ref", "https://b", "--wallet", "phantom"], "http or https"),
        (["browse-url", "https://a.example", "--ref", "no scheme", "--wallet", "phantom"], "--ref"),
        (["decode-redirect", "https://phantom.app/ul/browse/https://a.example?ref=https%3A%2F%2Fb"],
         "not URL-encoded"),
        (["decode-redirect", "https://phantom.app/ul/browse/https%3A%2F%2Fa.example"], "no ref"),
        (["simulate", "https://phantom.app/ul/browse/?ref=https%3A%2F%2Fb"], "names no URL"),
        (["simulate", "https://phantom.app/ul/browse/javascript%3Aalert(1)?ref=a%3A%2F%2Fb"],
         "web pages only"),
        (["simulate", "https://phantom.app/ul/browse/https%3A%2F%2Fa%ZZ?ref=a%3A%2F%2Fb"],
         "broken %-escape"),
    ],
)  # fmt: skip
def test_malformed_links_change_nothing(
    run: Any, stored: bytes, keystore_path: Path, argv: list[str], words: str
) -> None:
    result = run(*argv)
    assert result.exit_code == 3, result.stderr
    assert words in result.stderr and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert keystore_path.read_bytes() == stored


def test_a_link_gets_no_reject(run: Any) -> None:
    result = run("simulate", "--reject", "4001", PHANTOM_BROWSE_DOC)
    assert result.exit_code == 2 and "a link gets no answer" in result.stderr


def test_qr_file_of_a_link(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "code.svg"
    result = run("fungible-url", USDC, "--qr-file", str(target))
    assert result.exit_code == 0 and target.read_bytes().startswith(b"<?xml")


# -- the length warning, on every command that prints a URL ------------------------------------


def _warned(result: Any, size: int) -> None:
    assert result.exit_code == 0, result.stderr
    assert f"the URL is {size:,} characters" in result.stderr
    assert "about 1,500 (Phantom's guidance, phantom/docs discussion #448)" in result.stderr


def test_every_url_command_warns_above_the_safe_length(connected: Loop, run: Any) -> None:
    assert deeplink.IOS_SAFE_URL_CHARS == 1_500  # the one figure; doctor uses it too
    long_page = "https://example.com/" + "p" * 1_600
    base = "https://phantom.app/ul/v1/" + "x" * 1_600 + "/"
    long_link = "myapp://cb/" + "l" * 1_600
    commands = [
        ["browse-url", long_page, "--ref", "https://example.com", "--wallet", "phantom"],
        ["fungible-url", USDC, "--base-url", base],
        ["swap-url", "--buy", USDC, "--base-url", base],
        ["connect-url", "--wallet", "phantom", "--app-url", "https://e.com",
         "--redirect-link", long_link],
        ["sign-url", "--redirect-link", long_link, "--message", "hi"],
        ["disconnect-url", "--redirect-link", "myapp://bye/" + "d" * 1_600],
    ]  # fmt: skip
    for argv in commands:
        result = run(*argv, "--json")
        _warned(result, len(json.loads(result.stdout)["url"]))
    short = run("fungible-url", USDC)
    assert short.exit_code == 0 and short.stderr == ""


def test_simulate_warns_about_a_long_redirect(connected: Loop, run: Any) -> None:
    url = connected.sign_url("--message", "m" * 1_200)["url"]
    result = run("simulate", url, "--json")
    redirect = json.loads(result.stdout)["redirect"]
    assert len(redirect) < deeplink.IOS_SAFE_URL_CHARS  # the answer itself is short
    assert "the redirect:" not in result.stderr
    long_link = "myapp://cb/" + "l" * 1_600
    url = connected.sign_url("--message", "hi", "--redirect-link", long_link)["url"]
    result = run("simulate", url, "--json")
    redirect = json.loads(result.stdout)["redirect"]
    assert f"the redirect: the URL is {len(redirect):,} characters" in result.stderr


def test_a_bad_value_creates_no_keystore(run: Any, keystore_path: Path) -> None:
    # Checked before the keystore is opened: not even its folder or lock file appears.
    result = run("connect-url", "--wallet", "backpack", "--app-url", "https://e.com",
                 "--redirect-link", "a://b", "--cluster", "localnet")  # fmt: skip
    assert result.exit_code == 3
    result = run("sign-url", "--redirect-link", "a://b", "--transaction", "11", "--send",
                 "--send-options", '{"x":1}')  # fmt: skip
    assert result.exit_code == 3 and "unknown key 'x'" in result.stderr
    assert not keystore_path.parent.exists() or not any(keystore_path.parent.iterdir())


def test_a_decoded_link_cannot_drive_the_terminal(run: Any) -> None:
    url = "https://phantom.app/ul/browse/https%3A%2F%2Fa.example%2F%1B%5B2J?ref=x%3A%2F%2F%E2%80%AE"
    for result in (run("decode-redirect", url), run("simulate", url)):
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout + result.stderr
        assert "\u202e" not in result.stdout + result.stderr
