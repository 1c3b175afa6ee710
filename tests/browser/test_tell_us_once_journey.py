"""At 390×844: a farmer who sells on Village Square opens the subsidy form, agrees to share, finds the
answers filled, corrects one and sends it; the official sees which answers came from the profile."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from marketplace.accounts.models import Role
from marketplace.egov.versions import ensure_seeded_services
from marketplace.orders import cart
from marketplace.orders import services as orders
from marketplace.orders.checkout import place_checkout
from marketplace.orders.models import OrderStatus
from tests import factories
from tests.browser.pages import sign_in
from tests.egov.conftest import jpeg_bytes

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


def _farmer_with_a_sale(places):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    maize = factories.listing(farmer, cats["maize"], title="Dry maize", unit="sack", price="4200", stock="10")
    buyer = factories.user("Buyer")
    cart.add_to_cart(buyer, {}, maize.id, "3")
    order = place_checkout(buyer, {}, {}).orders[0]
    for status in (OrderStatus.READY_FOR_PICKUP, OrderStatus.COLLECTED, OrderStatus.COMPLETED):
        orders.move(farmer, order, status, pickup_code=order.pickup_code or "")
    return farmer


def test_a_farmer_shares_profile_facts_edits_one_and_the_official_sees_the_marks(browser, live_server, places, screenshot):
    ensure_seeded_services()
    farmer = _farmer_with_a_sale(places)
    official = factories.with_role(Role.OFFICIAL, places["departments"]["AGR"])

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, farmer)
    page.goto("/services")
    page.get_by_role("link", name="Agricultural input subsidy").click()
    page.get_by_role("button", name="Start now").click()

    expect(page.get_by_role("heading", name="Fill in from your Village Square profile?")).to_be_visible()
    expect(page.get_by_text("your farm's name")).to_be_visible()
    screenshot(page, "consent")
    page.get_by_role("button", name="Yes, copy them").click()
    expect(page.get_by_label("Full name")).to_have_value("Wanjiru")
    page.get_by_label("National ID number").fill("12345678")
    page.get_by_role("button", name="Save and continue").click()

    farm_name = page.get_by_label("Farm name")
    expect(farm_name).to_have_value("Wanjiru's farm")  # copied from the profile
    farm_name.fill("Wanjiru Hill Farm")  # and corrected by the farmer
    page.get_by_label("Farm size in hectares").fill("2")
    page.get_by_label("Maize").check()
    page.get_by_role("group", name="Is any of the land irrigated?").get_by_label("No").check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Your sales on Village Square")).to_be_visible()
    expect(page.get_by_label("What you sold in the last 12 months")).to_have_value(re.compile(r"Maize: 3 sacks"))
    expect(page.get_by_label("Orders completed in the last 12 months")).to_have_value("1")
    screenshot(page, "sales-filled")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Both").check()
    page.get_by_label("How many 50 kg bags of fertiliser?").fill("4")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Photo or scan of your national ID").set_input_files(
        files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Wanjiru Hill Farm")).to_be_visible()
    page.get_by_label("I declare that the information I have given is true and complete.").check()
    page.get_by_role("button", name="Send application").click()
    confirmation = page.get_by_text(re.compile(r"Your reference is \u2066?AGR-\d{4}-\d{6}"))
    expect(confirmation).to_be_visible()
    reference = re.search(r"AGR-\d{4}-\d{6}", confirmation.inner_text()).group(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, official)
    page.goto(f"/official/applications/{reference}")
    farm_row = page.locator("dd", has_text="Wanjiru Hill Farm")
    expect(farm_row).to_contain_text("edited by the applicant")
    # The sales figures show twice: as the filed answer (marked) and in the side panel of shared facts.
    expect(page.locator("dd", has_text="Maize: 3 sacks").filter(has_text="from the applicant's Village Square profile")).to_have_count(1)
    expect(page.get_by_role("heading", name="What the applicant shares from Village Square")).to_be_visible()
    expect(page.locator("dd", has_text="12345678")).not_to_contain_text("Village Square profile")  # typed, not copied
    screenshot(page, "official-marks")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
