"""EIP-712 typed data: the EIP's Mail example, eth-sig-util V4 fixtures, encoding rules,
``verify --scheme eip712``, ``typed-data hash``, ``simulate-eth`` and contract wallets."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import load_vector
from walletsign_cli.core import eth
from walletsign_cli.errors import BadInputError
from walletsign_cli.protocols import eip712, eth_signer, jobs

VECTORS = load_vector("eip712.json")
MAIL = VECTORS["eip_mail"]
V4 = VECTORS["eth_sig_util_v4"]
EIP2098 = load_vector("eip2098.json")
MAIL_SIGNATURE = MAIL["r"] + MAIL["s"][2:] + format(MAIL["v"], "02x")
MAIL_ADDRESS = eth.to_checksum_address(bytes.fromhex(MAIL["address"][2:]))


def hx(data: bytes) -> str:
    return "0x" + data.hex()


def typed(types: dict[str, Any], primary: str, message: Any, domain: Any = None) -> Any:
    return {"types": types, "primaryType": primary, "domain": domain or {}, "message": message}


# --- the EIP's example ------------------------------------------------------------------


def test_eip_mail_example_hashes() -> None:
    data = eip712.parse(MAIL["typed_data"])
    hashes = data.hashes()
    assert hashes.encoded_type == MAIL["encoded_type"]
    assert hx(hashes.type_hash) == MAIL["type_hash"]
    assert (
        hx(eip712.encode_data(data.types, "Mail", data.message, "message")) == MAIL["encode_data"]
    )
    assert hx(hashes.struct_hash) == MAIL["struct_hash"]
    assert hx(hashes.domain_separator) == MAIL["domain_separator"]
    assert hx(hashes.digest) == MAIL["digest"]


def test_eip_mail_example_signature_is_reproduced_and_recovers() -> None:
    signer = eth.EthSigner(bytes.fromhex(MAIL["private_key"]))
    assert hx(signer.address) == MAIL["address"]
    signature = signer.sign_digest(bytes.fromhex(MAIL["digest"][2:]))
    assert (hex(signature.r), hex(signature.s), 27 + signature.recovery_id) == (
        hex(int(MAIL["r"], 16)),
        hex(int(MAIL["s"], 16)),
        MAIL["v"],
    )
    match = jobs.verify_job(
        {"address": MAIL_ADDRESS, "signature": MAIL_SIGNATURE, "typed_data": MAIL["typed_data"]}
    )
    assert (match.scheme, match.signer) == ("eip712", MAIL_ADDRESS)
    assert match.details["digest"] == MAIL["digest"]


# --- eth-sig-util V4 ----------------------------------------------------------------------


@pytest.mark.parametrize("case", V4["signatures"], ids=lambda c: c["name"])
def test_eth_sig_util_v4_signatures(case: dict[str, Any]) -> None:
    signer = eth.EthSigner(bytes.fromhex(V4["private_key"]))
    signed = eth_signer.sign_typed_data(signer, case["typed_data"])
    assert signed.signature == case["signature"]
    address = eth.to_checksum_address(signer.address)
    match = jobs.verify_job(
        {"address": address, "signature": case["signature"], "typed_data": case["typed_data"]}
    )
    assert match.signer == address
    data = eip712.parse(case["typed_data"])
    if "encode_data" in case:
        encoded = eip712.encode_data(data.types, data.primary_type, data.message, "message")
        assert hx(encoded) == case["encode_data"]
        assert hx(data.struct_hash()) == case["struct_hash"]
    warned = [w.split(" ")[0] for w in data.hashes().warnings]
    assert warned == case.get("warnings", [])


@pytest.mark.parametrize(
    "case", V4["expected_failures"], ids=lambda c: f"{c['type']}={c['input']!r}"
)
def test_eth_sig_util_v4_expected_failures(case: dict[str, Any]) -> None:
    document = typed(
        {"EIP712Domain": [], "Message": [{"name": "data", "type": case["type"]}]},
        "Message",
        {"data": case["input"]},
    )
    with pytest.raises(BadInputError, match=case["reason"]):
        eip712.parse(document).hashes()


# --- encoding rules -------------------------------------------------------------------------


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big", signed=n < 0)


def _struct_hash(encoded_type: str, *words: bytes) -> bytes:
    return eth.keccak256(eth.keccak256(encoded_type.encode()) + b"".join(words))


def test_fixed_and_nested_arrays_of_atomic_dynamic_and_struct_types() -> None:
    types = {
        "Item": [{"name": "n", "type": "uint8"}],
        "Box": [
            {"name": "pair", "type": "int16[2]"},
            {"name": "grid", "type": "bytes2[][2]"},
            {"name": "names", "type": "string[]"},
            {"name": "items", "type": "Item[]"},
            {"name": "blob", "type": "bytes"},
            {"name": "flag", "type": "bool"},
        ],
    }
    message = {
        "pair": [-1, "0x10"],
        "grid": [["0xabcd"], []],
        "names": ["a", "b"],
        "items": [{"n": 7}],
        "blob": "0x0102",
        "flag": True,
    }
    data = eip712.parse(typed(types, "Box", message))
    item = _struct_hash("Item(uint8 n)", _word(7))
    expected = _struct_hash(
        data.encode_type(),
        eth.keccak256(_word(-1) + _word(16)),
        eth.keccak256(eth.keccak256(bytes.fromhex("abcd").ljust(32, b"\0")) + eth.keccak256(b"")),
        eth.keccak256(eth.keccak256(b"a") + eth.keccak256(b"b")),
        eth.keccak256(item),
        eth.keccak256(b"\x01\x02"),
        _word(1),
    )
    assert data.encode_type() == (
        "Box(int16[2] pair,bytes2[][2] grid,string[] names,Item[] items,bytes blob,bool flag)"
        "Item(uint8 n)"
    )
    assert data.struct_hash() == expected


def test_dependencies_are_sorted_by_name_after_the_primary_type() -> None:
    types = {
        "Z": [{"name": "b", "type": "B"}, {"name": "a", "type": "A[]"}],
        "B": [{"name": "c", "type": "C"}],
        "A": [{"name": "x", "type": "uint256"}],
        "C": [{"name": "y", "type": "address"}],
    }
    assert eip712.encode_type(eip712.parse(typed(types, "Z", {})).types, "Z") == (
        "Z(B b,A[] a)A(uint256 x)B(C c)C(address y)"
    )


@pytest.mark.parametrize(
    ("types", "message", "reason"),
    [
        (
            {"M": [{"name": "p", "type": "Person"}]},
            {"p": {}},
            r"M\.p has type 'Person'.*not defined",
        ),
        ({"M": [{"name": "m", "type": "M"}]}, {}, r"circular type reference M -> M"),
        (
            {"M": [{"name": "n", "type": "N[]"}], "N": [{"name": "m", "type": "M"}]},
            {},
            r"circular type reference M -> N -> M",
        ),
        ({"M": [{"name": "a", "type": "uint8"}]}, {}, r"message\.a is missing"),
        ({"M": [{"name": "a", "type": "uint8"}]}, {"a": 256}, r"message\.a = 256 is out of range"),
        ({"M": [{"name": "a", "type": "int8"}]}, {"a": -129}, r"out of range for int8"),
        ({"M": [{"name": "a", "type": "uint7"}]}, {"a": 1}, r"not a valid EIP-712 type"),
        ({"M": [{"name": "a", "type": "bytes33"}]}, {"a": "0x00"}, r"not a valid EIP-712 type"),
        ({"M": [{"name": "a", "type": "bytes2"}]}, {"a": "0x00"}, r"must be 2 bytes"),
        ({"M": [{"name": "a", "type": "uint8[2]"}]}, {"a": [1]}, r"needs exactly 2"),
        ({"M": [{"name": "a", "type": "bool"}]}, {"a": 1}, r"must be true or false"),
        ({"M": [{"name": "a", "type": "address"}]}, {"a": "0x12"}, r"must be 20 bytes"),
        ({"M": [{"name": "a", "type": "uint256"}]}, {"a": "12x"}, r"must be an integer"),
        ({"M": [{"name": "a", "type": "string"}]}, {"a": 5}, r"message\.a must be a string"),
    ],
)
def test_bad_typed_data_is_bad_input_naming_the_type_or_field(
    types: dict[str, Any], message: Any, reason: str
) -> None:
    with pytest.raises(BadInputError, match=reason):
        eip712.parse(typed(types, "M", message)).hashes()


def test_integers_as_numbers_decimal_and_hex_strings_agree() -> None:
    types = {"M": [{"name": "a", "type": "uint256"}, {"name": "b", "type": "int32"}]}
    hashes = {
        eip712.parse(typed(types, "M", {"a": a, "b": b})).struct_hash()
        for a, b in ((255, -2), ("255", "-2"), ("0xff", "-0x2"))
    }
    assert len(hashes) == 1


def test_absent_domain_type_is_inferred_from_the_domain_keys() -> None:
    explicit = copy.deepcopy(MAIL["typed_data"])
    inferred = copy.deepcopy(explicit)
    del inferred["types"]["EIP712Domain"]
    assert eip712.parse(inferred).digest() == eip712.parse(explicit).digest()


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    value: Any = 1
    for _ in range(200):
        value = [value]
    document = typed({"M": [{"name": "a", "type": "uint8" + "[]" * 200}]}, "M", {"a": value})
    with pytest.raises(BadInputError, match="nested over"):
        eip712.parse(document).hashes()
    with pytest.raises(BadInputError, match="nested too deeply"):
        eip712.loads("[" * 100_000)


# --- verify --scheme eip712 -----------------------------------------------------------------


@pytest.fixture
def mail_file(tmp_path: Any) -> str:
    path = tmp_path / "mail.json"
    path.write_text(json.dumps(MAIL["typed_data"]), encoding="utf-8")
    return str(path)


def test_cli_verify_eip712_prints_domain_separator_and_digest(run: Any, mail_file: str) -> None:
    args = ("verify", "--scheme", "eip712", "--typed-data", mail_file)
    result = run(*args, "--signature", MAIL_SIGNATURE, "--address", MAIL_ADDRESS, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["valid"], doc["status"], doc["scheme"], doc["signer"]) == (
        True,
        "valid",
        "eip712",
        MAIL_ADDRESS,
    )
    assert doc["domain"] == {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    }
    assert (doc["primary_type"], doc["domain_separator"], doc["digest"]) == (
        "Mail",
        MAIL["domain_separator"],
        MAIL["digest"],
    )
    assert doc["signature_form"] == "65-byte v=27/28"
    human = run(*args, "--signature", MAIL_SIGNATURE, "--address", MAIL_ADDRESS)
    assert human.stdout == f"valid: secp256k1 eip712 signature by {MAIL_ADDRESS}\n"
    assert MAIL["digest"] in human.stderr and "domain chainId: 1" in human.stderr


def test_cli_verify_eip712_from_stdin_and_recovering(run: Any) -> None:
    result = run(
        "verify",
        "--typed-data",
        "-",
        "--signature",
        MAIL_SIGNATURE,
        input=json.dumps(MAIL["typed_data"]),
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == MAIL_ADDRESS + "\n"
    assert "recovered from an eip712 signature" in result.stderr


def test_cli_verify_eip712_wrong_signer_or_changed_data_is_invalid(
    run: Any, mail_file: str, tmp_path: Any
) -> None:
    other = "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"
    args = ("verify", "--typed-data", mail_file, "--signature", MAIL_SIGNATURE)
    result = run(*args, "--address", other)
    assert result.exit_code == 1
    assert f"is by {MAIL_ADDRESS}, not {other}" in result.stdout
    changed = copy.deepcopy(MAIL["typed_data"])
    changed["domain"]["chainId"] = 5
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    result = run(
        "verify",
        "--typed-data",
        str(path),
        "--signature",
        MAIL_SIGNATURE,
        "--address",
        MAIL_ADDRESS,
    )
    assert result.exit_code == 1
    assert "typed-data hash" in result.stderr


def test_cli_verify_eip712_signature_forms(run: Any, mail_file: str) -> None:
    signature = eth.EthSignature.from_bytes(bytes.fromhex(MAIL_SIGNATURE[2:]))
    base = ("verify", "--json", "--typed-data", mail_file, "--address", MAIL_ADDRESS)
    forms = {
        hx(signature.to_compact()): "64-byte EIP-2098",
        MAIL_SIGNATURE[:-2] + "01": "65-byte v=0/1",
        MAIL_SIGNATURE: "65-byte v=27/28",
    }
    for text, form in forms.items():
        result = run(*base, "--signature", text)
        assert (result.exit_code, json.loads(result.stdout)["signature_form"]) == (0, form)
    high = eth.EthSignature(
        signature.r, eth.SECP256K1_N - signature.s, 1 - signature.recovery_id, ""
    )
    result = run(*base[:1], *base[2:], "--signature", hx(high.to_bytes()))
    assert result.exit_code == 1
    assert "high s" in result.stdout
    assert (
        run(*base[:1], *base[2:], "--signature", hx(high.to_bytes()), "--allow-high-s").exit_code
        == 0
    )


def test_cli_verify_eip712_bad_typed_data_names_the_field(run: Any, tmp_path: Any) -> None:
    bad = copy.deepcopy(MAIL["typed_data"])
    del bad["message"]["to"]["wallet"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    result = run(
        "verify",
        "--typed-data",
        str(path),
        "--signature",
        MAIL_SIGNATURE,
        "--address",
        MAIL_ADDRESS,
    )
    assert result.exit_code == 3
    assert "message.to.wallet is missing" in result.stderr
    assert "Traceback" not in result.stderr
    result = run("verify", "--typed-data", "{not json", "--signature", MAIL_SIGNATURE)
    assert result.exit_code == 3
    assert "--typed-data is not JSON" in result.stderr


def test_cli_eip712_needs_typed_data_and_no_message(run: Any, mail_file: str) -> None:
    result = run("verify", "--scheme", "eip712", "--signature", MAIL_SIGNATURE, "--message", "x")
    assert result.exit_code == 2
    result = run(
        "verify", "--typed-data", mail_file, "--message", "x", "--signature", MAIL_SIGNATURE
    )
    assert result.exit_code == 2


# --- typed-data hash ------------------------------------------------------------------------


def test_cli_typed_data_hash(run: Any, mail_file: str) -> None:
    result = run("typed-data", "hash", mail_file)
    assert result.exit_code == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert {k: v.strip() for k, v in lines.items()} == {
        "primary type": "Mail",
        "encoded type": MAIL["encoded_type"],
        "type hash": MAIL["type_hash"],
        "struct hash": MAIL["struct_hash"],
        "domain separator": MAIL["domain_separator"],
        "digest": MAIL["digest"],
    }
    result = run("typed-data", "hash", "-", "--json", input=json.dumps(MAIL["typed_data"]))
    doc = json.loads(result.stdout)
    assert (doc["digest"], doc["type_hash"], doc["warnings"]) == (
        MAIL["digest"],
        MAIL["type_hash"],
        [],
    )
    result = run("typed-data", "hash", "-", "--json", input='{"types": {}, "primaryType": "X"}')
    assert result.exit_code == 3
    assert json.loads(result.stderr)["error"]["message"].endswith("'X' is not defined in types")


# --- simulate-eth ---------------------------------------------------------------------------


def test_simulate_eth_signs_typed_data_that_verify_accepts(run: Any, mail_file: str) -> None:
    result = run("simulate-eth", "--typed-data", mail_file, "--json")
    assert result.exit_code == 0, result.stderr
    signed = json.loads(result.stdout)
    assert signed["digest"] == MAIL["digest"]
    assert signed["address"] == eth.to_checksum_address(eth_signer.simulated_key("sim").address)
    check = run(
        "verify",
        "--typed-data",
        mail_file,
        "--signature",
        signed["signature"],
        "--address",
        signed["address"],
    )
    assert check.exit_code == 0, check.stderr
    other = run("simulate-eth", "--typed-data", mail_file, "--key-name", "other", "--compact")
    assert len(other.stdout.strip()) == 2 + 128
    wrong = run(
        "verify",
        "--typed-data",
        mail_file,
        "--signature",
        other.stdout.strip(),
        "--address",
        signed["address"],
    )
    assert wrong.exit_code == 1


# --- EIP-2098 -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", EIP2098["cases"], ids=lambda c: c["message"])
def test_eip2098_examples_recover_the_same_signer_in_both_forms(case: dict[str, Any]) -> None:
    signer = eth.EthSigner(bytes.fromhex(EIP2098["private_key"]))
    address = eth.to_checksum_address(signer.address)
    full = case["r"] + case["s"][2:] + format(case["v"], "02x")
    compact = case["r"] + case["yParityAndS"][2:]
    forms = []
    for signature in (full, compact):
        match = jobs.verify_job(
            {"address": address, "signature": signature, "message": case["message"]}
        )
        forms.append(match.details["signature_form"])
    assert forms == ["65-byte v=27/28", "64-byte EIP-2098"]
    assert hx(signer.personal_sign(case["message"].encode()).to_compact()) == compact


# --- contract wallets -----------------------------------------------------------------------


def test_erc6492_and_long_signatures_are_undetermined(run: Any, mail_file: str) -> None:
    wrapped = "0x" + "00" * 96 + EIP2098["erc6492_magic"][2:]
    long_one = MAIL_SIGNATURE + "00"
    for signature, form in ((wrapped, "ERC-6492"), (long_one, "66-byte contract (ERC-1271)")):
        result = run(
            "verify",
            "--json",
            "--typed-data",
            mail_file,
            "--address",
            MAIL_ADDRESS,
            "--signature",
            signature,
        )
        assert result.exit_code == 6, result.stderr
        doc = json.loads(result.stdout)
        assert (doc["valid"], doc["status"]) == (False, "undetermined")
        assert "needs an RPC to check (ERC-1271 / ERC-6492)" in doc["reason"]
        assert form in doc["signature_form"]
    eip191 = run("verify", "--address", MAIL_ADDRESS, "--message", "hi", "--signature", wrapped)
    assert eip191.exit_code == 6
    assert eip191.stdout.startswith("undetermined: needs an RPC")
    short = run("verify", "--address", MAIL_ADDRESS, "--message", "hi", "--signature", "0x1234")
    assert short.exit_code == 3
