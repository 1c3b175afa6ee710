"""The header and footer are kept per language, roles and counts (core.frame); each person still sees
their own counts, their own menu and a sign-out form that works for their session."""
from __future__ import annotations

import re

import pytest

from marketplace.core import frame
from tests import factories
from tests.support.browsers import CSRF_TOKEN, signed_in


@pytest.fixture
def listing(places):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    return factories.listing(farmer, cats["eggs"], title="Eggs", unit="dozen", price="240", stock="50")


def cart_badge(html: str) -> str | None:
    found = re.search(r'Cart <span class="badge">(\d+)<span class="visually-hidden"> items?</span>', html)
    return found.group(1) if found else None


def test_each_person_sees_their_own_counts_and_menu_from_the_kept_header(app, client, listing):
    amina, baraka = factories.user("Amina"), factories.user("Baraka")
    first, second = signed_in(app, amina), signed_in(app, baraka)
    first.post(f"/cart/add/{listing.id}", data={"quantity": "2"})
    assert cart_badge(first.get("/orders").get_data(as_text=True)) == "1"
    assert cart_badge(second.get("/orders").get_data(as_text=True)) is None  # the same header key but for the count
    farmer_page = signed_in(app, listing.farmer).get("/orders").get_data(as_text=True)
    buyer_page = second.get("/orders").get_data(as_text=True)
    assert "My listings" in farmer_page and "My listings" not in buyer_page  # roles are part of the key
    assert "Sign in" in app.test_client().get("/orders", follow_redirects=True).get_data(as_text=True)


def test_the_kept_sign_out_form_carries_each_sessions_own_token(app, client, listing):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browsers = [signed_in(app, factories.user("Amina")), signed_in(app, factories.user("Baraka"))]
        tokens = [CSRF_TOKEN.search(browser.get("/orders").get_data(as_text=True)).group(1) for browser in browsers]
        assert tokens[0] != tokens[1] and frame.CSRF_MARK not in browsers[0].get("/orders").get_data(as_text=True)
        # Baraka's token does not sign Amina out; each one's own does.
        assert browsers[0].post("/logout", data={"csrf_token": tokens[1]}).status_code == 400
        assert browsers[0].post("/logout", data={"csrf_token": tokens[0]}).status_code == 302
        assert browsers[1].post("/logout", data={"csrf_token": tokens[1]}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_footers_language_links_point_back_at_each_page(client, listing):
    assert 'href="/produce?q=eggs&amp;lang=fr"' in client.get("/produce?q=eggs").get_data(as_text=True)
    assert f'href="/listing/{listing.id}?lang=fr"' in client.get(f"/listing/{listing.id}").get_data(as_text=True)
    assert "Produits" in client.get("/produce?lang=fr").get_data(as_text=True)  # and the header in the language asked


def test_the_memory_is_bounded(app, client, listing, monkeypatch):
    monkeypatch.setattr(frame, "MEMO_LIMIT", 3)
    for n in range(6):
        client.get(f"/produce?page={n + 1}")
    assert 0 < len(app.extensions["frame_memo"]) <= 3
