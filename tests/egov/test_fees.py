"""Fees: only the ways to pay that work here are offered, and the applicant may change the way until
it is paid (issue 20: with card payment off, every service with a fee was a dead end)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from marketplace.egov.models import Submission, SubmissionStatus
from tests.egov.conftest import PDF_BYTES

S = SubmissionStatus
BIRTH = "birth-certificate-copy"  # KES 200, card only as shipped


def _load(db, key):
    db.session.expire_all()
    return db.session.scalar(select(Submission).where(Submission.key == key))


def _ready_to_send(client, egov, db, *, office_allowed: bool) -> str:
    response = client.post(f"/services/{BIRTH}/start")
    key = response.headers["Location"].split("/applications/")[1].split("/")[0]
    village = str(egov["village"].id)
    client.post(f"/applications/{key}/step/1", data={"full_name": "Achieng", "national_id": "12345678", "phone": "0722100000",
                                                      "home_village": village})
    client.post(f"/applications/{key}/step/2", data={"for_whom": "self", "birth_date": "1990-05-04", "birth_place": village,
                                                      "entry_number": ""})
    done = client.post(f"/applications/{key}/step/3", data={"copies": "1", "email": "", "id_copy": (io.BytesIO(PDF_BYTES), "id.pdf")},
                       content_type="multipart/form-data")
    assert done.headers["Location"].endswith("/check")
    if office_allowed:  # as a department would publish it: the fee may be paid at the office too
        version = _load(db, key).version
        version.definition = {**version.definition, "fee": {**version.definition["fee"], "pay_at_office": True}}
        db.session.commit()
    return key


def test_with_cards_off_a_card_only_fee_is_said_before_sending_and_nothing_is_sent(client, login, egov, db):
    login(egov["resident"])
    key = _ready_to_send(client, egov, db, office_allowed=False)
    check = client.get(f"/applications/{key}/check").get_data(as_text=True)
    assert "card payment is not available yet" in check and "Send application" not in check and "By card, now" not in check
    refused = client.post(f"/applications/{key}/submit", data={"declared": "y", "payment": "card"})
    assert refused.status_code == 422 and "card payment is not available yet" in refused.get_data(as_text=True)
    assert _load(db, key).status is S.DRAFT


def test_with_cards_off_the_office_is_the_way_offered_and_the_application_reaches_the_office(client, login, egov, db):
    login(egov["resident"])
    key = _ready_to_send(client, egov, db, office_allowed=True)
    check = client.get(f"/applications/{key}/check").get_data(as_text=True)
    assert "By card, now" not in check and "You pay the fee at the office." in check and 'name="payment" value="office"' in check
    sent = client.post(f"/applications/{key}/submit", data={"declared": "y", "payment": "office"})
    assert sent.headers["Location"].endswith(f"/applications/{key}")
    submission = _load(db, key)
    assert submission.status is S.SUBMITTED and submission.pays_at_office
    assert "Bring the fee of Ksh\xa0200 to the office." in client.get(f"/applications/{key}").get_data(as_text=True)


def test_the_way_to_pay_can_be_changed_until_the_fee_is_paid_and_only_by_the_applicant(client, login, egov, db, stripe_on):
    login(egov["resident"])
    key = _ready_to_send(client, egov, db, office_allowed=True)
    check = client.get(f"/applications/{key}/check").get_data(as_text=True)
    assert "By card, now" in check and "At the office" in check and "You can change this until the fee is paid." in check
    client.post(f"/applications/{key}/submit", data={"declared": "y", "payment": "card"})
    assert _load(db, key).status is S.AWAITING_PAYMENT
    page = client.get(f"/applications/{key}").get_data(as_text=True)
    assert "Pay the fee" in page and "Pay at the office instead" in page

    client.post("/logout")
    login(egov["other_resident"])
    assert client.post(f"/applications/{key}/way-to-pay", data={"way": "office"}).status_code in (403, 404)
    assert _load(db, key).status is S.AWAITING_PAYMENT
    client.post("/logout")

    login(egov["resident"])
    client.post(f"/applications/{key}/way-to-pay", data={"way": "office"})
    submission = _load(db, key)
    assert submission.status is S.SUBMITTED and submission.pays_at_office
    assert "Pay now instead" in client.get(f"/applications/{key}").get_data(as_text=True)
    client.post(f"/applications/{key}/way-to-pay", data={"way": "card"})
    submission = _load(db, key)
    assert submission.status is S.AWAITING_PAYMENT and not submission.pays_at_office
    assert [e.action for e in submission.audit][-2:] == ["to_pay_at_office", "to_pay_by_card"]
    assert {e.actor_id for e in submission.audit[-2:]} == {egov["resident"].id}


@pytest.mark.parametrize("way", ["card", "office", "cheque"])
def test_a_way_that_does_not_apply_now_changes_nothing(client, login, egov, db, way):
    """Cards off: a card payment cannot be chosen, and an application already at the office has no other way."""
    login(egov["resident"])
    key = _ready_to_send(client, egov, db, office_allowed=True)
    client.post(f"/applications/{key}/submit", data={"declared": "y", "payment": "office"})
    client.post(f"/applications/{key}/way-to-pay", data={"way": way})
    submission = _load(db, key)
    assert submission.status is S.SUBMITTED and submission.pays_at_office


MPESA_CALLBACK = "/payments/mpesa/callback/test-mpesa"


def test_a_fee_paid_by_m_pesa_sends_the_application_to_the_office(client, login, egov, db, mpesa_on):
    """Issue 21: residents pay fees from their phone's wallet; the same prompt, callback and query as checkout."""
    login(egov["resident"])
    key = _ready_to_send(client, egov, db, office_allowed=True)
    check = client.get(f"/applications/{key}/check").get_data(as_text=True)
    assert 'type="radio" value="mpesa"' in check and "By M-Pesa, now" in check
    sent = client.post(f"/applications/{key}/submit", data={"declared": "y", "payment": "mpesa"})
    assert sent.headers["Location"].endswith(f"/applications/{key}/pay/mpesa")
    assert _load(db, key).status is S.AWAITING_PAYMENT
    client.post(f"/applications/{key}/pay/mpesa", data={"phone": "0722 100 000"})
    prompt = mpesa_on.last()
    assert prompt.amount == 200 and prompt.account == _load(db, key).reference[:12]
    waiting = client.get(f"/applications/{key}/pay/mpesa").get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and "Check your phone." in waiting
    client.post(MPESA_CALLBACK, json=mpesa_on.answer(prompt, 2001, deliver=False))  # a wrong PIN first
    assert "The M-Pesa PIN was wrong." in client.get(f"/applications/{key}/pay/mpesa").get_data(as_text=True)
    client.post(f"/applications/{key}/pay/mpesa", data={"phone": "0722 100 000"})
    client.post(MPESA_CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    assert client.get(f"/applications/{key}/pay/mpesa").headers["Location"].endswith(f"/applications/{key}")
    submission = _load(db, key)
    assert submission.status is S.SUBMITTED and not submission.pays_at_office
    assert [e.action for e in submission.audit][-1] == "fee_paid"


def test_only_the_applicant_or_their_agent_sends_the_fee_prompt(client, login, egov, db, mpesa_on):
    login(egov["resident"])
    key = _ready_to_send(client, egov, db, office_allowed=False)
    client.post(f"/applications/{key}/submit", data={"declared": "y", "payment": "mpesa"})
    client.post("/logout")
    login(egov["other_resident"])
    assert client.post(f"/applications/{key}/pay/mpesa", data={"phone": "0722 100 000"}).status_code == 404
    client.post("/logout")
    login(egov["official"])  # may read it, may not make the resident's phone ring for money
    assert client.post(f"/applications/{key}/pay/mpesa", data={"phone": "0722 100 000"}).status_code in (403, 404)
    assert mpesa_on.prompts == []


PAYBILL_CONFIRM = "/payments/mpesa/paybill/confirm/test-mpesa"


def test_a_fee_paid_from_the_m_pesa_menu_sends_the_application(client, login, egov, db, mpesa_on):
    login(egov["resident"])
    key = _ready_to_send(client, egov, db, office_allowed=False)
    client.post(f"/applications/{key}/submit", data={"declared": "y", "payment": "mpesa"})
    reference = db.session.scalar(select(Submission.reference).where(Submission.key == key))
    assert client.post(PAYBILL_CONFIRM, json=mpesa_on.paybill_body(reference, 200)).get_json()["outcome"] == "paid"
    db.session.expire_all()
    assert db.session.scalar(select(Submission).where(Submission.key == key)).status is S.SUBMITTED
