"""The provider seam (issue 19): payments speaks only `PaymentProvider`, so a provider that is not
Stripe (mobile money next) is one more class. A provider kept in memory pays a checkout end to end."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from marketplace.orders import card_payments
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import providers
from marketplace.payments.models import PaymentStatus
from marketplace.payments.providers import PAID, PENDING, ProviderIntent, ProviderUnavailable


class MemoryProvider:
    """Holds intents in a dict; `pay` is the payer confirming on their side."""

    name = "memory"

    def __init__(self):
        self.intents: dict[str, ProviderIntent] = {}
        self.keys: dict[str, str] = {}
        self.down = False

    def enabled(self):
        return True

    def _up(self):
        if self.down:
            raise ProviderUnavailable("down")

    def create_intent(self, amount, *, description, metadata, idempotency_key, transfer_group=None):
        self._up()
        if idempotency_key in self.keys:
            return self.intents[self.keys[idempotency_key]]
        intent = ProviderIntent(id=f"mem_{len(self.intents) + 1}", state=PENDING, amount_minor=amount.minor_units,
                                currency=amount.currency, client_secret="secret")
        self.intents[intent.id] = intent
        self.keys[idempotency_key] = intent.id
        return intent

    def retrieve_intent(self, intent_id):
        self._up()
        return self.intents[intent_id]

    def pay(self, intent_id, amount_minor=None):
        intent = self.intents[intent_id]
        self.intents[intent_id] = replace(intent, state=PAID, charge_id="ch_mem",
                                          amount_minor=intent.amount_minor if amount_minor is None else amount_minor)


@pytest.fixture
def memory(app, monkeypatch):
    provider = MemoryProvider()
    monkeypatch.setitem(app.extensions["payment_providers"], providers.CARD, provider)
    return provider


def test_a_checkout_is_paid_through_any_provider_that_keeps_the_protocol(market, memory, db):
    checkout = place_checkout(market["buyer"], {}, {market[n].id: FarmerChoice(payment_method="card") for n in ("wanjiru", "otieno")})
    _, payment, secret = card_payments.start_payment(market["buyer"], checkout.reference)
    _, again, _ = card_payments.start_payment(market["buyer"], checkout.reference)  # a reload: the same intent
    assert secret == "secret" and again.id == payment.id and len(memory.intents) == 1
    memory.pay(payment.provider_intent_id)
    card_payments.payment_of(checkout, refresh=True)
    db.session.expire_all()
    assert payment.status is PaymentStatus.PAID
    statuses = set(db.session.scalars(select(Order.status).where(Order.checkout_id == checkout.id)))
    assert statuses == {OrderStatus.PAID}


def test_a_provider_paid_a_different_amount_flags_the_payment_and_pays_no_order(market, memory, db):
    checkout = place_checkout(market["buyer"], {}, {market[n].id: FarmerChoice(payment_method="card") for n in ("wanjiru", "otieno")})
    _, payment, _ = card_payments.start_payment(market["buyer"], checkout.reference)
    memory.pay(payment.provider_intent_id, amount_minor=1)
    card_payments.payment_of(checkout, refresh=True)
    db.session.expire_all()
    assert payment.status is PaymentStatus.FLAGGED
    assert set(db.session.scalars(select(Order.status).where(Order.checkout_id == checkout.id))) == {OrderStatus.PLACED}


def test_an_unreachable_provider_is_told_to_the_buyer_and_changes_nothing(market, memory, client, login, db):
    checkout = place_checkout(market["buyer"], {}, {market[n].id: FarmerChoice(payment_method="card") for n in ("wanjiru", "otieno")})
    memory.down = True
    login(market["buyer"])
    page = client.get(f"/checkout/{checkout.reference}/pay", follow_redirects=True)
    assert page.status_code == 200 and "Card payment cannot be reached just now" in page.get_data(as_text=True)
    assert set(db.session.scalars(select(Order.status).where(Order.checkout_id == checkout.id))) == {OrderStatus.PLACED}
