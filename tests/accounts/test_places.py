"""The gazetteer: distances against hand-computed figures, the nearest village, loading a survey's
CSV (all or nothing), the open GeoJSON, and the demo seed's positions."""
from __future__ import annotations

import math

from marketplace.accounts import places as gazetteer  # `places` is the fixture of the test country
from marketplace.accounts.models import District, Region, Village
from marketplace.accounts.seeding import seed_places
from marketplace.extensions import db
from tests.support.great_circle import great_circle_km


def test_distances_agree_with_the_great_circle_and_with_the_ellipsoids_known_lengths(app):
    nairobi, kisumu, meru = (-1.286389, 36.817222), (-0.091702, 34.767956), (0.047035, 37.649803)
    for a, b in ((nairobi, kisumu), (nairobi, meru), (kisumu, meru)):
        geodesic, sphere = gazetteer.distance_km(*a, *b), great_circle_km(*a, *b)
        assert abs(geodesic - sphere) / sphere < 0.005, (a, b, geodesic, sphere)  # an ellipsoid and a sphere differ by < 0.5%
    assert round(gazetteer.distance_km(*nairobi, *kisumu)) == 264
    assert abs(gazetteer.distance_km(0, 0, 0, 1) - 111.3195) < 0.001  # a degree of longitude on the WGS84 equator
    assert abs(gazetteer.distance_km(0, 0, 90, 0) - 10001.966) < 0.001  # the WGS84 quarter meridian
    assert gazetteer.distance_km(*meru, *meru) == 0


def test_the_nearest_village_is_found_within_the_radius_and_never_one_without_a_position(places):
    mbeu, kianjai = places["villages"]["Mbeu"], places["villages"]["Kianjai"]
    assert places_nearest(0.215, 37.77) == (kianjai.id, 1.2)
    assert places_nearest(0.21, 37.745) == (mbeu.id, 2.8)  # 2.8 km from Mbeu, 3.9 from Kianjai
    assert [v.id for v, _km in gazetteer.villages_near(0.21, 37.75)] == [mbeu.id, kianjai.id]
    assert places_nearest(0.5, 37.75) is None  # 32 km from both
    assert places_nearest(-1.27, 37.32) is None  # Tala is there, but the gazetteer has no position for it
    assert places_nearest(float("nan"), 37.75) is None and places_nearest(91, 0) is None


def places_nearest(latitude, longitude):
    found = gazetteer.nearest_village(latitude, longitude)
    return (found[0].id, round(found[1], 1)) if found else None


def test_the_box_that_narrows_the_search_holds_every_point_within_its_distance(app):
    """The bounding box must never cut off a village that is within reach, even far from the equator."""
    for latitude in (0.0, -1.3, 45.0, 70.0):
        for bearing in range(0, 360, 15):
            lat2 = latitude + (9.9 / 111.0) * math.cos(math.radians(bearing))
            lon2 = 10.0 + (9.9 / (111.0 * math.cos(math.radians(latitude)))) * math.sin(math.radians(bearing))
            if gazetteer.distance_km(latitude, 10.0, lat2, lon2) > 10:
                continue
            lat_ok, lon_ok = gazetteer.around(Village.latitude, Village.longitude, latitude, 10.0, 10)
            low, high = lat_ok.right.clauses[0].value, lat_ok.right.clauses[1].value
            west, east = lon_ok.right.clauses[0].value, lon_ok.right.clauses[1].value
            assert low <= lat2 <= high and west <= lon2 <= east, (latitude, bearing)


GAZETTEER = """region_code,region_name,district_code,district_name,village,latitude,longitude
N,Northland,N-HIL,Hill,Mbeu,0.2111,37.7222
N,Northland,N-HIL,Hill,Kianjai,0.21,37.78
E,Eastland,E-RIV,River,Kathwana,-0.012,37.920
"""


def test_a_surveys_gazetteer_adds_places_and_moves_villages(places):
    result = gazetteer.import_gazetteer(GAZETTEER)
    assert (result.added, result.moved, result.unchanged, result.errors) == (1, 1, 1, [])
    mbeu = db.session.get(Village, places["villages"]["Mbeu"].id)
    assert (mbeu.latitude, mbeu.longitude) == (0.2111, 37.7222)
    kathwana = db.session.scalar(db.select(Village).where(Village.name == "Kathwana"))
    assert kathwana.district.code == "E-RIV" and kathwana.district.region.name == "Eastland"
    again = gazetteer.import_gazetteer(GAZETTEER)
    assert (again.added, again.moved, again.unchanged) == (0, 0, 3)


def test_one_bad_row_and_nothing_is_written_and_every_bad_row_is_named(places):
    bad = GAZETTEER + "N,Northland,N-HIL,Hill,Nowhere,95,37\nN,Northland,N-HIL,Hill,,0.2,37\nS,Southland,N-HIL,Hill,Oops,0.2,37.7\n" \
                      "N,Northland,N-HIL,Hill,Comma,\"0,21\",37.7\n"
    result = gazetteer.import_gazetteer(bad)
    assert any(e.startswith("line 5:") and "not a place on Earth" in e for e in result.errors)
    assert any(e.startswith("line 6:") and "village empty" in e for e in result.errors)
    assert any(e.startswith("line 8:") and "decimal degrees" in e for e in result.errors)
    assert (result.added, result.moved) == (0, 0)
    assert db.session.scalar(db.select(Village).where(Village.name == "Kathwana")) is None
    assert db.session.get(Village, places["villages"]["Mbeu"].id).latitude == 0.21
    wrong_region = gazetteer.import_gazetteer(GAZETTEER + "S,Southland,N-HIL,Hill,Oops,0.2,37.7\n")
    assert wrong_region.errors == ["line 5: district N-HIL is in region N, not S"]
    assert db.session.scalar(db.select(Region).where(Region.code == "E")) is None
    assert gazetteer.import_gazetteer("name,lat\nx,1\n").errors[0].startswith("the header lacks region_code")


def test_the_gazetteer_goes_out_as_geojson_and_csv_and_the_csv_loads_back(client, app, places, tmp_path):
    collection = client.get("/places/villages.geojson")
    assert collection.status_code == 200 and collection.mimetype == "application/geo+json"
    assert collection.headers["Access-Control-Allow-Origin"] == "*"
    features = {f["properties"]["name"]: f for f in collection.get_json()["features"]}
    assert set(features) == {"Mbeu", "Kianjai", "Ahero"}  # Tala has no position
    assert features["Mbeu"]["geometry"] == {"type": "Point", "coordinates": [37.72, 0.21]}  # longitude first (RFC 7946)
    assert features["Mbeu"]["properties"]["district_code"] == "N-HIL"
    exported = client.get("/places/villages.csv").get_data(as_text=True)
    assert exported.splitlines()[0] == ",".join(gazetteer.GAZETTEER_COLUMNS)
    assert "S,Southland,S-COA,Coast,Tala,," in exported
    source = tmp_path / "villages.csv"
    source.write_text(exported.replace("Mbeu,0.21,37.72", "Mbeu,0.2105,37.7201"))
    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["places", "import", str(source)])
    assert loaded.exit_code != 0 and "line 5: latitude, longitude empty" in loaded.output  # Tala's empty position
    source.write_text("\n".join(line for line in source.read_text().splitlines() if "Tala" not in line) + "\n")
    loaded = runner.invoke(args=["places", "import", str(source)])
    assert loaded.exit_code == 0 and "0 village(s) added, 1 moved, 2 unchanged" in loaded.output
    assert runner.invoke(args=["places", "export"]).output.count("\n") == 5
    places["villages"]["Tala"].name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    assert "'=HYPERLINK" in client.get("/places/villages.csv").get_data(as_text=True)  # anyone downloads it: no formulas


def test_the_demo_seed_places_every_village_and_keeps_a_position_set_since(app, db):
    seed_places()
    assert db.session.scalar(db.select(db.func.count(Village.id)).where(Village.latitude.is_(None))) == 0
    villages = db.session.scalars(db.select(Village)).all()
    assert len(villages) == 34 + 5  # villages, and the towns buyers live in
    for village in villages:  # every demo place lies in Kenya
        assert -4.7 < village.latitude < 4.7 and 33.9 < village.longitude < 41.9, village.name
    moved = db.session.scalar(db.select(Village).where(Village.name == "Tala"))
    moved.latitude = -1.2701
    db.session.commit()
    seed_places()
    assert db.session.get(Village, moved.id).latitude == -1.2701
    assert db.session.scalar(db.select(db.func.count(District.id))) == 11 + 4
