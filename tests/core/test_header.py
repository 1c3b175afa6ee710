"""The header's personal counts come in one query per page (core.header), each still owned and
defined by its domain, and exact: a change shows on the very next page."""
from __future__ import annotations

import re

from marketplace.notifications.api import notify_user
from marketplace.orders import cart
from marketplace.orders.checkout import FarmerChoice, place_checkout
from tests import factories


def _badges(page: str) -> dict[str, str]:
    header = page.split("</header>", 1)[0]
    return {
        "cart": (re.search(r'href="/cart">Cart <span class="badge">(\d+)', header) or [None, None])[1],
        "to_prepare": (re.search(r'Orders to prepare <span class="badge">(\d+)', header) or [None, None])[1],
        "unread": (re.search(r'<summary>Menu <span class="badge">(\d+)', header) or [None, None])[1],
    }


def test_a_farmers_three_counts_come_in_one_query_and_follow_every_change(client, login, places, count_queries, db):
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    neighbour = factories.farmer(places["villages"]["Tala"], "Otieno")
    eggs = factories.listing(farmer, factories.categories()["eggs"], title="Kienyeji eggs", unit="dozen", price="240", stock="10")
    maize = factories.listing(neighbour, factories.categories()["maize"], title="Dry maize", unit="sack", price="4200", stock="3")
    honey = factories.listing(neighbour, factories.categories()["honey"], title="Acacia honey", unit="litre", price="900", stock="5")
    buyer = factories.user("Amina")
    cart.add_to_cart(buyer, {}, eggs.id, "1")
    place_checkout(buyer, {}, {farmer.id: FarmerChoice(payment_method="on_pickup")})  # one order for Wanjiru to prepare
    cart.add_to_cart(farmer, {}, maize.id, "1")  # Wanjiru buys from her neighbour
    notify_user(farmer, "order_ready", lambda: ("Hello", "A message"))
    db.session.commit()
    login(farmer)
    client.get("/produce")
    with count_queries() as counted:
        page = client.get("/produce").get_data(as_text=True)
    assert _badges(page) == {"cart": "1", "to_prepare": "1", "unread": "2"}  # the new order's message and ours
    together = [s for s in counted.statements if "inbox_messages" in s or "cart_items" in s]
    assert len(together) == 1 and "cart_items" in together[0] and "orders" in together[0]  # one round trip for all three
    client.post("/inbox/read-all")
    client.post(f"/cart/add/{honey.id}", data={"quantity": "1"})
    after = _badges(client.get("/produce").get_data(as_text=True))
    assert after["unread"] is None and after["cart"] == "2"  # the next page already counts the change


def test_a_visitor_is_counted_from_the_session_without_a_query(client, places, count_queries):
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    eggs = factories.listing(farmer, factories.categories()["eggs"], title="Kienyeji eggs", unit="dozen", price="240", stock="10")
    client.post(f"/cart/add/{eggs.id}", data={"quantity": "1"})
    with count_queries() as counted:
        page = client.get("/services").get_data(as_text=True)
    assert _badges(page)["cart"] == "1" and not any("cart_items" in s or "inbox_messages" in s for s in counted.statements)


def test_on_a_get_the_counts_come_with_the_person_and_a_post_answered_with_a_page_counts_when_its_header_asks(client, login, places, count_queries):
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    eggs = factories.listing(farmer, factories.categories()["eggs"], title="Kienyeji eggs", unit="dozen", price="240", stock="10")
    login(factories.user("Amina"))
    with count_queries() as counted:
        client.get("/services")
    assert "users" in counted.statements[0] and "cart_items" in counted.statements[0]  # the person and their counts: one SELECT
    assert not any("cart_items" in s for s in counted.statements[1:])
    # A POST answered with a page (not a redirect) may have changed what is counted: its header asks then.
    client.post(f"/cart/add/{eggs.id}", data={"quantity": "1"})
    page = client.post("/checkout", data={f"fulfilment-{farmer.id}": "delivery", f"address-{farmer.id}": "", f"payment-{farmer.id}": "on_pickup"})
    assert page.status_code == 422 and _badges(page.get_data(as_text=True))["cart"] == "1"


def test_counts_read_with_the_person_are_asked_again_after_a_commit(app, db):
    # A GET may commit a change the header counts (a card payment confirmed on return empties the cart).
    from flask import g

    with app.test_request_context("/checkout/ABC"):
        g.header_counts, g.header_figures = {"cart": 3}, (1, {"cart": (3,)})
        db.session.commit()
        assert "header_counts" not in g and "header_figures" not in g
