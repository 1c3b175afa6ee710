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


def test_an_agent_changes_a_listing_they_entered_only_with_the_farmer_beside_them(client, login, places, db):
    from marketplace.accounts.models import PresenceCheck, Role
    from marketplace.catalog.models import Listing

    cats = factories.categories()
    farmer, agent = factories.farmer(places["villages"]["Mbeu"]), factories.with_role(Role.AGENT)
    factories.present(agent, farmer)
    listing = factories.listing(farmer, cats["maize"], actor=agent, stock="10")
    db.session.execute(db.delete(PresenceCheck))  # the farmer has left the service centre
    db.session.commit()
    login(agent)
    response = client.post(f"/sell/{listing.id}/stock", data={"stock": "0"})
    assert response.headers["Location"].endswith(f"/agent/residents?person={farmer.id}")
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).stock_milli == 10_000
