"""Farmers paid out to their M-Pesa (Daraja's B2C), against the fake Daraja: a completed sale's share
sent once, the ledger recording it when M-Pesa says so, refusals retried, a worker killed mid-payout
never sending it twice, and an admin deciding what may or may not have gone (issue 21, item 3)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.core.money import Money
from marketplace.orders import services
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import ledger, mobile_payouts
from marketplace.payments import services as payment_services
from marketplace.payments.models import LedgerKind, MobilePayout, MobilePayoutStatus
from tests import factories

OUT = MobilePayoutStatus
RESULT, TIMEOUT = "/payments/mpesa/payout/result/test-mpesa", "/payments/mpesa/payout/timeout/test-mpesa"


@pytest.fixture
def sold(market, mpesa_on, db, client):
    """Wanjiru's tomatoes (Ksh 300) paid by M-Pesa, and the order handed over and completed."""
    checkout = place_checkout(market["buyer"], {}, {market[f].id: FarmerChoice(payment_method="mobile_money")
                                                   for f in ("wanjiru", "otieno")})
    payment = payment_services.start_mobile_payment(purpose="checkout_mobile", reference=checkout.reference,
                                                    amount=Money("KES", checkout.total_minor), payer_id=market["buyer"].id,
                                                    phone=market["buyer"].phone or "+254712000999")
    client.post("/payments/mpesa/callback/test-mpesa", json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.farmer_id == market["wanjiru"].id))
    assert order.status is OrderStatus.PAID and payment.id
    return order


def _complete(order, farmer):
    services.move(farmer, order, OrderStatus.READY_FOR_PICKUP)
    services.move(farmer, order, OrderStatus.COLLECTED, pickup_code=order.pickup_code or "")
    services.move(farmer, order, OrderStatus.COMPLETED)  # the payout job runs after this commit


def _payout(db, order) -> MobilePayout:
    db.session.expire_all()
    return db.session.scalar(select(MobilePayout).where(MobilePayout.reference == order.number))


def test_a_completed_sale_sends_the_farmers_share_to_their_m_pesa_once(client, market, sold, mpesa_on, db):
    _complete(sold, market["wanjiru"])
    (sent,) = mpesa_on.payouts
    assert sent.amount == 285 and sent.phone == market["wanjiru"].phone[1:]  # Ksh 300 less the 5% platform fee
    payout = _payout(db, sold)
    assert payout.status is OUT.SENDING and payout.conversation_id == sent.conversation_id and payout.attempts == 1
    assert ledger.balance(market["wanjiru"].id, "KES").minor_units == 285_00  # owed until M-Pesa says it is sent
    answer = client.post(RESULT, json=mpesa_on.settle(sent, 0))
    assert answer.get_json()["outcome"] == "sent"
    assert client.post(RESULT, json=mpesa_on.settle(sent, 0)).get_json()["outcome"] == "duplicate"  # Daraja said it again
    payout = _payout(db, sold)
    assert payout.status is OUT.SENT and payout.receipt.startswith("SLP")
    entries = [e for e in ledger.entries(market["wanjiru"].id) if e.kind is LedgerKind.MOBILE_PAYOUT]
    assert [e.amount_minor for e in entries] == [-285_00] and ledger.balance(market["wanjiru"].id, "KES").minor_units == 0
    mobile_payouts.send_mobile_payout(payout.id)
    assert len(mpesa_on.payouts) == 1  # the job run again sends nothing


def test_daraja_down_fails_the_payout_and_the_retry_sends_it(market, sold, mpesa_on, db):
    mpesa_on.payouts_down = 1
    _complete(sold, market["wanjiru"])  # inline, the job's RetryLater is logged: RQ would run it again later
    payout = _payout(db, sold)
    assert payout.status is OUT.FAILED and "503" in payout.failure and mpesa_on.payouts == []
    mobile_payouts.send_mobile_payout(payout.id)  # RQ's retry
    assert _payout(db, sold).status is OUT.SENDING and len(mpesa_on.payouts) == 1 and _payout(db, sold).attempts == 2


def test_a_refused_payout_waits_for_an_admin_who_sends_it_again(client, market, sold, mpesa_on, db):
    _complete(sold, market["wanjiru"])
    client.post(RESULT, json=mpesa_on.settle(mpesa_on.payouts[0], 2001))
    payout = _payout(db, sold)
    assert payout.status is OUT.FAILED and payout.failure.startswith("mpesa:2001")
    assert [p.id for p in mobile_payouts.payouts_to_check()] == [payout.id]
    admin = factories.with_role(Role.ADMIN)
    mpesa_on.payouts.clear()  # the fake forgets the refused request, as Daraja does a failed one
    mobile_payouts.send_again(admin.id, payout, "initiator fixed with Safaricom")
    assert len(mpesa_on.payouts) == 1 and _payout(db, sold).status is OUT.SENDING


def test_a_worker_killed_mid_payout_never_sends_it_twice(market, sold, mpesa_on, db, monkeypatch):
    """The claim is committed before Daraja is asked: a worker that dies there leaves it SENDING with
    no Daraja id; a second run of the job claims nothing, and the sweeper hands it to an admin."""
    from datetime import timedelta

    from marketplace.payments import providers

    class Killed(BaseException):  # what SIGKILL looks like from inside: nothing after it runs
        pass

    real = providers.provider(providers.MOBILE_MONEY).send_to_phone

    def die_after_sending(*args, **kwargs):
        real(*args, **kwargs)  # it reached Daraja…
        raise Killed()  # …and the worker died before recording the answer

    monkeypatch.setattr(type(providers.provider(providers.MOBILE_MONEY)), "send_to_phone",
                        lambda self, *a, **k: die_after_sending(*a, **k))
    with pytest.raises(Killed):
        _complete(sold, market["wanjiru"])
    db.session.rollback()
    payout = _payout(db, sold)
    assert payout.status is OUT.SENDING and payout.conversation_id == "" and len(mpesa_on.payouts) == 1
    monkeypatch.undo()
    mobile_payouts.send_mobile_payout(payout.id)  # the job again (RQ requeued it): nothing to claim
    assert len(mpesa_on.payouts) == 1
    mobile_payouts.PAYOUT_LEASE = timedelta(0)
    try:
        mobile_payouts.sweep_payouts(timedelta(minutes=5))
    finally:
        mobile_payouts.PAYOUT_LEASE = timedelta(minutes=10)
    payout = _payout(db, sold)
    assert payout.status is OUT.UNKNOWN and [p.id for p in mobile_payouts.payouts_to_check()] == [payout.id]
    mobile_payouts.send_mobile_payout(payout.id)
    assert len(mpesa_on.payouts) == 1  # UNKNOWN is never sent by the job: an admin checks first


def test_a_queue_time_out_is_unknown_until_the_late_result_says_sent(client, market, sold, mpesa_on, db):
    _complete(sold, market["wanjiru"])
    sent = mpesa_on.payouts[0]
    assert client.post(TIMEOUT, json=mpesa_on.settle(sent, 1)).get_json()["outcome"] == "unknown"
    assert _payout(db, sold).status is OUT.UNKNOWN
    assert client.post(RESULT, json=mpesa_on.settle(sent, 0)).get_json()["outcome"] == "sent"
    assert _payout(db, sold).status is OUT.SENT


def test_payout_callbacks_refuse_a_wrong_secret_and_ignore_what_we_never_sent(client, market, sold, mpesa_on, db):
    _complete(sold, market["wanjiru"])
    body = mpesa_on.settle(mpesa_on.payouts[0], 0)
    assert client.post("/payments/mpesa/payout/result/guessed", json=body).status_code == 404
    body["Result"]["OriginatorConversationID"] = "VS-FORGED-1"
    assert client.post(RESULT, json=body).get_json()["outcome"] == "not ours"
    assert client.post(RESULT, json={"Result": {}}).status_code == 400
    assert _payout(db, sold).status is OUT.SENDING


def test_the_farmer_is_texted_the_payouts_m_pesa_receipt(client, market, sold, mpesa_on, db, delivered):
    _complete(sold, market["wanjiru"])
    client.post(RESULT, json=mpesa_on.settle(mpesa_on.payouts[0], 0))
    payout = _payout(db, sold)
    (to_farmer,) = [m for m in delivered if m["kind"] == "payout_sent_to_phone"]
    assert to_farmer["recipient"] == market["wanjiru"].phone and payout.receipt in to_farmer["body"] and "Ksh\xa0285" in to_farmer["body"]


def test_the_payer_is_texted_the_m_pesa_receipt(client, mpesa_on, db, delivered, places):
    buyer = factories.user("Amina", phone="+254712000555")
    payment = payment_services.start_mobile_payment(purpose="checkout_mobile", reference="NOCHECKOUT", amount=Money("KES", 500_00),
                                                    payer_id=buyer.id, phone=buyer.phone)
    client.post("/payments/mpesa/callback/test-mpesa", json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    (sms,) = [m for m in delivered if m["kind"] == "payment_received_by_phone"]
    assert sms["recipient"] == buyer.phone and mpesa_on.last().receipt in sms["body"] and "NOCHECKOUT" in sms["body"]
    assert payment.id


def test_only_an_admin_sends_a_payout_again_and_says_what_they_checked(client, login, market, sold, mpesa_on, db):
    _complete(sold, market["wanjiru"])
    client.post(RESULT, json=mpesa_on.settle(mpesa_on.payouts[0], 2001))
    payout = _payout(db, sold)
    login(market["wanjiru"])  # the farmer owed the money may not push it out
    assert client.post(f"/admin/payouts/mobile/{payout.id}/again", data={"reason": "mine"}).status_code == 403
    client.post("/logout")
    login(factories.with_role(Role.ADMIN))
    page = client.get("/admin/payouts").get_data(as_text=True)
    assert "M-Pesa payouts to decide" in page and "refused by M-Pesa" in page and sold.number in page
    mpesa_on.payouts.clear()
    refused = client.post(f"/admin/payouts/mobile/{payout.id}/again", data={"reason": " "}, follow_redirects=True)
    assert "Say what you checked" in refused.get_data(as_text=True) and mpesa_on.payouts == []
    client.post(f"/admin/payouts/mobile/{payout.id}/again", data={"reason": "portal shows no payment"})
    assert len(mpesa_on.payouts) == 1 and _payout(db, sold).status is OUT.SENDING
    assert any("portal shows no payment" in e.reason for e in _payout(db, sold).events)
