"""Sign-in messages: SIWE (EIP-4361, spruceid fixtures) and SIWS share one grammar and one
rule (the text must be what its fields rebuild); SIWS inside off-chain messages; batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vector
from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.errors import BadInputError, InvalidSignatureError
from walletsign_cli.protocols import eth_signer, jobs, offchain, signin, siws
from walletsign_cli.protocols.ethereum import parse_siwe
from walletsign_cli.protocols.signin import SignInMessage, parse_time

SIWE = load_vector("siwe.json")
EIP712 = load_vector("eip712.json")
KEY = Ed25519SigningKey.from_seed(bytes(range(32)))
SOL_ADDRESS = str(KEY.public)
SIM = eth_signer.simulated_key("sim")
SIM_ADDRESS = "0x" + SIM.address.hex()


def _fields_text(f: dict[str, Any]) -> str:
    """A spruceid verification fixture's fields as the message text (SIWE layout)."""
    return SignInMessage(
        domain=f["domain"],
        address=f["address"],
        statement=f.get("statement"),
        uri=f["uri"],
        version=f["version"],
        chain_id=str(f["chainId"]),
        nonce=f["nonce"],
        issued_at=f["issuedAt"],
        expiration_time=f.get("expirationTime"),
        not_before=f.get("notBefore"),
        request_id=f.get("requestId"),
        resources=tuple(f["resources"]) if "resources" in f else None,
        chain="ethereum",
    ).text()


# --- SIWE parsing fixtures (spruceid) -------------------------------------------------------


@pytest.mark.parametrize("name", list(SIWE["parsing_positive"]))
def test_siwe_parsing_positive(name: str) -> None:
    case = SIWE["parsing_positive"][name]
    parsed = parse_siwe(case["message"])
    fields = case["fields"]
    assert parsed.domain == fields["domain"]
    assert parsed.address == fields["address"]
    assert parsed.statement == fields.get("statement")
    assert (parsed.uri, parsed.version, parsed.chain_id) == (
        fields["uri"],
        fields["version"],
        str(fields["chainId"]),
    )
    assert (parsed.nonce, parsed.issued_at) == (fields["nonce"], fields["issuedAt"])
    assert parsed.scheme == fields.get("scheme")
    assert parsed.resources == (tuple(fields["resources"]) if "resources" in fields else None)
    assert parsed.text() == case["message"]


@pytest.mark.parametrize("name", list(SIWE["parsing_negative"]))
def test_siwe_parsing_negative_fails_naming_the_field(name: str) -> None:
    field = SIWE["parsing_negative_fields"][name]
    with pytest.raises(BadInputError, match=rf"line \d+ \({field}\)"):
        parse_siwe(SIWE["parsing_negative"][name])


def test_eip4361_example_parses_and_rebuilds() -> None:
    text = SIWE["eip4361_example"]["message"]
    parsed = parse_siwe(text)
    assert (parsed.domain, parsed.nonce, parsed.chain_id) == ("example.com", "32891756", "1")
    assert parsed.resources is not None and len(parsed.resources) == 2
    assert parsed.text() == text


def test_siwe_text_that_does_not_rebuild_is_not_siwe() -> None:
    text = SIWE["eip4361_example"]["message"]
    with pytest.raises(BadInputError, match="trailing newline"):
        parse_siwe(text + "\n")
    no_statement = SIWE["parsing_positive"]["no statement"]["message"]
    # The SIWS layout (one blank line where SIWE writes two) is not SIWE.
    with pytest.raises(BadInputError, match=r"line 5 \(statement\)"):
        parse_siwe(no_statement.replace("\n\n\n", "\n\n", 1))
    with pytest.raises(BadInputError, match="Request ID"):
        parse_siwe(text.replace("\nResources:", "\nRequest ID: \nResources:"))


# --- SIWE verification fixtures (spruceid) --------------------------------------------------

NEGATIVE_REASONS = {
    "expired message": (False, "expired at"),
    "domain binding": (False, "is for domain 'login.xyz', not 'example.com'"),
    "custom time": (False, "expired at"),
    "custom nonce": (False, "not '6548asdgf'"),
    "malformed signature": (True, "not 0x-hex"),
    "wrong signature": (False, "signs in as 0x6Da01670d8fc844e736095918bbE11fE8D564163"),
    "not yet valid": (False, "not valid before"),
    "invalid issuedAt": (True, r"\(Issued At\)"),
    "invalid notBefore": (True, r"\(Not Before\)"),
    "invalid expirationTime": (True, r"\(Expiration Time\)"),
}


def _siwe_job(case: dict[str, Any]) -> jobs.JobResult:
    obj: dict[str, Any] = {"message": _fields_text(case), "signature": case["signature"]}
    obj["scheme"] = "siwe"
    if "domainBinding" in case:
        obj["domain"] = case["domainBinding"]
    if "matchNonce" in case:
        obj["nonce"] = case["matchNonce"]
    now = parse_time(case["time"], "time") if "time" in case else None
    return jobs.job_result(1, obj, jobs.Defaults(now=now))


@pytest.mark.parametrize("name", list(SIWE["verification_positive"]))
def test_siwe_verification_positive(name: str) -> None:
    result = _siwe_job(SIWE["verification_positive"][name])
    assert (result.valid, result.scheme, result.error) == (True, "siwe", None)


@pytest.mark.parametrize("name", list(SIWE["verification_negative"]))
def test_siwe_verification_negative_fails_with_its_reason(name: str) -> None:
    malformed, reason = NEGATIVE_REASONS[name]
    result = _siwe_job(SIWE["verification_negative"][name])
    assert result.valid is False
    assert result.malformed is malformed
    assert result.error is not None
    assert __import__("re").search(reason, result.error), result.error


def test_siwe_contract_wallet_fixtures() -> None:
    loopring = SIWE["eip1271"]["loopring"]
    result = jobs.job_result(1, {"scheme": "siwe", **loopring})
    assert (result.valid, result.undetermined) == (False, True)
    assert result.to_json()["status"] == "undetermined"
    assert "needs an RPC to check (ERC-1271 / ERC-6492)" in (result.error or "")
    argent = SIWE["eip1271"]["argent"]  # 65 bytes: an EOA-shaped signature, not the address's
    job = jobs.parse_job({"scheme": "siwe", **argent})
    with pytest.raises(InvalidSignatureError) as caught:
        job.check()
    assert "ERC-1271" in (caught.value.hint or "")


# --- SIWE on the command line ---------------------------------------------------------------


def _siwe_text(**fields: Any) -> str:
    values: dict[str, Any] = {
        "domain": "example.com",
        "address": SIM_ADDRESS,
        "statement": "Sign in to Example",
        "uri": "https://example.com/login",
        "version": "1",
        "chain_id": "1",
        "nonce": "32891756",
        "issued_at": "2021-09-30T16:25:24Z",
        "expiration_time": "2031-09-30T16:25:24Z",
    }
    values.update(fields)
    from walletsign_cli.core import eth

    values["address"] = eth.to_checksum_address(bytes.fromhex(values["address"][2:]))
    return SignInMessage(**values, chain="ethereum").text()


def test_cli_siwe_checks_domain_nonce_time_and_chain(run: Any, tmp_path: Any) -> None:
    text = _siwe_text()
    path = tmp_path / "signin.txt"
    path.write_text(text + "\n", encoding="utf-8")  # an editor's final newline
    signed = run("simulate-eth", "--scheme", "siwe", "--message", text)
    assert signed.exit_code == 0, signed.stderr
    sig = signed.stdout.strip()
    base = ("verify", "--scheme", "siwe", "--message", str(path), "--signature", sig)
    ok = run(
        *base,
        "--domain",
        "example.com",
        "--nonce",
        "32891756",
        "--at",
        "2022-01-01T00:00:00Z",
        "--chain-id",
        "1",
        "--json",
    )
    assert ok.exit_code == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert (doc["scheme"], doc["message_encoding"], doc["siwe"]["nonce"]) == (
        "siwe",
        "file-trimmed",
        "32891756",
    )
    failures = {
        ("--domain", "evil.example"): "not 'evil.example'",
        ("--nonce", "abcdefgh1"): "not 'abcdefgh1'",
        ("--at", "2032-01-01T00:00:00Z"): "expired at",
        ("--chain-id", "5"): "not '5'",
    }
    for (option, value), reason in failures.items():
        result = run(*base, option, value)
        assert result.exit_code == 1, (option, result.stderr)
        assert reason in result.stdout
    early = run(*base, "--at", "2020-01-01T00:00:00Z", "--json")
    assert early.exit_code == 0
    assert "issued at" in json.loads(early.stdout)["warnings"][0]
    stdin = run("verify", "--scheme", "siwe", "--message", "-", "--signature", sig, input=text)
    assert stdin.exit_code == 0, stdin.stderr
    wrong = run(*base, "--address", "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826")
    assert wrong.exit_code == 1


def test_cli_ethereum_auto_checks_a_sign_in_as_siwe(run: Any) -> None:
    text = _siwe_text(expiration_time="2020-01-01T00:00:00Z", issued_at="2019-01-01T00:00:00Z")
    sig = run("simulate-eth", "--scheme", "siwe", "--message", text).stdout.strip()
    result = run("verify", "--address", SIM_ADDRESS, "--message", text, "--signature", sig)
    assert result.exit_code == 1
    assert "expired" in result.stdout
    plain = run(
        "verify",
        "--scheme",
        "eip191",
        "--address",
        SIM_ADDRESS,
        "--message",
        text,
        "--signature",
        sig,
    )
    assert plain.exit_code == 0


def test_cli_siwe_not_parsing_is_bad_input_with_line_and_field(run: Any) -> None:
    text = _siwe_text().replace("Nonce: 32891756", "Nonce: short")
    sig = run("simulate-eth", "--message", text).stdout.strip()
    result = run("verify", "--scheme", "siwe", "--message", text, "--signature", sig)
    assert result.exit_code == 3
    assert "line 9 (Nonce)" in result.stderr


def test_simulate_eth_refuses_a_sign_in_for_another_address(run: Any) -> None:
    text = _siwe_text(address="0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826")
    result = run("simulate-eth", "--scheme", "siwe", "--message", text)
    assert result.exit_code == 3
    assert "this test key is" in result.stderr


# --- SIWS: the reference's reading only (issue examples and more) ---------------------------


def _siws_sign(text: str) -> str:
    return base58.encode(KEY.sign(text.encode()))


def _siws_text(**fields: Any) -> str:
    return siws.SignInMessage(domain="example.com", address=SOL_ADDRESS, **fields).text()


def test_siws_blank_line_before_the_nonce_is_statement_as_the_reference_reads_it(
    run: Any,
) -> None:
    # No statement and one extra blank line: the reference reads "\nNonce: abcdefgh" as the
    # statement (no nonce), so --nonce fails here as it does there.
    text = _siws_text(nonce="abcdefgh").replace("\n\nNonce:", "\n\n\nNonce:")
    parsed = siws.parse(text)
    assert (parsed.statement, parsed.nonce) == ("\nNonce: abcdefgh", None)
    sig = _siws_sign(text)
    args = ("verify", "--public-key", SOL_ADDRESS, "--signature", sig, "--message", text)
    result = run(*args, "--nonce", "abcdefgh")
    assert result.exit_code == 1
    assert "the message has no nonce" in result.stdout


def test_siws_extra_blank_line_is_read_as_the_reference_reads_it() -> None:
    # wallet-standard's expression reads the extra blank line into the statement ("Sign
    # in\n") and the Nonce line as the nonce; the text rebuilds from those fields exactly.
    text = _siws_text(statement="Sign in") + "\n\n\nNonce: abcdefgh"
    parsed = siws.parse(text)
    assert (parsed.statement, parsed.nonce) == ("Sign in\n", "abcdefgh")
    assert parsed.text() == text


def test_siws_nonce_the_reference_reads_as_statement_is_never_a_claim(run: Any) -> None:
    # Out of order: the reference reads "Nonce: abcdefgh" (and the URI line) as part of the
    # statement and finds no nonce, so --nonce must fail, as it does for the reference.
    text = _siws_text(statement="Sign in") + "\n\nNonce: abcdefgh\nURI: https://example.com"
    parsed = siws.parse(text)
    assert (parsed.nonce, parsed.uri) == (None, None)
    assert parsed.statement == "Sign in\n\nNonce: abcdefgh\nURI: https://example.com"
    sig = _siws_sign(text)
    args = ("verify", "--public-key", SOL_ADDRESS, "--signature", sig, "--message", text)
    result = run(*args, "--nonce", "abcdefgh")
    assert result.exit_code == 1
    assert "the message has no nonce" in result.stdout
    line = {"public_key": SOL_ADDRESS, "signature": sig, "message": text, "nonce": "abcdefgh"}
    assert jobs.job_result(1, line).valid is False


def test_siws_text_that_does_not_rebuild_is_not_a_sign_in(run: Any) -> None:
    # Two extra blank lines and no statement: the reference reads an empty statement and the
    # nonce, but rebuilds the text without those lines, so its verifier refuses it.
    text = _siws_text(nonce="abcdefgh").replace("\n\nNonce:", "\n\n\n\nNonce:")
    assert siws.SignInMessage("example.com", SOL_ADDRESS, statement="x").text() in text.replace(
        "\n\n\n\n", "\n\nx\n\n"
    )
    sig = _siws_sign(text)
    args = ("verify", "--public-key", SOL_ADDRESS, "--signature", sig, "--message", text)
    result = run(*args, "--nonce", "abcdefgh")
    assert result.exit_code == 3
    assert "rebuilt from its fields it differs" in result.stderr
    assert run(*args, "--scheme", "siws").exit_code == 3
    auto = run(*args, "--json")
    assert auto.exit_code == 0
    doc = json.loads(auto.stdout)
    assert doc["scheme"] == "raw"
    assert "rebuilt from its fields it differs" in doc["not_sign_in"]
    line = {"public_key": SOL_ADDRESS, "signature": sig, "message": text, "nonce": "abcdefgh"}
    batch = jobs.job_result(1, line)
    assert (batch.valid, batch.malformed) == (False, True)


def test_siws_trailing_newlines_are_not_a_sign_in(run: Any) -> None:
    text = _siws_text(nonce="abcdefgh", expiration_time="2000-01-01T00:00:00Z") + "\n\n"
    sig = _siws_sign(text)
    args = ("verify", "--public-key", SOL_ADDRESS, "--signature", sig, "--message", text)
    result = run(*args, "--scheme", "siws")
    assert result.exit_code == 3
    assert "trailing newline" in result.stderr
    auto = run(*args, "--json")
    doc = json.loads(auto.stdout)
    assert (auto.exit_code, doc["scheme"]) == (0, "raw")
    assert "trailing newline" in doc["not_sign_in"]


@pytest.mark.parametrize("expired", [False, True])
def test_siws_inside_a_serialized_offchain_v1_message_is_checked_everywhere(
    run: Any, expired: bool
) -> None:
    expiry = "2000-01-01T00:00:00Z" if expired else "2100-01-01T00:00:00Z"
    body = _siws_text(nonce="abcdefgh", expiration_time=expiry).encode()
    serialized = offchain.v1(body, (KEY.public.raw,)).serialize()
    sig = base58.encode(KEY.sign(serialized))
    args = ("verify", "--json", "--public-key", SOL_ADDRESS, "--signature", sig)
    expected = 1 if expired else 0
    for scheme in ("siws", "auto"):
        result = run(*args, "--scheme", scheme, "--message-hex", serialized.hex())
        assert result.exit_code == expected, (scheme, result.stderr)
        doc = json.loads(result.stdout)
        if expired:
            assert "expired" in doc["reason"]
        else:
            assert doc["scheme"] == "siws"
            framing = (doc["siws_framing"], doc["siws"]["nonce"])
            assert framing == ("offchain-v1", "abcdefgh")
    line = {"public_key": SOL_ADDRESS, "signature": sig, "message_hex": serialized.hex()}
    result = jobs.job_result(1, line)
    assert result.valid is not expired
    assert result.scheme == ("auto" if expired else "siws")
    nonce = jobs.job_result(1, {**line, "nonce": "other999"})
    assert nonce.valid is False and "other999" in (nonce.error or "")


def test_siws_in_an_envelope_without_the_key_is_refused() -> None:
    other = Ed25519SigningKey.from_seed(bytes(32))
    body = _siws_text(nonce="abcdefgh").encode()
    serialized = offchain.v1(body, (other.public.raw,)).serialize()
    line = {"public_key": SOL_ADDRESS, "signature": base58.encode(KEY.sign(serialized))}
    result = jobs.job_result(1, {**line, "message_hex": serialized.hex(), "scheme": "siws"})
    assert result.valid is False
    assert "among its signers" in (result.error or "")


def test_siws_chain_id_claim() -> None:
    text = _siws_text(chain_id="solana:mainnet", nonce="abcdefgh")
    line = {"public_key": SOL_ADDRESS, "signature": _siws_sign(text), "message": text}
    assert jobs.job_result(1, line, jobs.Defaults(chain_id="solana:mainnet")).valid
    result = jobs.job_result(1, line, jobs.Defaults(chain_id="solana:devnet"))
    assert result.valid is False and "solana:devnet" in (result.error or "")


# --- the rule, as properties ----------------------------------------------------------------

_value = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=10)
_noise = st.sampled_from(["\n", "\n\n", " ", "URI: x", "Nonce: abcdefgh", "- r", "Resources:"])


@settings(max_examples=150, deadline=None)
@given(
    statement=st.none() | _value,
    nonce=st.none() | _value,
    resources=st.none() | st.lists(_value, max_size=2).map(tuple),
    cut=st.integers(min_value=0, max_value=400),
    noise=_noise,
)
def test_siws_parse_never_returns_another_reading(
    statement: str | None, nonce: str | None, resources: Any, cut: int, noise: str
) -> None:
    text = _siws_text(statement=statement, nonce=nonce, resources=resources)
    mutated = text[:cut] + noise + text[cut:]
    for candidate in (text, mutated):
        try:
            parsed = siws.parse(candidate)
        except BadInputError:
            assert candidate != text or not statement or "\n" in statement
            continue
        assert parsed.text() == candidate


@settings(max_examples=150, deadline=None)
@given(
    statement=st.none() | st.text(st.sampled_from("abc XYZ:/.?"), min_size=1, max_size=12),
    request_id=st.none() | st.text(st.sampled_from("abc-_.~@"), min_size=1, max_size=8),
    cut=st.integers(min_value=0, max_value=400),
    noise=_noise,
)
def test_siwe_parse_never_returns_another_reading(
    statement: str | None, request_id: str | None, cut: int, noise: str
) -> None:
    text = _siwe_text(statement=statement, request_id=request_id)
    assert parse_siwe(text).text() == text
    mutated = text[:cut] + noise + text[cut:]
    try:
        parsed = parse_siwe(mutated)
    except BadInputError:
        return
    assert parsed.text() == mutated


def test_sign_in_checks_are_shared_by_both_chains() -> None:
    moment = datetime(2040, 1, 1, tzinfo=UTC)
    for chain, address in (("solana", SOL_ADDRESS), ("ethereum", SIM_ADDRESS)):
        message = SignInMessage(
            domain="d.example", address=address, expiration_time="2030-01-01T00:00:00Z", chain=chain
        )
        with pytest.raises(InvalidSignatureError, match="expired"):
            signin.check(message, address, signin.Claims(now=moment))
        with pytest.raises(InvalidSignatureError, match=r"not 'x\.example'"):
            signin.check(message, address, signin.Claims(domain="x.example"))


# --- batch ----------------------------------------------------------------------------------


def test_batch_takes_eip712_and_siwe_lines_with_any_jobs(run: Any, tmp_path: Any) -> None:
    mail = EIP712["eip_mail"]
    mail_sig = mail["r"] + mail["s"][2:] + format(mail["v"], "02x")
    text = _siwe_text()
    siwe_sig = run("simulate-eth", "--scheme", "siwe", "--message", text).stdout.strip()
    lines = [
        {
            "id": "712",
            "address": mail["address"],
            "signature": mail_sig,
            "typed_data": mail["typed_data"],
        },
        {
            "id": "712-str",
            "address": mail["address"],
            "signature": mail_sig,
            "typed_data": json.dumps(mail["typed_data"]),
        },
        {
            "id": "712-bad",
            "address": SIM_ADDRESS,
            "signature": mail_sig,
            "typed_data": mail["typed_data"],
        },
        {"id": "712-noaddr", "signature": mail_sig, "typed_data": mail["typed_data"]},
        {"id": "siwe", "scheme": "siwe", "message": text, "signature": siwe_sig},
        {"id": "siwe-auto", "address": SIM_ADDRESS, "message": text, "signature": siwe_sig},
        {
            "id": "siwe-nonce",
            "scheme": "siwe",
            "message": text,
            "signature": siwe_sig,
            "nonce": "zzzzzzzz9",
        },
        {"id": "1271", "scheme": "siwe", **SIWE["eip1271"]["loopring"]},
    ]
    path = tmp_path / "jobs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    one = run("verify", "--batch", str(path))
    two = run("verify", "--batch", str(path), "--jobs", "2")
    assert one.stdout == two.stdout
    assert one.exit_code == two.exit_code == 3
    results = {r["id"]: r for r in map(json.loads, one.stdout.splitlines())}
    assert [results[i]["valid"] for i in ("712", "712-str", "siwe", "siwe-auto")] == [True] * 4
    assert (results["712"]["scheme"], results["siwe-auto"]["scheme"]) == ("eip712", "siwe")
    assert (
        results["712-bad"]["valid"] is False
        and "not " + jobs_checksum(SIM_ADDRESS) in results["712-bad"]["error"]
    )
    assert "address is missing" in results["712-noaddr"]["error"]
    assert "zzzzzzzz9" in results["siwe-nonce"]["error"]
    assert results["1271"]["status"] == "undetermined"
    assert "status" not in results["712"]


def jobs_checksum(address: str) -> str:
    from walletsign_cli.core import eth

    return eth.to_checksum_address(bytes.fromhex(address[2:]))


def test_cli_siws_message_file_argument_and_at_alias(run: Any, tmp_path: Any) -> None:
    text = _siws_text(nonce="abcdefgh", expiration_time="2030-01-01T00:00:00Z")
    path = tmp_path / "siws.txt"
    path.write_text(text + "\n", encoding="utf-8")
    args = ("verify", "--scheme", "siws", "--public-key", SOL_ADDRESS, "--signature")
    ok = run(*args, _siws_sign(text), "--message", str(path), "--at", "2029-01-01T00:00:00Z")
    assert ok.exit_code == 0, ok.stderr
    late = run(*args, _siws_sign(text), "--message", str(path), "--at", "2031-01-01T00:00:00Z")
    assert late.exit_code == 1
    assert "expired" in late.stdout
    # Under auto, a one-line --message is still the text itself, never a file name.
    plain = run(
        "verify",
        "--public-key",
        SOL_ADDRESS,
        "--signature",
        _siws_sign(str(path)),
        "--message",
        str(path),
    )
    assert plain.exit_code == 0, plain.stderr
