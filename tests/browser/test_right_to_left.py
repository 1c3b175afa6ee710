"""Arabic pages keep what people typed in English (a farm's name, a produce, an order number) in
its own place: every mixed text is bidi-isolated (issue 20: "user text in Arabic pages is not
isolated everywhere"). Without it "Achieng Greens" drags the sentence's punctuation and numbers."""
from __future__ import annotations

from tests.browser.pages import UNISOLATED_JS, key_pages, sign_in
from tests.browser.test_accessibility import PHONE


def test_latin_text_in_arabic_pages_is_isolated_on_every_key_page(browser, live_server, audited_world):
    mixed = {}
    for person, urls in key_pages(audited_world).items():
        context = browser.new_context(base_url=live_server, **PHONE)
        page = context.new_page()
        if person is not None:
            sign_in(page, audited_world[person])
        for name, url in urls(audited_world, page):
            page.goto(f"{url}{'&' if '?' in url else '?'}lang=ar")
            if name == "open data":
                continue  # the API's documentation names parameters a developer types as they are
            found = page.evaluate(UNISOLATED_JS)
            if found:
                mixed[name] = found[:3]
        context.close()
    assert not mixed, mixed


def test_a_flash_keeps_an_english_produce_name_in_its_place_in_arabic(browser, live_server, audited_world):
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    page.goto(f"/listing/{audited_world['eggs'].id}?lang=ar")
    page.fill("input[name=quantity]", "1")
    page.click("form[action^='/cart/add'] button[type=submit]")
    flash = page.locator(".flash").first.text_content()
    assert "\u2068Kienyeji eggs\u2069" in flash  # isolated inside the Arabic sentence
    assert page.evaluate(UNISOLATED_JS) == []
    context.close()


def test_a_sentence_keeps_its_space_before_an_isolated_name(browser, live_server, audited_world):
    """A flex box drops the space between a sentence and the <bdi> inside it: 'OndoaDry maize' in Swahili."""
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, audited_world["buyer"])
    for language, words in (("sw", "Ondoa Dry maize"), ("en", "Remove Dry maize")):
        page.goto(f"/cart?lang={language}")
        assert page.locator("button[name=remove]").first.inner_text() == words
    context.close()
