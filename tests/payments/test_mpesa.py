"""Mobile money through M-Pesa's STK push, against the fake Daraja (tests/support/fake_daraja.py):
the PIN prompt, every result code, duplicate, late and unknown callbacks, wrong amounts and phones,
and the query that decides when no callback comes (issue 21, item 1, the payments side)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.payments import providers, services
from marketplace.payments.models import Payment, PaymentStatus
from tests import factories

P = PaymentStatus
CALLBACK = "/payments/mpesa/callback/test-mpesa"
PURPOSE = "test-mobile"


class Owner:
    def __init__(self):
        self.paid, self.failed = [], []

    def on_paid(self, payment):
        self.paid.append(payment.reference)

    def on_failed(self, payment):
        self.failed.append(payment.reference)

    def on_refunded(self, payment, amount_minor):
        raise AssertionError("mobile money is not refunded by the provider")


@pytest.fixture
def owner(app):
    from marketplace.payments.owners import register

    made = Owner()
    register(app, PURPOSE, made)
    yield made
    app.extensions["payment_owners"].pop(PURPOSE, None)


@pytest.fixture
def payer(places):
    return factories.user("Amina Buyer", phone="+254712000111")


def _start(payer, reference="CHK1", amount=42000, phone=None):
    return services.start_mobile_payment(purpose=PURPOSE, reference=reference, amount=Money("KES", amount), payer_id=payer.id,
                                         phone=phone or payer.phone, description="Village Square")


def _reload(db, payment):
    db.session.expire_all()
    return db.session.get(Payment, payment.id)


def test_mobile_money_is_hidden_without_its_keys(app, mpesa_on, monkeypatch):
    assert providers.enabled(providers.MOBILE_MONEY)
    monkeypatch.setitem(app.config, "MPESA_PASSKEY", None)
    assert not providers.enabled(providers.MOBILE_MONEY)


def test_the_pin_prompt_goes_to_the_payers_phone_once_however_often_they_tap(mpesa_on, payer, owner, db):
    payment = _start(payer)
    again = _start(payer)  # a double tap, a reload: the prompt may still be answered
    assert len(mpesa_on.prompts) == 1 and again.id == payment.id
    prompt = mpesa_on.last()
    assert (prompt.amount, prompt.phone, prompt.account) == (420, "254712000111", "CHK1")
    assert prompt.callback_url.endswith(CALLBACK)
    payment = _reload(db, payment)
    assert payment.way == providers.MOBILE_MONEY and payment.status is P.PENDING
    assert payment.provider_intent_id == prompt.checkout_request_id and payment.payer_phone == payer.phone


def test_a_paid_result_marks_it_paid_with_the_receipt_and_the_owner_hears_once(client, mpesa_on, payer, owner, db):
    payment = _start(payer)
    body = mpesa_on.answer(mpesa_on.last(), 0, deliver=False)
    first = client.post(CALLBACK, json=body)
    assert first.status_code == 200 and first.get_json()["ResultCode"] == 0 and first.get_json()["outcome"] == "handled"
    assert client.post(CALLBACK, json=body).get_json()["outcome"] == "duplicate"  # Daraja sent it again
    payment = _reload(db, payment)
    assert payment.status is P.PAID and payment.provider_charge_id == mpesa_on.last().receipt
    assert owner.paid == ["CHK1"]
    with pytest.raises(DomainError):
        _start(payer)  # paid: no second prompt


@pytest.mark.parametrize("code", [1, 1032, 1037, 2001])
def test_a_failed_prompt_says_why_and_the_payer_may_try_again(client, mpesa_on, payer, owner, db, code):
    payment = _start(payer)
    client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), code, deliver=False))
    payment = _reload(db, payment)
    assert payment.status is P.FAILED and payment.failure_code == f"mpesa:{code}" and owner.failed == ["CHK1"]
    _start(payer)  # a new prompt at once (the failed one is over)
    assert len(mpesa_on.prompts) == 2
    client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    assert _reload(db, payment).status is P.PAID and owner.paid == ["CHK1"]


def test_a_callback_for_a_request_we_never_made_changes_nothing(client, mpesa_on, payer, owner, db):
    _start(payer)
    stranger = mpesa_on.callback_body(mpesa_on.last())
    stranger["Body"]["stkCallback"].update(CheckoutRequestID="ws_CO_not_ours", ResultCode=0, CallbackMetadata={"Item": [
        {"Name": "Amount", "Value": 420.0}, {"Name": "MpesaReceiptNumber", "Value": "SLKFORGED"},
        {"Name": "PhoneNumber", "Value": 254712000111}]})
    answer = client.post(CALLBACK, json=stranger)
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "unknown"
    assert db.session.scalar(select(Payment).where(Payment.purpose == PURPOSE)).status is P.PENDING and owner.paid == []


@pytest.mark.parametrize("change", [{"amount": 1}, {"phone": "254700999888"}])
def test_another_amount_or_phone_is_flagged_never_paid(client, mpesa_on, payer, owner, db, change):
    payment = _start(payer)
    client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False, **change))
    assert _reload(db, payment).status is P.FLAGGED and owner.paid == []


def test_callbacks_are_refused_at_a_wrong_secret_a_wrong_address_or_with_a_body_that_is_no_result(
        client, app, mpesa_on, payer, monkeypatch):
    _start(payer)
    body = mpesa_on.answer(mpesa_on.last(), 0, deliver=False)
    assert client.post("/payments/mpesa/callback/guessed", json=body).status_code == 404
    assert client.post(CALLBACK, data=b"not json", content_type="application/json").status_code == 400
    assert client.post(CALLBACK, json={"Body": {"stkCallback": {"ResultCode": 0}}}).status_code == 400
    monkeypatch.setitem(app.config, "MPESA_CALLBACK_ADDRESSES", ("196.201.214.200",))  # Safaricom's, not the test's 127.0.0.1
    assert client.post(CALLBACK, json=body).status_code == 403


def test_no_callback_then_the_query_finds_it_paid_when_the_purchase_expires(mpesa_on, payer, owner, db):
    payment = _start(payer)
    mpesa_on.answer(mpesa_on.last(), 0, deliver=False)  # paid, but the callback is lost
    services.cancel(_reload(db, payment), "not paid in time")
    db.session.commit()
    assert _reload(db, payment).status is P.PAID and owner.paid == ["CHK1"]


def test_a_prompt_still_unanswered_is_cancelled_and_a_late_success_is_paid_for_the_owner_to_settle(client, mpesa_on, payer, owner, db):
    payment = _start(payer)
    services.cancel(_reload(db, payment), "not paid in time")  # the query: still being processed
    db.session.commit()
    assert _reload(db, payment).status is P.CANCELLED
    client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))  # the payer answered late
    assert _reload(db, payment).status is P.PAID and owner.paid == ["CHK1"]


def test_what_m_pesa_cannot_take_is_refused_before_any_prompt(mpesa_on, payer, db):
    with pytest.raises(DomainError, match="whole shillings"):
        _start(payer, amount=42050)
    with pytest.raises(DomainError, match="Kenyan mobile number"):
        _start(payer, reference="CHK2", phone="+447700900123")
    assert mpesa_on.prompts == []


def test_a_refusal_from_daraja_sends_nothing_and_the_next_tap_tries_again(mpesa_on, payer, db):
    mpesa_on.refuse_next = "Bad Request - Invalid PhoneNumber"
    with pytest.raises(providers.ProviderUnavailable):
        _start(payer)
    assert mpesa_on.prompts == []
    _start(payer)
    assert len(mpesa_on.prompts) == 1
