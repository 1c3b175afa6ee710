"""State machines as data: one table of moves per stateful thing, checked in one place.

Each stateful domain (listings, orders, payments, applications, reports, the outbox) declares a
`Machine` of its moves, people's and the system's alike (expiry, payment, refund are rows too),
and has one `transition()` that asks the machine, writes the status, writes the history row (who,
their role, the channel, why; the time is the row's) and emits the domain's event. Nothing else
writes a status column: tests/test_architecture.py reads the code and fails on any other write.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import current_app, g, has_request_context

from marketplace.core.errors import DomainError, PermissionDenied

S = TypeVar("S", bound=enum.Enum)

#: Who makes a move that no person makes: a job, a payment provider's word, the clock.
SYSTEM = "system"


@dataclass(frozen=True)
class Move(Generic[S]):
    old: S | None  # None: the thing is being created in state `new`
    new: S
    by: frozenset[str]  # the parties allowed ("farmer", "buyer", "official", SYSTEM…)
    event: str  # the name of what happened, in history rows and to subscribers


class Machine(Generic[S]):
    def __init__(self, name: str, moves: Iterable[tuple[S | None, S, Iterable[str], str]]) -> None:
        self.name = name
        self.moves: dict[tuple[S | None, S], Move[S]] = {}
        for old, new, by, event in moves:
            if (old, new) in self.moves:
                raise ValueError(f"{name}: {old} -> {new} listed twice")
            self.moves[(old, new)] = Move(old, new, frozenset(by), event)

    def move(self, old: S | None, new: S) -> Move[S] | None:
        return self.moves.get((old, new))

    def allows(self, old: S | None, new: S, party: str | None) -> bool:
        found = self.move(old, new)
        return found is not None and party in found.by

    def targets(self, old: S | None, party: str | None) -> list[S]:
        """Where `party` may take a thing that is `old`, in the table's order."""
        return [move.new for move in self.moves.values() if move.old == old and party in move.by]

    def check(self, old: S | None, new: S, party: str | None, refused: object, not_yours: object) -> Move[S]:
        """The move, or DomainError(`refused`) when the table has no such move, PermissionDenied
        (`not_yours`) when it exists but not for this party."""
        found = self.move(old, new)
        if found is None:
            raise DomainError(refused)
        if party not in found.by:
            raise PermissionDenied(not_yours)
        return found


def channel() -> str:
    """How the person reached us for the change being made: "web", "ussd", "sms", "api" or "job"."""
    if has_request_context():
        return getattr(g, "channel", "web")
    return "job"


def emit(event: str, subject: object, **details: object) -> None:
    """Tell the subscribers of `event` (registered by domains' init_app through `subscribe`)."""
    for subscriber in current_app.extensions.get("state_subscribers", {}).get(event, ()):
        subscriber(subject, **details)


def subscribe(app: Any, event: str, subscriber: Callable[..., None]) -> None:
    subscribers = app.extensions.setdefault("state_subscribers", {}).setdefault(event, [])
    if subscriber not in subscribers:
        subscribers.append(subscriber)
