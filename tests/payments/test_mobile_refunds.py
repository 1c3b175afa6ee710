"""Mobile money given back to the phone that paid (issue 21): a paid M-Pesa order cancelled sends its
total back by B2C, once, through the same payout job and machine as farmers' shares; the payer is
texted M-Pesa's receipt and the payment's history says each step. Where the phone is not known (pay
bill masks it) or payouts to phones are off, an admin gives it back and the history says what."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.core.money import Money
from marketplace.orders import services as orders
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import ledger, mobile_payouts
from marketplace.payments import services as payment_services
from marketplace.payments.models import LedgerKind, MobileMoneyMovement, MobilePayout, MobilePayoutStatus, Payment, PaymentStatus

RESULT = "/payments/mpesa/payout/result/test-mpesa"
OUT = MobilePayoutStatus


@pytest.fixture
def checkout(market, mpesa_on):
    return place_checkout(market["buyer"], {}, {market[f].id: FarmerChoice(payment_method="mobile_money") for f in ("wanjiru", "otieno")})


@pytest.fixture
def paid(client, market, checkout, mpesa_on, db):
    """Both orders paid by one PIN prompt from the buyer's phone (Ksh 4,500)."""
    payment_services.start_mobile_payment(purpose="checkout_mobile", reference=checkout.reference,
                                          amount=Money("KES", checkout.total_minor), payer_id=market["buyer"].id, phone="+254712000999")
    client.post("/payments/mpesa/callback/test-mpesa", json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    return _payment(db, checkout)


def _payment(db, checkout) -> Payment:
    db.session.expire_all()
    return db.session.scalar(select(Payment).where(Payment.reference == checkout.reference))


def _order(db, market, name) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.farmer_id == market[name].id))


def test_a_cancelled_m_pesa_order_is_sent_back_to_the_phone_that_paid(client, market, checkout, paid, mpesa_on, db, delivered):
    orders.move(market["wanjiru"], _order(db, market, "wanjiru"), OrderStatus.CANCELLED, reason="the tomatoes spoiled")
    (back,) = mpesa_on.payouts
    assert back.amount == 300 and back.phone == "254712000999"
    payout = db.session.scalar(select(MobilePayout))
    assert payout.payment_id == paid.id and payout.payee_id == market["buyer"].id and payout.status is OUT.SENDING
    payment = _payment(db, checkout)
    assert payment.status is PaymentStatus.PAID and payment.refunded_minor == 300_00  # Ksh 4,200 of it still paid for maize
    assert any("being sent back to +254712000999 by M-Pesa" in e.reason for e in payment.events)

    assert client.post(RESULT, json=mpesa_on.settle(back, 0)).get_json()["outcome"] == "sent"
    payment = _payment(db, checkout)
    receipt = db.session.scalar(select(MobilePayout)).receipt
    assert any(f"sent back to +254712000999 by M-Pesa, receipt {receipt}" in e.reason for e in payment.events)
    (texted,) = [m for m in delivered if m["kind"] == "payment_sent_back_to_phone"]
    assert texted["recipient"] == market["buyer"].phone and receipt in texted["body"] and "Ksh\xa0300" in texted["body"]
    # The money out is M-Pesa's movement; the buyer has no ledger (it is the farmers'), and Wanjiru's sale is taken back.
    assert db.session.scalar(select(MobileMoneyMovement).where(MobileMoneyMovement.receipt == receipt)).amount_minor == 300_00
    assert ledger.entries(market["buyer"].id) == []
    assert ledger.balance(market["wanjiru"].id, "KES").minor_units == 0
    assert any(e.kind is LedgerKind.REFUND for e in ledger.entries(market["wanjiru"].id))


def test_both_orders_cancelled_refund_the_whole_payment_each_sent_once(client, market, checkout, paid, mpesa_on, db):
    orders.move(market["buyer"], _order(db, market, "wanjiru"), OrderStatus.CANCELLED)
    orders.move(market["buyer"], _order(db, market, "otieno"), OrderStatus.CANCELLED)
    assert sorted(p.amount for p in mpesa_on.payouts) == [300, 4200]
    assert _payment(db, checkout).status is PaymentStatus.REFUNDED
    again = payment_services.refund  # the same refund asked again (a retried request) sends nothing more
    order = _order(db, market, "wanjiru")
    payment = _payment(db, checkout)
    with pytest.raises(Exception, match="Only a paid payment"):
        again(payment, 300_00, idempotency_key=f"refund-order-{order.number}", reason="again", actor_id=None)
    for payout in db.session.scalars(select(MobilePayout)):
        mobile_payouts.send_mobile_payout(payout.id)
    assert len(mpesa_on.payouts) == 2


def test_a_pay_bill_payment_whose_phone_m_pesa_masks_is_given_back_by_an_admin(client, market, checkout, mpesa_on, db):
    body = mpesa_on.paybill_body(checkout.reference, 4500)
    client.post("/payments/mpesa/paybill/confirm/test-mpesa", json=body)
    order = _order(db, market, "wanjiru")
    assert order.status is OrderStatus.PAID
    orders.move(market["buyer"], order, OrderStatus.CANCELLED)
    assert mpesa_on.payouts == [] and db.session.scalar(select(MobilePayout)) is None
    assert any(e.reason.startswith("30000 to give back to the payer by an admin") for e in _payment(db, checkout).events)


def test_without_payouts_to_phones_an_admin_gives_it_back(client, market, checkout, paid, mpesa_on, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "MPESA_INITIATOR_NAME", None)
    orders.move(market["buyer"], _order(db, market, "wanjiru"), OrderStatus.CANCELLED)
    assert mpesa_on.payouts == []
    assert any("to give back to +254712000999 by an admin" in e.reason for e in _payment(db, checkout).events)
