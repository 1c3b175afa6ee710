"""The public price pages, the trend chart, the typical price beside a listing and under the price field."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from marketplace.catalog.models import Listing
from marketplace.core.timeutils import utcnow
from marketplace.opendata.aggregate import aggregate
from marketplace.opendata.models import PriceCell


def test_the_prices_page_lists_published_cells_only(client, market, db):
    aggregate(utcnow().date())
    page = client.get("/prices").get_data(as_text=True)
    assert "Ksh\xa0135" in page and "Ksh\xa0106" in page and "Ksh\xa0185" in page and "Hill" in page
    assert "Lake" not in page.split("<tbody>")[1]  # suppressed: two farmers


def test_the_trend_is_an_svg_with_the_same_numbers_in_a_table_in_every_direction(client, market, db):
    today = utcnow().date()
    db.session.execute(update(Listing).values(created_at=utcnow() - timedelta(days=30)))  # on sale for a month
    db.session.commit()
    for days_ago in (20, 5, 0):
        aggregate(today - timedelta(days=days_ago))
    hill = market["places"]["districts"]["Hill"]
    cell = db.session.scalar(select(PriceCell).where(PriceCell.district_id == hill.id, PriceCell.unit == "kg"))
    url = f"/prices/trend?category={cell.category_id}&unit=kg&district={hill.id}"
    page = client.get(url).get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg and "<script" not in svg
    assert len(re.findall(r"<circle", svg)) == 3 and "<polyline" in svg
    assert page.count("<tr>") >= 4 and "Ksh\xa0135" in page  # header row + one row per day
    arabic = client.get(url + "&lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and 'dir="ltr"' in re.search(r"<svg[^>]*>", arabic).group(0)
    assert "١٣٥" in arabic or "135" in arabic
    assert client.get("/prices/trend?category=999&unit=kg").status_code == 404


def test_a_listing_shows_the_typical_price_of_its_district(client, market, db):
    aggregate(utcnow().date())
    listing = market["listings"]["b120"]
    page = client.get(f"/listing/{listing.id}").get_data(as_text=True)
    assert "Typical price in this district: Ksh\xa0135 per kg (most between Ksh\xa0106 and Ksh\xa0185)." in page
    crate = market["listings"]["a_crate"]
    assert "Typical price in this district" not in client.get(f"/listing/{crate.id}").get_data(as_text=True)


def test_the_listing_form_hint_follows_what_the_farmer_types(client, login, market, db):
    aggregate(utcnow().date())
    farmer = market["farmers"][0]
    listing = market["listings"]["a100"]
    login(farmer)
    form = client.get(f"/sell/{listing.id}/edit").get_data(as_text=True)
    assert re.search(r'id="price-hint"[^>]*>Typical price in Hill: Ksh\xa0135 per kg', form)
    assert "js/price-hint.js" in form
    village = farmer.farmer_profile.village_id
    hint = client.get(f"/prices/hint?category={listing.category_id}&unit=kg&village={village}&price=162").get_json()["hint"]
    assert hint.startswith("Typical price in Hill: Ksh\xa0135 per kg") and hint.endswith("Your price is 20% above the typical price.")
    lower = client.get(f"/prices/hint?category={listing.category_id}&unit=kg&village={village}&price=108").get_json()["hint"]
    assert lower.endswith("Your price is 20% below the typical price.")
    assert client.get(f"/prices/hint?category={listing.category_id}&unit=kg&village={village}&price=abc").get_json()["hint"].endswith(")." )
    assert client.get(f"/prices/hint?category={listing.category_id}&unit=crate&village={village}").get_json()["hint"] == ""
    spanish = client.get(f"/prices/hint?category={listing.category_id}&unit=kg&village={village}&price=162&lang=es").get_json()["hint"]
    assert "Hill" in spanish and "por encima" in spanish


def test_service_performance_page_and_the_open_data_page(client, egov, db):
    from tests.opendata.test_aggregate import _decided

    month = (utcnow().date().replace(day=1) - timedelta(days=1)).replace(day=1)
    for hours, approve, rating in ((24, True, 5), (72, False, 4)):
        _decided(egov, hours, approve, rating, month)
    db.session.commit()
    aggregate(month + timedelta(days=3))
    page = client.get("/performance").get_data(as_text=True)
    assert "Agricultural input subsidy" in page and "50%" in page and "4.5 of 5 (2 ratings)" in page
    assert "2.0 / 2.8" in page  # 48 h typical, 9 in 10 within 67.2 h → 2.8 days
    assert "/api/v1/openapi.json" in client.get("/open-data").get_data(as_text=True)


def _new_listing(client, farmer, category, **overrides):
    data = {"title": "Tomatoes", "category_id": str(category.id), "unit": "kg", "price": "130", "stock": "20",
            "min_order": "", "village_id": str(farmer.farmer_profile.village_id), "pickup_point": "Mbeu market",
            "description": "", "publish": "1"}
    data.update(overrides)
    return client.post("/sell/new", data=data)


def test_a_price_far_from_what_farmers_nearby_ask_is_asked_about_before_it_goes_on_sale(client, login, market, db):
    """Issue 20: "1,000" typed where 1 was read. A price a third or three times the typical one is
    questioned once, with everything typed kept; ticking "yes, this price is right" puts it on sale."""
    aggregate(utcnow().date())
    farmer, tomatoes = market["farmers"][0], market["cats"]["tomatoes-peppers"]
    login(farmer)
    before = db.session.query(Listing).count()
    asked = _new_listing(client, farmer, tomatoes, price="1", title="Cheap tomatoes")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 422 and db.session.query(Listing).count() == before
    assert "Ksh\xa01 per kg is far from what farmers in Hill ask (most between" in page
    assert 'name="price_confirmed"' in page and 'href="#price_confirmed"' in page and 'value="Cheap tomatoes"' in page
    assert "Buyers will see: Ksh\xa01 per kg" in page
    confirmed = _new_listing(client, farmer, tomatoes, price="1", title="Cheap tomatoes", price_confirmed="y")
    assert confirmed.status_code == 302
    listing = db.session.scalar(select(Listing).where(Listing.title == "Cheap tomatoes"))
    assert listing.price_minor == 100
    near = _new_listing(client, farmer, tomatoes, price="1,000", title="Big tomatoes")  # a thousand: far above too
    assert near.status_code == 422 and "Ksh\xa01,000 per kg is far from" in near.get_data(as_text=True)
    usual = _new_listing(client, farmer, tomatoes, price="140", title="Usual tomatoes")
    assert usual.status_code == 302


def test_keeping_a_far_price_when_editing_something_else_asks_nothing(client, login, market, db):
    aggregate(utcnow().date())
    farmer, listing = market["farmers"][0], market["listings"]["a100"]
    db.session.execute(update(Listing).where(Listing.id == listing.id).values(price_minor=100))  # KES 1, confirmed earlier
    db.session.commit()
    login(farmer)
    form = client.get(f"/sell/{listing.id}/edit").get_data(as_text=True)
    data = {name: value for name, value in re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', form)}
    data.update(title="Renamed tomatoes", unit="kg", category_id=str(listing.category_id), village_id=str(listing.village_id),
                pickup_point="Mbeu market", publish="1")
    assert client.post(f"/sell/{listing.id}/edit", data=data).status_code == 302


def test_the_price_preview_reads_what_is_typed_by_the_saving_rule(client, login, market):
    login(market["farmers"][0])
    url = "/prices/hint?unit=kg&price="
    assert client.get(url + "1,000").get_json()["preview"] == "Buyers will see: Ksh\xa01,000 per kg"
    assert "can be read in more than one way" in client.get(url + "1.000").get_json()["preview"]
    assert client.get(url + "1 250,50&lang=fr").get_json()["preview"].startswith("Les acheteurs verront")
    assert client.get(url).get_json()["preview"] == ""
    assert client.get("/prices/hint?unit=tonne&price=5").get_json()["preview"] == ""
