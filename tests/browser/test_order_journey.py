"""At 390×844: a buyer orders from two farmers and pays on pickup; a farmer marks the order ready."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import add_to_cart, sign_in, two_farmers_market

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)




def test_a_buyer_orders_from_two_farmers_and_a_farmer_prepares_the_order(browser, live_server, places, screenshot):
    market = two_farmers_market(places)
    wanjiru = market["wanjiru"]
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    add_to_cart(page, market["eggs"], "2")  # as a guest first: the cart follows at sign-in
    add_to_cart(page, market["maize"], "1")
    sign_in(page, market["buyer"])
    page.goto("/cart")
    expect(page.get_by_role("heading", name="From Wanjiru's farm")).to_be_visible()
    expect(page.get_by_role("heading", name="From Otieno's farm")).to_be_visible()
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_text("Card payment is not available yet.").first).to_be_visible()
    screenshot(page, "checkout")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you! Your order is placed.")).to_be_visible()
    expect(page.get_by_text("to pay at pickup")).to_have_count(2)
    screenshot(page, "placed")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, wanjiru)
    page.goto("/sell/orders")
    page.locator("a[dir=ltr]").first.click()
    page.get_by_role("button", name="Mark as ready for pickup").click()
    expect(page.get_by_text("ready for pickup").first).to_be_visible()
    screenshot(page, "farmer-ready")
    context.close()
