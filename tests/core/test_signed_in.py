"""A signed-in person's load on a GET is kept in Redis while nothing it was read from changes
(core.signed_in): a kept page then needs no database, and every change — a sign-out, a revoked role,
a cart line, a message, an order — is seen on the very next request, whoever made it."""
from __future__ import annotations

import pickle
import re
import time
import uuid

import pytest
from flask import g
from flask_login import current_user
from sqlalchemy import text

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role, User
from marketplace.core import signed_in
from marketplace.extensions import db as _db
from marketplace.notifications.api import notify_user
from marketplace.orders import cart
from tests import factories


@pytest.fixture
def kept(app, redis_url, monkeypatch):
    """The feature on, as served with Redis: its own key prefix (parallel tests share one Redis), and
    public pages kept, so a signed-in buyer's page can be served without rendering it."""
    import redis

    prefix = f"vs-test-{uuid.uuid4().hex[:8]}:"
    for name, value in {"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": prefix, "SIGNED_IN_KEEP_SECONDS": 5,
                        "PUBLIC_PAGE_CACHE_SECONDS": 30, "FRAGMENT_CACHE_SECONDS": 300}.items():
        monkeypatch.setitem(app.config, name, value)
    signed_in.init_app(app)
    connection = redis.Redis.from_url(redis_url)
    yield connection, prefix
    app.extensions.pop("signed_in_redis", None)
    for key in connection.scan_iter(prefix + "*"):
        connection.delete(key)


def _signed_in(page: str) -> bool:
    return "Sign out" in page


def test_a_kept_page_of_a_signed_in_buyer_needs_no_database(kept, login, count_queries, places):
    buyer = factories.user("Amina", village=places["villages"]["Mbeu"])
    client = login(buyer)
    client.get("/")  # shows the sign-in's message: rendered for them alone
    first = client.get("/")  # rendered and kept for buyers of that village
    assert first.status_code == 200 and _signed_in(first.get_data(as_text=True))
    with count_queries() as counted:
        again = client.get("/")
    assert again.status_code == 200 and _signed_in(again.get_data(as_text=True))
    assert counted.n == 0, counted.statements
    client.get("/cart")  # the buyer's own page, rendered and kept under its own figures
    with count_queries() as counted:
        assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)
    assert counted.n == 0, counted.statements


def test_without_the_feature_every_get_reads_the_person(app, login, count_queries, places):
    buyer = factories.user("Amina", village=places["villages"]["Mbeu"])
    client = login(buyer)
    client.get("/")
    with count_queries() as counted:
        client.get("/")
    assert counted.n >= 1


def test_the_kept_person_is_a_loaded_row_without_their_password(kept, app, login, places):
    connection, prefix = kept
    buyer = factories.user("Amina", village=places["villages"]["Mbeu"])
    password_hash, roles = buyer.password_hash, buyer.roles
    client = login(buyer)
    client.get("/")
    entries = [connection.get(key) for key in connection.scan_iter(prefix + "signed-in:*") if b":table:" not in key]
    assert entries and all(password_hash.encode() not in entry for entry in entries)
    assert pickle.loads(entries[0])["columns"]["name"] == "Amina"
    client.get("/")  # now from the kept entry
    cookie = client.get_cookie("session")
    with app.app_context(), app.test_request_context("/", headers={"Cookie": f"{cookie.key}={cookie.value}"}):
        person = current_user._get_current_object()
        assert person.id == buyer.id and person.roles == roles and Role.BUYER in roles
        assert not _db.session.new and not _db.session.dirty
        assert person.village.name == "Mbeu"  # loaded when asked for
        assert person.password_hash == password_hash  # read from the database, never from the cache
        assert g.header_counts["cart"] == 0


def _person_read(counted) -> bool:
    return any("FROM users" in statement for statement in counted.statements)


def test_signing_out_everywhere_is_seen_on_the_next_get(kept, login, count_queries, places):
    buyer = factories.user("Amina", village=places["villages"]["Mbeu"])
    client = login(buyer)
    client.get("/")
    with count_queries() as counted:
        assert _signed_in(client.get("/").get_data(as_text=True))
    assert not _person_read(counted)  # kept
    admin = factories.with_role(Role.ADMIN)
    accounts.sign_out_everywhere(admin, _db.session.get(User, buyer.id), "lost phone")
    assert not _signed_in(client.get("/").get_data(as_text=True))
    assert client.get("/orders").status_code == 302  # to the sign-in page


def test_a_revoked_role_is_seen_on_the_next_get(kept, login, count_queries, places):
    official = factories.with_role(Role.OFFICIAL, places["departments"]["AGR"])
    client = login(official)
    assert client.get("/official/queue").status_code == 200
    with count_queries() as counted:
        assert client.get("/official/queue").status_code == 200
    assert not _person_read(counted)  # kept
    accounts.revoke_role(None, _db.session.get(User, official.id), Role.OFFICIAL, "moved on")
    assert client.get("/official/queue").status_code == 403


def test_the_header_follows_what_others_do(kept, login, places):
    village = places["villages"]["Mbeu"]
    farmer = factories.farmer(village, "Wanjiru")
    listing = factories.listing(farmer, factories.categories()["maize"], title="Dry maize")
    buyer = factories.user("Amina", village=village)
    client = login(buyer)
    client.get("/")
    client.get("/")  # kept, with nothing in the cart or the inbox
    assert g_counts(client) == {"cart": 0, "unread_messages": 0}
    cart.add_to_cart(_db.session.get(User, buyer.id), {}, listing.id, "2")  # another tab, another server
    assert g_counts(client)["cart"] == 1
    notify_user(_db.session.get(User, buyer.id), "order_ready", lambda: ("Hello", "Your maize is ready"))
    _db.session.commit()
    assert g_counts(client)["unread_messages"] == 1


def g_counts(client) -> dict[str, int]:
    """The header's counts as the next GET of the home page shows them."""
    page = client.get("/").get_data(as_text=True)
    found = {name: re.search(rf'{label} <span class="badge">(\d+)', page) for name, label in (("cart", "Cart"), ("unread_messages", "Messages"))}
    return {name: int(match[1]) if match else 0 for name, match in found.items()}


def test_a_change_whose_notice_was_lost_still_stops_every_post(kept, app, login, places, monkeypatch):
    """If a commit's notice never reaches Redis, a GET may be served from what was kept, for at most
    SIGNED_IN_KEEP_SECONDS; a POST, and so every change, is authorised against the database."""
    connection, prefix = kept
    monkeypatch.setitem(app.config, "SIGNED_IN_KEEP_SECONDS", 1)
    village = places["villages"]["Mbeu"]
    listing = factories.listing(factories.farmer(village, "Wanjiru"), factories.categories()["maize"], title="Dry maize")
    buyer = factories.user("Amina", village=village)
    client = login(buyer)
    client.get("/")
    generations = f"{prefix}signed-in:table:*"
    before = {key: connection.get(key) for key in connection.scan_iter(generations)}
    _db.session.execute(text("UPDATE users SET session_generation = session_generation + 1 WHERE id = :id"), {"id": buyer.id})
    _db.session.commit()
    after = {key: connection.get(key) for key in connection.scan_iter(generations)}
    assert after[f"{prefix}signed-in:table:*".encode()] != before.get(f"{prefix}signed-in:table:*".encode())  # SQL text: any table
    for key in after:  # the notice lost
        connection.delete(key)
    for key, value in before.items():
        connection.set(key, value)
    client.post(f"/cart/add/{listing.id}", data={"quantity": "1"})
    stored = _db.session.scalar(text("SELECT count(*) FROM cart_items WHERE user_id = :id"), {"id": buyer.id})
    assert stored == 0  # at most a guest's line, in that browser's session
    time.sleep(1.2)
    assert not _signed_in(client.get("/").get_data(as_text=True))


def test_only_committed_writes_raise_their_tables_generations(kept, places):
    connection, prefix = kept
    generation = lambda table: int(connection.get(f"{prefix}signed-in:table:{table}") or 0)  # noqa: E731
    person = factories.user("Amina", village=places["villages"]["Mbeu"])
    users, villages = generation("users"), generation("villages")
    person.name = "Amina W."
    _db.session.flush()
    _db.session.rollback()  # nothing of it was kept: no table changed
    village = _db.session.get(type(places["villages"]["Mbeu"]), places["villages"]["Mbeu"].id)
    village.name = "Mbeu Market"
    _db.session.commit()
    assert generation("users") == users
    assert generation("villages") == villages + 1


def test_a_person_kept_by_an_earlier_release_with_a_column_dropped_since_is_still_rebuilt(app):
    person = signed_in._detached(User, {"id": 7, "name": "Amina", "a_column_dropped_since": 1})
    assert (person.id, person.name) == (7, "Amina")
    assert not hasattr(person, "a_column_dropped_since")


def test_with_redis_away_the_person_is_read_from_the_database(app, own_redis, login, count_queries, places, monkeypatch):
    for name, value in {"REDIS_URL": own_redis.url, "SIGNED_IN_KEEP_SECONDS": 5, "PUBLIC_PAGE_CACHE_SECONDS": 30}.items():
        monkeypatch.setitem(app.config, name, value)
    signed_in.init_app(app)
    try:
        buyer = factories.user("Amina", village=places["villages"]["Mbeu"])
        client = login(buyer)
        client.get("/")
        client.get("/")
        with count_queries() as counted:
            client.get("/")
        assert not _person_read(counted)  # kept, while Redis answers
        own_redis.stop()
        with count_queries() as counted:
            page = client.get("/")
        assert page.status_code == 200 and _signed_in(page.get_data(as_text=True))
        assert _person_read(counted)
        accounts.sign_out(_db.session.get(User, buyer.id))  # its generations cannot be raised: nothing was kept meanwhile
        assert not _signed_in(client.get("/").get_data(as_text=True))
    finally:
        app.extensions.pop("signed_in_redis", None)
