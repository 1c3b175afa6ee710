"""Open311 GeoReport v2: every JSON response validated against the schema-validation project's JSON
Schemas (../shared/data/open311, read there), the XML shaped as the standard's, and a published
Open311 client from PyPI (georeport) driving a live server: list services, read a posted request back."""
from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from marketplace.extensions import db
from marketplace.voice import open311, services
from marketplace.voice.models import Report, ReportCategory
from tests import factories
from tests.support.servers import in_thread

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "data" / "open311"


def _validator(name: str) -> Draft7Validator:
    if not SCHEMAS.is_dir():
        pytest.skip(f"the Open311 JSON Schemas are not at {SCHEMAS} (../shared/data)")
    # the schemas name each other by file name ("$ref": "request.json")
    registry = Registry().with_resources((path.name, Resource.opaque(json.loads(path.read_text()))) for path in SCHEMAS.glob("*.json"))
    return Draft7Validator(json.loads((SCHEMAS / name).read_text()), registry=registry)


def _file(voice, description="The bridge to the market is broken since the rains."):
    return services.file_report(voice["resident"], services.ReportInput(category="roads", village_id=voice["village"].id,
                                                                           description=description))


def test_every_json_answer_matches_its_open311_schema(client, voice, partner):
    _file(voice)
    validated = 0
    for path, schema in (("/open311/v2/services.json", "services.json"), ("/open311/v2/services/roads.json", "service-definition.json"),
                         ("/open311/v2/requests.json", "requests.json"), ("/open311/v2/requests.json?status=open&service_code=roads",
                                                                            "requests.json")):
        answer = client.get(path)
        assert answer.status_code == 200, path
        errors = list(_validator(schema).iter_errors(answer.get_json()))
        assert not errors, (path, [error.message for error in errors])
        validated += 1
    request_id = client.get("/open311/v2/requests.json").get_json()[0]["service_request_id"]
    one = client.get(f"/open311/v2/requests/{request_id}.json").get_json()
    assert not list(_validator("requests.json").iter_errors(one))
    assert not list(_validator("request.json").iter_errors(one[0]))
    assert validated + 2 == 6


def test_a_request_shows_the_department_and_status_never_the_reporter(client, voice):
    report = _file(voice)
    shown = client.get(f"/open311/v2/requests/{report.id}.json").get_json()[0]
    assert shown["status"] == "open" and shown["service_code"] == "roads"
    assert shown["agency_responsible"] and shown["address_id"] == str(voice["village"].id)
    text = json.dumps(shown)
    assert voice["resident"].name not in text and voice["resident"].phone not in text


def test_posting_needs_a_key_and_a_place_and_files_through_the_same_rules(client, voice, partner):
    form = {"service_code": "water", "description": "The borehole pump has been broken for a week.", "address_id": str(voice["village"].id)}
    refused = client.post("/open311/v2/requests.json", data=form)
    assert refused.status_code == 403 and refused.get_json()[0]["code"] == 403
    no_place = client.post("/open311/v2/requests.json", data={**form, "api_key": partner["api_key"], "address_id": "",
                                                                "lat": "-0.1", "long": "34.7"})
    assert no_place.status_code == 400 and "within 10 km" in no_place.get_json()[0]["description"]  # 25 km from Ahero
    created = client.post("/open311/v2/requests.json", data={**form, "api_key": partner["api_key"]})
    assert created.status_code == 201
    report = db.session.get(Report, int(created.get_json()[0]["service_request_id"]))
    assert report.reporter_id == partner["account"].id and report.department_id is not None  # routed like a web report
    by_name = client.post("/open311/v2/requests.json", data={**form, "api_key": partner["api_key"], "address_id": "",
                                                              "address_string": voice["village"].name.upper()})
    assert by_name.status_code == 201


def test_the_xml_answers_have_the_standards_shape(client, voice):
    report = _file(voice)
    services_xml = ElementTree.fromstring(client.get("/open311/v2/services.xml").data)
    assert services_xml.tag == "services" and services_xml.find("service/service_code") is not None
    request_xml = ElementTree.fromstring(client.get(f"/open311/v2/requests/{report.id}.xml").data)
    assert request_xml.tag == "service_requests" and request_xml.findtext("request/service_request_id") == str(report.id)
    error = client.get("/open311/v2/requests/999999.xml")
    assert error.status_code == 404 and ElementTree.fromstring(error.data).tag == "errors"


def test_a_hidden_report_is_not_listed(client, voice):
    report = _file(voice)
    services.hide_report(voice["admin"], report, "Personal details in the text.")
    assert client.get(f"/open311/v2/requests/{report.id}.json").status_code == 404
    assert all(item["service_request_id"] != str(report.id) for item in client.get("/open311/v2/requests.json").get_json())


@pytest.fixture
def served(app):
    with in_thread(app) as base:
        yield f"{base}/open311/v2"


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_a_published_open311_client_lists_services_and_reads_a_posted_request_back(voice, partner, served, output_format):
    """georeport (PyPI) has no call that posts, and the other client on PyPI (open311 1.1, 2011) does not
    import on Python 3: the post is a plain form POST as the standard describes it."""
    import georeport
    db.session.commit()
    client = georeport.GeoReport(root_address=served, api_key=partner["api_key"], output_format=output_format)
    codes = {service["service_code"] for service in client.get_service_list()}
    assert {"roads", "water", "health"} <= codes
    posted = requests.post(f"{served}/requests.json", data={
        "api_key": partner["api_key"], "service_code": "health", "description": "The health post has had no nurse since Monday.",
        "address_id": str(voice["village"].id)}, timeout=10)
    assert posted.status_code == 201
    request_id = posted.json()[0]["service_request_id"]
    read_back = client.get_service_request(request_id)
    assert read_back["service_request_id"] == request_id and read_back["service_code"] == "health" and read_back["status"] == "open"


def test_a_partners_post_names_the_open_reports_it_may_duplicate(client, voice, partner):
    first = _file(voice)
    posted = client.post("/open311/v2/requests.json", data={
        "api_key": partner["api_key"], "service_code": "roads", "address_id": str(voice["village"].id),
        "description": "The road past the school is washed away."})
    assert posted.status_code == 201 and str(first.id) in posted.get_json()[0]["service_notice"]


def test_the_web_form_offers_me_too_before_a_second_report_and_files_it_when_it_is_different(client, voice, login):
    first = _file(voice)
    login(voice["neighbour"])
    form = {"category": "roads", "village_id": str(voice["village"].id), "description": "The bridge near the market fell in."}
    page = client.post("/reports/new", data=form)
    assert page.status_code == 200 and f"/reports/{first.id}".encode() in page.data
    assert b"The bridge near the market fell in." in page.data  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count(Report.id))) == 1
    sent = client.post("/reports/new", data={**form, "new_problem": "y"})
    assert sent.status_code == 302
    assert db.session.scalar(db.select(db.func.count(Report.id))) == 2


def test_keys_are_issued_and_revoked_from_the_command_line(app, voice):
    account = factories.user("Ahero 311", village=voice["village"])
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["open311", "issue-key", "Ahero 311", "--account", account.phone])
    assert issued.exit_code == 0, issued.output
    key_id, secret = issued.output.split()[1], issued.output.strip().split()[-1]
    assert open311.account_for_key(secret).id == account.id
    assert runner.invoke(args=["open311", "revoke-key", key_id]).exit_code == 0
    assert open311.account_for_key(secret) is None
    assert runner.invoke(args=["open311", "issue-key", "Nobody", "--account", "+254700000000"]).exit_code != 0


def test_an_exact_place_goes_with_the_report_and_a_place_off_the_earth_is_refused(client, voice, partner, login):
    form = {"api_key": partner["api_key"], "service_code": "roads", "address_id": str(voice["village"].id),
            "description": "A tree has fallen across the road.", "lat": "0.212345", "long": "37.723456"}
    created = client.post("/open311/v2/requests.json", data=form)
    shown = client.get(f"/open311/v2/requests/{created.get_json()[0]['service_request_id']}.json").get_json()[0]
    assert (shown["lat"], shown["long"]) == (0.212345, 37.723456)
    assert client.post("/open311/v2/requests.json", data={**form, "lat": "123"}).status_code == 400
    login(voice["neighbour"])
    sent = client.post("/reports/new", data={"category": "water", "village_id": str(voice["village"].id),
                                             "description": "The tap at the school has been dry since Friday.",
                                             "latitude": "0.2", "longitude": "37.73"})
    report = db.session.get(Report, int(sent.headers["Location"].rsplit("/", 1)[1]))
    assert (report.latitude, report.longitude) == (0.2, 37.73)
    assert b"openstreetmap.org/?mlat=0.200000" in client.get(f"/reports/{report.id}").data


def test_without_dates_the_list_covers_the_last_90_days(client, voice):
    from datetime import timedelta

    from marketplace.core.timeutils import utcnow

    old, recent = _file(voice), _file(voice, "The drain by the clinic is blocked again.")
    old.created_at = utcnow() - timedelta(days=120)
    db.session.commit()
    listed = {item["service_request_id"] for item in client.get("/open311/v2/requests.json").get_json()}
    assert str(recent.id) in listed and str(old.id) not in listed
    since = (utcnow() - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert str(old.id) in {item["service_request_id"] for item in client.get(f"/open311/v2/requests.json?start_date={since}").get_json()}


def test_lat_and_long_alone_place_a_request_in_the_nearest_village(client, voice, partner, places):
    kianjai = places["villages"]["Kianjai"]
    services.set_rule(voice["admin"], ReportCategory.WATER, voice["hill"].id, voice["departments"]["LND"].id)
    form = {"api_key": partner["api_key"], "service_code": "water", "description": "The borehole pump has been broken for a week.",
            "lat": "0.2150", "long": "37.7700"}  # 1.2 km from Kianjai's centre, 5.6 km from Mbeu's
    created = client.post("/open311/v2/requests.json", data=form)
    assert created.status_code == 201, created.get_json()
    report = db.session.get(Report, int(created.get_json()[0]["service_request_id"]))
    assert report.village_id == kianjai.id and report.district_id == kianjai.district_id
    assert (report.latitude, report.longitude) == (0.215, 37.77)
    assert report.department_id == voice["departments"]["LND"].id  # routed by Hill's own rule for water, as on the web
    shown = client.get(f"/open311/v2/requests/{report.id}.json").get_json()[0]
    assert shown["address_id"] == str(kianjai.id)
    only_one = client.post("/open311/v2/requests.json", data={**form, "long": ""})
    assert only_one.status_code == 400 and "lat and long are both needed" in only_one.get_json()[0]["description"]
    far_from_named = client.post("/open311/v2/requests.json", data={**form, "address_id": str(places["villages"]["Ahero"].id)})
    assert far_from_named.status_code == 400 and "km from Ahero" in far_from_named.get_json()[0]["description"]
