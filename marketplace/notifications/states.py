"""The outbox's state machine and its one `transition()` (core.states).

A message waits, is claimed by one delivery job (sending), and ends sent or failed; an admin may
send a failed or interrupted one again. Each move is one conditional UPDATE whose WHERE is the
table's list of states it may start from, so of two jobs for one message only one claims it. The
message row is its own history: attempts, the last error, when it was claimed and sent.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Update, bindparam, update

from marketplace.core.states import SYSTEM, Machine, emit
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage, OutboxRow, OutboxStatus

ADMIN = "admin"

OUTBOX_MOVES: Machine[OutboxStatus] = Machine("outbox", [
    (None, OutboxStatus.PENDING, [SYSTEM], "queued"),
    (OutboxStatus.PENDING, OutboxStatus.SENDING, [SYSTEM], "claimed"),
    (OutboxStatus.FAILED, OutboxStatus.SENDING, [SYSTEM], "claimed"),  # RQ's retry
    (OutboxStatus.SENDING, OutboxStatus.SENT, [SYSTEM], "sent"),
    (OutboxStatus.SENDING, OutboxStatus.FAILED, [SYSTEM], "failed"),
    (OutboxStatus.FAILED, OutboxStatus.PENDING, [ADMIN], "sent_again"),
    (OutboxStatus.SENDING, OutboxStatus.PENDING, [ADMIN], "sent_again"),  # interrupted: its worker died mid-send (services.retry checks)
])


def _sources(to: OutboxStatus, party: str) -> tuple[OutboxStatus, ...]:
    return tuple(move.old for move in OUTBOX_MOVES.moves.values() if move.new is to and move.old is not None and party in move.by)


_OUTBOX = OutboxMessage.__table__


@functools.cache
def _move(to: OutboxStatus, party: str, names: tuple[str, ...], count_attempt: bool) -> Update:
    """One UPDATE per kind of move, built once: every message is moved many times a day (twice for
    each one sent), and building the statement cost more than running it."""
    values: dict[str, Any] = {"status": to, **{name: bindparam(f"new_{name}") for name in names}}
    if count_attempt:
        values["attempts"] = _OUTBOX.c.attempts + 1
    return (update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("message_ids", expanding=True)), _OUTBOX.c.status.in_(_sources(to, party)))
            .values(values).returning(*_OUTBOX.c))


def transition_all(message_ids: Sequence[int], to: OutboxStatus, *, party: str = SYSTEM, count_attempt: bool = False,
                   **values: Any) -> list[OutboxRow]:
    """Move each of the messages the table allows to move from where it is now in the database, in
    one UPDATE (`values`: the columns the move also sets; `count_attempt`: one more attempt).
    Returns the messages this call moved, as it left them, read back by the same UPDATE, in the
    order of `message_ids`: the rows themselves, for reading (an ORM copy of each cost more to build
    than the UPDATE took to run, on every message sent)."""
    statement = _move(to, party, tuple(sorted(values)), count_attempt)
    rows = db.session.execute(statement, {"message_ids": list(message_ids), **{f"new_{name}": value for name, value in values.items()}})
    moved: dict[int, OutboxRow] = {row.id: row for row in rows}  # type: ignore[misc]
    for message_id in moved:
        emit(f"outbox.{to.value}", message_id)
    return [moved[message_id] for message_id in message_ids if message_id in moved]


def transition(message_id: int, to: OutboxStatus, *, party: str = SYSTEM, **values: Any) -> OutboxRow | None:
    """Move one message if the table allows it (see `transition_all`); None if this call did not."""
    moved = transition_all([message_id], to, party=party, **values)
    return moved[0] if moved else None
