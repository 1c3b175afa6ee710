"""What the payment provider tells us: a signed webhook event, or an intent we retrieved ourselves.

An event is verified by the provider (its own library's verifier), recorded once by id (a second
delivery, even a concurrent one, is a duplicate), then applied: a paid intent whose amount and
currency are what we asked marks the payment paid; any other amount flags it for an admin. The
owner domain (orders, egov) hears paid / failed / refunded once, from whichever came first.
"""
from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.api import get_user
from marketplace.extensions import db
from marketplace.i18n import money
from marketplace.notifications.api import notify_user
from marketplace.payments import owners, providers, states
from marketplace.payments.models import Payment, PaymentStatus, StripeEvent
from marketplace.payments.providers import ProviderEvent, ProviderIntent

log = logging.getLogger(__name__)
P = PaymentStatus


def handle_webhook(payload: bytes, signature: str | None) -> str:
    """Verify, record the event id once, apply it. Returns 'handled', 'ignored' or 'duplicate'.
    InvalidSignature or MalformedEvent when the provider refuses the body (nothing is recorded)."""
    event = providers.provider(providers.CARD).verify_event(payload, signature)
    if db.session.get(StripeEvent, event.id) is not None:
        return "duplicate"
    db.session.add(StripeEvent(id=event.id, type=event.type))
    try:
        db.session.flush()  # a concurrent delivery of the same event waits here, then fails
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    handler = _HANDLERS.get(event.kind)
    if handler is not None:
        handler(event, f"Stripe event {event.id}")
    db.session.commit()
    return "handled" if handler else "ignored"


def handle_mobile_callback(payload: bytes, remote_addr: str | None) -> str:
    """A mobile-money provider's result callback: read, recorded once, applied. Returns 'handled',
    'duplicate' or 'unknown' (a request we never made: logged, nothing changes). InvalidSignature
    (an address not allowed) or MalformedEvent (not a result) refuse it before anything is recorded."""
    event = providers.provider(providers.MOBILE_MONEY).read_callback(payload, remote_addr)
    payment = _payment_of_intent(event.intent.id)
    if payment is None or payment.way != providers.MOBILE_MONEY:
        log.warning("mobile-money callback for %s, which we never asked for; ignored", event.intent.id)
        return "unknown"
    if db.session.get(StripeEvent, event.id) is not None:
        return "duplicate"
    db.session.add(StripeEvent(id=event.id, type=event.type))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    apply_intent(payment, event.intent, f"M-Pesa result for {event.intent.id}")
    db.session.commit()
    return "handled"


def _payment_of_intent(intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    return db.session.scalar(select(Payment).where(Payment.provider_intent_id == intent_id))


def _on_intent_event(event: ProviderEvent, reason: str) -> None:
    payment = _payment_of_intent(event.intent.id)
    if payment is not None:
        apply_intent(payment, event.intent, reason)


def _on_refund(event: ProviderEvent, reason: str) -> None:
    payment = _payment_of_intent(event.intent_id)
    if payment is None:
        return
    # Events may arrive in any order: a refunded charge had succeeded, whatever came first.
    if not _amount_matches(payment, event.intent, reason):
        return
    _mark_paid(payment, event.intent.charge_id, reason)
    refunded = event.refunded_minor
    if refunded > payment.refunded_minor:
        extra = refunded - payment.refunded_minor
        payment.refunded_minor = refunded
        if refunded >= payment.amount_minor:
            states.transition(payment, P.REFUNDED, f"refund seen: {reason}", party=states.PROVIDER, refunded_minor=refunded)
        else:
            states.record(payment, f"refund of {extra} seen: {reason}", party=states.PROVIDER)
        owner = owners.owner_of(payment.purpose)
        if owner is not None:
            owner.on_refunded(payment, extra)


def _on_account_updated(event: ProviderEvent, reason: str) -> None:
    from marketplace.payments import payouts

    payouts.sync_account(event.account)


_HANDLERS = {"intent": _on_intent_event, "refund": _on_refund, "account": _on_account_updated}


def apply_intent(payment: Payment, intent: ProviderIntent, reason: str) -> None:
    if intent.state == providers.PAID:
        if not _amount_matches(payment, intent, reason):
            return
        _mark_paid(payment, intent.charge_id, reason)
    elif intent.state == providers.FAILED:
        payment.failure_code = intent.failure_code
        if states.transition(payment, P.FAILED, f"{reason}: {payment.failure_code}", party=states.PROVIDER,
                             failure_code=intent.failure_code):
            owner = owners.owner_of(payment.purpose)
            if owner is not None:
                owner.on_failed(payment)


def _amount_matches(payment: Payment, intent: ProviderIntent, reason: str) -> bool:
    """True when the provider's amount and currency (and, for mobile money, the phone) are what we
    asked. Otherwise the payment is flagged for an admin (history row with both) and nothing is paid."""
    amount, currency = intent.amount_minor, intent.currency
    if payment.way == providers.MOBILE_MONEY:
        if intent.payer_phone and payment.payer_phone and intent.payer_phone != payment.payer_phone:
            log.error("payment %s: paid from %s, we asked %s; flagged", payment.id, intent.payer_phone, payment.payer_phone)
            states.transition(payment, P.FLAGGED, f"{reason}: paid from {intent.payer_phone}, expected {payment.payer_phone}",
                              party=states.PROVIDER)
            return False
        if amount == 0:
            return True  # the STK query does not say the amount; the prompt fixed it when it was sent
    if amount == payment.amount_minor and currency == payment.currency:
        return True
    log.error("payment %s: Stripe says %s %s, we asked %s %s; flagged", payment.id, amount, currency,
              payment.amount_minor, payment.currency)
    states.transition(payment, P.FLAGGED, f"{reason}: the provider reported {amount} {currency}, expected "
                      f"{payment.amount_minor} {payment.currency}", party=states.PROVIDER)
    return False


def _mark_paid(payment: Payment, charge_id: str | None, reason: str) -> None:
    if states.transition(payment, P.PAID, reason, party=states.PROVIDER, provider_charge_id=charge_id, failure_code=""):
        if payment.way == providers.MOBILE_MONEY:
            _send_receipt(payment)
        owner = owners.owner_of(payment.purpose)
        if owner is not None:
            owner.on_paid(payment)


def _send_receipt(payment: Payment) -> None:
    """The payer's SMS for a mobile-money payment carries the provider's receipt number (M-Pesa's own
    SMS shows the same), so both sides can name the payment."""
    payer = get_user(payment.payer_id) if payment.payer_id else None
    if payer is None:
        return
    receipt = payment.provider_charge_id or ""
    notify_user(payer, "payment_received_by_phone", lambda: (
        _("Payment %(reference)s received", reference=payment.reference),
        _("Village Square: your M-Pesa payment of %(amount)s for %(reference)s is received. M-Pesa receipt %(receipt)s.",
          amount=money(payment.amount), reference=payment.reference, receipt=receipt or _("not yet known")),
    ))
