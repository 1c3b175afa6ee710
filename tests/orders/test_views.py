"""Cart pages over HTTP, with CSRF on as in production."""
from __future__ import annotations

import re

import pytest

from marketplace import create_app
from tests import factories


@pytest.fixture
def strict_client(database_url):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True,
                      "RATELIMIT_ENABLED": False})
    from tests.conftest import FreshContextClient

    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def listing(places):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    return factories.listing(farmer, cats["eggs"], title="Kienyeji eggs", unit="dozen", price="240", stock="5")


def test_a_guest_adds_from_the_listing_page_without_a_token_and_sees_the_cart(strict_client, listing):
    page = strict_client.get(f"/listing/{listing.id}").get_data(as_text=True)
    assert f'action="/cart/add/{listing.id}"' in page and "csrf_token" not in page
    response = strict_client.post(f"/cart/add/{listing.id}", data={"quantity": "2"}, follow_redirects=True)
    cart_page = response.get_data(as_text=True)
    assert "\u2068Kienyeji eggs\u2069 is in your cart." in cart_page and "From <bdi>Wanjiru&#39;s farm</bdi>" in cart_page
    assert "Total: Ksh\xa0480" in cart_page


def test_changing_the_cart_needs_a_csrf_token(strict_client, listing):
    strict_client.post(f"/cart/add/{listing.id}", data={"quantity": "1"})
    assert strict_client.post(f"/cart/{listing.id}", data={"quantity": "3"}).status_code == 400
    page = strict_client.get("/cart").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    strict_client.post(f"/cart/{listing.id}", data={"quantity": "3", "csrf_token": token})
    assert 'value="3"' in strict_client.get("/cart").get_data(as_text=True)
    strict_client.post(f"/cart/{listing.id}", data={"remove": "1", "csrf_token": token})
    assert "Your cart is empty." in strict_client.get("/cart").get_data(as_text=True)


def test_a_refused_amount_is_explained_and_kept_in_the_field(client, listing):
    response = client.post(f"/cart/add/{listing.id}", data={"quantity": "9"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Only 5 left." in page and 'value="9"' in page


def test_the_guest_cart_follows_the_person_when_they_sign_in(client, listing, db):
    buyer = factories.user("Buyer")
    client.post(f"/cart/add/{listing.id}", data={"quantity": "2"})
    client.post("/login", data={"identifier": buyer.phone, "password": factories.PASSWORD})
    page = client.get("/cart").get_data(as_text=True)
    assert "Kienyeji eggs" in page and 'value="2"' in page
    client.post("/logout")
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)  # stored on the account, not the phone


def test_the_cart_speaks_spanish(client, listing):
    client.post(f"/cart/add/{listing.id}?lang=es", data={"quantity": "1"})
    page = client.get("/cart?lang=es").get_data(as_text=True)
    assert "Tu carrito" in page and "1 docena" in page


def _cart_badge(page: str) -> str | None:
    found = re.search(r'href="/cart">Cart <span class="badge">(\d+)<span class="visually-hidden"> (items?)</span>', page)
    return f"{found.group(1)} {found.group(2)}" if found else None


def test_the_header_counts_the_lines_in_a_guests_and_a_signed_in_persons_cart(client, login, listing, places):
    assert _cart_badge(client.get("/produce").get_data(as_text=True)) is None  # nothing yet: no badge
    client.post(f"/cart/add/{listing.id}", data={"quantity": "2"})
    assert _cart_badge(client.get("/produce").get_data(as_text=True)) == "1 item"  # a line, not the 2 dozen in it
    buyer = factories.user("Amina", village=places["villages"]["Mbeu"])
    login(buyer)  # the guest's line joins the stored cart
    other = factories.listing(listing.farmer, listing.category, title="Honey", unit="litre", price="900", stock="4")
    client.post(f"/cart/add/{other.id}", data={"quantity": "1"})
    assert _cart_badge(client.get("/services").get_data(as_text=True)) == "2 items"


def test_a_guest_with_a_cart_is_never_served_nor_leaves_a_cached_page(client, app, listing, monkeypatch):
    """The header shows a guest's own cart: their page must not go to the next visitor, nor theirs come from the cache."""
    monkeypatch.setitem(app.config, "PUBLIC_PAGE_CACHE_SECONDS", 30)
    client.get("/produce")  # an empty-cart visitor's page, now cached
    client.post(f"/cart/add/{listing.id}", data={"quantity": "1"})
    client.get("/produce")  # reads the "in your cart" message: from here on the session holds only the cart
    assert _cart_badge(client.get("/produce").get_data(as_text=True)) == "1 item"  # built for them, not the cached one
    assert _cart_badge(client.get("/produce?page=1").get_data(as_text=True)) == "1 item"
    assert _cart_badge(app.test_client().get("/produce").get_data(as_text=True)) is None  # the next visitor never sees it


def test_the_header_menu_opens_without_javascript_and_keeps_every_link(client, login, places):
    buyer = factories.user("Amina", village=places["villages"]["Mbeu"])
    login(buyer)
    page = client.get("/").get_data(as_text=True)
    menu = re.search(r'<details class="site-menu">(.*?)</details>', page, re.S).group(1)
    assert "<summary>Menu" in menu
    for path in ("/services", "/orders", "/applications", "/activity", "/inbox", "/profile"):
        assert f'href="{path}"' in menu, path
    assert "Sign out" in menu


def test_my_orders_and_orders_to_prepare_come_twenty_at_a_time_newest_first(client, login, places):
    """A buyer with many orders (and their farmer) gets the newest twenty, and the next page the rest."""
    from marketplace.orders import cart
    from marketplace.orders.checkout import FarmerChoice, place_checkout
    from marketplace.orders.services import ORDERS_PER_PAGE

    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    eggs = factories.listing(farmer, factories.categories()["eggs"], title="Kienyeji eggs", unit="dozen", price="240", stock="100")
    buyer = factories.user("Amina")
    numbers = []
    for _ in range(ORDERS_PER_PAGE + 2):
        cart.add_to_cart(buyer, {}, eggs.id, "1")
        numbers.append(place_checkout(buyer, {}, {farmer.id: FarmerChoice(payment_method="on_pickup")}).orders[0].number)
    login(buyer)
    first = client.get("/orders").get_data(as_text=True)
    assert numbers[-1] in first and numbers[2] in first and numbers[1] not in first and "Next page" in first
    second = client.get("/orders?page=2").get_data(as_text=True)
    assert numbers[1] in second and numbers[0] in second and numbers[-1] not in second and "Previous page" in second
    client.get("/logout")
    login(farmer)
    assert numbers[0] not in client.get("/sell/orders").get_data(as_text=True)
    assert numbers[0] in client.get("/sell/orders?page=2").get_data(as_text=True)
