"""Orders as an attacker sees them: other people's orders and checkouts, moves not theirs to make,
one checkout repeated (issue 17, ASVS V4)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.orders.models import Order, OrderStatus
from tests import factories


@pytest.fixture
def placed(client, login, places, db):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    listing = factories.listing(farmer, cats["eggs"], title="Eggs", unit="dozen", price="240", stock="5")
    buyer = factories.user("Amina")
    login(buyer)
    client.post(f"/cart/add/{listing.id}", data={"quantity": "1"})
    response = client.post("/checkout", data={f"fulfilment-{farmer.id}": "pickup", f"payment-{farmer.id}": "on_pickup"})
    client.post("/logout")
    order = db.session.scalar(select(Order))
    return {"order": order, "buyer": buyer, "farmer": farmer, "checkout": response.headers["Location"]}


def test_another_buyer_sees_neither_the_order_nor_the_checkout(client, login, placed):
    login(factories.user("Nosy"))
    assert client.get(f"/orders/{placed['order'].number}").status_code == 404
    assert client.get(placed["checkout"]).status_code == 404
    assert placed["order"].number not in client.get("/orders").get_data(as_text=True)


def test_another_farmer_cannot_move_the_order_and_the_buyer_cannot_mark_it_ready(client, login, placed, places, db):
    before = placed["order"].status
    other = factories.farmer(places["villages"]["Tala"], "Otieno")
    login(other)
    assert client.post(f"/orders/{placed['order'].number}/move", data={"to": "ready_for_pickup"}).status_code in (403, 404)
    client.post("/logout")
    login(placed["buyer"])
    client.post(f"/orders/{placed['order'].number}/move", data={"to": "ready_for_pickup"})
    db.session.expire_all()
    assert db.session.get(Order, placed["order"].id).status is before
    assert before is not OrderStatus.READY_FOR_PICKUP


def test_an_odd_order_number_or_move_is_refused_not_an_error(client, login, placed):
    login(placed["farmer"])
    assert client.get("/orders/%C2%B2").status_code == 404
    assert client.post(f"/orders/{placed['order'].number}/move", data={"to": "²"}).status_code < 500
