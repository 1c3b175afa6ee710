"""At 390×844, in English and Arabic, the e-government journey across three people and one stranger:
an agent files for a resident who is beside them (a code texted to the resident's phone), reading the
questions addressed to that resident by name; the official of the department takes it into review and
approves it with a reason; the resident reads the decision and its code; anyone checks the code."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.accounts.models import Role
from marketplace.egov.versions import ensure_seeded_services
from tests import factories
from tests.browser.pages import sign_in
from tests.egov.conftest import jpeg_bytes

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
SAVE = "main form:not(.language-offer) button[type=submit]:not(.link-button)"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_agent_files_for_a_resident_the_official_approves_and_anyone_verifies(
        browser, live_server, places, screenshot, phone_inbox, language):
    ensure_seeded_services()
    village = places["villages"]["Mbeu"]
    resident = factories.user("Achieng Otieno", village=village, locale=language)
    agent = factories.with_role(Role.AGENT, village=village, locale=language)
    official = factories.with_role(Role.OFFICIAL, places["departments"]["AGR"], village=village, locale=language)

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, agent)
    page.goto("/agent/residents")
    page.fill("input[name='find-phone']", resident.phone)
    page.click("form:has(input[name='find-phone']) button[type=submit]")
    expect(page.locator("#presence")).to_be_visible()  # nothing of hers is shown before she proves she is here
    expect(page.get_by_text("Achieng Otieno")).to_have_count(0)
    page.click("#presence button[name=send]")
    code = re.search(r"\b(\d{6})\b", next(m["body"] for m in phone_inbox if m["recipient"] == resident.phone)).group(1)
    page.fill("#presence-code", code)
    page.click("#presence form:has(#presence-code) button[type=submit]")
    page.click(f"a[href^='/services/agricultural-input-subsidy?for={resident.id}']")
    page.click(SAVE)  # start now
    expect(page.locator("h1")).to_have_text(re.compile(r"(About|معلومات عن) \u2068Achieng Otieno\u2069"))
    screenshot(page, f"agent-step-{language}")
    page.fill("input[name=national_id]", "12345678")
    page.click(SAVE)
    page.fill("input[name=farm_size]", "1.5")
    page.check("input[name=crops][value=maize]")
    page.check("input[name=irrigated][value=no]")
    page.click(SAVE)
    page.click(SAVE)  # her sales: nothing to add
    page.check("input[name=input_type][value=seed]")
    page.click(SAVE)
    page.set_input_files("input[name=id_copy]", [{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    page.click(SAVE)
    expect(page.locator("dt", has_text=re.compile("Photo or scan of \u2068Achieng Otieno\u2069's national ID|بطاقة هوية \u2068Achieng Otieno\u2069"))
           ).to_be_visible()  # check answers, addressed to her too
    page.check("#declared")
    page.click(SAVE)
    reference = page.get_by_text(re.compile(r"AGR-\d{4}-\d{6}")).first.text_content()
    reference = re.search(r"AGR-\d{4}-\d{6}", reference).group(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, official)
    page.goto("/official/queue")
    page.click(f"a[href='/official/applications/{reference}']")
    expect(page.locator("dt", has_text=re.compile("Photo or scan of \u2068Achieng Otieno\u2069's national ID|بطاقة هوية \u2068Achieng Otieno\u2069"))
           ).to_be_visible()  # the official reads the questions about her, by name
    page.click("form[action$='/claim'] button[type=submit]")
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=reason], input[name=reason]", "Eligible: first subsidy this season.")
    page.click("form[action$='/decide'] button[type=submit]")
    expect(page.locator(".timeline")).to_contain_text(re.compile("their agent|وكيله"))  # who acted, in words
    expect(page.locator(".timeline")).to_contain_text(re.compile("an official|موظف"))
    screenshot(page, f"official-decided-{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, resident)
    page.goto("/applications")
    page.click(f"main li:has-text('{reference}') a[href^='/applications/']")
    reason = page.locator("p", has_text="Eligible: first subsidy this season.")
    expect(reason).to_be_visible()
    assert reason.evaluate("e => getComputedStyle(e).direction") == "ltr"  # the official's English keeps its full stop at its end
    verification = re.search(r"[A-Z0-9]{10}", page.locator("p.hint:has-text('Verification code'), p.hint:has-text('رمز التحقق')")
                             .first.text_content()).group(0)
    screenshot(page, f"resident-decision-{language}")
    context.close()

    context = browser.new_context(base_url=live_server, **PHONE)  # a stranger, signed in as nobody
    page = context.new_page()
    page.goto(f"/verify?lang={language}")
    page.fill("#code", "-".join([verification[:5].lower(), verification[5:]]))  # typed as people type it
    page.click("form[action='/verify'] button[type=submit]")
    expect(page.locator("section[role=status]")).to_contain_text("Achieng Otieno")
    context.close()
