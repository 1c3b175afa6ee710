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


def test_placing_reads_the_cart_once_and_writes_the_checkout_with_its_messages_in_one_go(client, login, listing, db):
    """The checkout POST is the costliest request a buyer makes: the cart is read once (by the service,
    not also by the page), without its photos, and the orders and their messages are written together
    at the commit, after one look for free codes."""
    from sqlalchemy import event

    login(factories.user("Amina"))
    client.post(f"/cart/add/{listing.id}", data={"quantity": "2"})
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *args: statements.append(" ".join(statement.split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.post("/checkout", data={f"fulfilment-{listing.farmer_id}": "pickup", f"payment-{listing.farmer_id}": "on_pickup"})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 302 and "/checkout/" in response.headers["Location"]
    request_statements = [s for s in statements if "outbox_messages SET" not in s]  # the deliveries after the commit
    reads_of = lambda table: [s for s in request_statements if s.startswith("SELECT") and f"FROM {table} " in s + " "]  # noqa: E731
    assert len(reads_of("cart_items")) == 1 and reads_of("listing_photos") == [] and reads_of("pickup_windows") == []
    assert len([s for s in request_statements if "FROM orders" in s or "FROM checkouts" in s]) == 1  # the codes, in one look
    assert [s for s in request_statements if s.startswith("UPDATE checkouts")] == []  # its total known when written
    assert len(reads_of("form_submissions")) == 0  # the form's key is claimed, not looked up first
    # The farmer and the buyer are told together: their preferences in one read, their inbox entries in one INSERT.
    assert len(reads_of("notification_preferences")) == 1
    assert len([s for s in request_statements if s.startswith("INSERT INTO inbox_messages")]) == 1
    # Each table's new rows in one INSERT (two history rows, two messages), none read back after.
    # (SQLite cannot return the keys of a multi-row INSERT in order: there, one INSERT per row, as a flush's.)
    written = [s.split()[2] for s in request_statements if s.startswith("INSERT INTO")]
    assert set(written) == {"form_submissions", "checkouts", "orders", "order_items", "order_events", "outbox_messages", "inbox_messages"}
    assert len(written) == (7 if db.engine.dialect.name == "postgresql" else 9)
    after_writing = request_statements[next(i for i, s in enumerate(request_statements) if s.startswith("INSERT INTO checkouts")):]
    assert [s for s in after_writing if s.startswith("SELECT") and "notification_preferences" not in s] == []


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
