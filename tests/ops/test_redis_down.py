"""Redis is an accelerator, not a dependency of reading (issue 18): with the test's own Redis killed,
a real gunicorn app server still serves the home, browse and listing pages, signs people in (limits
counted in-process), takes an order (its messages wait in the database for the sweep), and /readyz
says "degraded" with 200, so a balancer keeps the server."""
from __future__ import annotations

import os
import time

import pytest
import requests
from sqlalchemy import select

from marketplace.notifications.models import OutboxMessage, OutboxStatus
from marketplace.orders.models import Order
from tests import factories
from tests.support.servers import gunicorn


@pytest.fixture
def server_on_own_redis(app, own_redis, database_url, tmp_path):
    env = {**os.environ, "REDIS_URL": own_redis.url, "PUBLIC_PAGE_CACHE_SECONDS": "30", "FRAGMENT_CACHE_SECONDS": "300",
           "RATELIMIT_ENABLED": "1", "APP_MODE": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
           "MEDIA_ROOT": app.config["MEDIA_ROOT"], "PRIVATE_MEDIA_ROOT": app.config["PRIVATE_MEDIA_ROOT"]}
    with gunicorn(env, tmp_path / "gunicorn.log", threads=4) as base:
        yield base, tmp_path / "gunicorn.log"


def test_with_redis_down_pages_serve_people_sign_in_and_orders_are_taken(server_on_own_redis, own_redis, places, db):
    base, log = server_on_own_redis
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    listing = factories.listing(farmer, cats["eggs"], title="Kienyeji eggs", unit="dozen", price="240", stock="5")
    buyer = factories.user("Amina")
    listing_id, buyer_phone, farmer_id = listing.id, buyer.phone, farmer.id
    pages = ["/", "/produce", f"/listing/{listing_id}", "/services", "/prices"]
    assert [requests.get(base + path, timeout=10).status_code for path in pages] == [200] * len(pages)  # cached, with Redis
    own_redis.stop()

    started = time.monotonic()
    assert [requests.get(base + path, timeout=10).status_code for path in pages] == [200] * len(pages)
    assert "Kienyeji eggs" in requests.get(base + f"/listing/{listing_id}", timeout=10).text
    browser = requests.Session()
    assert browser.post(base + "/login", data={"identifier": buyer_phone, "password": factories.PASSWORD},
                        allow_redirects=False, timeout=10).status_code == 302
    assert browser.get(base + "/", timeout=10).status_code == 200  # signed in: the fragment cache is skipped too
    assert browser.post(base + f"/cart/add/{listing_id}", data={"quantity": "1"}, allow_redirects=False, timeout=10).status_code == 302
    placed = browser.post(base + "/checkout", data={f"fulfilment-{farmer_id}": "pickup", f"payment-{farmer_id}": "on_pickup"},
                          allow_redirects=False, timeout=10)
    assert placed.status_code == 302
    assert browser.get(base + placed.headers["Location"], timeout=10).status_code == 200
    ready = requests.get(base + "/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["redis"].startswith("degraded")
    assert time.monotonic() - started < 30  # nothing waited long on the missing Redis

    db.session.rollback()
    order = db.session.scalar(select(Order))
    assert order is not None and order.buyer_id == db.session.scalar(select(type(buyer).id).where(type(buyer).phone == buyer_phone))
    waiting = db.session.scalars(select(OutboxMessage.status)).all()
    assert waiting and set(waiting) == {OutboxStatus.PENDING}  # recorded; the sweep sends them when Redis is back
    assert "Exception on " not in log.read_text()  # Flask logs every unhandled error so: there was none


def test_sign_in_limits_still_hold_in_process_when_redis_is_down(server_on_own_redis, own_redis, places):
    base, _log = server_on_own_redis
    person = factories.user("Locked")
    own_redis.stop()
    tries = [requests.post(base + "/login", data={"identifier": person.phone, "password": "wrong"}, allow_redirects=False,
                           timeout=10).status_code for _ in range(7)]
    assert 500 not in tries and tries[-1] == 429  # the per-account limit (5 a minute) counted in the process
