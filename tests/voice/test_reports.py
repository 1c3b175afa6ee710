"""Residents' voice: routing, filing, "me too", comments, the department's answer, moderation and privacy."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from marketplace.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from marketplace.core.storage import get_storage
from marketplace.notifications.models import InboxMessage, OutboxMessage
from marketplace.voice import services
from marketplace.voice.models import Report, ReportCategory, ReportEvent, ReportStatus, RoutingRule
from tests import factories


def _file(person, voice, category="roads", description="The bridge to the market is broken since the rains.",
          actor=None, reporter=None, **kw):
    return services.file_report(actor or person, services.ReportInput(
        category=category, village_id=voice["village"].id, description=description, **kw), reporter=reporter)


def test_reports_go_to_the_department_of_their_category_and_district(voice, db, places):
    roads = _file(voice["resident"], voice)
    assert roads.department.code == "PWK" and roads.status is ReportStatus.RECEIVED
    services.set_rule(voice["admin"], ReportCategory.WATER, voice["hill"].id, voice["departments"]["LND"].id)
    water = _file(voice["resident"], voice, category="water", description="The borehole pump leaks every night.")
    assert water.department.code == "LND"  # the district's own rule wins over the rule for everywhere
    elsewhere = services.file_report(voice["resident"], services.ReportInput(
        category="water", village_id=places["villages"]["Tala"].id, description="No water at the Tala kiosk today."))
    assert elsewhere.department.code == "PWK"
    with pytest.raises(PermissionDenied):
        services.set_rule(voice["resident"], ReportCategory.ROADS, None, voice["departments"]["SWF"].id)


def test_a_report_without_a_rule_waits_and_is_routed_when_a_rule_is_added(voice, db):
    school = _file(voice["resident"], voice, category="school", description="The school roof leaks over class 3.")
    assert school.department_id is None and services.unrouted_count() == 1
    services.set_rule(voice["admin"], ReportCategory.SCHOOL, None, voice["departments"]["SWF"].id)
    db.session.refresh(school)
    assert school.department.code == "SWF" and services.unrouted_count() == 0
    assert [e.action for e in school.events] == ["filed", "routed"]


def test_bad_input_is_explained_field_by_field(voice):
    with pytest.raises(InvalidInput) as caught:
        services.file_report(voice["resident"], services.ReportInput(category="gossip", village_id=None, description="bad"))
    assert set(caught.value.errors) == {"category", "village_id", "description"}
    with pytest.raises(InvalidInput) as caught:
        _file(voice["resident"], voice, photos=[{}] * 4)
    assert set(caught.value.errors) == {"photos"}


def test_photos_go_through_the_pipeline_and_lose_their_location(voice, db):
    exif = Image.Exif()
    exif[0x8825] = {2: (1.0, 17.0, 0.0)}  # GPSInfo: a latitude
    exif[0x010F] = "PhoneMaker"
    photos = services.process_photos([factories.photo_bytes(1600, 1200, exif=exif)])
    report = _file(voice["resident"], voice, photos=photos)
    stored = Image.open(io.BytesIO(get_storage().open(report.photos[0].display_key)))
    assert not stored.getexif() and max(stored.size) <= 1600


def test_an_agent_files_for_a_resident_and_others_cannot(voice, db):
    from marketplace.accounts.presence import PresenceRequired

    with pytest.raises(PresenceRequired):  # not in the resident's name without the resident
        _file(voice["resident"], voice, actor=voice["agent"], reporter=voice["resident"])
    factories.present(voice["agent"], voice["resident"])
    report = _file(voice["resident"], voice, actor=voice["agent"], reporter=voice["resident"])
    assert report.reporter_id == voice["resident"].id and report.filed_by_id == voice["agent"].id
    with pytest.raises(PermissionDenied):
        _file(voice["resident"], voice, actor=voice["neighbour"], reporter=voice["resident"])


def test_me_too_counts_once_per_person_and_the_reporter_is_not_counted_twice(voice, db):
    report = _file(voice["resident"], voice)
    assert services.support(voice["neighbour"], report) is True
    assert services.support(voice["neighbour"], report) is False
    assert report.supporters == 1
    with pytest.raises(DomainError):
        services.support(voice["resident"], report)


def test_the_department_moves_the_status_and_everyone_following_hears_in_their_language(voice, db):
    report = _file(voice["resident"], voice)
    services.support(voice["neighbour"], report)
    with pytest.raises(PermissionDenied):
        services.set_status(voice["lands"], report, ReportStatus.IN_PROGRESS)  # another department
    with pytest.raises(DomainError):
        services.set_status(voice["works"], report, ReportStatus.WONT_FIX)  # no reason
    services.set_status(voice["works"], report, ReportStatus.IN_PROGRESS, "A team goes on Monday.")
    told = {m.user_id: m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "report_status"))}
    assert set(told) == {voice["resident"].id, voice["neighbour"].id}
    assert told[voice["resident"].id].locale == "sw" and told[voice["neighbour"].id].locale == "fr"
    assert "A team goes on Monday." in told[voice["neighbour"].id].body
    inbox = db.session.scalar(select(InboxMessage).where(InboxMessage.user_id == voice["resident"].id))
    assert inbox.link == f"/reports/{report.id}"
    services.set_status(voice["works"], report, ReportStatus.FIXED, "Repaired.")
    assert report.resolved_at is not None
    with pytest.raises(DomainError):
        services.set_status(voice["works"], report, ReportStatus.RECEIVED)
    moves = [(e.from_status, e.to_status, e.actor_id) for e in db.session.scalars(
        select(ReportEvent).where(ReportEvent.report_id == report.id, ReportEvent.action == "status"))]
    assert moves == [("received", "in_progress", voice["works"].id), ("in_progress", "fixed", voice["works"].id)]


def test_the_departments_answer_is_marked_and_followers_are_told(voice, db):
    report = _file(voice["resident"], voice)
    services.comment(voice["neighbour"], report, "Same on the other side of the river.")
    answer = services.comment(voice["works"], report, "We have ordered the timber.")
    assert answer.department.code == "PWK"
    told = db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "report_answered")).all()
    assert told == [voice["resident"].id]
    with pytest.raises(DomainError):
        services.comment(voice["neighbour"], report, "   ")


def test_officials_and_admins_hide_with_a_reason_and_the_reporter_still_sees_why(voice, db):
    report = _file(voice["resident"], voice)
    with pytest.raises(PermissionDenied):
        services.hide_report(voice["lands"], report, "not ours")
    with pytest.raises(DomainError):
        services.hide_report(voice["works"], report, "")
    services.hide_report(voice["works"], report, "Names a person")
    assert services.public_reports(services.ReportFilter()).reports == []
    assert services.get_report(voice["resident"], report.id).is_hidden
    with pytest.raises(NotFound):
        services.get_report(voice["neighbour"], report.id)
    services.unhide_report(voice["admin"], report)
    assert services.public_reports(services.ReportFilter()).reports == [report]
    entry = services.comment(voice["neighbour"], report, "Call 0722 000 111 for the chief.")
    services.hide_comment(voice["works"], entry.id, "Phone number")
    assert services.visible_comments(voice["neighbour"], report) == []
    assert services.visible_comments(voice["works"], report) == [entry]


def test_officials_see_their_departments_reports_only(voice, db):
    roads = _file(voice["resident"], voice)
    services.set_rule(voice["admin"], ReportCategory.WATER, None, voice["departments"]["LND"].id)
    water = _file(voice["resident"], voice, category="water", description="The borehole pump leaks every night.")
    assert services.reports_for_official(voice["works"]) == [roads]
    assert services.reports_for_official(voice["lands"]) == [water]
    with pytest.raises(PermissionDenied):
        services.reports_for_official(voice["resident"])


def test_pages_never_show_who_reported(client, login, voice, db):
    report = _file(voice["resident"], voice)
    services.support(voice["neighbour"], report)
    services.comment(voice["neighbour"], report, "Same on the other side of the river.")
    for page in ("/reports", f"/reports/{report.id}"):
        for viewer in (None, voice["neighbour"]):
            client.post("/logout")
            if viewer:
                login(viewer)
            html = client.get(page).get_data(as_text=True)
            assert "The bridge to the market" in html
            for secret in ("Wanjiku", "Mwangi", voice["resident"].phone, "Otieno"):
                assert secret not in html, (page, secret)


def test_the_report_form_keeps_what_was_typed_and_the_photos_after_a_mistake(client, login, voice, db):
    login(voice["resident"])
    response = client.post("/reports/new", data={
        "category": "", "village_id": str(voice["village"].id), "description": "The bridge is broken since the rains.",
        "photos": [(io.BytesIO(factories.photo_bytes(800, 600)), "bridge.jpg")],
    }, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="error-summary"' in html
    assert "The bridge is broken since the rains." in html and "Picha 1 imehifadhiwa." in html  # in the resident's Swahili
    token = re.search(r'name="photo_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/reports/new", data={
        "category": "roads", "village_id": str(voice["village"].id), "description": "The bridge is broken since the rains.",
        "photo_token": token})
    assert response.status_code == 302
    report = db.session.scalar(select(Report))
    assert len(report.photos) == 1 and report.category is ReportCategory.ROADS
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert report.photos[0].display_key in page


def test_the_department_changes_the_status_from_the_page(client, login, voice, db):
    report = _file(voice["resident"], voice)
    login(voice["lands"])
    assert "Change status" not in client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert client.post(f"/reports/{report.id}/status", data={"status": "fixed"}).status_code == 403
    client.post("/logout")
    login(voice["works"])
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Change status" in page
    client.post(f"/reports/{report.id}/status", data={"status": "wont_fix", "reason": ""})
    db.session.refresh(report)
    assert report.status is ReportStatus.RECEIVED
    client.post(f"/reports/{report.id}/status", data={"status": "wont_fix", "reason": "The road belongs to the county."})
    db.session.refresh(report)
    assert report.status is ReportStatus.WONT_FIX
    assert "The road belongs to the county." in client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert f"/reports/{report.id}" in client.get("/official/reports?status=wont_fix").get_data(as_text=True)


def test_the_officials_queue_counts_the_departments_open_reports(client, login, voice, db):
    _file(voice["resident"], voice)
    assert services.open_report_count(voice["works"]) == 1 and services.open_report_count(voice["lands"]) == 0
    login(voice["works"])
    assert "1 open report" in client.get("/official/queue").get_data(as_text=True)


def test_admins_edit_the_routing_rules_on_a_page(client, login, voice, db):
    login(voice["admin"])
    page = client.get("/admin/report-routing").get_data(as_text=True)
    assert "Roads" in page and "Public Works, Water and Energy" in page
    response = client.post("/admin/report-routing", data={
        "category": "water", "district_id": str(voice["hill"].id), "department_id": str(voice["departments"]["LND"].id)})
    assert response.status_code == 302
    rule = db.session.scalar(select(RoutingRule).where(RoutingRule.district_id == voice["hill"].id))
    assert rule.category is ReportCategory.WATER and rule.department.code == "LND"
    rule_id = rule.id
    client.post("/admin/report-routing", data={"delete": str(rule_id)})
    db.session.expire_all()
    assert db.session.scalar(select(RoutingRule).where(RoutingRule.id == rule_id)) is None
    client.post("/logout")
    login(voice["resident"])
    assert client.get("/admin/report-routing").status_code == 403


def test_filing_reports_is_rate_limited(database_url, voice):
    from marketplace import create_app
    from tests.factories import PASSWORD

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": True, "REPORT_RATE_LIMIT": "2 per hour", "RATELIMIT_LOGIN": "100 per minute"})
    client = app.test_client()
    client.post("/login", data={"identifier": voice["resident"].phone, "password": PASSWORD})
    # new_problem: each is sent as a new report (without it the second would first be offered "me too")
    data = {"category": "roads", "village_id": str(voice["village"].id), "description": "The bridge is broken since the rains.",
            "new_problem": "y"}
    statuses = [client.post("/reports/new", data=data).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert client.get("/reports/new").status_code == 200  # reading the form is never limited
