"""Named registries: the single place where a string becomes a class or function.

Names are part of the public API (they appear in configs and on the command line), so an
unknown name is a user error with a "did you mean" suggestion, not a KeyError.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from ganlab.errors import GanlabError

T = TypeVar("T")


def did_you_mean(name: str, choices: list[str]) -> str:
    """Return ' (did you mean "x"?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    return f' (did you mean "{close[0]}"?)' if close else ""


class Registry(Generic[T]):
    """A mapping from public names to objects, filled by the ``register`` decorator."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering its target under ``name``; the target gets a ``name`` attribute."""

        def deco(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            try:
                obj.name = name  # type: ignore[attr-defined]
            except (AttributeError, TypeError):
                pass
            return obj

        return deco

    def unregister(self, name: str) -> T:
        """Remove ``name`` and return what it named (tests that register temporary components)."""
        return self._items.pop(name)

    def get(self, name: str) -> T:
        """The object registered as ``name``; an unknown name is a one-line GanlabError."""
        try:
            return self._items[name]
        except KeyError:
            raise GanlabError(
                f'unknown {self.kind} "{name}"{did_you_mean(str(name), self.names())}',
                f"choose one of: {', '.join(self.names())}",
            ) from None

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        for key in self.names():
            yield key, self._items[key]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"
