"""The Stripe webhook: signature checked by stripe-python's verifier, each event once, any order."""
from __future__ import annotations

import time

from sqlalchemy import func, select

from marketplace.orders import card_payments
from marketplace.orders.models import OrderEvent, OrderStatus
from marketplace.payments import stripe_provider
from marketplace.payments.models import PaymentStatus, PayoutAccount, StripeEvent
from tests.support.stripe_fakes import signed_event

URL = "/payments/stripe/webhook"


def _intent(payment, status="succeeded", **extra):
    return {"id": payment.provider_intent_id, "object": "payment_intent", "status": status,
            "amount": payment.amount_minor, "currency": payment.currency.lower(), "latest_charge": "ch_fromevent", **extra}


def _post(client, body_and_signature):
    body, signature = body_and_signature
    return client.post(URL, data=body, headers={"Stripe-Signature": signature, "Content-Type": "application/json"})


def test_a_forged_or_stale_signature_is_refused_and_changes_nothing(client, market, card_checkout, db):
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    forged = signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_forged", secret="whsec_someone_else")
    assert _post(client, forged).status_code == 400
    stale = signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_stale", at=int(time.time()) - 3600)
    assert _post(client, stale).status_code == 400
    body, _ = signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_unsigned")
    assert client.post(URL, data=body).status_code == 400
    db.session.expire_all()
    assert payment.status is PaymentStatus.PENDING
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_succeeded_event_pays_and_a_redelivery_does_nothing_more(client, market, card_checkout, db):
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    event = signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_1")
    assert _post(client, event).get_json() == {"status": "handled"}
    assert _post(client, event).get_json() == {"status": "duplicate"}
    # The same news through another event id (Stripe may send both) changes nothing either.
    assert _post(client, signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_2")).status_code == 200
    db.session.expire_all()
    assert payment.status is PaymentStatus.PAID and payment.provider_charge_id == "ch_fromevent"
    paid_events = db.session.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "paid"))
    assert paid_events == 2  # one per order, not one per delivery


def test_a_late_failure_event_does_not_undo_a_payment(client, market, card_checkout, db):
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    _post(client, signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_ok"))
    failed = _intent(payment, status="requires_payment_method", last_payment_error={"code": "card_declined"})
    _post(client, signed_event("payment_intent.payment_failed", failed, event_id="evt_fail_late"))
    db.session.expire_all()
    assert payment.status is PaymentStatus.PAID
    assert {o.status for o in card_checkout.orders} == {OrderStatus.PAID}


def test_failure_then_success_in_that_order_ends_paid(client, market, card_checkout, db):
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    failed = _intent(payment, status="requires_payment_method", last_payment_error={"code": "card_declined"})
    _post(client, signed_event("payment_intent.payment_failed", failed, event_id="evt_fail"))
    db.session.expire_all()
    assert payment.status is PaymentStatus.FAILED
    _post(client, signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_ok2"))
    db.session.expire_all()
    assert payment.status is PaymentStatus.PAID


def test_a_refund_seen_before_the_success_event_still_ends_paid_then_refunded(client, market, card_checkout, db, stripe_on):
    _, payment, secret = card_payments.start_payment(market["buyer"], card_checkout.reference)
    charge = {"id": "ch_early", "object": "charge", "payment_intent": payment.provider_intent_id,
              "amount": payment.amount_minor, "currency": payment.currency.lower(), "amount_refunded": payment.amount_minor}
    assert _post(client, signed_event("charge.refunded", charge, event_id="evt_refund_first")).status_code == 200
    _post(client, signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_success_after"))
    db.session.expire_all()
    assert payment.status is PaymentStatus.REFUNDED and payment.refunded_minor == payment.amount_minor
    assert {o.status for o in card_checkout.orders} == {OrderStatus.PAID}  # people decide what happens to the orders


def test_localstripe_signs_its_own_events_and_our_verifier_accepts_them(app, client, market, card_checkout, db, stripe_on):
    """localstripe's signature (its own HMAC code) passes stripe-python's verifier: the scheme is the real one."""
    import hashlib
    import hmac
    import json

    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    intent = stripe_provider.client().v1.payment_intents.retrieve(payment.provider_intent_id)
    payload = json.dumps({"id": "evt_ls", "object": "event", "type": "payment_intent.payment_failed", "created": int(time.time()),
                          "data": {"object": stripe_provider.as_dict(intent)}}, indent=2, sort_keys=True).encode()
    at = int(time.time())
    signature = hmac.new(b"whsec_test_village", b"%d.%s" % (at, payload), hashlib.sha256).hexdigest()  # localstripe's webhooks.py
    response = client.post(URL, data=payload, headers={"Stripe-Signature": f"t={at},v1={signature}"})
    assert response.get_json() == {"status": "handled"}


def test_account_updated_keeps_payouts_enabled_in_sync(client, market, db, stripe_on):
    db.session.add(PayoutAccount(farmer_id=market["wanjiru"].id, stripe_account_id="acct_wanjiru"))
    db.session.commit()
    account = {"id": "acct_wanjiru", "object": "account", "payouts_enabled": True, "details_submitted": True}
    _post(client, signed_event("account.updated", account, event_id="evt_acct_1"))
    db.session.expire_all()
    stored = db.session.scalar(select(PayoutAccount))
    assert stored.payouts_enabled and stored.details_submitted
    _post(client, signed_event("account.updated", {**account, "payouts_enabled": False}, event_id="evt_acct_2"))
    db.session.expire_all()
    assert not db.session.scalar(select(PayoutAccount)).payouts_enabled


def test_unknown_events_are_acknowledged_and_ignored(client, stripe_on):
    response = _post(client, signed_event("customer.created", {"id": "cus_1", "object": "customer"}, event_id="evt_other"))
    assert response.get_json() == {"status": "ignored"}


def test_the_webhook_needs_no_csrf_token_when_csrf_is_on(app, client, market, card_checkout, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    assert _post(client, signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_csrf")).status_code == 200
