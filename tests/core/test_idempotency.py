"""One submission of a form makes at most one thing (issue 18): the same form sent twice (a second
tab, a double tap, a retried POST) gives back what the first made."""
from __future__ import annotations

import re
import threading

import requests
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Listing
from marketplace.egov.models import Submission
from marketplace.payments import ledger
from marketplace.payments.models import LedgerEntry, LedgerKind
from marketplace.voice.models import Report
from tests import factories
from tests.catalog.test_views import form_data
from tests.egov.conftest import egov  # noqa: F401  (a fixture)
from tests.orders.test_once import gunicorn_server  # noqa: F401  (a fixture)
from tests.voice.conftest import voice  # noqa: F401  (a fixture)


def _key(html: str) -> str:
    return re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)


def _count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_listing_form_sent_twice_makes_one_listing(client, login, places, db):
    farmer = factories.farmer(places["villages"]["Mbeu"])
    cats = factories.categories()
    login(farmer)
    key = _key(client.get("/sell/new").get_data(as_text=True))
    data = {**form_data(farmer.farmer_profile.village, cats["maize"]), "submission_key": key}
    first, second = client.post("/sell/new", data=data), client.post("/sell/new", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(db, Listing) == 1
    other = _key(client.get("/sell/new").get_data(as_text=True))  # a new form is a new listing
    assert other != key and client.post("/sell/new", data={**data, "submission_key": other}).status_code == 302
    assert _count(db, Listing) == 2


def test_a_report_form_sent_twice_makes_one_report(client, login, voice, db):
    login(voice["resident"])
    key = _key(client.get("/reports/new").get_data(as_text=True))
    data = {"category": "roads", "village_id": str(voice["village"].id), "description": "The bridge is broken since the rains.",
            "submission_key": key}
    first, second = client.post("/reports/new", data=data), client.post("/reports/new", data=data)
    assert first.status_code == second.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    assert _count(db, Report) == 1


def test_a_payout_form_sent_twice_records_one_payout(client, login, places, db):
    farmer = factories.farmer(places["villages"]["Mbeu"])
    ledger.record(farmer.id, LedgerKind.SALE, 100_000, "KES", "ORD-1")
    db.session.commit()
    login(factories.with_role(Role.ADMIN))
    key = _key(client.get(f"/admin/payouts/{farmer.id}").get_data(as_text=True))
    data = {"amount": "500", "reference": "MPESA-QX1", "note": "", "submission_key": key}
    assert client.post(f"/admin/payouts/{farmer.id}", data=data).status_code == 302
    assert client.post(f"/admin/payouts/{farmer.id}", data=data).status_code == 302  # the same form: no error, no second payout
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == LedgerKind.MANUAL_PAYOUT)) == 1
    # Another form with the same mobile-money reference is refused with a reason, not a 500.
    again = client.post(f"/admin/payouts/{farmer.id}", data={**data, "submission_key": _key(
        client.get(f"/admin/payouts/{farmer.id}").get_data(as_text=True))})
    assert again.status_code == 422 and "already recorded" in again.get_data(as_text=True)


def test_an_application_sent_from_two_tabs_at_once_is_sent_once(gunicorn_server, egov, db):  # noqa: F811
    from tests.egov.test_applications import SUBSIDY

    base, resident = gunicorn_server, egov["resident"]
    browser = requests.Session()
    assert browser.post(base + "/login", data={"identifier": resident.phone, "password": factories.PASSWORD},
                        allow_redirects=False, timeout=10).status_code == 302
    for trial in range(4):
        started = browser.post(base + f"/services/{SUBSIDY}/start", allow_redirects=False, timeout=10)
        key = re.search(r"/applications/([^/]+)/step/", started.headers["Location"]).group(1)
        steps = [{"full_name": "Achieng Resident", "national_id": "12345678", "phone": "0722100000",
                  "home_village": str(egov["village"].id)}, {"farm_size": "1.5", "crops": ["maize"], "irrigated": "no"}, {},
                 {"input_type": "both", "bags": "4", "last_harvest": "2026-08-01"}]
        for number, data in enumerate(steps, start=1):
            assert browser.post(base + f"/applications/{key}/step/{number}", data=data, allow_redirects=False, timeout=10).status_code == 302
        from tests.egov.conftest import jpeg_bytes

        browser.post(base + f"/applications/{key}/step/5", files={"id_copy": ("id.jpg", jpeg_bytes(), "image/jpeg")},
                     allow_redirects=False, timeout=10)
        start, answers = threading.Barrier(2), []

        def tab():
            start.wait()
            answers.append(browser.post(base + f"/applications/{key}/submit", data={"declared": "y"}, allow_redirects=False, timeout=30))

        threads = [threading.Thread(target=tab) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [a.status_code for a in answers] == [302, 302]
        db.session.rollback()
        submission = db.session.scalar(select(Submission).where(Submission.key == key))
        assert submission.reference and submission.reference.endswith(f"{trial + 1:06d}")  # one reference taken, not two
        sent = [e for e in submission.audit if e.action == "submitted"]
        assert len(sent) == 1


def test_a_claim_that_loses_the_race_to_an_unfinished_submission_creates_nothing(places, db, monkeypatch):
    """The other tab holds the key but its result is not there yet: refused, never a second thing."""
    import pytest

    from marketplace.core import idempotency
    from marketplace.core.errors import DomainError

    person = factories.user("Racer")
    db.session.add(idempotency.FormSubmission(actor_id=person.id, kind="listing", key="k" * 24, result=""))
    db.session.commit()
    monkeypatch.setattr(idempotency, "earlier_result", lambda *args: None)  # as seen just before the other commits
    with pytest.raises(DomainError, match="being sent already"):
        idempotency.claim(person.id, "listing", "k" * 24)
