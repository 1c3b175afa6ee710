"""Checkout and order pages over HTTP, and who may reach them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.orders.models import Order, OrderStatus
from tests import factories


@pytest.fixture
def listing(places):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    return factories.listing(farmer, cats["eggs"], title="Kienyeji eggs", unit="dozen", price="240", stock="5",
                             delivery_available=True, delivery_fee="50")


def test_a_buyer_checks_out_pays_on_pickup_and_the_farmer_prepares_it(client, login, listing, db):
    buyer = factories.user("Amina")
    login(buyer)
    client.post(f"/cart/add/{listing.id}", data={"quantity": "2"})
    page = client.get("/checkout").get_data(as_text=True)
    assert "Card payment is not available yet." in page and "I collect it" in page and "Ksh\xa050" in page
    response = client.post("/checkout", data={f"fulfilment-{listing.farmer_id}": "pickup", f"payment-{listing.farmer_id}": "on_pickup"})
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert order.number in done and "to pay at pickup" in done
    client.post("/logout")

    login(listing.farmer)
    assert order.number in client.get("/sell/orders").get_data(as_text=True)
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "Mark as ready for pickup" in page
    client.post(f"/orders/{order.number}/move", data={"to": "ready_for_pickup"})
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.READY_FOR_PICKUP


def test_checkout_errors_keep_the_choices(client, login, listing):
    login(factories.user("Amina"))
    client.post(f"/cart/add/{listing.id}", data={"quantity": "1"})
    response = client.post("/checkout", data={f"fulfilment-{listing.farmer_id}": "delivery", f"address-{listing.farmer_id}": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Say where to deliver" in page
    assert 'value="delivery" checked' in page


def test_checkout_needs_sign_in_and_orders_are_private(client, login, listing, db):
    assert client.get("/checkout").status_code == 302
    buyer = factories.user("Amina")
    login(buyer)
    client.post(f"/cart/add/{listing.id}", data={"quantity": "1"})
    client.post("/checkout", data={})
    number = db.session.scalar(select(Order.number))
    client.post("/logout")
    login(factories.user("Nosy"))
    assert client.get(f"/orders/{number}").status_code == 404
    assert client.post(f"/orders/{number}/move", data={"to": "cancelled", "reason": "x"}).status_code == 404
    assert client.get("/sell/orders").status_code == 403
