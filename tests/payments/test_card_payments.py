"""Card payments against localstripe, without HTTP to the app: paying, declines, retries, refunds, expiry."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.catalog.models import Listing
from marketplace.core.timeutils import utcnow
from marketplace.notifications.models import OutboxMessage
from marketplace.orders import card_payments, cart, services
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import ledger, providers, stripe_provider
from marketplace.payments.models import LedgerKind, PaymentStatus
from tests.support.stripe_fakes import CARD_DECLINED, CARD_OK, confirm_card_as_browser


def _statuses(checkout):
    return {o.farmer_id: o.status for o in checkout.orders}


def test_the_intent_carries_reference_transfer_group_and_a_stable_idempotency_key(market, card_checkout):
    checkout, payment, secret = card_payments.start_payment(market["buyer"], card_checkout.reference)
    intent = stripe_provider.client().v1.payment_intents.retrieve(payment.provider_intent_id)
    assert (intent.amount, intent.currency, intent.transfer_group) == (4500_00, "kes", checkout.reference)
    assert intent.metadata["reference"] == checkout.reference and intent.metadata["purpose"] == "checkout"
    assert secret.startswith(intent.id + "_secret_")
    # Opening the page again (a reload, a second tab) uses the same intent.
    _, again, secret_again = card_payments.start_payment(market["buyer"], card_checkout.reference)
    assert again.id == payment.id and secret_again == secret


def test_paid_card_marks_every_card_order_paid_records_the_ledger_and_empties_the_cart(market, card_checkout, db):
    buyer = market["buyer"]
    _, payment, secret = card_payments.start_payment(buyer, card_checkout.reference)
    assert confirm_card_as_browser(stripe_provider.current_app.config["STRIPE_API_BASE"], secret, CARD_OK)[0] == 200
    assert not cart.view_cart(buyer, {}).is_empty  # the browser's word alone changes nothing
    card_payments.payment_of(card_checkout, refresh=True)  # the server asks Stripe
    db.session.expire_all()
    assert set(_statuses(card_checkout).values()) == {OrderStatus.PAID}
    assert payment.status is PaymentStatus.PAID and payment.provider_charge_id.startswith("ch_")
    tomatoes = next(o for o in card_checkout.orders if o.farmer_id == market["wanjiru"].id)
    kinds = {e.kind: e.amount_minor for e in ledger.entries(market["wanjiru"].id)}
    assert kinds == {LedgerKind.SALE: 300_00, LedgerKind.PLATFORM_FEE: -15_00}  # 5% by default
    assert ledger.balance(market["wanjiru"].id, "KES").minor_units == 285_00
    assert cart.view_cart(buyer, {}).is_empty
    told = set(db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "order_placed")))
    assert told == {market["wanjiru"].id, market["otieno"].id}
    assert [e.to_status for e in tomatoes.events] == ["placed", "paid"]


def test_declined_card_keeps_orders_and_cart_and_another_card_then_pays(market, card_checkout, db, stripe_on):
    buyer = market["buyer"]
    _, payment, secret = card_payments.start_payment(buyer, card_checkout.reference)
    status, body = confirm_card_as_browser(stripe_on, secret, CARD_DECLINED)
    assert status == 402 and body["error"]["code"] == "card_declined"
    card_payments.payment_of(card_checkout, refresh=True)
    assert payment.status is PaymentStatus.FAILED and payment.failure_code == "card_declined"
    assert set(_statuses(card_checkout).values()) == {OrderStatus.PLACED}
    assert len(cart.view_cart(buyer, {}).groups) == 2
    assert confirm_card_as_browser(stripe_on, secret, CARD_OK)[0] == 200
    card_payments.payment_of(card_checkout, refresh=True)
    assert payment.status is PaymentStatus.PAID
    assert [e.to_status for e in payment.events] == ["pending", "failed", "paid"]


def _paid(market, checkout, stripe_url):
    _, payment, secret = card_payments.start_payment(market["buyer"], checkout.reference)
    confirm_card_as_browser(stripe_url, secret, CARD_OK)
    card_payments.payment_of(checkout, refresh=True)
    return payment


def test_cancelling_a_paid_order_refunds_it_through_stripe_and_evens_the_ledger(market, card_checkout, db, stripe_on):
    payment = _paid(market, card_checkout, stripe_on)
    maize = next(o for o in card_checkout.orders if o.farmer_id == market["otieno"].id)
    services.move(market["otieno"], maize, OrderStatus.CANCELLED, "Weevils in the last sacks")
    charge = stripe_provider.client().v1.charges.retrieve(payment.provider_charge_id)
    assert charge.amount_refunded == 4200_00
    assert payment.refunded_minor == 4200_00 and payment.status is PaymentStatus.PAID  # the tomatoes are still paid
    entries = {e.kind: e.amount_minor for e in ledger.entries(market["otieno"].id)}
    assert entries[LedgerKind.REFUND] == -4200_00 and entries[LedgerKind.FEE_RETURNED] == 210_00
    assert ledger.balance(market["otieno"].id, "KES").minor_units == 0
    db.session.expire_all()
    assert db.session.get(Listing, market["maize"].id).stock_milli == 3000  # stock back
    tomatoes = next(o for o in card_checkout.orders if o.farmer_id == market["wanjiru"].id)
    services.move(market["buyer"], tomatoes, OrderStatus.CANCELLED, "")
    refunded = stripe_provider.client().v1.charges.retrieve(payment.provider_charge_id).amount_refunded
    assert payment.status is PaymentStatus.REFUNDED and charge.amount == refunded


def test_a_refund_that_stripe_refuses_cancels_nothing(market, card_checkout, db, stripe_on, monkeypatch):
    _paid(market, card_checkout, stripe_on)
    maize = next(o for o in card_checkout.orders if o.farmer_id == market["otieno"].id)
    monkeypatch.setitem(stripe_provider.current_app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")  # nothing listens
    with pytest.raises(services.DomainError):
        services.move(market["otieno"], maize, OrderStatus.CANCELLED, "No more maize")
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Order, maize.id).status is OrderStatus.PAID
    assert ledger.entry_for(market["otieno"].id, LedgerKind.REFUND, maize.number) is None


def test_unpaid_card_orders_expire_and_the_intent_is_cancelled(market, card_checkout, db, stripe_on):
    _, payment, secret = card_payments.start_payment(market["buyer"], card_checkout.reference)
    db.session.execute(db.update(Order).values(created_at=utcnow() - timedelta(minutes=31)))
    db.session.commit()
    expired = services.expire_unpaid_orders(timedelta(minutes=30))
    assert sorted(expired) == sorted(o.number for o in card_checkout.orders)
    db.session.expire_all()
    assert payment.status is PaymentStatus.CANCELLED
    assert stripe_provider.client().v1.payment_intents.retrieve(payment.provider_intent_id).status == "canceled"
    assert db.session.get(Listing, market["tomatoes"].id).stock_milli == 10_000
    assert services.expire_unpaid_orders(timedelta(minutes=30)) == []  # a rerun finds nothing


def test_money_arriving_after_the_orders_expired_is_refunded(market, card_checkout, db, stripe_on):
    _, payment, secret = card_payments.start_payment(market["buyer"], card_checkout.reference)
    confirm_card_as_browser(stripe_on, secret, CARD_OK)  # paid at Stripe; we have not heard yet
    db.session.execute(db.update(Order).values(created_at=utcnow() - timedelta(minutes=31)))
    db.session.commit()
    services.expire_unpaid_orders(timedelta(minutes=30))
    db.session.expire_all()
    assert payment.status is PaymentStatus.REFUNDED and payment.refunded_minor == 4500_00
    assert set(_statuses(card_checkout).values()) == {OrderStatus.CANCELLED}
    assert stripe_provider.client().v1.charges.retrieve(payment.provider_charge_id).amount_refunded == 4500_00
    assert ledger.entries(market["wanjiru"].id) == []  # the farmer was never owed anything


def test_the_buyer_stops_paying_cart_kept_stock_back(market, card_checkout, db, stripe_on):
    _, payment, _ = card_payments.start_payment(market["buyer"], card_checkout.reference)
    services.stop_paying(market["buyer"], card_checkout.reference)
    db.session.expire_all()
    assert set(_statuses(card_checkout).values()) == {OrderStatus.CANCELLED}
    assert payment.status is PaymentStatus.CANCELLED
    assert len(cart.view_cart(market["buyer"], {}).groups) == 2
    assert db.session.get(Listing, market["maize"].id).stock_milli == 3000


def test_another_buyer_cannot_pay_or_see_a_checkout(market, card_checkout):
    from tests import factories

    stranger = factories.user("Stranger")
    with pytest.raises(services.NotFound):
        card_payments.start_payment(stranger, card_checkout.reference)
    with pytest.raises(services.NotFound):
        services.stop_paying(stranger, card_checkout.reference)


def test_without_stripe_keys_nothing_calls_stripe(app, market):
    assert not providers.enabled()
    with pytest.raises(providers.CardPaymentsOff):
        stripe_provider.client()
    with pytest.raises(providers.CardPaymentsOff):  # every call of the provider, not only the client
        providers.provider(providers.CARD).retrieve_intent("pi_anything")


def test_3d_secure_waits_for_the_bank_and_a_failed_check_is_a_failure_not_a_payment(market, card_checkout, db, stripe_on):
    from tests.support.stripe_fakes import post_json

    _, payment, secret = card_payments.start_payment(market["buyer"], card_checkout.reference)
    status, body = confirm_card_as_browser(stripe_on, secret, "4000002500003155")  # needs 3-D Secure
    assert status == 200 and body["status"] == "requires_action"
    card_payments.payment_of(card_checkout, refresh=True)
    assert payment.status is PaymentStatus.PENDING and set(_statuses(card_checkout).values()) == {OrderStatus.PLACED}
    intent_id = secret.split("_secret_")[0]
    post_json(f"{stripe_on}/v1/payment_intents/{intent_id}/_authenticate?success=false", {"key": "pk_test_village", "client_secret": secret})
    card_payments.payment_of(card_checkout, refresh=True)
    assert payment.status is PaymentStatus.FAILED and payment.failure_code == "payment_intent_authentication_failure"
    assert len(cart.view_cart(market["buyer"], {}).groups) == 2
