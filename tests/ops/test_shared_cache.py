"""Several app servers share one cache in Redis: a change made by one process is seen on the very next
request to another (a real gunicorn process here), for cached pages, cached fragments and price hints."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from marketplace import create_app
from marketplace.catalog import services as catalog
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db as _db
from marketplace.opendata.aggregate import aggregate
from tests import factories
from tests.opendata.conftest import market  # noqa: F401  (a fixture)
from tests.support.servers import gunicorn

PROJECT_ROOT = Path(__file__).resolve().parents[2]




@pytest.fixture
def two_servers(app, redis_url, database_url, tmp_path):
    """`other`: a gunicorn app server on loopback; `writer`: another app (this process) on the same
    database and Redis, making the changes."""
    import uuid

    shared = {"REDIS_URL": redis_url, "PUBLIC_PAGE_CACHE_SECONDS": "30", "FRAGMENT_CACHE_SECONDS": "300",
              "SIGNED_IN_KEEP_SECONDS": "5",
              # A cache prefix per test keeps parallel tests apart in the one Redis.
              "CACHE_KEY_PREFIX": f"vs-test-{uuid.uuid4().hex[:8]}:"}
    env = {**os.environ, **shared, "APP_MODE": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
           "MEDIA_ROOT": app.config["MEDIA_ROOT"], "PRIVATE_MEDIA_ROOT": app.config["PRIVATE_MEDIA_ROOT"]}
    writer = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
                         "REDIS_URL": redis_url, "CACHE_KEY_PREFIX": shared["CACHE_KEY_PREFIX"],
                         "FRAGMENT_CACHE_SECONDS": 300, "PUBLIC_PAGE_CACHE_SECONDS": 30, "SIGNED_IN_KEEP_SECONDS": 5,
                         "MEDIA_ROOT": app.config["MEDIA_ROOT"], "PRIVATE_MEDIA_ROOT": app.config["PRIVATE_MEDIA_ROOT"]})
    with gunicorn(env, tmp_path / "gunicorn.log") as base:
        yield base, writer
    with writer.app_context():
        _db.engine.dispose()
    import redis

    connection = redis.Redis.from_url(redis_url)
    for key in connection.scan_iter(shared["CACHE_KEY_PREFIX"] + "*"):
        connection.delete(key)


def test_a_listing_edit_is_seen_at_once_through_another_app_server(two_servers, places, db):
    base, writer = two_servers
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    listing = factories.listing(farmer, factories.categories()["maize"], title="Dry maize")
    listing_id, farmer_phone = listing.id, farmer.phone
    assert "Dry maize" in requests.get(base + "/", timeout=5).text  # anonymous: the whole page is cached in Redis
    signed_in = requests.Session()
    assert signed_in.post(base + "/login", data={"identifier": farmer_phone, "password": factories.PASSWORD},
                          allow_redirects=False, timeout=5).status_code == 302
    assert "Dry maize" in signed_in.get(base + "/", timeout=5).text  # signed in: the listings fragment is cached
    browsing = ("/produce/maize", "/produce?q=maize", f"/listing/{listing_id}")
    for path in browsing:  # signed in: the results and filters are a shared fragment, the header their own
        page = signed_in.get(base + path, timeout=5).text
        assert "Dry maize" in page and "Sign out" in page
    with writer.app_context():
        person = _db.session.get(type(farmer), farmer.id)
        mine = _db.session.get(type(listing), listing_id)
        catalog.update_listing(person, mine, factories.listing_input(mine.village, mine.category, title="Green maize"))
    assert "Green maize" in requests.get(base + "/", timeout=5).text
    assert "Green maize" in signed_in.get(base + "/", timeout=5).text
    for path in browsing:
        assert "Green maize" in signed_in.get(base + path, timeout=5).text


def test_price_hints_change_everywhere_after_an_aggregation(two_servers, market, db):
    base, writer = two_servers
    listing = market["listings"]["b120"]
    village = listing.village_id
    url = f"{base}/prices/hint?category={listing.category_id}&unit=kg&village={village}"
    assert requests.get(url, timeout=5).json()["hint"] == ""  # no price index yet (and now cached as such)
    with writer.app_context():
        aggregate(utcnow().date())  # the writer invalidates the price namespace after its commit
    assert "135" in requests.get(url, timeout=5).json()["hint"]


def test_a_sign_out_and_a_cart_line_made_elsewhere_are_seen_at_once_by_a_server_that_keeps_sign_ins(two_servers, places, db):
    """The other server keeps a signed-in buyer's load in Redis (core.signed_in); what the writer
    commits reaches it through the tables' generations, before its next GET."""
    base, writer = two_servers
    village = places["villages"]["Mbeu"]
    listing = factories.listing(factories.farmer(village, "Wanjiru"), factories.categories()["maize"], title="Dry maize")
    buyer = factories.user("Amina", village=village)
    buyer_id, listing_id = buyer.id, listing.id
    browser = requests.Session()
    assert browser.post(base + "/login", data={"identifier": buyer.phone, "password": factories.PASSWORD},
                        allow_redirects=False, timeout=5).status_code == 302
    for _ in range(3):  # the last ones from what the server kept
        page = browser.get(base + "/", timeout=5).text
        assert "Sign out" in page and 'Cart <span class="badge">' not in page
    with writer.app_context():
        from marketplace.orders import cart

        cart.add_to_cart(_db.session.get(type(buyer), buyer_id), {}, listing_id, "2")
    assert 'Cart <span class="badge">1' in browser.get(base + "/", timeout=5).text
    with writer.app_context():
        from marketplace.accounts import services as accounts

        accounts.sign_out(_db.session.get(type(buyer), buyer_id))
    page = browser.get(base + "/", timeout=5).text
    assert "Sign out" not in page and "Sign in" in page
