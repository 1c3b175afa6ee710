"""Applications as an attacker sees them: documents someone uploaded, opened by an official (issue 17)."""
from __future__ import annotations

import io

from sqlalchemy import select

from marketplace.egov.models import Submission
from tests.egov.test_applications import SUBSIDY, _fill_subsidy, _start

#: A PDF that would run script if a browser opened it inside our origin.
HOSTILE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction<</S/JavaScript/JS(app.alert(document.cookie))>>>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def test_an_uploaded_pdf_is_downloaded_and_sandboxed_never_opened_in_our_origin(client, login, egov, db):
    login(egov["resident"])
    key, _ = _start(client, SUBSIDY)
    _fill_subsidy(client, key, egov["village"].id, with_file=False)
    response = client.post(f"/applications/{key}/step/5", data={"id_copy": (io.BytesIO(HOSTILE_PDF), "id.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    attachment = db.session.scalar(select(Submission).where(Submission.key == key)).attachments[0]
    served = client.get(f"/applications/{key}/files/{attachment.id}")
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    policy = served.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in served.headers["Cache-Control"]


def test_a_photo_of_a_document_still_shows_inline(client, login, egov, db):
    login(egov["resident"])
    key, _ = _start(client, SUBSIDY)
    _fill_subsidy(client, key, egov["village"].id)
    attachment = db.session.scalar(select(Submission).where(Submission.key == key)).attachments[0]
    served = client.get(f"/applications/{key}/files/{attachment.id}")
    assert served.headers["Content-Disposition"].startswith("inline;") and "sandbox" in served.headers["Content-Security-Policy"]


def test_an_agent_whose_presence_proof_expired_cannot_go_on_with_the_draft(client, login, egov, db):
    from marketplace.accounts.models import PresenceCheck
    from tests import factories

    resident, agent = egov["resident"], egov["agent"]
    factories.present(agent, resident)
    login(agent)
    key, _ = _start(client, SUBSIDY, **{"for": str(resident.id)})
    check = db.session.scalar(select(PresenceCheck))
    check.expires_at = check.confirmed_at  # two hours later, the resident has gone home
    db.session.commit()
    response = client.post(f"/applications/{key}/step/1", data={"full_name": "Someone Else"})
    assert response.headers["Location"].endswith(f"/agent/residents?person={resident.id}")
    assert client.post(f"/applications/{key}/submit", data={"declared": "y"}).headers["Location"].endswith(
        f"/agent/residents?person={resident.id}")
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.key == key))
    assert submission.answers.get("full_name") != "Someone Else" and submission.reference is None
