"""Payments as an attacker sees them: signed but odd webhook events, amounts that differ from
what was asked, signatures dated ahead, formulas in CSV exports (issue 17)."""
from __future__ import annotations

import csv
import io
import json
import time

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.core.csv_export import neutralise
from marketplace.orders import card_payments
from marketplace.orders.models import OrderStatus
from marketplace.payments import ledger
from marketplace.payments.models import LedgerKind, PaymentEvent, PaymentStatus, StripeEvent
from tests import factories
from tests.payments.test_webhooks import _intent, _post
from tests.support.stripe_fakes import WEBHOOK_SECRET, signed_event


def test_a_signed_success_for_another_amount_or_currency_is_flagged_not_paid(client, login, market, card_checkout, db):
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    assert payment.currency == "KES" and payment.amount_minor > 1
    response = _post(client, signed_event("payment_intent.succeeded", _intent(payment, amount=1, currency="usd"), event_id="evt_cheap"))
    assert response.status_code == 200
    db.session.expire_all()
    assert payment.status is PaymentStatus.FLAGGED
    assert {o.status for o in card_checkout.orders} == {OrderStatus.PLACED}  # nothing paid, nobody told "paid"
    assert "expected" in db.session.scalar(select(PaymentEvent.reason).where(PaymentEvent.to_status == "flagged"))
    # A later, correct-looking event does not clear the flag: a person decides.
    _post(client, signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_after"))
    db.session.expire_all()
    assert payment.status is PaymentStatus.FLAGGED
    login(factories.with_role(Role.ADMIN))
    page = client.get("/admin/payouts").get_data(as_text=True)
    assert "Payments held for a check" in page and card_checkout.reference in page


def test_a_refund_event_for_another_currency_does_not_mark_the_payment_paid(client, market, card_checkout, db):
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    charge = {"id": "ch_x", "object": "charge", "payment_intent": payment.provider_intent_id,
              "amount": payment.amount_minor, "currency": "usd", "amount_refunded": payment.amount_minor}
    _post(client, signed_event("charge.refunded", charge, event_id="evt_refund_usd"))
    db.session.expire_all()
    assert payment.status is PaymentStatus.FLAGGED


@pytest.mark.parametrize("shape", ["empty", "list", "ours without an amount", "ours with a text amount"])
def test_a_signed_but_malformed_event_answers_400_and_keeps_nothing(client, market, card_checkout, db, shape):
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    ours = {"id": payment.provider_intent_id, "object": "payment_intent", "status": "succeeded", "currency": "kes"}
    obj = {"empty": {}, "list": [], "ours without an amount": ours, "ours with a text amount": {**ours, "amount": "lots"}}[shape]
    response = _post(client, signed_event("payment_intent.succeeded", obj, event_id="evt_odd"))
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0  # a corrected redelivery will count
    db.session.expire_all()
    assert payment.status is PaymentStatus.PENDING


def test_a_signed_body_that_is_not_an_event_answers_400(client, stripe_on):
    import hashlib
    import hmac

    for payload in (b"[]", b'{"object": "event"}', b'"x"', json.dumps({"id": 5, "type": [], "data": 1}).encode()):
        at = int(time.time())
        signature = hmac.new(WEBHOOK_SECRET.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
        response = _post(client, (payload, f"t={at},v1={signature}"))
        assert response.status_code == 400, payload


def test_a_signature_dated_an_hour_ahead_is_refused(client, market, card_checkout, db):
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    ahead = signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_ahead", at=int(time.time()) + 3600)
    assert _post(client, ahead).status_code == 400
    db.session.expire_all()
    assert payment.status is PaymentStatus.PENDING
    slightly = signed_event("payment_intent.succeeded", _intent(payment), event_id="evt_drift", at=int(time.time()) + 60)
    assert _post(client, slightly).status_code == 200  # a minute of clock drift is not an attack


def test_csv_cells_that_would_run_as_formulas_are_neutralised(client, login, places, db):
    farmer = factories.farmer(places["villages"]["Mbeu"], '=HYPERLINK("http://evil.example","pay")')
    ledger.record(farmer.id, LedgerKind.SALE, 1000, "KES", "ORD-1")
    ledger.record(farmer.id, LedgerKind.PLATFORM_FEE, -50, "KES", "ORD-1")
    db.session.commit()
    login(factories.with_role(Role.ADMIN))
    text = client.get("/admin/payouts?format=csv").get_data(as_text=True)
    (row,) = [r for r in csv.DictReader(io.StringIO(text)) if "HYPERLINK" in r["farmer_name"]]
    assert row["farmer_name"].startswith("'=") and row["phone"].startswith("'+")
    assert row["platform_fee_minor"] == "-50"  # numbers stay numbers
    for dangerous in ("=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("Wanjiru") == "Wanjiru" and neutralise(-5) == -5
