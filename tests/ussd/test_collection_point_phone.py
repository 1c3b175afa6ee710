"""A collection point's manager on a basic phone (issue 23): the USSD menu receives a farmer's
order and hands a buyer everything waiting by their code; the same by SMS (RECEIVED, COLLECTED)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders import cart, collection_points
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import CollectionPoint, Order, OrderStatus
from marketplace.ussd.keywords import recognise
from tests import factories
from tests.ussd.test_sms import _sms


@pytest.fixture
def point(phones):
    cats = factories.categories()
    kamau = factories.farmer(phones["places"]["villages"]["Kianjai"], "Kamau")
    onions = factories.listing(kamau, cats["vegetables"], title="Onions", unit="kg", price="80", stock="20")
    manager = factories.user("Mary Manager")
    spot = CollectionPoint(name="Kianjai Store", village=phones["places"]["villages"]["Kianjai"], manager=manager,
                           opening_days="0123456", opens_minute=480, closes_minute=1020, capacity_per_day=10)
    db.session.add(spot)
    db.session.commit()
    buyer = phones["amina"]
    cart.add_to_cart(buyer, {}, phones["tomatoes"].id, "1")
    cart.add_to_cart(buyer, {}, onions.id, "2")
    key = collection_points.offers_for(onions.village)[0].key
    checkout = place_checkout(buyer, {}, {phones["wanjiru"].id: FarmerChoice(fulfilment=key), kamau.id: FarmerChoice(fulfilment=key)})
    return {"manager": manager, "orders": checkout.orders, "code": checkout.orders[0].pickup_code}


def test_the_manager_receives_by_ussd_and_hands_over_by_sms(client, dial, gateway, phones, point, db):
    manager, (first, second) = point["manager"], point["orders"]
    assert "Collection point" not in dial(phones["amina"].phone)("")  # a buyer has no such menu
    press = dial(manager.phone)
    assert "Collection point" in press("")
    menu = press("3")  # Prices, Applications, Collection point, Language
    assert "A farmer brought an order" in menu and "A buyer came to collect" in menu
    assert "e.g. K7P2QX" in press("1")
    assert press("NOSUCH").startswith("CON No order NOSUCH is booked at your collection point")
    assert f"Order {first.number} is at the point" in press(first.number.lower())
    answer = _sms(client, gateway, manager.phone, f"RECEIVED {second.number}")
    assert f"Order {second.number} is at the point" in answer
    buyer_told = gateway.messages_to(phones["amina"].phone)
    assert any(point["code"] in text and "collection point" in text for text in buyer_told)
    wrong = "000000" if point["code"] != "000000" else "111111"
    assert "No orders wait at your collection point" in _sms(client, gateway, manager.phone, f"COLLECTED {wrong}")
    answer = _sms(client, gateway, manager.phone, f"COLLECTED {point['code']}")
    assert "Amina collected" in answer and first.number in answer and second.number in answer
    db.session.expire_all()
    assert {db.session.get(Order, o.id).status for o in point["orders"]} == {OrderStatus.COLLECTED}


def test_a_farmer_cannot_receive_orders_for_a_point_by_phone(client, dial, gateway, phones, point, db):
    order = point["orders"][0]
    answer = _sms(client, gateway, phones["wanjiru"].phone, f"RECEIVED {order.number}")
    assert f"No order {order.number} is booked at your collection point" in answer
    # Nor can the farmer say it was collected at their farm: the point hands it over.
    answer = _sms(client, gateway, phones["wanjiru"].phone, f"COLLECTED {point['code']}")
    assert "No order of yours waiting for pickup has this code" in answer
    assert db.session.scalar(select(Order.status).where(Order.id == order.id)) is OrderStatus.AWAITING_PAYMENT_AT_PICKUP


@pytest.mark.parametrize("text,locale", [("RECEIVED K7P2QX", "en"), ("imefika K7P2QX", "sw"), ("REÇU K7P2QX", "fr"),
                                         ("RECIBIDO K7P2QX", "es"), ("RECEBIDO K7P2QX", "pt"), ("已收 K7P2QX", "zh"),
                                         ("وصل K7P2QX", "ar")])
def test_the_received_keyword_in_every_language(app, text, locale):
    assert recognise(text)[0::2] == ("received", locale)
