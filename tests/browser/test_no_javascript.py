"""With JavaScript off (old phones, data savers): listing produce, ordering it and filing a government
form all work. Only card entry needs JavaScript, and its page says so."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from marketplace.egov.versions import ensure_seeded_services
from tests import factories
from tests.browser.pages import sign_in
from tests.egov.conftest import jpeg_bytes

NO_JS = dict(viewport={"width": 390, "height": 844}, java_script_enabled=False, is_mobile=True)


def test_list_order_and_file_without_javascript(browser, live_server, places):
    factories.categories()
    ensure_seeded_services()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    buyer = factories.user("Amina", village=places["villages"]["Mbeu"])

    context = browser.new_context(base_url=live_server, **NO_JS)
    page = context.new_page()
    sign_in(page, farmer)
    page.goto("/sell/new")
    page.get_by_label("Photos (up to 5)").set_input_files(
        [{"name": "honey.jpg", "mimeType": "image/jpeg", "buffer": factories.photo_bytes(800, 600)}])
    page.get_by_label("What are you selling?").fill("Acacia honey")
    page.get_by_label("Category").select_option(label="Honey")
    page.get_by_label("Sold by").select_option("litre")
    page.get_by_label("Price per unit").fill("800")
    page.get_by_label("How much do you have?").fill("5")
    page.get_by_role("button", name="Put on sale").click()
    expect(page.get_by_text("Your listing is on sale at Ksh\xa0800 per litre.")).to_be_visible()
    listing_url = page.url
    context.close()

    context = browser.new_context(base_url=live_server, **NO_JS)
    page = context.new_page()
    sign_in(page, buyer)
    page.goto(listing_url)
    page.get_by_role("textbox", name=re.compile("How much")).fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("\u2068Acacia honey\u2069 is in your cart.")).to_be_visible()
    page.goto("/checkout")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you! Your order is placed.")).to_be_visible()

    page.goto("/services/livestock-movement-permit")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("National ID number").fill("12345678")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Goats").check()
    page.get_by_label("How many?").fill("6")
    page.get_by_role("group", name="Are they vaccinated?").get_by_label("Yes").check()
    # Depends on the answer just above: already on the page, since no script can reveal it.
    page.get_by_label("Date of the last vaccination").fill("2026-06-01")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("From").select_option(label="Mbeu (Northland — Hill)")
    page.get_by_label("To").select_option(label="Tala (Southland — Coast)")
    page.get_by_label("Date of the move").fill("2030-01-15")
    page.get_by_label("Sale").check()
    page.get_by_label("Vaccination record").set_input_files(
        files=[{"name": "vet.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("You pay the fee at the office.")).to_be_visible()  # cards are off: the one way that works
    page.get_by_label("I declare that the information I have given is true and complete.").check()
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_text(re.compile(r"Your reference is \u2066?AGR-\d{4}-\d{6}"))).to_be_visible()
    expect(page.get_by_text("Bring the fee of Ksh\xa0300 to the office.")).to_be_visible()
    context.close()


def test_the_compact_header_and_its_menu_work_without_javascript(browser, live_server, places):
    """Issue 20: the signed-in header took a quarter of the screen; now two short rows and a menu that
    opens without a script (details/summary), in English and Arabic."""
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    for language in ("en", "ar"):
        context = browser.new_context(base_url=live_server, **NO_JS)
        page = context.new_page()
        sign_in(page, farmer)
        page.goto(f"/?lang={language}")
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 110, header  # was about 211 px of 844 (four rows of links)
        menu_links = page.locator(".site-menu .menu-links a")
        expect(menu_links.first).to_be_hidden()
        page.locator(".site-menu > summary").click()
        expect(menu_links.first).to_be_visible()
        assert page.locator(".site-menu .menu-links").bounding_box()["width"] <= 390
        page.locator(".site-menu a[href='/inbox']").click()
        expect(page).to_have_url(re.compile(r"/inbox"))
        context.close()
