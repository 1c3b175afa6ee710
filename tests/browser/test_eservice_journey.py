"""At 390×844: a resident completes a multi-step government form with a photo of their ID and
reaches the confirmation with a reference number."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from marketplace.egov.versions import ensure_seeded_services
from tests import factories
from tests.browser.pages import sign_in
from tests.egov.conftest import jpeg_bytes

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


def test_a_resident_files_a_subsidy_application_with_a_document(browser, live_server, places, screenshot):
    ensure_seeded_services()
    resident = factories.user("Achieng", village=places["villages"]["Mbeu"])
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, resident)
    page.goto("/services")
    page.get_by_role("link", name="Agricultural input subsidy").click()
    expect(page.get_by_role("heading", name="Who can apply")).to_be_visible()
    page.get_by_role("button", name="Start now").click()

    expect(page.get_by_label("Full name")).to_have_value("Achieng")  # from the account
    page.get_by_label("National ID number").fill("12ab")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter 6 to 10 digits.")  # error summary, linked to the field
    page.get_by_label("National ID number").fill("12345678")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Farm size in hectares").fill("1.5")
    page.get_by_label("Maize").check()
    page.get_by_label("Beans").check()
    page.get_by_role("group", name="Is any of the land irrigated?").get_by_label("No").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Your sales on Village Square")).to_be_visible()  # optional: nothing to sell
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Both").check()
    page.get_by_label("How many 50 kg bags of fertiliser?").fill("4")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Photo or scan of your national ID").set_input_files(
        files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    screenshot(page, "documents")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Maize, Beans")).to_be_visible()
    page.get_by_label("I declare that the information I have given is true and complete.").check()
    screenshot(page, "check")
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_text(re.compile(r"Your reference is \u2066?AGR-\d{4}-\d{6}"))).to_be_visible()
    expect(page.get_by_text("received").first).to_be_visible()
    screenshot(page, "confirmation")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
