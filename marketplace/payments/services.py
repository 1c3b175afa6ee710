"""Card payments: start one, ask how it stands, cancel or refund it (what the provider tells us on its own is in webhooks.py).

A payment becomes paid only from the provider's verified word or from asking the
provider ourselves, never from what a browser says. Every status change goes
through payments.states (one conditional UPDATE each), so a webhook and a page
reload arriving together make one change, and the owner hears of it once.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.core.states import SYSTEM
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import external_url
from marketplace.extensions import db
from marketplace.payments import mobile_payouts, providers, states, webhooks
from marketplace.payments.models import Payment, PaymentEvent, PaymentStatus
from marketplace.payments.providers import InvalidSignature, MalformedEvent, ProviderUnavailable
from marketplace.payments.webhooks import handle_webhook

log = logging.getLogger(__name__)
P = PaymentStatus


__all__ = ["handle_webhook", "InvalidSignature", "MalformedEvent"]  # the webhook view's door and answers


def payment_for(purpose: str, reference: str) -> Payment | None:
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
                          currency=amount.currency, status=P.PENDING)  # the machine's (None, PENDING)
        payment.events = [PaymentEvent(actor_id=payer_id, actor_role=states.PERSON, from_status=None, to_status=P.PENDING.value,
                                       reason="started")]
        db.session.add(payment)
        db.session.flush()
    card = providers.provider(providers.CARD)
    if payment.provider_intent_id is None:
        intent = card.create_intent(amount, description=description, metadata={"purpose": purpose, "reference": reference},
                                    idempotency_key=f"payment-intent-{purpose}-{reference}", transfer_group=transfer_group)
        payment.provider_intent_id = intent.id
    else:
        intent = card.retrieve_intent(payment.provider_intent_id)
        if intent.state == providers.PAID:
            webhooks.apply_intent(payment, intent, "retrieved when the payment page opened")
        elif payment.amount_minor != amount.minor_units:
            # Part of the purchase was cancelled before paying: the intent asks for what is left.
            intent = card.change_amount(intent.id, amount.minor_units)
            payment.amount_minor = amount.minor_units
    db.session.commit()
    return payment, intent.client_secret


#: A PIN prompt the payer may still be answering is not sent again (a double tap, a reload, two tabs).
PROMPT_SECONDS = 90


def start_mobile_payment(*, purpose: str, reference: str, amount: Money, payer_id: int | None, phone: str,
                         description: str = "") -> Payment:
    """Send the mobile-money PIN prompt for (purpose, reference) to `phone`.

    One purchase, one payment, however often the payer taps: the right to send a prompt is taken by
    one conditional UPDATE (no prompt out yet, the last one failed, or it lapsed PROMPT_SECONDS ago),
    held while the provider is asked, and given back if the provider refuses."""
    payment = payment_for(purpose, reference)
    if payment is not None and payment.status in (P.PAID, P.REFUNDED):
        raise DomainError(_l("This is already paid."))
    if payment is None:
        payment = Payment(purpose=purpose, reference=reference, payer_id=payer_id, amount_minor=amount.minor_units,
                          currency=amount.currency, status=P.PENDING, way=providers.MOBILE_MONEY, payer_phone=phone)
        payment.events = [PaymentEvent(actor_id=payer_id, actor_role=states.PERSON, from_status=None, to_status=P.PENDING.value,
                                       reason="started")]
        db.session.add(payment)
        db.session.flush()
    now = utcnow()
    claimed = db.session.execute(update(Payment).where(
        Payment.id == payment.id, Payment.status.in_([P.PENDING, P.FAILED]),
        or_(Payment.provider_intent_id.is_(None), Payment.status == P.FAILED,
            Payment.updated_at < now - timedelta(seconds=PROMPT_SECONDS)),
    ).values(updated_at=now).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.commit()
        return payment  # a prompt is out and may still be answered
    db.session.refresh(payment)
    payment.amount_minor = amount.minor_units  # the purchase as it stands now; part of it may have come by pay bill
    try:
        intent = providers.provider(providers.MOBILE_MONEY).request_payment(
            payment.left_to_pay, phone=phone, account=reference, description=description or "Village Square",
            callback_url=external_url("payments.mpesa_callback", secret=_callback_secret()))
    except DomainError:
        db.session.rollback()  # nothing was sent: the next tap may try again at once
        raise
    db.session.refresh(payment)
    if payment.status is P.FAILED:
        states.transition(payment, P.PENDING, "asked again", party=states.PERSON, actor_id=payer_id)
    payment.provider_intent_id, payment.payer_phone, payment.amount_minor = intent.id, phone, amount.minor_units
    payment.failure_code = ""
    states.record(payment, f"PIN prompt {intent.id} for {intent.amount_minor} sent to {phone}", party=states.PERSON, actor_id=payer_id)
    db.session.commit()
    return payment


def _callback_secret() -> str:
    return str(current_app.config["MPESA_CALLBACK_SECRET"])


def refresh(payment: Payment) -> Payment:
    """Ask the provider how the payment stands (the page a buyer returns to after Stripe.js, or waits
    on for the M-Pesa prompt)."""
    if payment.provider_intent_id and payment.status in (P.PENDING, P.FAILED):
        intent = providers.provider(payment.way).retrieve_intent(payment.provider_intent_id)
        webhooks.apply_intent(payment, intent, f"retrieved from the {payment.way} provider")
        db.session.commit()
    return payment


def cancel(payment: Payment, reason: str) -> None:
    """Nothing more will be paid (the purchase expired): cancel the intent so a late card fails.
    If the provider says it was paid after all, the payment is marked paid and the owner decides."""
    if payment.status not in (P.PENDING, P.FAILED):
        return
    if payment.way == providers.MOBILE_MONEY and payment.provider_intent_id:
        # No callback may ever come (a phone off): the provider's answer to our question decides.
        try:
            refresh(payment)
        except ProviderUnavailable as error:
            log.warning("payment %s: could not ask how the prompt ended: %s", payment.id, error.detail)
        if payment.status is P.PAID:
            return
    try:
        providers.provider(payment.way).cancel_intent(payment.provider_intent_id)
    except ProviderUnavailable:
        refresh(payment)
        if payment.status is P.PAID:
            return
    states.transition(payment, P.CANCELLED, reason, party=SYSTEM)


def refund(payment: Payment, amount_minor: int, *, idempotency_key: str, reason: str, actor_id: int | None) -> str:
    """Give `amount_minor` back to the card; returns the provider's refund id. Safe to retry with the same key."""
    if payment.status is not P.PAID:
        raise DomainError(_l("Only a paid payment can be refunded."))
    if amount_minor <= 0 or payment.refunded_minor + amount_minor > payment.amount_minor:
        raise DomainError(_l("That is more than what is left to refund."))
    if payment.way != providers.CARD:
        return _refund_to_phone(payment, amount_minor, idempotency_key=idempotency_key, reason=reason, actor_id=actor_id)
    try:
        refund_id = providers.provider(providers.CARD).refund(
            payment.provider_intent_id, amount_minor, idempotency_key=idempotency_key,
            metadata={"purpose": payment.purpose, "reference": payment.reference, "reason": reason[:400]})
    except ProviderUnavailable as error:
        log.warning("refund of payment %s failed: %s", payment.id, error.detail)
        raise DomainError(_l("The card refund could not be made just now. Nothing has changed; please try again.")) from error
    payment.refunded_minor += amount_minor
    party = states.PERSON if actor_id else SYSTEM
    if payment.refunded_minor >= payment.amount_minor:
        states.transition(payment, P.REFUNDED, f"refund {refund_id}: {reason}", party=party, actor_id=actor_id,
                          refunded_minor=payment.refunded_minor)
    else:
        states.record(payment, f"refund {refund_id} of {amount_minor}: {reason}", party=party, actor_id=actor_id)
    return refund_id


def _refund_to_phone(payment: Payment, amount_minor: int, *, idempotency_key: str, reason: str, actor_id: int | None) -> str:
    """Mobile money goes back as a payout to the phone that paid (B2C), sent by the job after the commit;
    returns its originator id. RefundByHand when it cannot be (B2C off, or a pay bill payment whose
    phone M-Pesa masks): the history then says what an admin sends back."""
    already = mobile_payouts.given_back(payment, idempotency_key)
    if already is not None:
        return already.originator_id  # this refund was asked for before: nothing more is sent
    payout = mobile_payouts.give_back(payment, amount_minor, key=idempotency_key, reason=reason)
    if payout is None:
        states.record(payment, f"{amount_minor} to give back to {payment.payer_phone or 'the payer'} by an admin: {reason}",
                      party=SYSTEM)
        raise RefundByHand(_l("This payment is given back by an administrator."))
    payment.refunded_minor += amount_minor
    party = states.PERSON if actor_id else SYSTEM
    why = f"{amount_minor} being sent back to {payment.payer_phone} by M-Pesa (payout {payout.id}): {reason}"
    if payment.refunded_minor >= payment.amount_minor:
        states.transition(payment, P.REFUNDED, why, party=party, actor_id=actor_id, refunded_minor=payment.refunded_minor)
    else:
        states.record(payment, why, party=party, actor_id=actor_id)
    return payout.originator_id


class RefundByHand(DomainError):
    """The provider cannot give money back by itself here; the payment's history says what is owed."""


def overpaid_payments() -> list[Payment]:
    """Payments that received more than was asked (pay bill), whose difference an admin gives back:
    M-Pesa masks the payer's number in a pay bill confirmation, so it cannot be sent back by itself."""
    return list(db.session.scalars(select(Payment).where(Payment.received_minor > Payment.amount_minor + Payment.refunded_minor,
                                                         Payment.status == P.PAID).order_by(Payment.id.desc())))


def flagged_payments() -> list[Payment]:
    """Payments an admin must look at (Stripe's amount or currency differed from ours)."""
    return list(db.session.scalars(select(Payment).where(Payment.status == P.FLAGGED).order_by(Payment.id.desc())))
