"""Keyboard-only use and thumb-sized targets, at 390×844, on key pages in English and Arabic."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import key_pages, sign_in
from tests.browser.test_accessibility import PHONE

# Interactive things a thumb must hit: buttons, fields, and links that stand alone (not words in a sentence).
TARGETS = ("button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, "
           ".button, .account-nav a, .language-switcher a, label.checkbox")


def test_a_keyboard_alone_skips_to_content_and_signs_in(browser, live_server, audited_world):
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    page.goto("/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # focus is visible
    page.keyboard.press("Enter")
    page.get_by_label("Phone number or email").focus()
    page.keyboard.type(audited_world["buyer"].phone)
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-9")
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are signed in.")).to_be_visible()
    context.close()


def test_touch_targets_are_at_least_44_px_high(browser, live_server, audited_world):
    too_small = {}
    for language in ("en", "ar"):
        for person, urls in key_pages(audited_world).items():
            context = browser.new_context(base_url=live_server, **PHONE)
            page = context.new_page()
            if person is not None:
                sign_in(page, audited_world[person])
            for name, url in urls(audited_world, page):
                page.goto(f"{url}{'&' if '?' in url else '?'}lang={language}")
                small = page.evaluate(f"""Array.from(document.querySelectorAll({TARGETS!r}))
                    .filter(e => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden')
                    .map(e => [e.outerHTML.slice(0, 80), Math.round(e.getBoundingClientRect().height)])
                    .filter(([_, h]) => h < 44)""")
                if small:
                    too_small[f"{language} {name}"] = small[:5]
            context.close()
    assert not too_small, too_small
