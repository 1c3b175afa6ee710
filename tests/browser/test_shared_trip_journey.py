"""At 390×844 (issue 23): a farmer announces a trip to town, another farmer on its way books space
for an order to a town buyer, seeing their share first; the buyer is told the delivery window."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from marketplace.accounts.models import Village
from marketplace.extensions import db
from marketplace.orders import cart
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.pickup import local_now
from tests import factories
from tests.browser.pages import UNISOLATED_JS, sign_in

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


def test_a_farmer_books_space_on_a_shared_trip(app, browser, live_server, places, phone_inbox, screenshot):
    cats = factories.categories()
    v = places["villages"]
    town = Village(name="Kisumu Town", district=places["districts"]["Lake"], latitude=-0.0917, longitude=34.768)
    db.session.add(town)
    db.session.commit()
    wanjiru, kamau = factories.farmer(v["Mbeu"], "Wanjiru"), factories.farmer(v["Kianjai"], "Kamau")
    greens = factories.listing(kamau, cats["vegetables"], title="Sukuma wiki", unit="kg", price="50", stock="100",
                               delivery_available=True, delivery_fee="100")
    buyer = factories.user("Otieno Town", village=town)
    cart.add_to_cart(buyer, {}, greens.id, "12")
    order = place_checkout(buyer, {}, {kamau.id: FarmerChoice(fulfilment="delivery", delivery_address="Oginga Odinga St, shop 4")}).orders[0]

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, wanjiru)
    page.goto("/sell/orders")
    page.get_by_role("link", name="Shared trips to town").click()
    page.get_by_role("link", name="Announce a trip").click()
    page.get_by_label("Vehicle").fill("Isuzu lorry KCA 123X")
    page.get_by_label("Day").fill((local_now().date() + timedelta(days=2)).isoformat())
    page.get_by_label("Leaves at").fill("06:00")
    page.get_by_label("Kianjai (Hill)").check()
    page.get_by_label("Town it goes to").select_option(label="Kisumu Town")
    page.get_by_label("Delivers in town from").fill("14:00")
    page.get_by_label("Delivers in town until").fill("18:00")
    page.get_by_label("Space to share (kg)").fill("100")
    page.get_by_label("What the whole trip costs").fill("2,000")
    screenshot(page, "announce")
    page.get_by_role("button", name="Announce the trip").click()
    expect(page.get_by_text("Your trip is announced")).to_be_visible()
    expect(page.get_by_text("Mbeu → Kianjai → Kisumu Town")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    sign_in(page, kamau)
    page.goto(f"/orders/{order.number}")
    page.get_by_role("link", name="Send it on a shared trip to town").click()
    expect(page.get_by_text("Your share:")).to_contain_text("240")  # 12 kg of 100 kg at Ksh 2,000: shown before booking
    expect(page.get_by_label("Weight of the order (kg)")).to_have_value("12")
    screenshot(page, "choose-trip")
    page.get_by_role("button", name="Book the space").click()
    expect(page.get_by_text("goes on the trip. The buyer has been told when it comes.")).to_be_visible()
    expect(page.get_by_text("14:00–18:00 · by a shared trip to town")).to_be_visible()
    screenshot(page, "booked")
    told = [m["body"] for m in phone_inbox if m["kind"] == "order_on_shared_trip"]
    assert len(told) == 1 and "Kisumu Town" in told[0] and "14:00" in told[0]
    page.goto(f"/orders/{order.number}/trip?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate(UNISOLATED_JS) == []
    screenshot(page, "on-trip-ar")
    context.close()
