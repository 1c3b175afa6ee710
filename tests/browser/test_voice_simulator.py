"""At 390×844 (issue 26): an agent calls the voice line from the simulator, hears the menu as a
transcript with each sentence's audio (espeak-ng's, played in turn), and answers with the on-screen
keypad; the page in Arabic keeps the English transcript isolated."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from marketplace.accounts.models import Role
from marketplace.extensions import db
from tests import factories
from tests.browser.pages import UNISOLATED_JS, sign_in

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (make voice-deps installs it)")
def test_an_agent_hears_the_voice_menu_and_answers_with_the_keypad(app, browser, live_server, places, screenshot):
    factories.categories()
    agent = factories.with_role(Role.AGENT, village=places["villages"]["Mbeu"])
    db.session.commit()
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, agent)
    page.goto("/phone/simulator")
    page.get_by_role("link", name="Voice call").click()
    page.get_by_role("button", name="Call the voice line").click()
    transcript = page.get_by_role("region", name="What the caller hears")
    expect(transcript.get_by_text("Prices", exact=True)).to_be_visible()
    expect(transcript.get_by_text("Press 1.").first).to_be_visible()
    sources = transcript.locator("audio").evaluate_all("all => all.map(a => a.src)")
    assert len(sources) >= 6
    fetched = page.request.get(sources[0])
    assert fetched.ok and fetched.body()[:4] == b"RIFF" and fetched.headers["content-type"].startswith("audio/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "menu")
    page.get_by_role("button", name="1", exact=True).click()  # Prices: the agent's district is known, so the produce
    expect(transcript.get_by_text("Which produce?")).to_be_visible()
    expect(transcript.get_by_text("For more, press 9.")).to_be_visible()
    screenshot(page, "produce")
    page.goto("/phone/simulator?mode=voice&lang=ar")
    page.get_by_role("button", name="اتصل بالخط الصوتي").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("region", name="ما يسمعه المتصل")).to_be_visible()
    assert page.evaluate(UNISOLATED_JS) == []
    screenshot(page, "menu-ar")
    context.close()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (make voice-deps installs it)")
def test_the_voice_prompts_page_fits_a_phone_in_swahili_and_arabic(app, browser, live_server, places, screenshot):
    from marketplace.ussd import prompts

    admin = factories.with_role(Role.ADMIN)
    db.session.commit()
    with app.test_request_context():
        for locale, text in (("sw", "Bei"), ("ar", "الأسعار")):
            assert prompts.generate(locale, text) is not None
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, admin)
    for locale in ("sw", "ar"):
        page.goto(f"/admin/voice-prompts?lang={locale}")
        expect(page.locator("audio").first).to_be_attached()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, f"prompts-{locale}")
    assert page.evaluate(UNISOLATED_JS) == []
    context.close()
