"""Forms filled in a browser without a signal and sent later (egov.field_filing.receive_browser_form):
who may send them for whom, and what happens to a form an agent sends for someone not present."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.core.errors import InvalidInput, PermissionDenied
from marketplace.egov import field_filing
from marketplace.egov.models import SubmissionStatus
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage

SUBSIDY = "agricultural-input-subsidy"


def _answers(**extra) -> MultiDict:
    return MultiDict({"full_name": "Achieng", "national_id": "12345678", "farm_size": "1.5", "crops": "maize",
                      "irrigated": "no", "input_type": "seed", **extra})


def test_an_agents_form_for_an_absent_resident_waits_for_them_and_tells_them(app, egov):
    version = egov["services"][SUBSIDY].published_version
    answers = _answers(applicant_phone=egov["resident"].phone, declared="y")
    receipt = field_filing.receive_browser_form(egov["agent"], version.eservice, version.id, answers, MultiDict(), "browser:agent-form-1")
    assert receipt.created and not receipt.filed
    assert receipt.submission.applicant_id == egov["resident"].id and receipt.submission.status is SubmissionStatus.DRAFT
    told = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.user_id == egov["resident"].id)).all()
    assert any(n.kind == "application_waits_for_you" for n in told)


def test_only_an_agent_sends_a_form_for_someone_else(app, egov):
    version = egov["services"][SUBSIDY].published_version
    with pytest.raises(PermissionDenied):
        field_filing.receive_browser_form(egov["other_resident"], version.eservice, version.id, _answers(applicant_phone=egov["resident"].phone),
                                          MultiDict(), "browser:not-an-agent")


def test_a_form_without_an_id_or_for_a_version_that_is_not_served_is_refused(app, egov):
    version = egov["services"][SUBSIDY].published_version
    with pytest.raises(InvalidInput):
        field_filing.receive_browser_form(egov["resident"], version.eservice, version.id, _answers(), MultiDict(), "")
    with pytest.raises(InvalidInput):
        field_filing.receive_browser_form(egov["resident"], version.eservice, 99999, _answers(), MultiDict(), "browser:old-version")


def test_someone_elses_form_id_does_not_return_their_application(app, egov):
    version = egov["services"][SUBSIDY].published_version
    field_filing.receive_browser_form(egov["resident"], version.eservice, version.id, _answers(), MultiDict(), "browser:guessable")
    with pytest.raises(InvalidInput):
        field_filing.receive_browser_form(egov["other_resident"], version.eservice, version.id, _answers(), MultiDict(), "browser:guessable")


def test_a_resident_without_the_declaration_gets_a_draft_to_finish(app, egov):
    version = egov["services"][SUBSIDY].published_version
    receipt = field_filing.receive_browser_form(egov["resident"], version.eservice, version.id, _answers(), MultiDict(), "browser:no-declaration")
    assert not receipt.filed and receipt.submission.answers["farm_size"] == "1.5"


def test_an_agents_one_page_form_starts_empty_not_with_the_agents_own_details(client, egov, login):
    login(egov["agent"])
    page = client.get(f"/services/{SUBSIDY}/offline").get_data(as_text=True)
    assert egov["agent"].name not in page.split("<main", 1)[1].split("</main>")[0]
    login(egov["resident"])
    page = client.get(f"/services/{SUBSIDY}/offline").get_data(as_text=True)
    assert f'value="{egov["resident"].name}"' in page  # a person filing for themselves starts with their own details


def test_a_version_of_another_service_is_refused(app, egov):
    other = egov["services"]["birth-certificate-copy"].published_version
    with pytest.raises(InvalidInput):
        field_filing.receive_browser_form(egov["resident"], egov["services"][SUBSIDY], other.id, _answers(), MultiDict(), "browser:crossed")


def test_without_javascript_the_one_page_form_posts_as_a_page_and_lands_on_the_application(client, egov, login):
    login(egov["resident"])
    service = egov["services"][SUBSIDY]
    answers = {**_answers().to_dict(), "version_id": str(service.published_version_id), "instance_id": "browser:no-script-1",
               "phone": egov["resident"].phone, "home_village": str(egov["village"].id)}
    response = client.post(f"/services/{SUBSIDY}/offline", data=answers)
    assert response.status_code == 302 and "/applications/" in response.headers["Location"]  # a draft: the ID photo is missing
    again = client.post(f"/services/{SUBSIDY}/offline", data={**answers, "national_id": "12"}, headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.get_json()["state"] == "draft"  # the same id: the first one, not a second
    refused = client.post(f"/services/{SUBSIDY}/offline", data={**answers, "instance_id": ""})
    assert refused.status_code == 422 and b"reload the page" in refused.data
