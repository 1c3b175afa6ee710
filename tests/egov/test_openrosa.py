"""The OpenRosa server, driven as ODK Collect drives it: the form list, the XForm, a filled instance
made from the XForm's own instance template, posted multipart with a photo, and posted again."""
from __future__ import annotations

import base64
import io
import uuid
from xml.etree import ElementTree

import pytest

from marketplace.accounts.api import create_device_token
from marketplace.egov.models import Submission, SubmissionStatus
from marketplace.extensions import db
from tests import factories
from tests.egov.conftest import jpeg_bytes

XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"


def _auth(user, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{user.phone}:{secret}".encode()).decode()}


@pytest.fixture
def device(egov):
    _token, secret = create_device_token(egov["agent"], "Collect on the centre's phone")
    return _auth(egov["agent"], secret)


def _instance_template(client, headers, slug):
    response = client.get(f"/openrosa/forms/{slug}.xml", headers=headers)
    assert response.status_code == 200 and response.headers["X-OpenRosa-Version"] == "1.0"
    xform = ElementTree.fromstring(response.data)
    model = xform.find(f"{H}head/{XF}model")
    return model.find(f"{XF}instance")[0]


def _fill(data, answers: dict, instance_id: str) -> bytes:
    for element in data.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name in answers:
            element.text = answers[name]
        if name == "instanceID":
            element.text = instance_id
    return ElementTree.tostring(data, encoding="utf-8")


def _livestock_answers(egov, village_id: str, phone: str) -> dict:
    return {"applicant_phone": phone, "full_name": "Achieng Resident", "national_id": "12345678",
            "phone": phone, "home_village": village_id, "species": "cattle", "head_count": "12.0",
            "vaccinated": "yes", "vaccination_date": "2026-11-01", "from_village": village_id,
            "to_village": village_id, "move_date": "2026-12-20", "reason": "sale", "vet_record": "vet.jpg",
            "applicant_declares": "OK"}


def _post(client, headers, document: bytes, photo: bytes | None = None):
    data = {"xml_submission_file": (io.BytesIO(document), "submission.xml", "text/xml")}
    if photo is not None:
        data["vet.jpg"] = (io.BytesIO(photo), "vet.jpg", "image/jpeg")
    return client.post("/openrosa/submission", data=data, headers=headers, content_type="multipart/form-data")


def test_a_device_without_a_token_is_asked_to_sign_in(client, egov):
    response = client.get("/openrosa/formList")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/openrosa/formList", headers=_auth(egov["agent"], "guessed")).status_code == 401


def test_only_agents_may_file_from_a_device(client, egov):
    resident = egov["resident"]
    from marketplace.accounts.models import DeviceToken

    # a token made for someone who is not an agent (their role was revoked since) signs nobody in as an agent
    _token, secret = create_device_token(egov["agent"], "phone")
    db.session.execute(db.update(DeviceToken).values(user_id=resident.id))
    db.session.commit()
    assert client.get("/openrosa/formList", headers=_auth(resident, secret)).status_code == 403


def test_the_form_list_names_every_published_form_with_its_version_and_hash(client, egov, device):
    response = client.get("/openrosa/formList", headers=device)
    assert response.status_code == 200
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    forms = ElementTree.fromstring(response.data)
    ns = "{http://openrosa.org/xforms/xformsList}"
    entries = {entry.findtext(f"{ns}formID"): entry for entry in forms}
    assert "vs_livestock_movement_permit" in entries
    entry = entries["vs_livestock_movement_permit"]
    assert entry.findtext(f"{ns}version") == "1"
    assert entry.findtext(f"{ns}hash").startswith("md5:")
    assert entry.findtext(f"{ns}downloadUrl").endswith("/openrosa/forms/livestock-movement-permit.xml")


def test_head_before_a_submission_says_how_much_may_be_sent(client, device):
    response = client.head("/openrosa/submission", headers=device)
    assert response.status_code == 204
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) > 10_000_000


def test_a_filled_form_with_a_photo_waits_for_an_absent_resident_and_a_resend_is_stored_once(client, egov, device):
    resident = egov["resident"]
    data = _instance_template(client, device, "livestock-movement-permit")
    document = _fill(data, _livestock_answers(egov, str(egov["village"].id), resident.phone), f"uuid:{uuid.uuid4()}")

    first = _post(client, device, document, jpeg_bytes())
    assert first.status_code == 201, first.data
    assert b"draft" in first.data
    again = _post(client, device, document, jpeg_bytes())
    assert again.status_code == 202 and b"already received" in again.data

    stored = db.session.scalars(db.select(Submission).where(Submission.applicant_id == resident.id)).all()
    assert len(stored) == 1
    submission = stored[0]
    assert submission.status is SubmissionStatus.DRAFT  # the resident was not shown to be present
    assert submission.agent_id == egov["agent"].id
    assert submission.answers["head_count"] == "12" and submission.answers["vaccination_date"] == "2026-11-01"
    assert submission.answers["home_village"] == egov["village"].id
    assert [a.field for a in submission.attachments] == ["vet_record"]
    assert "received_from_device" in [event.action for event in submission.audit]


def test_a_filled_form_is_filed_at_once_while_the_resident_is_present(client, egov, device):
    resident = egov["resident"]
    factories.present(egov["agent"], resident)
    data = _instance_template(client, device, "livestock-movement-permit")
    response = _post(client, device, _fill(data, _livestock_answers(egov, str(egov["village"].id), resident.phone),
                                          f"uuid:{uuid.uuid4()}"), jpeg_bytes())
    assert response.status_code == 201
    submission = db.session.scalar(db.select(Submission).where(Submission.applicant_id == resident.id))
    assert submission.status is SubmissionStatus.SUBMITTED and submission.reference
    assert submission.reference.encode() in response.data
    assert submission.pays_at_office  # the agent takes the fee at the office


def test_refused_answers_are_listed_and_the_rest_is_kept(client, egov, device):
    resident = egov["resident"]
    factories.present(egov["agent"], resident)
    answers = _livestock_answers(egov, str(egov["village"].id), resident.phone)
    answers["head_count"] = "-4"  # below the form's minimum
    data = _instance_template(client, device, "livestock-movement-permit")
    response = _post(client, device, _fill(data, answers, f"uuid:{uuid.uuid4()}"), jpeg_bytes())
    assert response.status_code == 201
    assert b"How many?: Number must be between 1 and 500" in response.data
    submission = db.session.scalar(db.select(Submission).where(Submission.applicant_id == resident.id))
    assert submission.status is SubmissionStatus.DRAFT  # not filed with a refused answer
    assert "head_count" not in submission.answers and submission.answers["species"] == "cattle"


def test_a_form_for_someone_not_registered_is_refused_with_the_reason(client, egov, device):
    data = _instance_template(client, device, "livestock-movement-permit")
    response = _post(client, device, _fill(data, _livestock_answers(egov, str(egov["village"].id), "+254799999999"),
                                          f"uuid:{uuid.uuid4()}"))
    assert response.status_code == 400 and b"Register them first" in response.data
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0


def test_a_hostile_document_is_refused(client, device):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b'<data id="vs_livestock_movement_permit" version="1"><meta><instanceID>&b;</instanceID></meta></data>')
    response = _post(client, device, bomb)
    assert response.status_code == 400 and b"could not be read" in response.data


def test_another_agents_instance_id_is_not_taken_over(client, egov, device):
    resident = egov["resident"]
    data = _instance_template(client, device, "livestock-movement-permit")
    document = _fill(data, _livestock_answers(egov, str(egov["village"].id), resident.phone), "uuid:shared-id")
    assert _post(client, device, document, jpeg_bytes()).status_code == 201
    other_agent = factories.with_role(factories.Role.AGENT, village=egov["village"])
    _token, secret = create_device_token(other_agent, "other phone")
    response = _post(client, _auth(other_agent, secret), document, jpeg_bytes())
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 1


def test_without_the_declaration_the_form_waits_even_with_the_resident_present(client, egov, device):
    resident = egov["resident"]
    factories.present(egov["agent"], resident)
    answers = _livestock_answers(egov, str(egov["village"].id), resident.phone)
    answers["applicant_declares"] = ""
    data = _instance_template(client, device, "livestock-movement-permit")
    assert _post(client, device, _fill(data, answers, f"uuid:{uuid.uuid4()}"), jpeg_bytes()).status_code == 201
    submission = db.session.scalar(db.select(Submission).where(Submission.applicant_id == resident.id))
    assert submission.status is SubmissionStatus.DRAFT
