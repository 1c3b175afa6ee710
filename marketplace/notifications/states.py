"""The outbox's state machine and its one `transition()` (core.states).

A message waits, is claimed by one delivery job (sending), and ends sent or failed; an admin may
send a failed or interrupted one again. Each move is one conditional UPDATE whose WHERE is the
table's list of states it may start from, so of two jobs for one message only one claims it. The
message row is its own history: attempts, the last error, when it was claimed and sent.
"""
from __future__ import annotations

from typing import Any

from marketplace.core.states import SYSTEM, Machine, emit
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage, OutboxStatus

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


def transition(message_id: int, to: OutboxStatus, *, party: str = SYSTEM, **values: Any) -> bool:
    """Move the message if the table allows it from where it is now in the database; True if this
    call made the move."""
    sources = [move.old for move in OUTBOX_MOVES.moves.values() if move.new is to and move.old is not None and party in move.by]
    moved = db.session.execute(
        db.update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status.in_(sources))
        .values(status=to, **values).execution_options(synchronize_session=False)
    ).rowcount == 1
    if moved:
        emit(f"outbox.{to.value}", message_id)
    return moved
