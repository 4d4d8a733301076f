"""The result of a diagnosis: a list of checks, each ok, warning or problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from walletsign_cli.errors import ExitCode

OK = "ok"
WARNING = "warning"
PROBLEM = "problem"


@dataclass(frozen=True)
class Check:
    """One thing looked at: ``id`` (dotted, stable), its status, one line why, and a hint."""

    id: str
    status: str
    message: str
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"id", "status", "message", "hint"}``."""
        return {"id": self.id, "status": self.status, "message": self.message, "hint": self.hint}


def ok(id_: str, message: str, hint: str | None = None) -> Check:
    """A check that passed (or a fact learned)."""
    return Check(id_, OK, message, hint)


def warning(id_: str, message: str, hint: str | None = None) -> Check:
    """Something that may go wrong, or that could not be checked."""
    return Check(id_, WARNING, message, hint)


def problem(id_: str, message: str, hint: str | None = None) -> Check:
    """Something that is wrong."""
    return Check(id_, PROBLEM, message, hint)


@dataclass
class Report:
    """Every check of one diagnosis, in the order they were made."""

    checks: list[Check] = field(default_factory=list)

    @property
    def problems(self) -> int:
        """How many checks are problems."""
        return sum(c.status == PROBLEM for c in self.checks)

    @property
    def warnings(self) -> int:
        """How many checks are warnings."""
        return sum(c.status == WARNING for c in self.checks)

    @property
    def exit_code(self) -> int:
        """0 with no problem, 3 (bad input) with one."""
        return int(ExitCode.BAD_INPUT if self.problems else ExitCode.OK)

    def to_json(self) -> dict[str, Any]:
        """``{"checks": [...], "problems": N, "warnings": N}``."""
        return {
            "checks": [c.to_json() for c in self.checks],
            "problems": self.problems,
            "warnings": self.warnings,
        }

    def reasons(self, besides: str, limit: int = 3) -> list[Check]:
        """What a failing command should add to its error ``besides``: the problems (else
        the warnings), and which key or session opens the answer."""
        fresh = [c for c in self.checks if besides not in c.message]
        found = [c for c in fresh if c.status == PROBLEM] or [
            c for c in fresh if c.status == WARNING
        ]
        found += [c for c in fresh if c.id == "answer.decrypt" and c.status == OK]
        return found[:limit]

    def hint(self, besides: str) -> str | None:
        """:meth:`reasons` as one line, each with its hint in parentheses."""
        found = self.reasons(besides)
        if not found:
            return None
        return "; ".join(c.message + (f" ({c.hint})" if c.hint else "") for c in found)
