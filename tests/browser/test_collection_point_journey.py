"""At 390×844 (issue 23): a buyer sends three farmers' orders to one collection point; its manager
receives each from its farmer and hands all three over with the buyer's one code; in Arabic the
manager's page keeps the names and numbers in place."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.orders.models import CollectionPoint
from tests import factories
from tests.browser.pages import UNISOLATED_JS, add_to_cart, sign_in

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


def test_a_buyer_collects_three_farmers_orders_at_one_point(browser, live_server, places, phone_inbox, screenshot):
    cats = factories.categories()
    v = places["villages"]
    farmers = [factories.farmer(v["Mbeu"], "Wanjiru"), factories.farmer(v["Mbeu"], "Kamau"), factories.farmer(v["Kianjai"], "Njeri")]
    listings = [factories.listing(farmer, cats["vegetables"], title=title, unit="kg", price="80", stock="20")
                for farmer, title in zip(farmers, ("Sukuma wiki", "Onions", "Carrots"), strict=True)]
    manager = factories.user("Mary Manager")
    db.session.add(CollectionPoint(name="Kianjai Cooperative Store", place="Next to the market", village=v["Kianjai"], manager=manager,
                                   opening_days="0123456", opens_minute=480, closes_minute=1020, capacity_per_day=20))
    db.session.commit()
    buyer = factories.user("Amina")

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, buyer)
    for listing in listings:
        add_to_cart(page, listing, "1")
    page.goto("/checkout")
    for farmer in farmers:  # each farmer's first day at the point
        page.locator(f"#farmer-{farmer.id}").get_by_role("radio", name=re.compile("^Collection point Kianjai Cooperative Store")).first.check()
    screenshot(page, "checkout")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you! Your order is placed.")).to_be_visible()
    expect(page.get_by_text("Kianjai Cooperative Store").first).to_be_visible()
    expect(page.get_by_text("one code for all your orders there that day")).to_have_count(3)
    expect(page.get_by_text("Give it to the farmer")).to_have_count(0)  # the point hands it over, not the farmer
    screenshot(page, "placed")
    confirmations = [m["body"] for m in phone_inbox if m["kind"] == "order_confirmed"]
    codes = {re.search(r"collection point is (\d{6})", body)[1] for body in confirmations}
    assert len(confirmations) == 3 and len(codes) == 1  # one code for the three orders
    code = codes.pop()
    context.close()

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, manager)
    page.goto("/profile")
    page.get_by_role("link", name="Your collection point: Kianjai Cooperative Store").click()
    page.get_by_role("link", name="Next day").click()  # the orders are for tomorrow
    expect(page.get_by_role("heading", name="3 orders to receive from farmers")).to_be_visible()
    screenshot(page, "to-receive")
    for _ in range(3):
        page.get_by_role("button", name="The farmer brought it").first.click()
        expect(page.get_by_text("The buyer has been told.")).to_be_visible()
    expect(page.get_by_role("heading", name="1 buyer to come")).to_be_visible()
    page.get_by_label("Their 6-digit code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Hand over their orders").click()
    expect(page.get_by_text("No orders wait at your collection point under this code.").first).to_be_visible()
    page.get_by_label("Their 6-digit code").fill(code)
    page.get_by_role("button", name="Hand over their orders").click()
    expect(page.get_by_text("Amina collected")).to_be_visible()
    expect(page.get_by_role("heading", name="3 orders collected")).to_be_visible()
    screenshot(page, "handed-over")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(page.url + ("&" if "?" in page.url else "?") + "lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate(UNISOLATED_JS) == []
    screenshot(page, "handed-over-ar")
    context.close()
