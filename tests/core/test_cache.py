"""Anonymous public pages are cached, and an edit is visible on the very next request."""
from __future__ import annotations

import pytest

from marketplace.catalog import services
from marketplace.extensions import cache
from tests import factories


@pytest.fixture
def caching(app):
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 30
    cache.clear()
    yield
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    cache.clear()


@pytest.fixture
def listing(places):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"])
    return factories.listing(farmer, cats["maize"], title="Dry maize")


def test_a_cached_page_costs_one_query_and_shows_the_same(client, caching, listing, count_queries):
    first = client.get("/produce").get_data(as_text=True)
    with count_queries() as counted:
        second = client.get("/produce").get_data(as_text=True)
    assert second == first and "Dry maize" in second
    assert counted.n == 1  # only the catalog's version


def test_an_edit_shows_on_the_next_request(client, caching, listing, db):
    assert "Dry maize" in client.get("/produce").get_data(as_text=True)
    farmer = listing.farmer
    data = factories.listing_input(farmer.farmer_profile.village, listing.category, title="Green maize")
    services.update_listing(farmer, listing, data)
    page = client.get("/produce").get_data(as_text=True)
    assert "Green maize" in page and "Dry maize" not in page


def test_languages_are_cached_apart(client, caching, listing):
    assert "Todos los productos" in client.get("/produce", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "All produce" in client.get("/produce", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_signed_in_people_and_pending_messages_are_never_served_from_cache(client, caching, listing, login):
    client.get("/")
    login(factories.user("Signed In"))
    assert "Sign out" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert "You are signed out." in client.get("/").get_data(as_text=True)


def test_a_cached_listing_page_still_counts_each_view(client, caching, listing, db):
    for _ in range(3):
        client.get(f"/listing/{listing.id}")
    db.session.expire_all()
    assert db.session.get(type(listing), listing.id).view_count == 3


@pytest.mark.parametrize("path", ["/", "/produce", "/produce/grains-pulses", "/produce?q=maize", "/listing/{id}", "/farmers/{farmer}"])
def test_anonymous_public_pages_set_no_cookie_so_they_can_be_cached(client, caching, listing, path, count_queries):
    url = path.format(id=listing.id, farmer=listing.farmer_id)
    first = client.get(url)
    assert "Set-Cookie" not in first.headers
    with count_queries() as counted:
        client.get(url)
    # the catalog's version; the listing page also writes its view (at once in tests, batched in production)
    assert counted.n == (2 if path.startswith("/listing") else 1)
