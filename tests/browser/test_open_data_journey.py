"""At 390×844: the typical price follows the farmer's typing; a resident reports a problem with a photo;
the price trend reads in Arabic."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from marketplace.catalog.models import Listing
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.opendata.aggregate import aggregate
from marketplace.voice.seeding import ensure_default_routing
from tests import factories
from tests.browser.pages import sign_in

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


def _three_farmers(places):
    cats = factories.categories()
    farmers = [factories.farmer(places["villages"]["Mbeu"], name) for name in ("Achieng", "Baraka", "Chebet")]
    listings = [factories.listing(f, cats["tomatoes-peppers"], price=price) for f, price in zip(farmers, ("100", "135", "170"), strict=True)]
    return farmers, listings


def test_the_price_hint_follows_what_the_farmer_types(browser, live_server, places, screenshot):
    farmers, listings = _three_farmers(places)
    aggregate(utcnow().date())
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, farmers[0])
    page.goto(f"/sell/{listings[0].id}/edit")
    hint = page.locator("#price-hint")
    expect(hint).to_contain_text("Typical price in Hill: Ksh\xa0135 per kg")
    page.get_by_label("Price per unit").fill("162")
    expect(hint).to_contain_text("Your price is 20% above the typical price.")
    page.get_by_label("Price per unit").fill("108")
    expect(hint).to_contain_text("Your price is 20% below the typical price.")
    screenshot(page, "price-hint")
    context.close()


def test_a_resident_reports_a_problem_with_a_photo_and_finds_it_in_public(browser, live_server, places, screenshot):
    from marketplace.accounts.models import Department

    db.session.add(Department(code="PWK", name="Public Works, Water and Energy"))
    db.session.commit()
    ensure_default_routing()
    resident = factories.user("Wanjiku", village=places["villages"]["Mbeu"])
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, resident)
    page.goto("/reports")
    page.get_by_role("link", name="Report a problem or suggest something").click()
    page.get_by_label("What is it about?").select_option(label="Roads")
    page.get_by_label("What is wrong, or what do you suggest?").fill("The bridge to the market fell in the rains.")
    page.get_by_label("Photos (up to 3, optional)").set_input_files(
        files=[{"name": "bridge.jpg", "mimeType": "image/jpeg", "buffer": factories.photo_bytes(1200, 900)}])
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Thank you. Your report is number")).to_be_visible()
    expect(page.get_by_role("img", name="Photo 1 of the report")).to_be_visible()
    expect(page.get_by_text("Public Works, Water and Energy")).to_be_visible()
    screenshot(page, "report")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/reports")
    expect(page.get_by_text("The bridge to the market fell in the rains.")).to_be_visible()
    assert "Wanjiku" not in page.locator("main").inner_text()
    context.close()


def test_the_price_trend_reads_right_to_left_in_arabic(browser, live_server, places, screenshot):
    farmers, listings = _three_farmers(places)
    db.session.execute(update(Listing).values(created_at=utcnow() - timedelta(days=40)))
    db.session.commit()
    for days_ago in (30, 14, 7, 0):
        aggregate(utcnow().date() - timedelta(days=days_ago))
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    page.goto(f"/prices/trend?category={listings[0].category_id}&unit=kg&district={listings[0].district_id}&lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    chart = page.get_by_role("img")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] <= 390 and box["height"] > 100
    expect(page.locator("tbody tr")).to_have_count(4)
    screenshot(page, "trend-ar")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
