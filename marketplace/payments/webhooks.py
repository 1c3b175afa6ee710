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
from marketplace.core.money import Money
from marketplace.extensions import db
from marketplace.i18n import money
from marketplace.notifications.api import notify_user
from marketplace.payments import owners, providers, reconciliation, states
from marketplace.payments.models import MovementDirection, Payment, PaymentEvent, PaymentStatus, StripeEvent
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
    if event.intent.state == providers.PAID and event.intent.charge_id:  # the money moved, whatever we make of it
        reconciliation.record_movement(MovementDirection.IN, event.intent.charge_id,
                                       Money(event.intent.currency, event.intent.amount_minor), payment.reference,
                                       occurred_at=event.intent.occurred_at, payment_id=payment.id)
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
        if amount == payment.left_to_pay.minor_units and currency == payment.currency:
            return True  # the prompt asked for what was left after pay bill money
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


# --- pay bill (C2B): money sent from the phone's own menu, naming our reference -----------------

def paybill_is_expected(payload: bytes, remote_addr: str | None) -> bool:
    """Daraja's validation: accept only an account number an owner expects money under (a purchase
    or a fee still waiting); anything else is refused before the payer's money moves."""
    paid = providers.provider(providers.MOBILE_MONEY).read_paybill(payload, remote_addr)
    return owners.paybill_due(paid.account) is not None


def confirm_paybill(payload: bytes, remote_addr: str | None) -> str:
    """Daraja's confirmation: the money has moved. Counted once per M-Pesa transaction; added to
    what arrived for that purchase or fee. Enough (or more) pays it; less keeps it waiting and asks
    the payer for the rest; more is written on its history as owed back. Money under an account
    nobody expects (validation off, or the purchase gone meanwhile) is held for an admin.
    Returns 'paid', 'part', 'unmatched' or 'duplicate'."""
    paid = providers.provider(providers.MOBILE_MONEY).read_paybill(payload, remote_addr)
    if db.session.get(StripeEvent, f"mpesa-c2b:{paid.transaction_id}") is not None:
        return "duplicate"
    db.session.add(StripeEvent(id=f"mpesa-c2b:{paid.transaction_id}", type="c2b"))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    due = owners.paybill_due(paid.account)
    if due is None:
        payment = _hold_unmatched(paid)
        _record_paybill(paid, payment)
        db.session.commit()
        return "unmatched"
    payment = _payment_for_paybill(due, paid)
    _record_paybill(paid, payment)
    db.session.execute(db.update(Payment).where(Payment.id == payment.id)
                       .values(received_minor=Payment.received_minor + paid.amount_minor)
                       .execution_options(synchronize_session=False))  # two transactions at once both count
    db.session.refresh(payment)
    states.record(payment, f"pay bill {paid.transaction_id}: {paid.amount_minor} from {paid.phone}", party=states.PROVIDER)
    if payment.received_minor < payment.amount_minor:
        _ask_for_the_rest(payment, due)
        outcome = "part"
    else:
        _mark_paid(payment, paid.transaction_id, f"paid by pay bill ({paid.transaction_id})")
        if payment.received_minor > payment.amount_minor:
            states.record(payment, f"{payment.received_minor - payment.amount_minor} more than asked: to give back "
                                   f"to {paid.phone} by an admin", party=states.PROVIDER)
        outcome = "paid"
    db.session.commit()
    return outcome


def _record_paybill(paid: providers.PaybillPayment, payment: Payment) -> None:
    reconciliation.record_movement(MovementDirection.IN, paid.transaction_id, Money(paid.currency, paid.amount_minor), paid.account,
                                   occurred_at=paid.occurred_at, payment_id=payment.id)


def _payment_for_paybill(due: owners.PaybillDue, paid: providers.PaybillPayment) -> Payment:
    payment = db.session.scalar(select(Payment).where(Payment.purpose == due.purpose, Payment.reference == due.reference))
    if payment is None:
        payment = Payment(purpose=due.purpose, reference=due.reference, payer_id=due.payer_id, amount_minor=due.amount.minor_units,
                          currency=due.amount.currency, status=P.PENDING, way=providers.MOBILE_MONEY, payer_phone="",
                          events=[PaymentEvent(actor_role=states.PROVIDER, from_status=None, to_status=P.PENDING.value,
                                               reason=f"pay bill to account {paid.account}")])
        db.session.add(payment)
        db.session.flush()
    return payment


def _ask_for_the_rest(payment: Payment, due: owners.PaybillDue) -> None:
    payer = get_user(payment.payer_id) if payment.payer_id else None
    if payer is None:
        return
    rest = Money(payment.currency, payment.amount_minor - payment.received_minor)
    notify_user(payer, "payment_part_received", lambda: (
        _("Part of %(reference)s received", reference=due.reference),
        _("Village Square: we received %(received)s for %(reference)s. Send %(rest)s more by M-Pesa pay bill, account %(reference)s.",
          received=money(Money(payment.currency, payment.received_minor)), reference=due.reference, rest=money(rest)),
    ))


def _hold_unmatched(paid: providers.PaybillPayment) -> Payment:
    """Money that names no purchase or fee we expect: kept as a flagged payment for an admin to return."""
    log.warning("pay bill %s: %s to account %r, which nothing expects; held for an admin", paid.transaction_id,
                paid.amount_minor, paid.account)
    payment = Payment(purpose="paybill_unmatched", reference=paid.transaction_id, amount_minor=paid.amount_minor,
                      currency=paid.currency, status=P.PENDING, way=providers.MOBILE_MONEY, payer_phone=paid.phone[:20],
                      received_minor=paid.amount_minor,
                      events=[PaymentEvent(actor_role=states.PROVIDER, from_status=None, to_status=P.PENDING.value,
                                           reason=f"pay bill to account {paid.account!r}, which nothing expects")])
    db.session.add(payment)
    db.session.flush()
    states.transition(payment, P.FLAGGED, f"account {paid.account!r} expects nothing: give it back to {paid.phone}",
                      party=states.PROVIDER)
    return payment
