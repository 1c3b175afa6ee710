"""Residents' and agents' journeys over HTTP, officials' review, certificates, fees through localstripe."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from marketplace.egov import services
from marketplace.egov.models import AuditEvent, Submission, SubmissionStatus
from marketplace.notifications.models import OutboxMessage
from tests import factories
from tests.egov.conftest import PDF_BYTES, jpeg_bytes
from tests.support.stripe_fakes import CARD_OK, confirm_card_as_browser

S = SubmissionStatus
SUBSIDY = "agricultural-input-subsidy"


def _load(db, key):
    db.session.expire_all()  # the app wrote through its own session
    return db.session.scalar(select(Submission).where(Submission.key == key))


def _start(client, slug, **extra):
    response = client.post(f"/services/{slug}/start", data=extra)
    assert response.status_code == 302, response.get_data(as_text=True)
    key = re.search(r"/applications/([^/]+)/step/", response.headers["Location"]).group(1)
    return key, response.headers["Location"]


def _fill_subsidy(client, key, village_id, with_file=True, farm_size="1.5"):
    steps = [
        {"full_name": "Achieng Resident", "national_id": "12345678", "phone": "0722100000", "home_village": str(village_id)},
        {"farm_size": farm_size, "crops": ["maize", "beans"], "irrigated": "no"},
        {},  # sales on Village Square: optional, and this resident sells nothing
        {"input_type": "both", "bags": "4", "last_harvest": "2026-08-01"},
    ]
    for number, data in enumerate(steps, start=1):
        response = client.post(f"/applications/{key}/step/{number}", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    files = {"id_copy": (io.BytesIO(jpeg_bytes()), "id.jpg")} if with_file else {}
    response = client.post(f"/applications/{key}/step/5", data=files, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/check")


def test_a_resident_files_step_by_step_checks_answers_and_gets_a_reference(client, login, egov, db):
    login(egov["resident"])
    key, first = _start(client, SUBSIDY)
    page = client.get(first).get_data(as_text=True)
    assert 'value="Achieng Resident"' in page  # the name comes from the account, editable
    # A wrong answer is explained on its field and keeps what was typed.
    refused = client.post(f"/applications/{key}/step/1", data={"full_name": "Achieng", "national_id": "12ab", "phone": "0722100000",
                                                                "home_village": str(egov["village"].id)})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Enter 6 to 10 digits." in text and 'value="12ab"' in text and 'href="#national_id"' in text
    _fill_subsidy(client, key, egov["village"].id)
    check = client.get(f"/applications/{key}/check").get_data(as_text=True)
    assert "Check your answers" in check and "Maize, Beans" in check and "1.5" in check and "id.jpg" in check
    assert f"/applications/{key}/step/2?back=check" in check  # change links
    unsent = client.post(f"/applications/{key}/submit", data={})
    assert unsent.status_code == 422 and "Confirm that the information is correct" in unsent.get_data(as_text=True)
    done = client.post(f"/applications/{key}/submit", data={"declared": "y"}, follow_redirects=True).get_data(as_text=True)
    submission = _load(db, key)
    assert re.fullmatch(r"AGR-\d{4}-000001", submission.reference) and submission.reference in done
    assert submission.status is S.SUBMITTED and submission.filed_by_id == egov["resident"].id
    sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "application_submitted"))
    assert sms.user_id == egov["resident"].id and submission.reference in sms.body
    assert submission.answers["bags"] == "4" and submission.answers["crops"] == ["maize", "beans"]


def test_show_if_hides_and_drops_answers_that_no_longer_apply(client, login, egov, db):
    login(egov["resident"])
    key, _ = _start(client, SUBSIDY)
    _fill_subsidy(client, key, egov["village"].id)
    client.post(f"/applications/{key}/step/4?back=check", data={"input_type": "seed", "last_harvest": ""})
    submission = _load(db, key)
    db.session.refresh(submission)
    assert submission.answers["input_type"] == "seed" and "bags" not in submission.answers


def test_the_draft_is_saved_at_every_step_and_listed_to_resume(client, login, egov):
    login(egov["resident"])
    key, _ = _start(client, SUBSIDY)
    client.post(f"/applications/{key}/step/1", data={"full_name": "Achieng", "national_id": "12345678", "phone": "0722100000",
                                                      "home_village": str(egov["village"].id)})
    mine = client.get("/applications").get_data(as_text=True)
    assert "Agricultural input subsidy" in mine and "draft" in mine
    assert 'value="12345678"' in client.get(f"/applications/{key}/step/1").get_data(as_text=True)


def test_a_submission_keeps_its_version_after_a_new_one_is_published(client, login, egov, db):
    from marketplace.egov import versions

    login(egov["resident"])
    key, _ = _start(client, SUBSIDY)
    service = egov["services"][SUBSIDY]
    draft = versions.new_draft(egov["admin"], service)
    definition = dict(draft.definition)
    definition["steps"] = definition["steps"][:1]
    definition["title"] = {"en": "Input subsidy (short form)"}
    import json

    versions.save_draft(egov["admin"], draft, json.dumps(definition))
    versions.publish(egov["admin"], draft)
    submission = _load(db, key)
    assert submission.version.number == 1 and service.published_version.number == 2
    assert "Agricultural input subsidy" in client.get(f"/applications/{key}/step/2").get_data(as_text=True)


def test_the_fee_is_paid_by_card_through_localstripe_then_the_application_is_filed(client, login, egov, db, stripe_on):
    login(egov["resident"])
    key, _ = _start(client, "birth-certificate-copy")
    client.post(f"/applications/{key}/step/1", data={"full_name": "Achieng", "national_id": "12345678", "phone": "0722100000",
                                                      "home_village": str(egov["village"].id)})
    client.post(f"/applications/{key}/step/2", data={"for_whom": "self", "birth_date": "1990-05-04",
                                                      "birth_place": str(egov["village"].id), "entry_number": ""})
    response = client.post(f"/applications/{key}/step/3", data={"copies": "1", "email": "",
                                                                 "id_copy": (io.BytesIO(PDF_BYTES), "id.pdf")},
                           content_type="multipart/form-data")
    assert response.headers["Location"].endswith("/check")
    assert "At the office" not in client.get(f"/applications/{key}/check").get_data(as_text=True)  # card only for this one
    to_pay = client.post(f"/applications/{key}/submit", data={"declared": "y"})
    assert to_pay.headers["Location"].endswith(f"/applications/{key}/pay")
    page = client.get(f"/applications/{key}/pay").get_data(as_text=True)
    secret = page.split('data-client-secret="')[1].split('"')[0]
    submission = _load(db, key)
    assert submission.status is S.AWAITING_PAYMENT and "Ksh\xa0200" in page
    confirm_card_as_browser(stripe_on, secret, CARD_OK)
    status_page = client.get(f"/applications/{key}").get_data(as_text=True)  # asks Stripe on the way
    db.session.refresh(submission)
    assert submission.status is S.SUBMITTED and "received" in status_page
    assert [e.action for e in submission.audit][-2:] == ["declared", "fee_paid"]


def test_an_agent_files_for_a_resident_found_by_phone_who_then_sees_it(client, login, egov, db, delivered):
    resident = egov["resident"]
    login(egov["agent"])
    found = client.post("/agent/residents", data={"find-phone": resident.phone}, follow_redirects=True).get_data(as_text=True)
    # Nothing of the resident's is shown until they prove they are here, with the code texted to them.
    assert "Achieng Resident" not in found and f"for={resident.id}" not in found and "Is the resident with you?" in found
    assert '<bdi dir="ltr">+254' in found  # the number keeps its order inside an Arabic sentence too
    client.post(f"/agent/people/{resident.id}/presence", data={"send": "1"})
    (sms,) = [m for m in delivered if m["kind"] == "security_code_presence"]
    assert sms["recipient"] == resident.phone and egov["agent"].name in sms["body"]
    code = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
    found = client.post(f"/agent/people/{resident.id}/presence", data={"code": code}, follow_redirects=True).get_data(as_text=True)
    assert "Achieng Resident" in found and f"for={resident.id}" in found
    key, _ = _start(client, SUBSIDY, **{"for": str(resident.id)})
    _fill_subsidy(client, key, egov["village"].id)
    client.post(f"/applications/{key}/submit", data={"declared": "y"})
    submission = _load(db, key)
    assert submission.applicant_id == resident.id and submission.agent_id == egov["agent"].id
    assert submission.filed_by_id == egov["agent"].id and submission.status is S.SUBMITTED
    assert {e.actor_role for e in submission.audit} == {"agent"}
    # The resident is told, by SMS and in their inbox, who filed what in their name (and not twice).
    (sms,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == resident.id,
                                                            OutboxMessage.kind.like("application_%"))).all()
    assert sms.kind == "application_filed_by_agent" and sms.channel == "sms"
    assert egov["agent"].name in sms.body and submission.reference in sms.body and "did not ask for it" in sms.body
    client.post("/logout")
    login(resident)
    assert submission.reference in client.get("/applications").get_data(as_text=True)


def test_an_agent_registers_a_new_resident_and_hands_a_draft_back(client, login, egov, db):
    login(egov["agent"])
    response = client.post("/agent/residents", data={"new-name": "Wafula New", "new-phone": "0733999888",
                                                      "new-village_id": str(egov["village"].id), "new-preferred_locale": "es"},
                           follow_redirects=True)
    assert "\u2068Wafula New\u2069 is registered." in response.get_data(as_text=True)
    from marketplace.accounts.services import find_user_by_identifier

    resident = find_user_by_identifier("0733999888")
    assert resident.preferred_locale == "es" and not resident.phone_confirmed
    factories.present(egov["agent"], resident)  # they read back the code texted at registration
    key, _ = _start(client, SUBSIDY, **{"for": str(resident.id)})
    assert client.post(f"/applications/{key}/hand-back").status_code == 302
    assert client.post(f"/applications/{key}/step/1", data={"full_name": "x"}).status_code == 403  # the agent let go
    submission = _load(db, key)
    assert submission.agent_handed_back and submission.audit[-1].action == "handed_back"


def _filed(client, login, egov, db):
    login(egov["resident"])
    key, _ = _start(client, SUBSIDY)
    _fill_subsidy(client, key, egov["village"].id)
    client.post(f"/applications/{key}/submit", data={"declared": "y"})
    client.post("/logout")
    return _load(db, key)


def test_official_asks_for_more_the_resident_answers_the_official_approves_and_the_certificate_verifies(client, login, egov, db):
    submission = _filed(client, login, egov, db)
    ref = submission.reference
    login(egov["official"])
    queue = client.get("/official/queue").get_data(as_text=True)
    assert ref in queue
    client.post(f"/official/applications/{ref}/claim")
    client.post(f"/official/applications/{ref}/note", data={"note": "Check the chief's letter next time"})
    client.post(f"/official/applications/{ref}/request-info", data={"question": "Send a photo of the farm."})
    db.session.refresh(submission)
    assert submission.status is S.MORE_INFO_REQUESTED and submission.assigned_to_id == egov["official"].id
    client.post("/logout")

    login(egov["resident"])
    page = client.get(f"/applications/{submission.key}").get_data(as_text=True)
    assert "Send a photo of the farm." in page and "Check the chief" not in page  # internal notes stay internal
    client.post(f"/applications/{submission.key}/respond", data={"answer": "Here it is", "document": (io.BytesIO(jpeg_bytes()), "farm.jpg")},
                content_type="multipart/form-data")
    db.session.refresh(submission)
    assert submission.status is S.IN_REVIEW
    client.post("/logout")

    login(egov["official"])
    no_reason = client.post(f"/official/applications/{ref}/decide", data={"decision": "approve", "reason": ""}, follow_redirects=True)
    assert "Give the reason for the decision" in no_reason.get_data(as_text=True)
    client.post(f"/official/applications/{ref}/decide", data={"decision": "approve", "reason": "Eligible: 1.5 ha, maize and beans."})
    db.session.refresh(submission)
    assert submission.status is S.APPROVED and submission.certificate is not None
    code = submission.certificate.code
    client.post("/logout")

    login(egov["resident"])
    pdf = client.get(f"/applications/{submission.key}/certificate.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF") and len(pdf.data) > 1000
    client.post("/logout")
    verify = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "This document is genuine" in verify and ref in verify and "Achieng Resident" in verify
    assert "12345678" not in verify and "••••5678" in verify  # enough of the ID to compare with the paper, not to copy it
    # What a voucher must say (issue 20 item 14): what it entitles to, until when, and who decided.
    assert "Entitles the holder to" in verify and "sub-county agriculture office" in verify and "Valid until" in verify
    assert f"{egov['official'].name}, official of Agriculture" in verify
    from marketplace.egov import certificates

    on_paper = dict(certificates.facts(submission.certificate, on_paper=True))
    assert on_paper["ID number"] == "12345678" and on_paper["Valid until"]
    assert client.get("/verify/NOTAREALCODE").status_code == 404
    # Typed back from paper or an SMS: grouped, spaced, in small letters (issue 20 item 12).
    for typed in (f"{code[:5]}-{code[5:]}", f" {code[:3]} {code[3:6]} {code[6:]} ", code.lower(), f"{code[:5]}–{code[5:]}"):
        assert "This document is genuine" in client.get("/verify", query_string={"code": typed}).get_data(as_text=True), typed
    trail = [(e.action, e.actor_role) for e in db.session.scalars(select(AuditEvent).where(AuditEvent.submission_id == submission.id))
             if not e.action.startswith("saved_step")]
    assert trail == [("started", "applicant"), ("submitted", "applicant"), ("claimed", "official"), ("noted", "official"),
                     ("requested_info", "official"), ("answered_info_request", "applicant"), ("approved", "official")]


def test_reject_needs_a_reason_and_the_applicant_rates_once(client, login, egov, db):
    submission = _filed(client, login, egov, db)
    login(egov["official"])
    client.post(f"/official/applications/{submission.reference}/claim")
    client.post(f"/official/applications/{submission.reference}/decide", data={"decision": "reject", "reason": "Land is over 5 ha."})
    client.post("/logout")
    login(egov["resident"])
    assert "Land is over 5 ha." in client.get(f"/applications/{submission.key}").get_data(as_text=True)
    client.post(f"/applications/{submission.key}/rate", data={"stars": "4", "comment": "Quick"})
    again = client.post(f"/applications/{submission.key}/rate", data={"stars": "1"}, follow_redirects=True)
    assert "already rated" in again.get_data(as_text=True)
    db.session.refresh(submission)
    assert submission.rating == 4
    rows = {s.slug: (count, mean) for s, count, mean in services.ratings_by_service()}
    assert rows[SUBSIDY] == (1, 4.0)


def test_withdrawal_before_a_decision_and_not_after(client, login, egov, db):
    submission = _filed(client, login, egov, db)
    login(egov["resident"])
    client.post(f"/applications/{submission.key}/withdraw", data={"reason": "Applied twice"})
    db.session.refresh(submission)
    assert submission.status is S.WITHDRAWN
    with pytest.raises(services.DomainError):
        services.withdraw(egov["resident"], submission)


def test_references_count_per_department_and_year(client, login, egov, db):
    first = _filed(client, login, egov, db)
    second = _filed(client, login, egov, db)
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1 and first.reference[:8] == second.reference[:8]


def test_a_spanish_speaker_gets_the_form_and_messages_in_spanish(client, login, egov, db):
    from marketplace.accounts.services import set_preferred_locale

    set_preferred_locale(egov["resident"], "es")
    login(egov["resident"])
    catalogue = client.get("/services").get_data(as_text=True)
    assert "Subsidio para insumos agrícolas" in catalogue and "Servicios del gobierno" in catalogue
    key, first = _start(client, SUBSIDY)
    page = client.get(first).get_data(as_text=True)
    assert "Nombre completo" in page and "Guardar y continuar" in page
    refused = client.post(f"/applications/{key}/step/1", data={"full_name": "", "national_id": "1", "phone": "0722100000",
                                                                "home_village": str(egov["village"].id)})
    text = refused.get_data(as_text=True)
    assert "Responde a esta pregunta." in text and "Escribe de 6 a 10 cifras." in text
    farm = client.post(f"/applications/{key}/step/2", data={"farm_size": "1.5", "crops": ["maize"], "irrigated": "no"})
    assert "1,5" in farm.get_data(as_text=True)  # "1.5" reads two ways in Spanish: 15 or 1,5
    _fill_subsidy(client, key, egov["village"].id, farm_size="1,5")
    client.post(f"/applications/{key}/submit", data={"declared": "y"})
    sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "application_submitted"))
    assert "hemos recibido tu solicitud" in sms.body and "Subsidio para insumos agrícolas" in sms.body


def test_admin_edits_a_draft_version_bad_json_is_explained_and_kept(client, login, egov, db):
    login(egov["admin"])
    response = client.post(f"/admin/services/{SUBSIDY}/draft")
    edit_url = response.headers["Location"]
    page = client.get(edit_url).get_data(as_text=True)
    assert "Agricultural input subsidy" in page and "draft" in page
    broken = '{"title": {"en": "X"}, "steps": [{"fields": [{"name": "a", "type": "colour"}]}]}'
    refused = client.post(edit_url, data={"definition": broken, "publish": "1"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "unknown type" in text and "colour" in text
    assert client.post(edit_url, data={"definition": "{not json"}).status_code == 422
    service = egov["services"][SUBSIDY]
    db.session.expire_all()
    assert service.published_version.number == 1


def test_a_question_that_may_be_left_empty_says_so_and_a_needed_one_does_not(client, login, egov, places):
    login(egov["resident"])
    key, _ = _start(client, SUBSIDY)
    step_with_farm = next(n for n in range(1, 6)
                          if 'name="farm_name"' in client.get(f"/applications/{key}/step/{n}").get_data(as_text=True))
    page = client.get(f"/applications/{key}/step/{step_with_farm}").get_data(as_text=True)
    assert re.search(r'<label for="farm_name">Farm name <span class="optional">\(optional\)</span></label>', page)
    first = client.get(f"/applications/{key}/step/1").get_data(as_text=True)
    assert re.search(r'<label for="full_name">[^<]+</label>', first)  # needed: no mark


def test_the_listing_form_marks_what_may_be_left_empty(client, login, places):
    login(factories.farmer(places["villages"]["Mbeu"]))
    form = client.get("/sell/new").get_data(as_text=True)
    assert '<label for="harvest_date">Harvest date <span class="optional">(optional)</span></label>' in form
    assert '<label for="title">' in form and 'for="title">What are you selling? <span' not in form


def test_an_agent_reads_the_questions_addressed_to_the_resident_by_name(client, login, egov, db):
    """Issue 20 item 15: an agent filing for someone read "About you" and "your national ID"."""
    resident, agent = egov["resident"], egov["agent"]
    factories.present(agent, resident)
    login(agent)
    key, _ = _start(client, SUBSIDY, **{"for": str(resident.id)})
    first = client.get(f"/applications/{key}/step/1").get_data(as_text=True)
    assert "<h1>About \u2068Achieng Resident\u2069</h1>" in first
    assert "As written on \u2068Achieng Resident\u2069&#39;s national ID." in first and "About you" not in first
    arabic = client.get(f"/applications/{key}/step/1?lang=ar").get_data(as_text=True)
    assert "معلومات عن \u2068Achieng Resident\u2069" in arabic  # the name isolated inside the Arabic title
    _fill_subsidy(client, key, egov["village"].id)
    check = client.get(f"/applications/{key}/check?lang=en").get_data(as_text=True)
    assert "Photo or scan of \u2068Achieng Resident\u2069&#39;s national ID" in check
    client.post("/logout")
    login(resident)  # the resident reads their own application in the second person
    own = client.get(f"/applications/{key}/check").get_data(as_text=True)
    assert "Photo or scan of your national ID" in own and "\u2068Achieng" not in own


def test_a_definition_whose_agent_text_forgets_the_name_is_refused():
    from marketplace.egov.form_engine import DefinitionError, validate_definition

    definition = {"title": {"en": "Permit"}, "steps": [{"title": {"en": "About you"}, "title_for_agent": {"en": "About them"},
                                                       "fields": [{"name": "full_name", "type": "short_text", "label": {"en": "Your name"},
                                                                   "label_for_agent": {"en": "Their name {name}", "fr": "Nom"}}]}]}
    with pytest.raises(DefinitionError) as refused:
        validate_definition(definition)
    assert refused.value.reasons == ["step 1: title_for_agent needs an English text with {name} in it",
                                     "step 1, field 'full_name': label_for_agent has languages label has not: fr"]
