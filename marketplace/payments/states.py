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
from marketplace.payments.models import Payment, PaymentEvent, PaymentStatus

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
    sources = [move.old for move in PAYMENT_MOVES.moves.values() if move.new is to and move.old is not None and party in move.by]
    old = payment.status
    moved = db.session.execute(
        db.update(Payment).where(Payment.id == payment.id, Payment.status.in_(sources))
        .values(status=to, updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(payment)
    if not moved:
        return False
    db.session.add(PaymentEvent(payment_id=payment.id, actor_id=actor_id, actor_role=party, from_status=old.value,
                                to_status=to.value, reason=reason[:500]))
    emit(f"payment.{to.value}", payment)
    return True
