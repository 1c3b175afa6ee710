"""At a 390×844 phone viewport: register as a farmer, sign out and in, switch language."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests import factories
from tests.browser.pages import open_menu


def test_register_as_a_farmer_then_sign_in_again_on_a_phone(phone_page, places, screenshot, phone_inbox):
    page = phone_page
    village = places["villages"]["Mbeu"]
    page.goto("/")
    page.get_by_role("link", name="Register to sell").click()
    page.get_by_label("Your name").fill("Wanjiru Kamau")
    page.get_by_label("Mobile phone number").fill("0722 123 456")
    page.get_by_label("Password").fill("shamba-bora-1")
    page.get_by_label("Home village").select_option(str(village.id))
    screenshot(page, "register-form")
    page.get_by_role("button", name="Create account").click()

    # The number must be hers before she can sell: she types back the code texted to it.
    expect(page.get_by_role("heading", name="Confirm your phone")).to_be_visible()
    page.get_by_label("Code from the SMS (6 digits)").fill("000000")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("#code-error")).to_contain_text("This is not the code that was sent.")
    (sms,) = [m for m in phone_inbox if m["kind"] == "security_code_confirm_phone"]
    assert sms["recipient"] == "+254722123456"
    page.get_by_label("Code from the SMS (6 digits)").fill(re.search(r"\b(\d{6})\b", sms["body"]).group(1))
    screenshot(page, "confirm-phone")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_text("Your phone number is confirmed.")).to_be_visible()
    # "Register to sell" leads on to setting up the farm, then to the first listing (issue 20 item 6).
    expect(page.get_by_role("heading", name="Start selling")).to_be_visible()
    page.get_by_label("Farm name").fill("Shamba Bora")
    page.get_by_label("Pickup point").fill("Mbeu market, stall 4")
    page.get_by_role("button", name="Save my farm").click()
    expect(page.get_by_text("Your farm is saved. You can now sell produce.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sell produce")).to_be_visible()
    screenshot(page, "farm-saved")
    open_menu(page)  # the compact header keeps the account's pages one tap away
    page.get_by_role("link", name="My account").click()
    expect(page.get_by_text("+254 722 123456")).to_be_visible()
    expect(page.get_by_role("heading", name="Shamba Bora")).to_be_visible()

    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Phone number or email").fill("+254722123456")
    page.get_by_label("Password").fill("shamba-bora-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()
    open_menu(page)  # the compact header keeps the account's pages one tap away
    page.get_by_role("link", name="My account").click()
    expect(page.get_by_text("Farmer")).to_be_visible()

    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_registration_error_keeps_what_was_typed(phone_page, places):
    page = phone_page
    page.goto("/register")
    page.get_by_label("Your name").fill("Otieno")
    page.get_by_label("Mobile phone number").fill("12345")
    page.get_by_label("Password").fill("long-enough-1")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Otieno")
    expect(page.get_by_label("Mobile phone number")).to_have_value("12345")


def test_switch_language_and_it_stays_switched(phone_page, places, screenshot):
    page = phone_page
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Cultivo alimentos")).to_be_visible()
    page.get_by_role("link", name="Iniciar sesión").first.click()
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login"))
    screenshot(page, "login-es")


def test_the_switcher_saves_a_signed_in_persons_language(phone_page, places):
    user = factories.user(phone="+254722555000")
    page = phone_page
    page.goto("/login")
    page.get_by_label("Phone number or email").fill(user.phone)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Español").click()
    # The link changed only this browser; the account's language changes when she says so (a POST).
    page.get_by_role("button", name="Sí, mantenerlo").click()
    expect(page.get_by_role("button", name="Sí, mantenerlo")).to_have_count(0)
    open_menu(page)
    page.get_by_role("button", name="Cerrar sesión").click()
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Phone number or email").fill(user.phone)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")  # remembered on the account, not only the browser
