"""The catalog as an attacker sees it: a forged Host header must not reach a cached page (issue 17)."""
from __future__ import annotations

import json
import re

from tests import factories


def _json_ld(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.+?)</script>', html, re.S).group(1))


def test_a_forged_host_header_never_reaches_the_listings_json_ld(client, app, places, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_PAGE_CACHE_SECONDS", 30)  # the page cache on, as in production
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"])
    listing = factories.listing(farmer, cats["maize"], title="Maize")
    poisoned = client.get(f"/listing/{listing.id}", headers={"Host": "attacker.example"}).get_data(as_text=True)
    assert "attacker.example" not in poisoned
    assert _json_ld(poisoned)["offers"]["url"] == f"{app.config['PUBLIC_BASE_URL']}/listing/{listing.id}"
    later = client.get(f"/listing/{listing.id}").get_data(as_text=True)  # the next visitor, from the cache
    assert "attacker.example" not in later
