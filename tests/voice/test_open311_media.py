"""A partner's media_url: fetched after the request is filed, from public addresses only, through
the image pipeline, and whatever is refused is recorded with its reason. A picture server on loopback
stands in for the partner's; loopback is allowed only where a test says so, and a redirect from it
to a private address is still refused."""
from __future__ import annotations

import pytest
from werkzeug.wrappers import Request, Response

from marketplace.extensions import db
from marketplace.voice import open311
from marketplace.voice.models import Report, ReportEvent
from tests.egov.conftest import jpeg_bytes
from tests.support.servers import in_thread


@pytest.fixture
def picture_server():
    picture = jpeg_bytes()

    @Request.application
    def serve(request):
        if request.path == "/photo.jpg":
            return Response(picture, mimetype="image/jpeg")
        if request.path == "/big.jpg":
            return Response(b"\xff" * 20_000, mimetype="image/jpeg")
        if request.path == "/notes.txt":
            return Response("not a picture", mimetype="image/jpeg")
        if request.path == "/inside":
            return Response(status=302, headers={"Location": "http://10.20.30.40/photo.jpg"})
        return Response("gone", status=404)

    with in_thread(serve) as base:
        yield base


def _post(client, voice, partner, media_url):
    answer = client.post("/open311/v2/requests.json", data={
        "api_key": partner["api_key"], "service_code": "roads", "address_id": str(voice["village"].id),
        "description": "The culvert under the road has collapsed.", "media_url": media_url})
    assert answer.status_code == 201, answer.get_json()
    db.session.expire_all()
    return db.session.get(Report, int(answer.get_json()[0]["service_request_id"]))


def _history(report, action):
    return db.session.scalars(db.select(ReportEvent.reason).where(ReportEvent.report_id == report.id, ReportEvent.action == action)).all()


def test_the_picture_is_fetched_and_attached_through_the_image_pipeline(app, client, voice, partner, picture_server, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN311_MEDIA_ALLOW_LOOPBACK", True)
    report = _post(client, voice, partner, f"{picture_server}/photo.jpg")
    assert len(report.photos) == 1 and report.photos[0].display_width > 0
    assert _history(report, "photo_added") == [f"media_url {picture_server}/photo.jpg"]
    shown = client.get(f"/open311/v2/requests/{report.id}.json").get_json()[0]
    assert shown["media_url"] and picture_server not in shown["media_url"]  # our copy, not the partner's address
    open311.fetch_media_job(report.id, f"{picture_server}/photo.jpg")  # a job run twice attaches once
    db.session.expire_all()
    assert len(db.session.get(Report, report.id).photos) == 1


def test_a_private_address_is_refused_even_behind_a_redirect(app, client, voice, partner, picture_server, monkeypatch):
    kept_out = _post(client, voice, partner, f"{picture_server}/photo.jpg")  # loopback, not allowed by default
    assert kept_out.photos == [] and len(_history(kept_out, "media_refused")) == 1
    monkeypatch.setitem(app.config, "OPEN311_MEDIA_ALLOW_LOOPBACK", True)
    redirected = _post(client, voice, partner, f"{picture_server}/inside")
    assert redirected.photos == [] and "10.20.30.40" in _history(redirected, "media_refused")[0]


def test_what_is_not_a_picture_or_too_big_or_missing_is_refused_with_its_reason(app, client, voice, partner, picture_server,
                                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "OPEN311_MEDIA_ALLOW_LOOPBACK", True)
    not_picture = _post(client, voice, partner, f"{picture_server}/notes.txt")
    assert not_picture.photos == [] and "photo" in _history(not_picture, "media_refused")[0].lower()
    monkeypatch.setattr(open311, "MAX_UPLOAD_BYTES", 10_000)
    too_big = _post(client, voice, partner, f"{picture_server}/big.jpg")
    assert "larger than" in _history(too_big, "media_refused")[0]
    missing = _post(client, voice, partner, f"{picture_server}/nothing.jpg")
    assert "answered 404" in _history(missing, "media_refused")[0]


@pytest.mark.parametrize("address", ["file:///etc/passwd", "ftp://example.org/a.jpg", "http://user:secret@example.org/a.jpg",
                                     "https://example.org/" + "a" * 1000, "javascript:alert(1)"])
def test_an_address_that_is_not_a_web_picture_refuses_the_request_before_anything_is_filed(client, voice, partner, address):
    answer = client.post("/open311/v2/requests.json", data={
        "api_key": partner["api_key"], "service_code": "roads", "address_id": str(voice["village"].id),
        "description": "The culvert under the road has collapsed.", "media_url": address})
    assert answer.status_code == 400 and "media_url" in answer.get_json()[0]["description"]
    assert db.session.scalar(db.select(db.func.count(Report.id))) == 0
