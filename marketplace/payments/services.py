"""Card payments: start one, learn its outcome (signed webhook or server-side retrieval), refund it.

A payment becomes paid only from a verified Stripe event or from retrieving the
PaymentIntent from Stripe, never from what a browser says. Every status change
is a conditional UPDATE, so a webhook and a page reload arriving together make
one change, and the owner hears of it once.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

import stripe
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.payments import gateway, owners
from marketplace.payments.models import Payment, PaymentEvent, PaymentStatus, StripeEvent

log = logging.getLogger(__name__)
P = PaymentStatus


class InvalidSignature(Exception):
    """The webhook body was not signed by Stripe with our secret (or is not an event)."""


class MalformedEvent(Exception):
    """Signed by Stripe, but missing what an event of its type carries."""


def payment_for(purpose: str, reference: str) -> Optional[Payment]:
    return db.session.scalar(select(Payment).where(Payment.purpose == purpose, Payment.reference == reference))


def start_card_payment(*, purpose: str, reference: str, amount: Money, payer_id: int | None,
                       transfer_group: str | None = None, description: str = "") -> tuple[Payment, str]:
    """The payment for (purpose, reference) and the client secret Stripe.js confirms it with.

    Creating the PaymentIntent twice (a reload, two tabs) returns the same intent:
    the idempotency key is derived from the purpose and reference."""
    payment = payment_for(purpose, reference)
    if payment is not None and payment.status in (P.PAID, P.REFUNDED):
        raise DomainError(_l("This is already paid."))
    if payment is None:
        payment = Payment(purpose=purpose, reference=reference, payer_id=payer_id, amount_minor=amount.minor_units,
                          currency=amount.currency, status=P.PENDING)
        payment.events = [PaymentEvent(actor_id=payer_id, from_status=None, to_status=P.PENDING.value, reason="started")]
        db.session.add(payment)
        db.session.flush()
    stripe_client = gateway.client()
    if payment.stripe_payment_intent_id is None:
        intent = stripe_client.v1.payment_intents.create(
            params={
                "amount": amount.minor_units, "currency": amount.currency.lower(), "description": description,
                "metadata": {"purpose": purpose, "reference": reference},
                **({"transfer_group": transfer_group} if transfer_group else {}),
            },
            options={"idempotency_key": f"payment-intent-{purpose}-{reference}"},
        )
        payment.stripe_payment_intent_id = intent.id
    else:
        intent = stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
        if intent.status == "succeeded":
            _apply_intent(payment, intent, "retrieved when the payment page opened")
        elif payment.amount_minor != amount.minor_units:
            # Part of the purchase was cancelled before paying: the intent asks for what is left.
            intent = stripe_client.v1.payment_intents.update(intent.id, params={"amount": amount.minor_units})
            payment.amount_minor = amount.minor_units
    db.session.commit()
    return payment, intent.client_secret


def refresh(payment: Payment) -> Payment:
    """Ask Stripe how the payment stands (the page a buyer returns to after Stripe.js)."""
    if payment.stripe_payment_intent_id and payment.status in (P.PENDING, P.FAILED):
        intent = gateway.client().v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
        _apply_intent(payment, intent, "retrieved from Stripe")
        db.session.commit()
    return payment


def cancel(payment: Payment, reason: str) -> None:
    """Nothing more will be paid (the purchase expired): cancel the intent so a late card fails.
    If Stripe says it was paid after all, the payment is marked paid and the owner decides."""
    if payment.status not in (P.PENDING, P.FAILED):
        return
    try:
        gateway.client().v1.payment_intents.cancel(payment.stripe_payment_intent_id)
    except stripe.StripeError:
        refresh(payment)
        if payment.status is P.PAID:
            return
    _change(payment, (P.PENDING, P.FAILED), P.CANCELLED, reason)


def refund(payment: Payment, amount_minor: int, *, idempotency_key: str, reason: str, actor_id: int | None) -> str:
    """Give `amount_minor` back to the card; returns Stripe's refund id. Safe to retry with the same key."""
    if payment.status is not P.PAID:
        raise DomainError(_l("Only a paid payment can be refunded."))
    if amount_minor <= 0 or payment.refunded_minor + amount_minor > payment.amount_minor:
        raise DomainError(_l("That is more than what is left to refund."))
    try:
        result = gateway.client().v1.refunds.create(
            params={"payment_intent": payment.stripe_payment_intent_id, "amount": amount_minor,
                    "metadata": {"purpose": payment.purpose, "reference": payment.reference, "reason": reason[:400]}},
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        log.warning("refund of payment %s failed: %s", payment.id, error)
        raise DomainError(_l("The card refund could not be made just now. Nothing has changed; please try again.")) from error
    payment.refunded_minor += amount_minor
    fully = payment.refunded_minor >= payment.amount_minor
    db.session.add(PaymentEvent(payment_id=payment.id, actor_id=actor_id, from_status=payment.status.value,
                                to_status=(P.REFUNDED if fully else P.PAID).value, reason=f"refund {result.id}: {reason}"[:500]))
    if fully:
        payment.status = P.REFUNDED
    return result.id


# --- what Stripe tells us -------------------------------------------------------------------

def handle_webhook(payload: bytes, signature: str | None) -> str:
    """Verify, record the event id once, apply it. Returns 'handled', 'ignored' or 'duplicate'."""
    try:
        event = gateway.verify_event(payload, signature)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidSignature(str(error)) from error
    except (KeyError, TypeError, AttributeError) as error:  # signed JSON that is not an event at all
        raise MalformedEvent(str(error)) from error
    if not all(isinstance(_field(event, name), str) for name in ("id", "type")) or _field(_field(event, "data"), "object") is None:
        raise MalformedEvent(repr(_field(event, "id")))
    if db.session.get(StripeEvent, event.id) is not None:
        return "duplicate"
    db.session.add(StripeEvent(id=event.id, type=event.type))
    try:
        db.session.flush()  # a concurrent delivery of the same event waits here, then fails
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        try:
            handler(gateway.as_dict(event.data.object), f"Stripe event {event.id}")
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # Signed, but not the shape Stripe sends: nothing is applied and the id is not kept, so
            # a corrected redelivery is handled. The view answers 400, never 500.
            db.session.rollback()
            log.error("Stripe event %s (%s) is malformed: %r", event.id, event.type, error)
            raise MalformedEvent(event.id) from error
    db.session.commit()
    return "handled" if handler else "ignored"


def _field(stripe_object: Any, name: str) -> Any:
    try:
        return stripe_object[name]
    except (KeyError, TypeError, AttributeError, IndexError):
        return None


def _payment_of_intent(intent_id: str | None) -> Optional[Payment]:
    if not intent_id:
        return None
    return db.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent_id))


def _on_intent_event(intent: Any, reason: str) -> None:
    payment = _payment_of_intent(intent["id"])
    if payment is not None:
        _apply_intent(payment, intent, reason)


def _on_charge_refunded(charge: Any, reason: str) -> None:
    payment = _payment_of_intent(gateway.object_id(charge.get("payment_intent")))
    if payment is None:
        return
    # Events may arrive in any order: a refunded charge had succeeded, whatever came first.
    if not _amount_matches(payment, charge, reason):
        return
    _mark_paid(payment, charge["id"], reason)
    refunded = int(charge.get("amount_refunded") or 0)
    if refunded > payment.refunded_minor:
        extra = refunded - payment.refunded_minor
        payment.refunded_minor = refunded
        fully = refunded >= payment.amount_minor
        db.session.add(PaymentEvent(payment_id=payment.id, actor_id=None, from_status=payment.status.value,
                                    to_status=(P.REFUNDED if fully else payment.status).value, reason=f"refund seen: {reason}"))
        if fully:
            payment.status = P.REFUNDED
        owner = owners.owner_of(payment.purpose)
        if owner is not None:
            owner.on_refunded(payment, extra)


def _on_account_updated(account: Any, reason: str) -> None:
    from marketplace.payments import payouts

    payouts.sync_account(account)


_HANDLERS = {
    "payment_intent.succeeded": _on_intent_event,
    "payment_intent.payment_failed": _on_intent_event,
    "charge.refunded": _on_charge_refunded,
    "account.updated": _on_account_updated,
}


def _apply_intent(payment: Payment, intent: Any, reason: str) -> None:
    intent = gateway.as_dict(intent)
    status = intent["status"]
    if status == "succeeded":
        if not _amount_matches(payment, intent, reason):
            return
        _mark_paid(payment, gateway.object_id(intent.get("latest_charge")), reason)
    elif status == "requires_payment_method" and intent.get("last_payment_error"):
        error = intent["last_payment_error"]
        payment.failure_code = str(error.get("decline_code") or error.get("code") or "card_error")[:64]
        if _change(payment, (P.PENDING, P.FAILED), P.FAILED, f"{reason}: {payment.failure_code}"):
            owner = owners.owner_of(payment.purpose)
            if owner is not None:
                owner.on_failed(payment)


def _amount_matches(payment: Payment, stripe_object: Any, reason: str) -> bool:
    """True when Stripe's amount and currency are what we asked. Otherwise the payment is flagged
    for an admin (history row with both amounts) and nothing is marked paid."""
    amount, currency = int(stripe_object["amount"]), str(stripe_object["currency"]).upper()
    if amount == payment.amount_minor and currency == payment.currency:
        return True
    log.error("payment %s: Stripe says %s %s, we asked %s %s; flagged", payment.id, amount, currency,
              payment.amount_minor, payment.currency)
    _change(payment, (P.PENDING, P.FAILED, P.CANCELLED), P.FLAGGED,
            f"{reason}: Stripe reported {amount} {currency}, expected {payment.amount_minor} {payment.currency}")
    return False


def flagged_payments() -> list[Payment]:
    """Payments an admin must look at (Stripe's amount or currency differed from ours)."""
    return list(db.session.scalars(select(Payment).where(Payment.status == P.FLAGGED).order_by(Payment.id.desc())))


def _mark_paid(payment: Payment, charge_id: str | None, reason: str) -> None:
    if _change(payment, (P.PENDING, P.FAILED, P.CANCELLED), P.PAID, reason, stripe_charge_id=charge_id, failure_code=""):
        owner = owners.owner_of(payment.purpose)
        if owner is not None:
            owner.on_paid(payment)


def _change(payment: Payment, from_: tuple[PaymentStatus, ...], to: PaymentStatus, reason: str, **values: Any) -> bool:
    """Move the payment only if it is still in one of `from_`; True if this call made the move."""
    old = payment.status
    moved = db.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status.in_(from_))
        .values(status=to, updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(payment)
    if moved and old is not to:
        db.session.add(PaymentEvent(payment_id=payment.id, actor_id=None, from_status=old.value, to_status=to.value, reason=reason[:500]))
    return moved and old is not to
