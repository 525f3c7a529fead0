"""Actors by name, so the daemon can find a camera or report every actor's counters without
passing references around: `lfr status` is built from `counters()` and `of_kind()`, never by
reaching into the objects that own the actors. Names are unique: registering a second actor
under a live name is a bug (two cameras with one id), reported at once rather than shadowing
the first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from lfr.errors import StateError

if TYPE_CHECKING:
    from lfr.kernel.actor import Actor, Counters

A = TypeVar("A", bound="Actor[Any]")


class NameTaken(StateError):
    pass


class Registry:
    def __init__(self) -> None:
        self._actors: dict[str, Actor[Any]] = {}

    def register(self, actor: Actor[Any]) -> None:
        current = self._actors.get(actor.name)
        if current is not None and current is not actor:
            raise NameTaken(f"an actor named {actor.name!r} is already registered")
        self._actors[actor.name] = actor

    def unregister(self, actor: Actor[Any]) -> None:
        if self._actors.get(actor.name) is actor:
            del self._actors[actor.name]

    def get(self, name: str) -> Actor[Any] | None:
        return self._actors.get(name)

    def lookup(self, name: str, kind: type[A]) -> A:
        """The actor `name`, checked to be a `kind`; KeyError if absent, TypeError if not."""
        actor = self._actors[name]
        if not isinstance(actor, kind):
            raise TypeError(f"actor {name!r} is a {type(actor).__name__}, not {kind.__name__}")
        return actor

    def of_kind(self, kind: type[A]) -> list[A]:
        """The registered actors that are `kind`s, by name."""
        return [a for _, a in sorted(self._actors.items()) if isinstance(a, kind)]

    def __contains__(self, name: object) -> bool:
        return name in self._actors

    def __iter__(self) -> Iterator[Actor[Any]]:
        return iter(list(self._actors.values()))

    def __len__(self) -> int:
        return len(self._actors)

    def counters(self) -> dict[str, Counters]:
        return {name: self._actors[name].counters() for name in sorted(self._actors)}
