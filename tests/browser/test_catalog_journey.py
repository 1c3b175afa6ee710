"""At 390×844: a farmer lists produce with a photo from the phone; a buyer searches, filters and opens it."""
from __future__ import annotations

from playwright.sync_api import expect

from tests import factories
from tests.browser.pages import sign_in


def test_a_farmer_lists_produce_with_a_photo_and_a_buyer_finds_it(browser, live_server, places, screenshot):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    other = factories.farmer(places["villages"]["Tala"], "Otieno")
    factories.listing(other, cats["maize"], title="Dry maize", price="45", unit="sack", stock="20")

    phone = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, base_url=live_server)
    farmer_context = browser.new_context(**phone)
    page = farmer_context.new_page()
    sign_in(page, farmer)
    page.goto("/sell/new")
    page.get_by_label("Photos (up to 5)").set_input_files(
        [{"name": "IMG_2041.JPG", "mimeType": "image/jpeg", "buffer": factories.photo_bytes(1600, 1200)}]
    )
    page.get_by_label("What are you selling?").fill("Sukuma wiki")
    page.get_by_label("Category").select_option(label="Leafy greens")
    page.get_by_label("Sold by").select_option("bunch")
    page.get_by_label("Price per unit").fill("30")
    page.get_by_label("How much do you have?").fill("7")  # bunches are sold whole: refused, nothing lost
    page.get_by_label("How much do you have?").fill("40.5")
    page.get_by_role("button", name="Put on sale").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    expect(page.get_by_label("What are you selling?")).to_have_value("Sukuma wiki")
    expect(page.get_by_role("img", name="Photo 1")).to_be_visible()  # the photo survived the error
    screenshot(page, "form-error-keeps-photo")
    page.get_by_label("How much do you have?").fill("40")
    page.get_by_role("button", name="Put on sale").click()
    expect(page.get_by_text("Your listing is on sale at Ksh\xa030 per bunch.")).to_be_visible()  # the price as buyers see it
    expect(page.get_by_role("heading", name="Sukuma wiki")).to_be_visible()
    expect(page.get_by_text("40 bunches")).to_be_visible()
    image = page.get_by_role("img", name="Photo 1 of Sukuma wiki")
    expect(image).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "listing-live")
    farmer_context.close()

    buyer_context = browser.new_context(**phone)
    page = buyer_context.new_page()
    page.goto("/")
    page.get_by_label("Search produce").fill("sukuma")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Sukuma wiki")).to_be_visible()
    expect(page.get_by_role("link", name="Dry maize")).to_have_count(0)
    # Filter by district without JavaScript: open the filters, choose, submit.
    page.goto("/produce")
    page.get_by_text("Filter and sort").click()
    page.get_by_label("Where").select_option(label="Hill")
    page.get_by_label("Sort by").select_option("price_low")
    page.get_by_role("button", name="Show results").click()
    expect(page.get_by_role("link", name="Sukuma wiki")).to_be_visible()
    expect(page.get_by_role("link", name="Dry maize")).to_have_count(0)
    screenshot(page, "buyer-filtered")
    page.get_by_role("link", name="Sukuma wiki").click()
    expect(page.get_by_text("Ksh\u00a030 per bunch").first).to_be_visible()
    expect(page.get_by_text("Wanjiru's farm")).to_be_visible()
    screenshot(page, "buyer-detail")
    page.get_by_label("How much? (bunch)").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("\u2068Sukuma wiki\u2069 is in your cart.")).to_be_visible()
    expect(page.get_by_role("heading", name="From Wanjiru's farm")).to_be_visible()
    expect(page.get_by_text("Total: Ksh\xa090")).to_be_visible()
    screenshot(page, "buyer-cart")
    buyer_context.close()


def test_browse_and_listing_work_with_javascript_off(browser, live_server, places):
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    factories.listing(farmer, cats["honey"], title="Acacia honey", unit="litre", price="800", stock="3")
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False, base_url=live_server)
    page = context.new_page()
    page.goto("/produce?q=honey")
    page.get_by_role("link", name="Acacia honey").click()
    expect(page.get_by_role("heading", name="Acacia honey")).to_be_visible()
    context.close()


def _camera_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A photo as a phone camera takes it: large and full of detail (noise does not compress)."""
    import io
    import os

    from PIL import Image

    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_a_large_camera_photo_is_made_smaller_before_it_is_sent_and_a_file_over_the_limit_is_stopped(browser, live_server, places):
    """Issue 20 item 3: photos are shrunk in the browser where JavaScript runs, and the limit is checked before sending."""
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, base_url=live_server)
    page = context.new_page()
    sign_in(page, farmer)
    page.goto("/sell/new")
    expect(page.get_by_text("Each file up to 15 MB.")).to_be_visible()
    original = _camera_photo()
    assert len(original) > 5 * 1024 * 1024
    photos = page.get_by_label("Photos (up to 5)")
    photos.set_input_files([{"name": "IMG_2041.JPG", "mimeType": "image/jpeg", "buffer": original}])
    page.wait_for_function("() => { const i = document.getElementById('photos'); return i.files.length && i.getAttribute('aria-busy') !== 'true' }")
    sent = page.evaluate("() => { const f = document.getElementById('photos').files[0]; return [f.size, f.type, f.name] }")
    assert sent[0] < len(original) / 4 and sent[1] == "image/jpeg" and sent[2] == "IMG_2041.jpg"

    photos.set_input_files([{"name": "scan.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"\0" * (16 * 1024 * 1024)}])
    expect(page.get_by_role("alert").filter(has_text="Too large to send: scan.gif")).to_be_visible()
    assert page.evaluate("document.getElementById('photos').files.length") == 0
    context.close()
