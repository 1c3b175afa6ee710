"""The buyer is told where, when and from whom to collect, everywhere an order is shown and by SMS
(issue 20 item 4: the order page said only "Pickup at the farmer's pickup point")."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.notifications.models import OutboxMessage
from marketplace.orders.checkout import pickup_slots_of
from marketplace.orders.models import Order
from tests import factories


@pytest.fixture
def sale(places):
    cats = factories.categories()
    wanjiru = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    accounts.become_farmer(wanjiru, "Wanjiru Hill Farm", places["villages"]["Mbeu"].id, "By the water tank",
                           pickup_hours=[(day, 480, 720) for day in range(7)])
    tomatoes = factories.listing(wanjiru, cats["tomatoes-peppers"], price="120", stock="10")
    return {"farmer": wanjiru, "tomatoes": tomatoes, "buyer": factories.user("Amina Buyer")}


def _place(client, login, sale) -> Order:
    login(sale["buyer"])
    client.post(f"/cart/add/{sale['tomatoes'].id}", data={"quantity": "2"})
    slot = pickup_slots_of(sale["farmer"])[0]
    done = client.post("/checkout", data={f"slot-{sale['farmer'].id}": slot.key})
    assert done.status_code == 302
    return sale["buyer"], done.headers["Location"]


def test_order_placed_my_orders_and_the_order_page_say_where_when_and_from_whom(client, login, sale, db):
    buyer, placed_url = _place(client, login, sale)
    order = db.session.scalar(select(Order).where(Order.buyer_id == buyer.id))
    for page in (client.get(placed_url), client.get("/orders"), client.get(f"/orders/{order.number}")):
        text = page.get_data(as_text=True)
        assert "Wanjiru Hill Farm" in text and "Market square, stall 4, Mbeu (Hill)" in text
        assert "8:00" in text
        assert f'href="tel:{sale["farmer"].phone}"' in text and "openstreetmap.org/search?query=Market+square" in text
        assert "2 kg Ripe tomatoes" in text or re.search(r"2\s*kg", text)
        assert "to pay at pickup" in text
    assert "Pickup at the farmer's pickup point" not in client.get(f"/orders/{order.number}").get_data(as_text=True)


def test_the_buyer_gets_the_place_the_time_the_farm_and_its_phone_by_sms(client, login, sale, db, delivered):
    buyer, _ = _place(client, login, sale)
    (sms,) = [m for m in delivered if m["kind"] == "order_confirmed" and m["recipient"] == buyer.phone]
    order = db.session.scalar(select(Order).where(Order.buyer_id == buyer.id))
    assert "Wanjiru Hill Farm" in sms["body"] and "Market square, stall 4, Mbeu (Hill)" in sms["body"]
    assert sale["farmer"].phone in sms["body"] and order.pickup_code in sms["body"] and "When:" in sms["body"]


def test_the_farmer_sees_the_buyers_name_phone_and_slot(client, login, sale, db):
    buyer, _ = _place(client, login, sale)
    order = db.session.scalar(select(Order).where(Order.buyer_id == buyer.id))
    client.post("/logout")
    login(sale["farmer"])
    response = client.get(f"/orders/{order.number}")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Amina Buyer" in text and f'href="tel:{buyer.phone}"' in text and "8:00" in text


def test_collected_needs_the_buyers_pickup_code_and_cancelling_is_a_step_apart(client, login, sale, db):
    """Issue 20 item 8: 'Mark as collected' handed the order to whoever said it was taken."""
    from marketplace.orders.models import OrderStatus

    buyer, _ = _place(client, login, sale)
    order = db.session.scalar(select(Order).where(Order.buyer_id == buyer.id))
    client.post("/logout")
    login(sale["farmer"])
    client.post(f"/orders/{order.number}/move", data={"to": "ready_for_pickup"})
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert 'name="pickup_code"' in page and "<details" in page and "Yes, cancel this order" in page
    assert page.index("Mark as collected") < page.index("Cancel this order…")
    wrong = "000000" if order.pickup_code != "000000" else "111111"
    refused = client.post(f"/orders/{order.number}/move", data={"to": "collected", "pickup_code": wrong}, follow_redirects=True)
    assert "pickup code" in refused.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status is OrderStatus.READY_FOR_PICKUP
    client.post(f"/orders/{order.number}/move", data={"to": "collected", "pickup_code": order.pickup_code})
    db.session.refresh(order)
    assert order.status is OrderStatus.COLLECTED


def test_a_farmers_home_starts_with_the_orders_to_get_ready_one_tap_away(client, login, sale, db):
    """Issue 20 item 7: farmers landed on the buyers' home page and did not see new orders."""
    from marketplace.orders.models import OrderStatus

    buyer, _ = _place(client, login, sale)
    order = db.session.scalar(select(Order).where(Order.buyer_id == buyer.id))
    assert "orders to get ready" not in client.get("/").get_data(as_text=True).lower()  # a buyer's home
    client.post("/logout")
    login(sale["farmer"])
    home = client.get("/").get_data(as_text=True)
    assert "1 order to get ready" in home and "Amina Buyer" in home and "It is ready for pickup" in home
    assert re.search(r"Orders to prepare <span class=\"badge\">1<", home)
    tapped = client.post(f"/orders/{order.number}/move", data={"to": "ready_for_pickup", "next": "/"})
    assert tapped.headers["Location"].endswith("/")
    db.session.refresh(order)
    assert order.status is OrderStatus.READY_FOR_PICKUP
    assert "order to get ready" not in client.get("/").get_data(as_text=True)


def test_my_money_counts_what_buyers_paid_in_hand_and_what_is_still_to_collect(client, login, sale, db):
    """Issue 20: "My money" left out cash and pay-on-pickup sales; orders publish the figure, payments shows it."""
    buyer, _ = _place(client, login, sale)
    first = db.session.scalar(select(Order).where(Order.buyer_id == buyer.id))
    client.post(f"/cart/add/{sale['tomatoes'].id}", data={"quantity": "1"})
    client.post("/checkout", data={f"slot-{sale['farmer'].id}": pickup_slots_of(sale["farmer"])[0].key})
    client.post("/logout")
    login(sale["farmer"])
    page = client.get("/sell/money").get_data(as_text=True)
    assert "Still to collect at pickup" in page and "Ksh\xa0360" in page and "2 orders" in page  # 240 + 120
    assert "Taken at pickup" not in page
    client.post(f"/orders/{first.number}/move", data={"to": "ready_for_pickup"})
    client.post(f"/orders/{first.number}/move", data={"to": "collected", "pickup_code": first.pickup_code})
    page = client.get("/sell/money").get_data(as_text=True)
    taken = page[page.index("Taken at pickup"):]
    assert "Ksh\xa0240" in taken[:200] and "1 order" in taken[:200]
    still = page[page.index("Still to collect at pickup"):]
    assert "Ksh\xa0120" in still[:200]
    other = factories.farmer(sale["farmer"].farmer_profile.village, "Otieno")
    client.post("/logout")
    login(other)
    assert "No sales paid at pickup yet." in client.get("/sell/money").get_data(as_text=True)  # only one's own


def test_the_pickup_code_reaches_the_buyer_only_never_an_admins_page_nor_the_log(client, login, sale, db, caplog):
    """The code hands the order over (the farmer marks it collected with it): like a one-time code,
    the SMS that carries it is kept from the admins' outbox and the log, and emptied once sent."""
    import logging

    from marketplace.accounts.models import Role
    from marketplace.notifications.models import InboxMessage

    with caplog.at_level(logging.INFO):
        buyer, _ = _place(client, login, sale)
    order = db.session.scalar(select(Order).where(Order.buyer_id == buyer.id))
    assert order.pickup_code not in caplog.text
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == buyer.id,
                                                          OutboxMessage.kind == "order_confirmed")).all()
    assert sent and all(m.holds_secret for m in sent)
    inbox = db.session.scalar(select(InboxMessage).where(InboxMessage.user_id == buyer.id, InboxMessage.kind == "order_confirmed"))
    assert order.pickup_code in inbox.body  # the buyer's own copy keeps it
    client.post("/logout")
    login(factories.with_role(Role.ADMIN))
    assert order.pickup_code not in client.get("/admin/outbox").get_data(as_text=True)
