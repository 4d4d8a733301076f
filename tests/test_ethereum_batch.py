"""The lean path of ``verify --batch`` for Ethereum lines: the general path's answer, byte
for byte, on every line it takes, and the general path's on every other."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest

from tests.conftest import load_vector
from walletsign_cli.core import eth
from walletsign_cli.errors import BadInputError
from walletsign_cli.protocols import eip712, ethereum_batch, jobs
from walletsign_cli.protocols.batch import BatchVerifier, BlockResult
from walletsign_cli.protocols.jobs import Defaults

SIGNERS = [eth.EthSigner((i + 1).to_bytes(32, "big")) for i in range(3)]
ALICE, BOB = SIGNERS[0], SIGNERS[1]
# The EIP's own Mail example (tests/vectors/eip712.json), signed here by other keys.
_MAIL = load_vector("eip712.json")["eip_mail"]["typed_data"]
MAIL_TYPES, DOMAIN = _MAIL["types"], _MAIL["domain"]
CONTRACT = DOMAIN["verifyingContract"]
HIGH_S = ", high s"


def checksummed(signer: eth.EthSigner) -> str:
    return eth.to_checksum_address(signer.address)


def sign(signer: eth.EthSigner, digest: bytes, form: str) -> str:
    """The signature over ``digest`` in one of the forms a wallet or a tool gives."""
    signature = signer.sign_digest(digest)
    if form.endswith(HIGH_S):  # the malleated twin: s -> n - s, the other recovery id
        signature = eth.EthSignature(
            signature.r, eth.SECP256K1_N - signature.s, 1 - signature.recovery_id, signature.form
        )
        form = form.removesuffix(HIGH_S)
    raw = signature.to_bytes()
    forms = {
        "v27": raw,
        "v01": raw[:64] + bytes([raw[64] - 27]),
        "compact": signature.to_compact(),
        "erc6492": raw + bytes(64) + eth.ERC6492_MAGIC,
        "contract": raw + raw,
        "short": raw[:40],
    }
    return "0x" + forms[form].hex()


def mail(contents: str, wallet: str) -> dict[str, Any]:
    return {
        "types": MAIL_TYPES,
        "primaryType": "Mail",
        "domain": DOMAIN,
        "message": {
            "from": {"name": "Cow", "wallet": wallet},
            "to": {"name": "Bob", "wallet": CONTRACT},
            "contents": contents,
        },
    }


def personal_line(
    message: str = "hello", *, signer: eth.EthSigner = ALICE, form: str = "v27", **extra: Any
) -> dict[str, Any]:
    digest = eth.personal_sign_hash(message.encode("utf-8", "surrogatepass"))
    record: dict[str, Any] = {"id": "p", "address": checksummed(signer), "message": message}
    record["signature"] = sign(signer, digest, form)
    return {**record, **extra}


def typed_line(
    document: dict[str, Any] | None = None,
    *,
    signer: eth.EthSigner = ALICE,
    form: str = "v27",
    signed: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A typed-data line; ``signed``: the document the signature is over (default: the same)."""
    document = document if document is not None else mail("Hello, Bob!", checksummed(ALICE))
    digest = eth.keccak256(b"")  # a document that does not hash: any digest will do
    with contextlib.suppress(BadInputError):  # the general path says why; still written
        digest = eip712.parse(copy.deepcopy(signed or document)).digest()
    record = {"id": 7, "address": checksummed(signer), "typed_data": document}
    return {**record, "signature": sign(signer, digest, form), **extra}


def _blob(lines: list[Any]) -> bytes:
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    return text.encode("utf-8", "surrogatepass")


def general_block(lines: list[Any], defaults: Defaults = jobs.DEFAULTS) -> BlockResult:
    general = BatchVerifier(defaults)
    general._lean = False
    return general.block(1, _blob(lines))


def both(lines: list[Any], defaults: Defaults = jobs.DEFAULTS) -> tuple[BlockResult, BlockResult]:
    return BatchVerifier(defaults).block(1, _blob(lines)), general_block(lines, defaults)


def answered_by_lean(lines: list[Any], defaults: Defaults = jobs.DEFAULTS) -> list[bool]:
    """For each line, whether the lean path answered it (the general path was not called),
    checking that the answer is the general path's."""
    found = []
    for line in lines:
        calls: list[object] = []
        real = jobs.job_result

        def counting(*args: Any, real: Any = real, calls: list[object] = calls) -> Any:
            calls.append(args)
            return real(*args)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(jobs, "job_result", counting)
            lean = BatchVerifier(defaults).block(1, _blob([line]))
        assert lean == general_block([line], defaults)
        found.append(not calls)
    return found


ALICE_LOWER = "0x" + ALICE.address.hex()
ALICE_UPPER = "0x" + ALICE.address.hex().upper()
ALICE_BAD_CASE = checksummed(ALICE).swapcase().replace("0X", "0x")

PERSONAL_CASES: dict[str, tuple[dict[str, Any], bool]] = {
    # name: (line, whether the lean path answers it)
    "valid v=27/28": (personal_line(), True),
    "valid v=0/1": (personal_line(form="v01"), True),
    "valid 64-byte compact": (personal_line(form="compact"), True),
    "valid int id": (personal_line(id=12), True),
    "valid null id": (personal_line(id=None), True),
    "valid unicode id": (personal_line(id="caf\u00e9 \u202e"), True),
    "valid scheme auto": (personal_line(scheme="auto"), True),
    "valid scheme eip191": (personal_line(scheme="eip191"), True),
    "valid lowercase address": (personal_line(address=ALICE_LOWER), True),
    "valid uppercase address": (personal_line(address=ALICE_UPPER), True),
    "valid address with spaces": (personal_line(address=f" {checksummed(ALICE)} "), True),
    "valid unicode message": (personal_line("caf\u00e9 \u2603 \U0001f600"), True),
    "valid 0x message": (personal_line("0xdeadbeef"), True),
    "valid empty message": (personal_line(""), True),
    "high s": (personal_line(form="v27, high s"), False),
    "high s compact": (personal_line(form="compact, high s"), False),
    "wrong address": (personal_line(address=checksummed(BOB)), False),
    "bad EIP-55 checksum": (personal_line(address=ALICE_BAD_CASE), False),
    "wrong message": ({**personal_line(), "message": "hello!"}, False),
    "ERC-6492 wrapped": (personal_line(form="erc6492"), False),
    "contract signature": (personal_line(form="contract"), False),
    "short signature": (personal_line(form="short"), False),
    "signature not hex": (personal_line(signature="0x" + "zz" * 65), False),
    "signature a number": (personal_line(signature=5), False),
    "address a number": (personal_line(address=5), False),
    "address too short": (personal_line(address="0x1234"), False),
    "list id": (personal_line(id=[1, 2]), False),
    "bool id": (personal_line(id=True), False),
    "float id": (personal_line(id=1.5), False),
    "scheme siwe": (personal_line(scheme="siwe"), False),
    "scheme raw": (personal_line(scheme="raw"), False),
    "scheme eip712": (personal_line(scheme="eip712"), False),
    "scheme a list": (personal_line(scheme=["eip191"]), False),
    "also public_key": (personal_line(public_key="x"), False),
    "also message_hex": (personal_line(message_hex="00"), False),
    "also typed_data": (personal_line(typed_data={}), False),
    "extra key": (personal_line(note="x"), False),
    "message a number": ({**personal_line(), "message": 3}, False),
    "lone surrogate message": (personal_line("a\ud800b"), False),
    "sign-in message": (
        personal_line("example.com wants you to sign in with your Ethereum account:\nx"),
        False,
    ),
}


@pytest.mark.parametrize("name", list(PERSONAL_CASES))
def test_eip191_lines_agree_with_the_general_path(name: str) -> None:
    line, lean = PERSONAL_CASES[name]
    assert answered_by_lean([line]) == [lean]


def test_eip191_high_s_is_lean_when_allowed() -> None:
    line = personal_line(form="v27, high s")
    allowed = Defaults(allow_high_s=True)
    assert answered_by_lean([line], allowed) == [True]
    lean, _ = both([line], allowed)
    assert lean.valid == 1


@pytest.mark.parametrize("scheme", ["auto", "raw", "eip191", "eip712", "siwe", "offchain"])
def test_the_command_line_scheme_decides_as_the_general_path(scheme: str) -> None:
    defaults = Defaults(scheme=scheme, domain="example.com", chain_id="1")
    lines = [personal_line(), personal_line(scheme="eip191"), typed_line()]
    found = answered_by_lean(lines, defaults)
    assert found == [scheme not in ("eip712", "siwe"), True, True]
    lean, general = both(lines * 2, defaults)
    assert lean == general


def _typed_cases() -> dict[str, tuple[dict[str, Any], bool]]:
    good = mail("Hello, Bob!", checksummed(ALICE))
    true_chain = {**good, "domain": {**DOMAIN, "chainId": True}}
    float_chain = {**good, "domain": {**DOMAIN, "chainId": 1.0}}
    text_chain = {**good, "domain": {**DOMAIN, "chainId": "1"}}
    other_contents = mail("Hello, Alice!", checksummed(ALICE))
    renamed = copy.deepcopy(good)
    renamed["types"]["Mail"][2]["name"] = "body"
    renamed["message"]["body"] = renamed["message"].pop("contents")
    extra_member = copy.deepcopy(good)
    extra_member["types"]["Person"][0]["note"] = 1
    nested_domain = {**good, "domain": {**DOMAIN, "name": ["Ether Mail"]}}
    domain_only = {**good, "primaryType": "EIP712Domain"}
    no_message = {k: v for k, v in good.items() if k != "message"}
    no_domain_type = copy.deepcopy(good)
    del no_domain_type["types"]["EIP712Domain"]
    return {
        "valid": (typed_line(good), True),
        "valid v=0/1": (typed_line(good, form="v01"), True),
        "valid compact": (typed_line(good, form="compact"), True),
        "valid scheme eip712": (typed_line(good, scheme="eip712"), True),
        "valid scheme auto": (typed_line(good, scheme="auto"), True),
        "valid renamed field": (typed_line(renamed), True),
        "valid chainId text": (typed_line(text_chain), True),
        "valid inferred domain type": (typed_line(no_domain_type), True),
        "chainId float": (typed_line(float_chain), False),
        "chainId true, signed over 1": (typed_line(true_chain, signed=good), False),
        "other contents": (typed_line(other_contents, signed=good), False),
        "high s": (typed_line(good, form="v27, high s"), False),
        "wrong address": (typed_line(good, address=checksummed(BOB)), False),
        "bad EIP-55 checksum": (typed_line(good, address=ALICE_BAD_CASE), False),
        "ERC-6492 wrapped": (typed_line(good, form="erc6492"), False),
        "contract signature": (typed_line(good, form="contract"), False),
        "extra member key": (typed_line(extra_member), False),
        "nested domain": (typed_line(nested_domain), False),
        "primaryType EIP712Domain": (typed_line(domain_only), False),
        "no message": (typed_line(no_message), False),
        "typed data as text": (typed_line(json.dumps(good), signed=good), False),  # type: ignore[arg-type]
        "scheme eip191": (typed_line(good, scheme="eip191"), False),
        "no address": ({k: v for k, v in typed_line(good).items() if k != "address"}, False),
    }


TYPED_CASES = _typed_cases()


@pytest.mark.parametrize("name", list(TYPED_CASES))
def test_eip712_lines_agree_with_the_general_path(name: str) -> None:
    line, lean = TYPED_CASES[name]
    assert answered_by_lean([line]) == [lean]


def test_the_document_cache_tells_apart_what_compares_equal() -> None:
    # chainId 1 is cached first; true and 1.0 compare equal to 1 in Python, "1" hashes apart.
    good = mail("Hello, Bob!", checksummed(ALICE))
    lines = [typed_line(good)]
    for chain_id in (True, 1.0, "1", 1):
        document = {**good, "domain": {**DOMAIN, "chainId": chain_id}}
        lines.append(typed_line(document, signed=good))
    lean, general = both(lines)
    assert lean == general
    assert (lean.valid, lean.malformed) == (4, 1)  # true is not an integer


def test_a_mixed_block_agrees_line_by_line() -> None:
    lines: list[Any] = [case for case, _ in [*PERSONAL_CASES.values(), *TYPED_CASES.values()]]
    lines += ["", "not json", "[1]", "null", '{"address": "0x"}']
    lean, general = both(lines + lines[::-1])
    assert lean == general
    assert lean.valid > 0 and lean.invalid > 0 and lean.malformed > 0


def test_common_lines_of_many_signers_take_the_lean_path() -> None:
    lines = []
    for i in range(12):
        signer = SIGNERS[i % len(SIGNERS)]
        lines.append(personal_line(f"request {i}", signer=signer))
        lines.append(typed_line(mail(f"Hello ({i})", checksummed(signer)), signer=signer))
    assert answered_by_lean(lines) == [True] * len(lines)


def test_the_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ethereum_batch, "_ADDRESS_CACHE_SIZE", 2)
    monkeypatch.setattr(ethereum_batch, "_PLAN_CACHE_SIZE", 2)
    monkeypatch.setattr(ethereum_batch, "_addresses", {})
    monkeypatch.setattr(ethereum_batch, "_plans", {})
    lines = []
    for i in range(6):
        document = {**mail("hi", checksummed(SIGNERS[i % 3])), "domain": {**DOMAIN, "chainId": i}}
        lines.append(typed_line(document, signer=SIGNERS[i % 3]))
    lean, general = both(lines)
    assert lean == general and lean.valid == 6
    assert len(ethereum_batch._addresses) <= 2
    assert len(ethereum_batch._plans) <= 2
    assert answered_by_lean(lines) == [True] * 6  # refilled after each clearing
