"""Food miles on the catalogue: each card and listing says how far its village is from the reader's
own place (figures checked against the great circle worked out here), "closest to me" orders by
that distance, and the shared fragments stay shared (the distances are filled around them)."""
from __future__ import annotations

import re

import pytest

from marketplace.extensions import db
from tests import factories
from tests.support.great_circle import between_villages


@pytest.fixture
def market(places):
    cats = factories.categories()
    v = places["villages"]
    made = {}
    for name in ("Ahero", "Mbeu", "Kianjai", "Tala"):  # created in this order: Tala's is the newest
        farmer = factories.farmer(v[name], f"Farmer of {name}")
        made[name] = factories.listing(farmer, cats["vegetables"], title=f"Cabbages from {name}")
    return {"listings": made, "villages": v, "category": cats["vegetables"]}


def _titles_in_order(html: str) -> list[str]:
    return re.findall(r'<span class="listing-title">Cabbages from ([A-Za-z]+)</span>', html)


def test_each_card_says_how_far_it_is_from_the_readers_place(client, login, market):
    v = market["villages"]
    login(factories.user("Njeri", village=v["Kianjai"]))
    page = client.get("/produce").get_data(as_text=True)
    cards = dict(re.findall(r'Cabbages from ([A-Za-z]+)</span>.*?(?:<span class="distance">([^<]*)</span>|</li>)', page, re.S))
    to_mbeu, to_ahero = between_villages(v["Kianjai"], v["Mbeu"]), between_villages(v["Kianjai"], v["Ahero"])
    assert cards["Mbeu"] == f"{round(to_mbeu)} km from you" == "7 km from you"
    assert cards["Ahero"] == f"{round(to_ahero)} km from you" == "321 km from you"
    assert cards["Kianjai"] == "Less than 1 km from you"
    assert cards["Tala"] == ""  # the gazetteer does not place Tala: no figure rather than a wrong one
    detail = client.get(f"/listing/{market['listings']['Ahero'].id}").get_data(as_text=True)
    assert '<span class="distance">321 km from you</span>' in detail


def test_a_visitor_or_someone_without_a_place_sees_no_distance_and_the_fragment_stays_shared(app, client, login, market, monkeypatch):
    monkeypatch.setitem(app.config, "FRAGMENT_CACHE_SECONDS", 60)
    anonymous = client.get("/produce?organic=").get_data(as_text=True)
    assert 'class="distance"' not in anonymous and "<!--km:" in anonymous  # the marks are inert comments
    assert "Closest to me" not in anonymous
    login(factories.user("Nobody placed", village=None))
    assert 'class="distance"' not in client.get("/produce?organic=").get_data(as_text=True)
    login(factories.user("Otieno", village=market["villages"]["Ahero"]))
    from_ahero = client.get("/produce?organic=").get_data(as_text=True)  # the same fragment, filled for Otieno
    assert '<span class="distance">321 km from you</span>' in from_ahero and "Less than 1 km from you" in from_ahero


def test_closest_to_me_orders_by_distance_from_the_place_and_puts_unplaced_villages_last(client, login, market):
    v = market["villages"]
    assert _titles_in_order(client.get("/produce").get_data(as_text=True)) == ["Tala", "Kianjai", "Mbeu", "Ahero"]  # newest
    closest = client.get(f"/produce?sort=closest&near={v['Kianjai'].id}").get_data(as_text=True)
    assert _titles_in_order(closest) == ["Kianjai", "Mbeu", "Ahero", "Tala"]
    assert 'Closest to Kianjai</option>' in closest and f'name="near" value="{v["Kianjai"].id}"' in closest
    from_ahero = client.get(f"/produce?sort=closest&near={v['Ahero'].id}").get_data(as_text=True)
    assert _titles_in_order(from_ahero) == ["Ahero", "Mbeu", "Kianjai", "Tala"]  # Mbeu is 6.7 km nearer Ahero
    unplaced = client.get(f"/produce?sort=closest&near={v['Tala'].id}").get_data(as_text=True)
    assert _titles_in_order(unplaced) == ["Tala", "Kianjai", "Mbeu", "Ahero"]  # no position: the usual order
    in_category = client.get(f"/produce/vegetables?sort=closest&near={v['Mbeu'].id}&q=cabbages").get_data(as_text=True)
    assert _titles_in_order(in_category) == ["Mbeu", "Kianjai", "Ahero", "Tala"]


def test_a_signed_in_person_is_offered_closest_to_me_from_their_own_place(client, login, market):
    home = market["villages"]["Mbeu"]
    login(factories.user("Wairimu", village=home))
    browse = client.get("/produce").get_data(as_text=True)
    assert '<option value="closest">Closest to me</option>' in browse and f'<input type="hidden" name="near" value="{home.id}">' in browse
    front = client.get("/").get_data(as_text=True)
    assert f'href="/produce?sort=closest&amp;near={home.id}"' in front and "Produce closest to me" in front
    db.session.expire_all()


def test_under_a_kilometre_is_never_rounded_up_to_one(app):
    from marketplace.catalog.presentation import distance_phrase

    with app.test_request_context("/"):  # the phrases are kept per request: the order of asking must not matter
        assert [str(distance_phrase(km)) for km in (0.6, 1.2, 0.2, 1.4)] == [
            '<span class="distance">Less than 1 km from you</span>', '<span class="distance">1 km from you</span>',
            '<span class="distance">Less than 1 km from you</span>', '<span class="distance">1 km from you</span>']


@pytest.mark.parametrize("walk", [40, 1])  # 1: past the first village, the one sorted query takes over
def test_closest_pages_follow_one_order_whether_walked_village_by_village_or_sorted(places, monkeypatch, walk):
    from marketplace.catalog import browse

    cats = factories.categories()
    v = places["villages"]
    made = {}
    for name, count in (("Tala", 1), ("Ahero", 2), ("Mbeu", 2), ("Kianjai", 3)):
        farmer = factories.farmer(v[name], f"Farmer of {name}")
        made[name] = [factories.listing(farmer, cats["vegetables"], title=f"{name} lot {i}").id for i in range(count)]
    expected = [*reversed(made["Kianjai"]), *reversed(made["Mbeu"]), *reversed(made["Ahero"]), *made["Tala"]]
    monkeypatch.setattr(browse, "PAGE_SIZE", 2)
    monkeypatch.setattr(browse, "WALK_VILLAGES", walk)
    seen, page = [], 1
    while True:
        result = browse.browse(browse.BrowseFilters(sort="closest", near_village_id=v["Kianjai"].id, page=page))
        seen += [listing.id for listing in result.listings]
        if not result.has_next:
            break
        page += 1
    assert seen == expected and page == 4
