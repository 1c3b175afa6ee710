"""One redirect-safety rule (core.views): a `next` or a Referer leads only to a path of this site."""
from __future__ import annotations

import pytest

from marketplace.core.views import back_or, safe_next


@pytest.mark.parametrize("target, expected", [
    ("/sell/listings/4?page=2", "/sell/listings/4?page=2"),
    ("/", "/"),
    ("https://evil.example/", "/fallback"),
    ("//evil.example/", "/fallback"),
    ("/\\evil.example", "/fallback"),  # browsers read a backslash as a slash: //evil.example
    ("javascript:alert(1)", "/fallback"),
    ("sell", "/fallback"),
    ("", "/fallback"),
    (None, "/fallback"),
])
def test_next_is_followed_only_to_a_path_of_this_site(app, target, expected):
    assert safe_next(target, "/fallback") == expected


@pytest.mark.parametrize("referrer, expected", [
    ("http://localhost/reports/7?page=2", "/reports/7?page=2"),
    ("http://evil.example/reports/7", "/fallback"),
    ("http://localhost.evil.example/x", "/fallback"),
    (None, "/fallback"),
])
def test_back_goes_to_the_page_of_this_site_the_request_came_from(app, referrer, expected):
    headers = {"Referer": referrer} if referrer else {}
    with app.test_request_context("/reports/7/support", method="POST", headers=headers, base_url="http://localhost"):
        assert back_or("/fallback") == expected


def test_a_listing_action_sends_the_farmer_back_only_within_the_site(client, login, places):
    """The farmer dashboard's quick actions carry `next`; another site's address is not followed."""
    from tests import factories

    farmer = factories.farmer(places["villages"]["Mbeu"])
    listing = factories.listing(farmer, next(iter(factories.categories().values())))
    login(farmer)
    for target, expected in (("https://evil.example/", "/sell"), ("/sell?page=2", "/sell?page=2")):
        response = client.post(f"/sell/{listing.id}/stock", data={"stock": "12", "next": target})
        assert response.status_code == 302 and response.headers["Location"].endswith(expected), response.headers["Location"]
