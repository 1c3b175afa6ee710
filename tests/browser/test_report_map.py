"""At 390×844, in English and Arabic: a resident opens the report form's map, zooms out, taps next
to the neighbouring village, sees the pin and that village chosen for them, and sends; the report
is filed in that village with the exact place. "Add where I am" fills the place from the phone.
The map's tiles are answered here (no test reaches the internet): the test counts them."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.voice.models import Report
from tests import factories
from tests.browser.pages import sign_in

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


def _tile() -> bytes:
    image = Image.new("RGB", (256, 256), (226, 238, 214))
    draw = ImageDraw.Draw(image)
    draw.line([(0, 128), (256, 128)], fill=(200, 200, 190), width=3)
    draw.line([(128, 0), (128, 256)], fill=(200, 200, 190), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def map_page(browser, live_server):
    contexts = []

    def _open(locale: str, **extra):
        context = browser.new_context(base_url=live_server, locale="en-GB", **PHONE, **extra)
        contexts.append(context)
        tiles: list[str] = []
        png = _tile()

        def answer(route):
            tiles.append(route.request.url)
            route.fulfill(status=200, content_type="image/png", body=png)

        context.route("https://tile.openstreetmap.org/**", answer)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page, tiles

    yield _open
    for context in contexts:
        context.close()


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_pin_on_the_map_places_the_report_in_the_village_it_is_nearest(map_page, places, screenshot, locale):
    mbeu, kianjai = places["villages"]["Mbeu"], places["villages"]["Kianjai"]
    resident = factories.user("Kendi Mwiti", village=mbeu, locale=locale)
    page, tiles = map_page(locale)
    sign_in(page, resident)
    page.goto("/reports/new")
    assert tiles == []  # nothing of the map is fetched until asked for
    page.locator("select[name=category]").select_option("water")
    page.locator("[data-place-open-map]").click()
    map_box = page.locator("[data-place-map]")
    expect(map_box.locator(".leaflet-tile-loaded").first).to_be_attached()
    assert tiles and all("/14/" in url for url in tiles)  # opened on the resident's own village
    # two steps out (zoom 12: about 38 m a pixel), then a tap 160 px east of Mbeu: 6.1 km, by Kianjai
    for zoom in (13, 12):
        page.locator(".leaflet-control-zoom-out").click()
        # settled: Leaflet has dropped the tiles of the zoom it left, and every tile shown is loaded
        page.wait_for_function("""zoom => {
            const tiles = [...document.querySelectorAll('[data-place-map] img.leaflet-tile')];
            return tiles.length > 0 && tiles.every(t => t.src.includes('/' + zoom + '/') && t.classList.contains('leaflet-tile-loaded'));
        }""", arg=zoom)
    box = map_box.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 160, box["y"] + box["height"] / 2)
    expect(map_box.locator(".leaflet-marker-icon")).to_have_count(1)
    expect(page.locator("select[name=village_id]")).to_have_value(str(kianjai.id))
    expect(page.locator("[data-place-said] bdi")).to_have_text("Kianjai")  # isolated: a Latin name in an Arabic sentence
    expect(page.locator("[data-place-open-map]")).to_be_hidden()
    latitude = float(page.locator("input[name=latitude]").input_value())
    longitude = float(page.locator("input[name=longitude]").input_value())
    assert abs(latitude - mbeu.latitude) < 0.005 and 37.77 < longitude < 37.78
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"pinned-{locale}")
    page.locator("textarea[name=description]").fill("The water kiosk by the road has been closed for a week.")
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/reports/[0-9]+$"))
    db.session.expire_all()
    report = db.session.scalar(db.select(Report).where(Report.reporter_id == resident.id))
    assert report.village_id == kianjai.id and (report.latitude, report.longitude) == (latitude, longitude)


def test_add_where_i_am_takes_the_phones_place(map_page, places):
    resident = factories.user("Gitonga", village=places["villages"]["Mbeu"], locale="en")
    page, tiles = map_page("en", geolocation={"latitude": 0.2101, "longitude": 37.7799}, permissions=["geolocation"])
    sign_in(page, resident)
    page.goto("/reports/new")
    page.get_by_role("button", name="Add where I am").click()
    expect(page.locator("[data-place-said]")).to_have_text("A place is added.")
    expect(page.locator("input[name=latitude]")).to_have_value("0.210100")
    expect(page.locator("select[name=village_id]")).to_have_value(str(places["villages"]["Kianjai"].id))
    page.get_by_role("button", name="Remove the place").click()
    expect(page.locator("input[name=latitude]")).to_have_value("")
    assert tiles == []  # the phone's place needs no map
