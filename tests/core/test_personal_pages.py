"""A person's own pages (their cart, their orders, the orders they receive, their listings) are kept
per person and version (core.cache.personal_page): every change shows on the very next request,
nobody is served another person's, and each session gets its own CSRF tokens and header."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalog import services as catalog
from marketplace.extensions import cache
from marketplace.orders import services as orders
from marketplace.orders.models import Order, OrderStatus
from tests import factories
from tests.support.browsers import CSRF_TOKEN, signed_in


@pytest.fixture
def kept(app):
    app.config["FRAGMENT_CACHE_SECONDS"] = 300
    cache.clear()
    yield
    app.config["FRAGMENT_CACHE_SECONDS"] = 0
    cache.clear()


@pytest.fixture
def shop(client, places):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    eggs = factories.listing(farmer, cats["eggs"], title="Eggs", unit="dozen", price="240", stock="50")
    honey = factories.listing(farmer, cats["eggs"], title="Honey", unit="piece", price="500", stock="20")
    return {"farmer": farmer, "eggs": eggs, "honey": honey}


def buy(browser, listing, farmer) -> None:
    browser.post(f"/cart/add/{listing.id}", data={"quantity": "1"})
    browser.post("/checkout", data={f"fulfilment-{farmer.id}": "pickup", f"payment-{farmer.id}": "on_pickup"}, follow_redirects=True)


def test_my_orders_show_a_farmers_move_at_once_and_cost_one_query_when_kept(app, kept, shop, db, count_queries):
    amina = factories.user("Amina")
    browser = signed_in(app, amina)
    buy(browser, shop["eggs"], shop["farmer"])
    assert "to pay at pickup" in browser.get("/orders").get_data(as_text=True)
    with count_queries() as counted:
        again = browser.get("/orders").get_data(as_text=True)
    assert counted.n == 1 and "Eggs" in again  # who is signed in, with the header's counts and the orders' version
    order = db.session.scalar(select(Order))
    orders.move(shop["farmer"], order, OrderStatus.READY_FOR_PICKUP)
    assert "ready for pickup" in browser.get("/orders").get_data(as_text=True)


def test_orders_to_prepare_show_a_new_order_at_once(app, kept, shop):
    farmer = signed_in(app, shop["farmer"])
    assert "No orders yet." in farmer.get("/sell/orders").get_data(as_text=True)
    buy(signed_in(app, factories.user("Amina")), shop["honey"], shop["farmer"])
    page = farmer.get("/sell/orders").get_data(as_text=True)
    assert "Honey" in page and "Amina" in page and "No orders yet." not in page


def test_a_cart_shows_each_change_and_is_never_anothers(app, kept, shop, db):
    amina, baraka = signed_in(app, factories.user("Amina")), signed_in(app, factories.user("Baraka"))
    amina.post(f"/cart/add/{shop['eggs'].id}", data={"quantity": "2"})
    assert 'value="2"' in amina.get("/cart").get_data(as_text=True)
    assert "Your cart is empty." in baraka.get("/cart").get_data(as_text=True)
    amina.post(f"/cart/{shop['eggs'].id}", data={"quantity": "3"})
    assert 'value="3"' in amina.get("/cart").get_data(as_text=True)
    # The farmer changes the price: the kept cart is not served, the change is pointed out.
    eggs = shop["eggs"]
    catalog.update_listing(shop["farmer"], eggs, factories.listing_input(eggs.village, eggs.category, title="Eggs", unit="dozen", price="260"))
    assert "The price changed since you added this." in amina.get("/cart").get_data(as_text=True)


def test_each_session_of_one_person_gets_its_own_tokens_on_a_kept_page(app, client, kept, shop):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        amina = factories.user("Amina")
        phone, laptop = signed_in(app, amina), signed_in(app, amina)
        listing_page = phone.get(f"/listing/{shop['eggs'].id}").get_data(as_text=True)
        phone.post(f"/cart/add/{shop['eggs'].id}", data={"quantity": "1", "csrf_token": CSRF_TOKEN.search(listing_page).group(1)})
        tokens = [set(CSRF_TOKEN.findall(browser.get("/cart").get_data(as_text=True))) for browser in (phone, laptop)]
        assert all(len(found) == 1 for found in tokens) and tokens[0] != tokens[1]
        changed = laptop.post(f"/cart/{shop['eggs'].id}", data={"quantity": "4", "csrf_token": tokens[1].pop()}, follow_redirects=True)
        assert "Your cart is updated." in changed.get_data(as_text=True) and 'value="4"' in changed.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_my_listings_show_a_stock_change_and_new_views_at_once(app, kept, shop, db):
    farmer = signed_in(app, shop["farmer"])
    assert "0 views" in farmer.get("/sell").get_data(as_text=True)
    farmer.post(f"/sell/{shop['eggs'].id}/stock", data={"stock": "7"})
    assert 'value="7"' in farmer.get("/sell").get_data(as_text=True)
    app.test_client().get(f"/listing/{shop['honey'].id}")  # a visitor looks (written at once in tests)
    assert "1 view" in farmer.get("/sell").get_data(as_text=True)
    # Another farmer in the same village is never served these.
    other = signed_in(app, factories.farmer(shop["farmer"].village, "Otieno"))
    assert "You have no listings yet." in other.get("/sell").get_data(as_text=True)


def test_a_kept_page_of_ones_own_still_has_this_moments_header_and_messages(app, kept, shop, db, count_queries):
    from marketplace.notifications.api import notify_user

    amina = factories.user("Amina")
    browser = signed_in(app, amina)
    browser.post(f"/cart/add/{shop['eggs'].id}", data={"quantity": "1"})
    assert "is in your cart" in browser.get("/cart").get_data(as_text=True)  # the message: shown, not kept
    kept_page = browser.get("/cart").get_data(as_text=True)
    assert "is in your cart" not in kept_page and "<summary>Menu <span" not in kept_page
    notify_user(amina, "order_ready", lambda: ("Hello", "A message"))
    db.session.commit()
    with count_queries() as counted:
        page = browser.get("/cart").get_data(as_text=True)
    assert counted.n == 1 and "<summary>Menu <span class=\"badge\">1<" in page and "Eggs" in page


def test_someone_who_sells_nothing_is_led_to_set_up_a_farm_and_nothing_is_kept(app, kept, shop):
    browser = signed_in(app, factories.user("Amina"))
    for _ in range(2):
        response = browser.get("/sell")
        assert response.status_code == 302 and response.headers["Location"].endswith("/farm")
        assert "Tell us about your farm" in browser.get(response.headers["Location"]).get_data(as_text=True)
