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
    assert "KES135.00" in page and "KES106.00" in page and "KES185.00" in page and "Hill" in page
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
    assert page.count("<tr>") >= 4 and "KES135.00" in page  # header row + one row per day
    arabic = client.get(url + "&lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and 'dir="ltr"' in re.search(r"<svg[^>]*>", arabic).group(0)
    assert "١٣٥" in arabic or "135" in arabic
    assert client.get("/prices/trend?category=999&unit=kg").status_code == 404


def test_a_listing_shows_the_typical_price_of_its_district(client, market, db):
    aggregate(utcnow().date())
    listing = market["listings"]["b120"]
    page = client.get(f"/listing/{listing.id}").get_data(as_text=True)
    assert "Typical price in this district: KES135.00 per kg (most between KES106.00 and KES185.00)." in page
    crate = market["listings"]["a_crate"]
    assert "Typical price in this district" not in client.get(f"/listing/{crate.id}").get_data(as_text=True)


def test_the_listing_form_hint_follows_what_the_farmer_types(client, login, market, db):
    aggregate(utcnow().date())
    farmer = market["farmers"][0]
    listing = market["listings"]["a100"]
    login(farmer)
    form = client.get(f"/sell/{listing.id}/edit").get_data(as_text=True)
    assert re.search(r'id="price-hint"[^>]*>Typical price in Hill: KES135.00 per kg', form)
    assert "js/price-hint.js" in form
    village = farmer.farmer_profile.village_id
    hint = client.get(f"/prices/hint?category={listing.category_id}&unit=kg&village={village}&price=162").get_json()["hint"]
    assert hint.startswith("Typical price in Hill: KES135.00 per kg") and hint.endswith("Your price is 20% above the typical price.")
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
