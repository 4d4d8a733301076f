"""core/record: the value class of the verify start-up path, and every Record in the package
(fields in ``__slots__`` in the order ``__init__`` takes them, each declared ``Final``)."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

import walletsign_cli
from walletsign_cli.core.record import Record
from walletsign_cli.protocols.jobs import Defaults, JobResult
from walletsign_cli.protocols.signin import SignInMessage
from walletsign_cli.protocols.verification import Match, Verdict


def _records() -> list[type[Record]]:
    """Every Record subclass of the package (its modules that define one are imported)."""
    root = Path(walletsign_cli.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if "(Record):" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(root.parent).with_suffix("").parts
            importlib.import_module(".".join(parts))
    found: list[type[Record]] = []
    pending = list(Record.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("walletsign_cli.")]


RECORDS = _records()


def test_the_start_up_path_has_its_records() -> None:
    names = {cls.__name__ for cls in RECORDS}
    assert {"Defaults", "Job", "JobResult", "Verdict", "Match", "SignInMessage"} <= names


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
def test_fields_are_the_init_parameters_in_order(cls: type[Record]) -> None:
    parameters = list(inspect.signature(cls.__init__).parameters)[1:]
    assert parameters == list(cls.__slots__)
    annotations = cls.__annotations__
    assert all(annotations[name].startswith("Final[") for name in cls.__slots__)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
def test_a_record_has_no_instance_dict(cls: type[Record]) -> None:
    assert all("__dict__" not in vars(klass) for klass in cls.__mro__[:-1])


def test_equality_and_hash_are_by_type_and_fields() -> None:
    first = JobResult(1, "a", True, "solana", "raw", None)
    assert first == JobResult(1, "a", True, "solana", "raw", None)
    assert hash(first) == hash(JobResult(1, "a", True, "solana", "raw", None))
    assert first != JobResult(2, "a", True, "solana", "raw", None)
    assert first != JobResult(1, "a", True, "solana", "raw", None, undetermined=True)
    assert Match("raw", "x") != ("raw", "x", {})
    assert len({first, JobResult(1, "a", True, "solana", "raw", None)}) == 1


def test_repr_names_the_fields() -> None:
    match = Match("raw", "abc", {"n": 1})
    assert repr(match) == "Match(scheme='raw', signer='abc', details={'n': 1})"


def test_replace_copies_and_changes_the_named_fields() -> None:
    defaults = Defaults(scheme="siws", domain="example.com")
    changed = defaults.replace(chain_id="1", domain=None)
    assert (changed.scheme, changed.domain, changed.chain_id) == ("siws", None, "1")
    assert (defaults.domain, defaults.chain_id) == ("example.com", None)
    with pytest.raises(TypeError, match="'chainid'"):
        defaults.replace(chainid="1")


def test_as_dict_is_the_fields_in_order() -> None:
    message = SignInMessage("example.com", "addr", nonce="n")
    document = message.as_dict()
    assert list(document) == list(SignInMessage.__slots__)
    assert (document["domain"], document["nonce"], document["uri"]) == ("example.com", "n", None)


def test_verdict_keeps_its_json_keys() -> None:
    verdict = Verdict(False, "solana", None, None, "base58", "utf8", reason="no")
    assert verdict.to_json()["reason"] == "no"
    assert verdict.status == "invalid"
