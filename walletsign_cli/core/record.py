"""Record: the small value class of the ``walletsign verify`` start-up path.

A ``typing.NamedTuple`` class costs about 0.3 ms to define in a fresh process (it compiles
a ``__new__`` and a forward reference for every field), and ``walletsign verify`` defined
thirteen of them before it checked one signature: about 4 ms of a 60 ms start-up. A Record
subclass lists its fields in ``__slots__``, declares them ``Final`` and writes its own
``__init__``; defining it costs what any small class does, and building one is a little
cheaper than building a NamedTuple.

The base gives what callers of the NamedTuples used: equality and a hash by type and
fields, a repr that names the fields, :meth:`Record.replace` and :meth:`Record.as_dict`.
Fields are immutable by type (mypy refuses an assignment to a ``Final`` attribute), not
at run time: a run-time guard would make every object slower to build, and the batch
builds several a line. A Record is not a tuple: it does not unpack or index.

Subclass it once: the fields are the subclass's own ``__slots__``, in order.
"""

from __future__ import annotations

from typing import Any, Self


class Record:
    """A value with named fields (a subclass's ``__slots__``)."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Record)  # noqa: S101 - for the type checker
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def as_dict(self) -> dict[str, Any]:
        """The fields by name, in order."""
        return {name: getattr(self, name) for name in self.__slots__}

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` (field names) applied; an unknown name is a TypeError."""
        unknown = changes.keys() - set(self.__slots__)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        return type(self)(**{**self.as_dict(), **changes})
