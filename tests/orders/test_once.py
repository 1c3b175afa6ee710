"""Nothing lost, nothing doubled (issue 18), over real HTTP against real servers on loopback: one
checkout form sent from several tabs at once makes one checkout; an order committed is never
answered with a server error, even when the database goes away right after the commit."""
from __future__ import annotations

import os
import re
import threading

import pytest
import requests
from sqlalchemy import event, func, select
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.catalog.models import Listing
from marketplace.extensions import db as _db
from marketplace.orders.models import Checkout, Order
from tests import factories
from tests.support.servers import gunicorn


@pytest.fixture
def gunicorn_server(app, database_url, tmp_path):
    env = {**os.environ, "APP_MODE": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
           "MEDIA_ROOT": app.config["MEDIA_ROOT"], "PRIVATE_MEDIA_ROOT": app.config["PRIVATE_MEDIA_ROOT"]}
    with gunicorn(env, tmp_path / "gunicorn.log", threads=8) as base:
        yield base


def _buyer_with_a_cart(base, places, stock="50"):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    listing = factories.listing(farmer, cats["eggs"], title="Eggs", unit="dozen", price="240", stock=stock)
    buyer = factories.user("Amina")
    browser = requests.Session()
    assert browser.post(base + "/login", data={"identifier": buyer.phone, "password": factories.PASSWORD},
                        allow_redirects=False, timeout=10).status_code == 302
    return browser, farmer.id, listing.id


@pytest.mark.parametrize("tabs", [2, 5])
def test_one_checkout_form_sent_from_several_tabs_at_once_makes_one_checkout(gunicorn_server, places, db, tabs):
    base = gunicorn_server
    browser, farmer_id, listing_id = _buyer_with_a_cart(base, places)
    for trial in range(5):
        assert browser.post(base + f"/cart/add/{listing_id}", data={"quantity": "1"}, allow_redirects=False, timeout=10).status_code == 302
        page = browser.get(base + "/checkout", timeout=10).text
        key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
        form = {"submission_key": key, f"fulfilment-{farmer_id}": "pickup", f"payment-{farmer_id}": "on_pickup"}
        start, answers = threading.Barrier(tabs), []

        def tab():
            start.wait()
            answers.append(browser.post(base + "/checkout", data=form, allow_redirects=False, timeout=30))

        threads = [threading.Thread(target=tab) for _ in range(tabs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [a.status_code for a in answers] == [302] * tabs, [(a.status_code, a.text[:300]) for a in answers if a.status_code != 302]
        assert len({a.headers["Location"] for a in answers}) == 1  # every tab shown the same checkout
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Checkout)) == trial + 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 5
    assert db.session.get(Listing, listing_id).stock_milli == 45_000  # five dozen taken, not five times more


def test_a_form_sent_again_later_shows_the_first_checkout_and_takes_nothing(gunicorn_server, places, db):
    base = gunicorn_server
    browser, farmer_id, listing_id = _buyer_with_a_cart(base, places)
    browser.post(base + f"/cart/add/{listing_id}", data={"quantity": "2"}, timeout=10)
    key = re.search(r'name="submission_key" value="([^"]+)"', browser.get(base + "/checkout", timeout=10).text).group(1)
    form = {"submission_key": key, f"fulfilment-{farmer_id}": "pickup", f"payment-{farmer_id}": "on_pickup"}
    first = browser.post(base + "/checkout", data=form, allow_redirects=False, timeout=10)
    browser.post(base + f"/cart/add/{listing_id}", data={"quantity": "1"}, timeout=10)  # a new cart meanwhile
    again = browser.post(base + "/checkout", data=form, allow_redirects=False, timeout=10)  # the old form, retried
    assert again.headers["Location"] == first.headers["Location"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Checkout)) == 1
    assert db.session.get(Listing, listing_id).stock_milli == 48_000


@pytest.fixture
def live_app(database_url, app):
    live = create_app({"TESTING": False, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False, "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
                       "MEDIA_ROOT": app.config["MEDIA_ROOT"], "PRIVATE_MEDIA_ROOT": app.config["PRIVATE_MEDIA_ROOT"]})
    server = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield live, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with live.app_context():
        _db.engine.dispose()


def test_an_order_committed_is_never_answered_with_an_error_even_if_the_database_then_goes_away(live_app, places, db):
    live, base = live_app
    browser, farmer_id, listing_id = _buyer_with_a_cart(base, places)
    browser.post(base + f"/cart/add/{listing_id}", data={"quantity": "1"}, timeout=10)
    gone = threading.Event()
    with live.app_context():
        engine = _db.engine

        @event.listens_for(_db.session, "after_commit")
        def database_goes_away(session):
            if session.info.get("checkout_placed") or any(isinstance(o, Order) for o in session.identity_map.values()):
                gone.set()

        @event.listens_for(engine, "before_cursor_execute")
        def refuse(conn, cursor, statement, *args):
            if gone.is_set():
                from sqlalchemy.exc import OperationalError

                raise OperationalError(statement, None, Exception("server closed the connection unexpectedly"))

    try:
        placed = browser.post(base + "/checkout", data={f"fulfilment-{farmer_id}": "pickup", f"payment-{farmer_id}": "on_pickup"},
                              allow_redirects=False, timeout=10)
        assert gone.is_set()  # the database did go away, right after the order's commit
        assert placed.status_code == 302 and "/checkout/" in placed.headers["Location"]  # the buyer is told it is placed
        broken = browser.get(base + "/produce", timeout=10)  # and while it is gone, the error page still renders
        assert broken.status_code == 500 and '<html lang="' in broken.text  # the friendly page, drawn without the database
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
        event.remove(_db.session, "after_commit", database_goes_away)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
