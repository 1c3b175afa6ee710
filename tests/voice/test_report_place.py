"""Where a report is: a village, a pin, or both. A pin alone goes to the nearest village of the
gazetteer; a pin far from the chosen village is asked about, with nothing typed lost; "me too" is
offered for open reports pinned nearby even across a village's edge."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.voice import services
from marketplace.voice.models import Report, ReportCategory
from tests import factories

FORM = {"category": "water", "description": "The tap at the school has been dry since Friday."}


def _english_speaker(voice):
    return factories.user("Akinyi Ouma", village=voice["village"], locale="en")


def _count() -> int:
    return db.session.scalar(db.select(db.func.count(Report.id)))


def test_a_pin_alone_places_the_report_in_the_nearest_village_and_routes_it_there(client, voice, places, login):
    services.set_rule(voice["admin"], ReportCategory.WATER, voice["hill"].id, voice["departments"]["LND"].id)
    login(voice["resident"])
    sent = client.post("/reports/new", data={**FORM, "village_id": "", "latitude": "0.215000", "longitude": "37.770000"})
    assert sent.status_code == 302, sent.data
    report = db.session.get(Report, int(sent.headers["Location"].rsplit("/", 1)[1]))
    assert report.village_id == places["villages"]["Kianjai"].id and (report.latitude, report.longitude) == (0.215, 37.77)
    assert report.department_id == voice["departments"]["LND"].id


def test_a_pin_far_from_the_chosen_village_is_asked_about_and_nothing_typed_is_lost(client, voice, places, login):
    login(_english_speaker(voice))
    page = client.post("/reports/new", data={**FORM, "village_id": str(places["villages"]["Ahero"].id),
                                               "latitude": "0.215", "longitude": "37.77"})
    assert page.status_code == 200 and _count() == 0
    text = page.get_data(as_text=True)
    assert "The place on the map is 320 km from \u2068Ahero\u2069: move the pin, or choose the village where it is." in text
    assert FORM["description"] in text and 'value="0.215"' in text and 'value="37.77"' in text


def test_a_pin_far_from_every_village_or_no_place_at_all_is_refused_with_the_reason(client, voice, login):
    login(_english_speaker(voice))
    far = client.post("/reports/new", data={**FORM, "village_id": "", "latitude": "0.6", "longitude": "37.2"})
    assert far.status_code == 200 and "more than 10 km from every village we know" in far.get_data(as_text=True)
    nowhere = client.post("/reports/new", data={**FORM, "village_id": ""})
    assert "Choose the village where it is." in nowhere.get_data(as_text=True)
    off_earth = client.post("/reports/new", data={**FORM, "village_id": str(voice["village"].id), "latitude": "nan", "longitude": "37"})
    assert "not a place on Earth" in off_earth.get_data(as_text=True)
    assert _count() == 0


def test_me_too_is_offered_for_an_open_report_pinned_nearby_in_the_next_village(client, voice, places, login):
    kianjai = places["villages"]["Kianjai"]
    first = services.file_report(voice["neighbour"], services.ReportInput(
        category="water", village_id=kianjai.id, description="The borehole by the road is dry.", latitude=0.2100, longitude=37.7700))
    login(voice["resident"])
    near = {**FORM, "village_id": str(voice["village"].id), "latitude": "0.2120", "longitude": "37.7705"}  # 230 m from the first
    offered = client.post("/reports/new", data=near)
    assert offered.status_code == 200 and f"/reports/{first.id}".encode() in offered.data and _count() == 1
    unpinned = client.post("/reports/new", data={**FORM, "village_id": str(voice["village"].id)})
    assert unpinned.status_code == 302 and _count() == 2  # another village and no pin: nothing to offer
    assert services.similar_open_reports("water", None, 0.2210, 37.7700) == []  # 1.2 km away: not nearby
    assert services.similar_open_reports("roads", None, 0.2120, 37.7705) == []  # another kind of problem


def test_the_form_offers_the_map_and_the_page_may_draw_its_tiles(client, voice, login, app):
    login(voice["resident"])
    page = client.get("/reports/new")
    text = page.get_data(as_text=True)
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in text and "vendor/leaflet-1.9.4/leaflet.js" in text
    assert "img-src 'self' data: https://tile.openstreetmap.org" in page.headers["Content-Security-Policy"]
    app.config["MAP_TILE_URL"] = ""
    try:
        assert "Put a pin on the map" not in client.get("/reports/new").get_data(as_text=True)
    finally:
        app.config["MAP_TILE_URL"] = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
