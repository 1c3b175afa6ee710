"""The payments' state machine and its one `transition()` (core.states).

A payment becomes paid, failed or flagged only on the provider's word (a verified callback or a
server-side retrieval), cancelled when its purchase expired, refunded when all of it was given
back. Each move is one conditional UPDATE whose WHERE is the table's list of states the move may
start from, so a webhook and a page reload arriving together make one move, and the owner hears
of it once.
"""
from __future__ import annotations

from typing import Any

from marketplace.core.states import SYSTEM, Machine, emit
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.payments.models import MobilePayout, MobilePayoutEvent, MobilePayoutStatus, Payment, PaymentEvent, PaymentStatus

P = PaymentStatus
PROVIDER = "provider"  # the payment provider's word (a signed event, or asked by us)
PERSON = "person"  # someone's action in the domain that owns the payment (cancelling an order)

PAYMENT_MOVES: Machine[PaymentStatus] = Machine("payment", [
    (None, P.PENDING, [PERSON], "started"),
    (P.PENDING, P.PAID, [PROVIDER], "paid"),
    (P.FAILED, P.PAID, [PROVIDER], "paid"),  # another card worked
    (P.CANCELLED, P.PAID, [PROVIDER], "paid"),  # paid after the purchase expired: the owner refunds it
    (P.PENDING, P.FAILED, [PROVIDER], "failed"),
    (P.FAILED, P.PENDING, [PERSON], "asked again"),  # mobile money: a new PIN prompt after a failed one
    (P.PENDING, P.CANCELLED, [SYSTEM, PERSON], "cancelled"),
    (P.FAILED, P.CANCELLED, [SYSTEM, PERSON], "cancelled"),
    (P.PENDING, P.FLAGGED, [PROVIDER], "flagged"),  # the provider's amount or currency is not what we asked
    (P.FAILED, P.FLAGGED, [PROVIDER], "flagged"),
    (P.CANCELLED, P.FLAGGED, [PROVIDER], "flagged"),
    (P.PAID, P.REFUNDED, [PROVIDER, SYSTEM, PERSON], "refunded"),  # all of it given back
])


def record(payment: Payment, reason: str, *, party: str, actor_id: int | None = None) -> PaymentEvent:
    """A history row for what is not a move (part of the money refunded): the status stays."""
    event = PaymentEvent(payment_id=payment.id, actor_id=actor_id, actor_role=party, from_status=payment.status.value,
                         to_status=payment.status.value, reason=reason[:500])
    db.session.add(event)
    return event


def transition(payment: Payment, to: PaymentStatus, reason: str, *, party: str, actor_id: int | None = None,
               **values: Any) -> bool:
    """Move the payment to `to` if the table allows it from where it is now in the database; True if
    this call made the move (then its history row is written and the event emitted)."""
    old = payment.status
    if not transition_by_table(PAYMENT_MOVES, payment, to, party, values):
        return False
    db.session.add(PaymentEvent(payment_id=payment.id, actor_id=actor_id, actor_role=party, from_status=old.value,
                                to_status=to.value, reason=reason[:500]))
    emit(f"payment.{to.value}", payment)
    return True


def transition_by_table(machine: Machine[Any], thing: Payment | MobilePayout, to: Any, party: str, values: dict[str, Any]) -> bool:
    """One UPDATE whose WHERE is the table's list of states the move may start from (for `party`):
    of two callers racing, one moves the row. The loaded object is refreshed either way."""
    sources = [move.old for move in machine.moves.values() if move.new is to and move.old is not None and party in move.by]
    model = type(thing)
    moved = db.session.execute(
        db.update(model).where(model.id == thing.id, model.status.in_(sources))
        .values(status=to, updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(thing)
    return bool(moved)


# --- payouts to farmers' phones (mobile money, B2C) -------------------------------------------

OUT = MobilePayoutStatus
ADMIN = "admin"  # an administrator's decision (send again after checking)

PAYOUT_MOVES: Machine[MobilePayoutStatus] = Machine("mobile payout", [
    (None, OUT.REQUESTED, [SYSTEM], "requested"),  # a completed sale's share, owed
    (OUT.REQUESTED, OUT.SENDING, [SYSTEM], "sending"),  # the job claimed it
    (OUT.FAILED, OUT.SENDING, [SYSTEM], "sending again"),  # the job's retry (after an admin's "send again" too)
    (OUT.SENDING, OUT.SENT, [PROVIDER], "sent"),
    (OUT.UNKNOWN, OUT.SENT, [PROVIDER], "sent"),  # the late result of a timed-out send
    (OUT.SENDING, OUT.FAILED, [PROVIDER, SYSTEM], "failed"),
    (OUT.UNKNOWN, OUT.FAILED, [PROVIDER, ADMIN], "failed"),  # or an admin checked it was not paid: to send again
    (OUT.SENDING, OUT.UNKNOWN, [PROVIDER, SYSTEM], "unknown"),  # the provider timed out, or a worker stopped mid-send
])


def transition_payout(payout: MobilePayout, to: MobilePayoutStatus, reason: str, *, party: str, actor_id: int | None = None,
                      **values: Any) -> bool:
    """Move the payout to `to` if its table allows it from where it is now in the database (one
    conditional UPDATE: of two workers, one moves it); True if this call moved it."""
    old = payout.status
    if not transition_by_table(PAYOUT_MOVES, payout, to, party, values):
        return False
    db.session.add(MobilePayoutEvent(payout_id=payout.id, actor_id=actor_id, actor_role=party, from_status=old.value,
                                     to_status=to.value, reason=reason[:500]))
    emit(f"mobile_payout.{to.value}", payout)
    return True


def record_payout(payout: MobilePayout, reason: str, *, party: str, actor_id: int | None = None) -> MobilePayoutEvent:
    """A history row for what is not a move (handed to the provider, an admin's note): the status stays."""
    event = MobilePayoutEvent(payout_id=payout.id, actor_id=actor_id, actor_role=party, from_status=payout.status.value,
                              to_status=payout.status.value, reason=reason[:500])
    db.session.add(event)
    return event
