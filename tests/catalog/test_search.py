"""Search and browse, run on SQLite (FTS5) and on PostgreSQL (tsvector) with the same expectations."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from marketplace.catalog import browse, moderation, services
from marketplace.catalog.browse import BrowseFilters, Sort
from marketplace.catalog.categories import CATEGORY_TREE
from marketplace.catalog.models import ListingStatus
from tests import factories


@pytest.fixture
def market(farmer, other_farmer, cats):
    return {
        "tomatoes": factories.listing(farmer, cats["tomatoes-peppers"], title="Ripe Tomatoes", price="120", description="Red and sweet."),
        "coffee": factories.listing(farmer, cats["herbs-spices"], title="Café arábica beans", price="900", unit="kg", stock="5"),
        "maize": factories.listing(other_farmer, cats["maize"], title="Dry maize", price="45", unit="sack", stock="20",
                                   delivery_available=True, delivery_fee="100", is_organic=True),
        "honey": factories.listing(other_farmer, cats["honey"], title="Acacia honey", price="800", unit="litre", stock="3",
                                   harvest_date=date.today() - timedelta(days=3)),
    }


def titles(filters: BrowseFilters) -> list[str]:
    return [listing.title for listing in browse.browse(filters).listings]


def test_search_ignores_case(market):
    assert titles(BrowseFilters(query="TOMATOES")) == ["Ripe Tomatoes"]


def test_search_ignores_accents_both_ways(market):
    assert titles(BrowseFilters(query="cafe arabica")) == ["Café arábica beans"]
    assert titles(BrowseFilters(query="tomátoes")) == ["Ripe Tomatoes"]


def test_search_matches_plurals_through_the_stemmer(market):
    assert titles(BrowseFilters(query="tomato")) == ["Ripe Tomatoes"]
    assert titles(BrowseFilters(query="beans")) == titles(BrowseFilters(query="bean")) == ["Café arábica beans"]


def test_search_finds_words_in_the_description_and_needs_every_word(market):
    assert titles(BrowseFilters(query="sweet")) == ["Ripe Tomatoes"]
    assert titles(BrowseFilters(query="sweet maize")) == []


def test_search_finds_category_names_in_english_and_spanish(market):
    assert titles(BrowseFilters(query="vegetables")) == ["Ripe Tomatoes"]
    with force_locale("es"):
        assert str(CATEGORY_TREE["vegetables"][0]) == "Verduras"
    assert titles(BrowseFilters(query="verduras")) == ["Ripe Tomatoes"]
    assert titles(BrowseFilters(query="miel")) == ["Acacia honey"]


def test_search_shows_only_what_is_on_sale(market, farmer, admin):
    services.change_status(farmer, market["tomatoes"], ListingStatus.PAUSED)
    assert titles(BrowseFilters(query="tomatoes")) == []
    services.change_status(farmer, market["tomatoes"], ListingStatus.ACTIVE)
    moderation.hide_listing(admin, market["tomatoes"], "duplicate")
    assert titles(BrowseFilters(query="tomatoes")) == []


def test_search_sees_edits(market, farmer, cats):
    data = factories.listing_input(farmer.farmer_profile.village, cats["leafy-greens"], title="Kale", description="")
    services.update_listing(farmer, market["tomatoes"], data)
    assert titles(BrowseFilters(query="tomatoes")) == [] and titles(BrowseFilters(query="kale")) == ["Kale"]


def test_punctuation_and_query_syntax_are_harmless(market):
    for query in ['"', "tomato*", "NEAR(a b)", "a OR b", "-tomatoes", "'; DROP TABLE listings; --", "&|!():*"]:
        browse.browse(BrowseFilters(query=query))
    assert titles(BrowseFilters(query="tomatoes!")) == ["Ripe Tomatoes"]


def test_filters_by_category_tree_district_price_organic_delivery_and_availability(market, places, cats):
    assert titles(BrowseFilters(category_slug="grains-pulses")) == ["Dry maize"]  # a parent includes its children
    assert set(titles(BrowseFilters(district_id=places["districts"]["Coast"].id))) == {"Dry maize", "Acacia honey"}
    assert set(titles(BrowseFilters(region_id=places["districts"]["Hill"].region_id))) == {"Ripe Tomatoes", "Café arábica beans"}
    assert titles(BrowseFilters(min_price_minor=10000, max_price_minor=15000)) == ["Ripe Tomatoes"]
    assert titles(BrowseFilters(organic=True)) == titles(BrowseFilters(delivery=True)) == ["Dry maize"]
    assert len(titles(BrowseFilters(available_now=True))) == 4


def test_sorts(market):
    assert titles(BrowseFilters(sort=Sort.PRICE_LOW)) == ["Dry maize", "Ripe Tomatoes", "Acacia honey", "Café arábica beans"]
    assert titles(BrowseFilters(sort=Sort.PRICE_HIGH))[0] == "Café arábica beans"
    assert titles(BrowseFilters(sort=Sort.NEWEST))[0] == "Acacia honey"
    assert titles(BrowseFilters(sort=Sort.HARVEST))[0] == "Acacia honey"


def test_pages_of_twenty_with_a_next_page_flag(farmer, cats):
    for i in range(23):
        factories.listing(farmer, cats["maize"], title=f"Maize lot {i}")
    first, second = browse.browse(BrowseFilters(page=1)), browse.browse(BrowseFilters(page=2))
    assert (len(first.listings), first.has_next, len(second.listings), second.has_next) == (20, True, 3, False)
    assert not {x.id for x in first.listings} & {x.id for x in second.listings}


def test_home_shows_the_persons_district_first(market, places):
    hill = places["districts"]["Hill"].id
    sections = browse.home_sections(hill)
    assert {x.title for x in sections["near"]} == {"Ripe Tomatoes", "Café arábica beans"}
    assert {x.title for x in sections["newest"]} == {"Dry maize", "Acacia honey"}
    assert "near" not in browse.home_sections(None)


def test_a_listing_that_is_not_on_sale_is_seen_only_by_those_who_manage_it(market, farmer, other_farmer, admin):
    from marketplace.core.errors import NotFound

    services.change_status(farmer, market["tomatoes"], ListingStatus.PAUSED)
    with pytest.raises(NotFound):
        browse.public_listing(market["tomatoes"].id, other_farmer)
    assert browse.public_listing(market["tomatoes"].id, farmer).id == market["tomatoes"].id
    assert browse.public_listing(market["tomatoes"].id, admin).id == market["tomatoes"].id


def test_rebuilding_the_index_finds_the_same(market):
    from marketplace.catalog.search import rebuild_index

    assert rebuild_index() == 4
    assert titles(BrowseFilters(query="tomato")) == ["Ripe Tomatoes"]
    assert titles(BrowseFilters(query="verduras")) == ["Ripe Tomatoes"]
