"""At 390×844, with card payment off (the default): a resident files a service with a fee and
reaches the office, paying there; in Arabic too (issue 20: this was a dead end)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.accounts.models import Department
from marketplace.egov.versions import ensure_seeded_services
from marketplace.extensions import db
from tests import factories
from tests.browser.pages import sign_in
from tests.egov.conftest import jpeg_bytes

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
WORDS = {  # what the resident reads and taps, in each language walked
    "en": {"owner": "Owner", "loan": "A loan", "office": "You pay the fee at the office."},
    "ar": {"owner": "المالك", "loan": "قرض", "office": "تدفع الرسوم في المكتب."},
}


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_resident_files_a_service_with_a_fee_and_pays_at_the_office(browser, live_server, places, screenshot, language):
    for code, name in (("LND", "Lands"), ("TRD", "Trade and Licensing")):  # the land office publishes this service
        db.session.add(Department(code=code, name=name))
    db.session.commit()
    ensure_seeded_services()
    resident = factories.user("Achieng", village=places["villages"]["Mbeu"])
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, resident)
    words = WORDS[language]
    page.goto(f"/services?lang={language}")
    page.locator("a[href$=\"/services/land-use-certificate\"]").first.click()
    page.locator("form button[type=submit]").last.click()  # start

    page.locator("#national_id").fill("12345678")
    page.locator("form button[type=submit]").last.click()
    page.locator("#plot_village").select_option(index=1)
    page.locator("#plot_size").fill("0.5")
    page.get_by_label(words["owner"], exact=True).check()
    page.locator("form button[type=submit]").last.click()
    page.get_by_label(words["loan"], exact=True).check()
    page.locator("form button[type=submit]").last.click()
    page.locator("#id_copy").set_input_files(files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    page.locator("form button[type=submit]").last.click()

    expect(page.get_by_text(words["office"])).to_be_visible()  # the only way that works: no card choice offered
    expect(page.locator("input[name=payment][type=radio]")).to_have_count(0)
    page.locator("#declared").check()
    screenshot(page, f"fee-check-{language}")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_text(re.compile(r"LND-\d{4}-\d{6}")).first).to_be_visible()
    expect(page.locator(".notice")).to_contain_text(re.compile(r"Ksh\u00a01,000|1,000\u00a0KES"))  # the fee, as the language writes it
    screenshot(page, f"fee-sent-{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
