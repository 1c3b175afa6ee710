"""Who may open what: every role against every e-service page and file URL."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.egov import review, services
from marketplace.egov.models import AuditEvent, Submission
from tests import factories
from tests.egov.conftest import jpeg_bytes
from tests.egov.test_applications import SUBSIDY, _fill_subsidy, _start

ROLES = ["anonymous", "applicant", "other_resident", "agent", "other_agent", "official", "other_department", "admin"]
# page -> expected status per role, in ROLES order (302: sent to sign in).
MATRIX = {
    "status":      [302, 200, 404, 200, 404, 200, 404, 200],
    "file":        [302, 200, 404, 200, 404, 200, 404, 200],
    "certificate": [302, 200, 404, 200, 404, 200, 404, 200],
    "respond":     [302, 302, 404, 302, 404, 403, 404, 403],
    "withdraw":    [302, 302, 404, 302, 404, 403, 404, 403],
    "official":    [302, 403, 403, 403, 403, 200, 404, 403],
    "decide":      [302, 403, 403, 403, 403, 302, 404, 403],
    "queue":       [302, 403, 403, 403, 403, 200, 200, 403],
    "agent_page":  [302, 403, 403, 200, 200, 403, 403, 403],
    "admin_page":  [302, 403, 403, 403, 403, 403, 403, 200],
    "catalogue":   [200, 200, 200, 200, 200, 200, 200, 200],
    "verify":      [200, 200, 200, 200, 200, 200, 200, 200],
}


@pytest.fixture
def decided(client, login, egov, db):
    """A subsidy application filed by an agent with the resident, with a document, approved."""
    factories.present(egov["agent"], egov["resident"])
    login(egov["agent"])
    key, _ = _start(client, SUBSIDY, **{"for": str(egov["resident"].id)})
    _fill_subsidy(client, key, egov["village"].id)
    client.post(f"/applications/{key}/submit", data={"declared": "y"})
    client.post("/logout")
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.key == key))
    review.claim(egov["official"], submission)
    review.decide(egov["official"], submission, True, "Eligible")
    return submission


def _urls(submission):
    ref, key = submission.reference, submission.key
    return {
        "status": ("GET", f"/applications/{key}"),
        "file": ("GET", f"/applications/{key}/files/{submission.attachments[0].id}"),
        "certificate": ("GET", f"/applications/{key}/certificate.pdf"),
        "respond": ("POST", f"/applications/{key}/respond"),
        "withdraw": ("POST", f"/applications/{key}/withdraw"),
        "official": ("GET", f"/official/applications/{ref}"),
        "decide": ("POST", f"/official/applications/{ref}/decide"),
        "queue": ("GET", "/official/queue"),
        "agent_page": ("GET", "/agent/residents"),
        "admin_page": ("GET", "/admin/services"),
        "catalogue": ("GET", "/services"),
        "verify": ("GET", f"/verify/{submission.certificate.code}"),
    }


@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_every_role_against_every_page(client, login, egov, decided, role_index, role):
    people = {"applicant": egov["resident"], "other_resident": egov["other_resident"], "agent": egov["agent"],
              "other_agent": factories.with_role(Role.AGENT), "official": egov["official"],
              "other_department": egov["registry_official"], "admin": egov["admin"]}
    if role != "anonymous":
        login(people[role])
    seen = {}
    for page, (method, url) in _urls(decided).items():
        response = client.open(url, method=method, data={})
        seen[page] = response.status_code
    expected = {page: statuses[role_index] for page, statuses in MATRIX.items()}
    assert seen == expected


def test_an_admins_look_at_personal_data_is_audited_and_others_are_not(client, login, egov, decided, db):
    login(egov["official"])
    client.get(f"/applications/{decided.key}")
    client.post("/logout")
    login(egov["admin"])
    client.get(f"/applications/{decided.key}")
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "viewed_by_admin")).all()
    assert [(v.actor_id, v.actor_role) for v in views] == [(egov["admin"].id, "admin")]


def test_officials_see_only_their_departments_queue(egov, decided):
    assert [r.submission.id for r in review.queue(egov["official"], review.QueueFilter(status="approved"))] == [decided.id]
    assert review.queue(egov["registry_official"], review.QueueFilter(status="approved")) == []
    with pytest.raises(services.NotFound):
        review.get_for_official(egov["registry_official"], decided.reference)


def test_an_official_cannot_decide_their_own_application(client, login, egov, db):
    login(egov["official"])
    key, _ = _start(client, SUBSIDY)
    _fill_subsidy(client, key, egov["village"].id)
    client.post(f"/applications/{key}/submit", data={"declared": "y"})
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.key == key))
    with pytest.raises(services.PermissionDenied):
        review.claim(egov["official"], submission)
    review.claim(egov["colleague"], submission)  # a colleague can


def test_the_audit_trail_cannot_be_rewritten(egov, decided, db):
    event = decided.audit[0]
    event.reason = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_attachments_are_checked_by_content_and_size(client, login, egov, db):
    login(egov["resident"])
    key, _ = _start(client, SUBSIDY)
    _fill_subsidy(client, key, egov["village"].id, with_file=False)
    fake = client.post(f"/applications/{key}/step/5", data={"id_copy": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "id.pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422 and "must be a PDF, JPEG or PNG" in fake.get_data(as_text=True)
    big = client.post(f"/applications/{key}/step/5", data={"id_copy": (io.BytesIO(b"%PDF-1.4" + b"0" * (10 * 1024 * 1024)), "big.pdf")},
                      content_type="multipart/form-data")
    assert big.status_code == 422 and "larger than 10 MB" in big.get_data(as_text=True)
    ok = client.post(f"/applications/{key}/step/5", data={"id_copy": (io.BytesIO(jpeg_bytes((4000, 3000))), "id.jpg")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    db.session.expire_all()
    attachment = db.session.scalar(select(Submission).where(Submission.key == key)).attachments[0]
    from PIL import Image

    from marketplace.egov import attachments

    image = Image.open(io.BytesIO(attachments.read(attachment)))
    assert max(image.size) == 2000 and not image.getexif()  # downscaled, metadata gone
    assert "static" not in attachment.storage_key


def test_a_certificate_embeds_a_unicode_font_for_the_applicants_language(egov, decided):
    from flask_babel import force_locale

    from marketplace.egov import certificates

    if certificates._fonts() is None or not all(regular.exists() for regular, *_ in certificates.SCRIPT_FONTS.values()):
        pytest.skip("Noto fonts are missing (make test installs fonts-noto-core and fonts-noto-cjk as root)")
    expected = {"es": b"NotoSans", "ar": b"NotoNaskhArabic", "zh": b"NotoSansCJK", "sw": b"NotoSans"}
    for locale, font in expected.items():
        decided.certificate.locale = locale
        with force_locale(locale):
            document = certificates.render_pdf(decided, decided.certificate)
        assert document.startswith(b"%PDF") and font in document, locale


def test_without_truetype_fonts_a_certificate_still_renders(egov, decided, monkeypatch):
    from marketplace.egov import certificates

    monkeypatch.setattr(certificates, "_fonts", lambda: None)
    decided.decision_reason = "Eligible — “good” farm ✓"
    fallback = certificates.render_pdf(decided, decided.certificate)
    assert fallback.startswith(b"%PDF") and b"NotoSans" not in fallback and b"Helvetica" in fallback


def test_a_district_official_sees_only_applications_from_their_district(egov, decided, places):
    from marketplace.accounts import services as accounts

    hill = factories.user("Hill officer")
    accounts.grant_role(None, hill, Role.OFFICIAL, "test", "AGR", "N-HIL")
    coast = factories.user("Coast officer")
    accounts.grant_role(None, coast, Role.OFFICIAL, "test", "AGR", "S-COA")
    assert decided.district_id == places["districts"]["Hill"].id  # the applicant lives in Mbeu, Hill
    assert [r.submission.id for r in review.queue(hill, review.QueueFilter(status="approved"))] == [decided.id]
    assert review.queue(coast, review.QueueFilter(status="approved")) == []
    with pytest.raises(services.NotFound):
        review.get_for_official(coast, decided.reference)
    with pytest.raises(services.NotFound):
        services.get_submission_for(coast, decided.key)
    assert services.get_submission_for(hill, decided.key) == decided
