"""Anonymous public pages are cached, and an edit is visible on the very next request."""
from __future__ import annotations

import pytest

from marketplace.catalog import services
from marketplace.extensions import cache
from tests import factories
from tests.support.browsers import CSRF_TOKEN, signed_in


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


def test_a_pending_message_is_shown_and_never_kept(client, caching, listing, login):
    client.get("/")
    login(factories.user("Signed In"))
    assert "Sign out" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert "You are signed out." in client.get("/").get_data(as_text=True)
    assert "You are signed out." not in client.get("/").get_data(as_text=True)


# --- signed-in buyers and residents: pages kept per roles and place, their header their own ------

def test_a_buyer_is_served_the_page_kept_for_their_place_with_their_own_header(app, client, caching, listing, places, count_queries):
    mbeu = places["villages"]["Mbeu"]
    amina, baraka = factories.user("Amina", village=mbeu), factories.user("Baraka", village=mbeu)
    first, second = signed_in(app, amina), signed_in(app, baraka)
    second.post(f"/cart/add/{listing.id}", data={"quantity": "1"}, follow_redirects=True)  # its message read
    kept = first.get("/produce").get_data(as_text=True)
    with count_queries() as counted:
        served = second.get("/produce").get_data(as_text=True)
    # One round trip: who is signed in, with the header's counts and the catalog's version (core.header)
    assert counted.n == 1, [q[:90] for q in counted.statements]
    assert "Dry maize" in served and "Less than 1 km from you" in served
    assert 'Cart <span class="badge">1<' in served and 'Cart <span class="badge">' not in kept  # each one's count
    assert "<!--frame:" not in served and "<!--frame:" not in kept


def test_the_place_and_the_roles_are_part_of_the_key(app, client, caching, listing, places):
    near, far = factories.user("Near", village=places["villages"]["Mbeu"]), factories.user("Far", village=places["villages"]["Ahero"])
    assert "Less than 1 km from you" in signed_in(app, near).get("/produce").get_data(as_text=True)
    far_page = signed_in(app, far).get("/produce").get_data(as_text=True)
    assert "Less than 1 km from you" not in far_page and " km from you" in far_page
    # A farmer's home lists their own orders to prepare: never a page kept for others, nor served one.
    farmer_home = signed_in(app, listing.farmer).get("/").get_data(as_text=True)
    assert "Sell produce" in farmer_home and "My listings" in farmer_home
    assert "My listings" not in signed_in(app, near).get("/").get_data(as_text=True)


def test_an_edit_shows_to_a_signed_in_buyer_on_the_next_request(app, client, caching, listing, places):
    browser = signed_in(app, factories.user("Amina", village=places["villages"]["Mbeu"]))
    assert "Dry maize" in browser.get("/produce").get_data(as_text=True)
    farmer = listing.farmer
    services.update_listing(farmer, listing, factories.listing_input(farmer.farmer_profile.village, listing.category, title="Green maize"))
    page = browser.get("/produce").get_data(as_text=True)
    assert "Green maize" in page and "Dry maize" not in page


def test_a_listing_its_owner_manages_is_never_kept_for_others(app, client, caching, listing, places, db):
    # The owner no longer sells (their farmer role is gone) but still manages their listing: their page of
    # it has its tools, and buyers of the same place must not be served that page.
    owner = listing.farmer
    for grant in list(owner.role_grants):
        if grant.role.value == "farmer":
            db.session.delete(grant)
    db.session.commit()
    assert "/edit" in signed_in(app, owner).get(f"/listing/{listing.id}").get_data(as_text=True)
    neighbour = factories.user("Neighbour", village=owner.village)
    page = signed_in(app, neighbour).get(f"/listing/{listing.id}").get_data(as_text=True)
    assert "Dry maize" in page and "/edit" not in page


def test_a_kept_page_carries_each_sessions_own_csrf_token(app, client, caching, listing, places):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browsers = [signed_in(app, factories.user(name, village=places["villages"]["Mbeu"])) for name in ("Amina", "Baraka")]
        pages = [browser.get(f"/listing/{listing.id}").get_data(as_text=True) for browser in browsers]
        tokens = [set(CSRF_TOKEN.findall(page)) for page in pages]
        assert all(len(found) == 1 for found in tokens) and tokens[0] != tokens[1]  # one per session, on every form
        reported = browsers[1].post(f"/listing/{listing.id}/report", data={"report-reason": "Not maize", "csrf_token": tokens[1].pop()})
        assert reported.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


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


def test_the_offer_to_keep_a_language_is_the_persons_own_and_a_kept_language_is_served_kept(app, client, caching, listing, places, count_queries):
    mbeu = places["villages"]["Mbeu"]
    chooser, reader = signed_in(app, factories.user("Amina", village=mbeu)), signed_in(app, factories.user("Baraka", village=mbeu, locale="fr"))
    chooser.get("/produce?lang=fr")
    offered = chooser.get("/produce").get_data(as_text=True)
    assert "Tous les produits" in offered and 'class="flash flash-info language-offer"' in offered
    assert 'language-offer' not in reader.get("/produce").get_data(as_text=True)  # French, as the account says: no banner
    chooser.post("/profile/language", data={"lang": "fr"}, follow_redirects=True)  # "Yes, keep it"
    chooser.get("/produce")
    with count_queries() as counted:
        kept = chooser.get("/produce").get_data(as_text=True)
    assert counted.n == 1 and "Tous les produits" in kept and "language-offer" not in kept


def test_a_missing_page_still_has_the_persons_header(app, client, caching, listing, places):
    browser = signed_in(app, factories.user("Amina", village=places["villages"]["Mbeu"]))
    missing = browser.get(f"/listing/{listing.id + 1000}")
    page = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "Sign out" in page and "<!--frame:" not in page
