"""Verified producers: a department's approval of a trading permit puts a badge on the farm, until
that department revokes it with a reason; both are in the application's audit trail."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.accounts.models import ProducerVerification, Role
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.egov import review
from marketplace.egov.models import AuditEvent, SubmissionStatus
from tests import factories

PERMIT = "market-trading-permit"


@pytest.fixture
def approved_permit(egov, places, db):
    """A farmer's market trading permit, approved by a Trade and Licensing official."""
    from marketplace.egov import services

    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    cats = factories.categories()
    listing = factories.listing(farmer, cats["honey"], title="Acacia honey", unit="litre", price="800", stock="5")
    trade_official = factories.with_role(Role.OFFICIAL, egov["services"][PERMIT].department)
    submission = services.start_application(farmer, egov["services"][PERMIT])
    submission.status, submission.reference = SubmissionStatus.SUBMITTED, "TRD-2026-000001"
    db.session.commit()
    review.claim(trade_official, submission)
    review.decide(trade_official, submission, True, "Stall 12 is yours")
    return {"farmer": farmer, "listing": listing, "official": trade_official, "submission": submission}


def test_approving_a_permit_that_verifies_producers_shows_a_badge(client, approved_permit, db):
    verification = db.session.scalar(select(ProducerVerification))
    assert verification.farmer_id == approved_permit["farmer"].id and verification.reference == "TRD-2026-000001"
    farm_page = client.get(f"/farmers/{approved_permit['farmer'].id}").get_data(as_text=True)
    listing_page = client.get(f"/listing/{approved_permit['listing'].id}").get_data(as_text=True)
    for page in (farm_page, listing_page):
        assert "Verified producer" in page and "Trade and Licensing" in page and "TRD-2026-000001" in page
    actions = [e.action for e in approved_permit["submission"].audit]
    assert "producer_verified" in actions


def test_a_form_that_does_not_verify_producers_gives_no_badge(egov, places, db):
    from marketplace.egov import services

    farmer = factories.farmer(places["villages"]["Mbeu"], "Otieno")
    submission = services.start_application(farmer, egov["services"]["agricultural-input-subsidy"])
    submission.status, submission.reference = SubmissionStatus.SUBMITTED, "AGR-2026-000009"
    db.session.commit()
    review.claim(egov["official"], submission)
    review.decide(egov["official"], submission, True, "Eligible")
    assert db.session.scalar(select(ProducerVerification)) is None


def test_only_the_verifying_department_revokes_and_it_must_say_why(client, login, egov, approved_permit, db):
    submission = approved_permit["submission"]
    with pytest.raises(DomainError):
        review.revoke_verification(approved_permit["official"], submission, "  ")
    other = factories.with_role(Role.OFFICIAL, egov["services"]["agricultural-input-subsidy"].department)
    with pytest.raises(PermissionDenied):
        accounts.revoke_producer_verification(other, db.session.scalar(select(ProducerVerification)), "not ours")
    login(approved_permit["official"])
    page = client.get(f"/official/applications/{submission.reference}").get_data(as_text=True)
    assert "Revoke verified status" in page
    done = client.post(f"/official/applications/{submission.reference}/revoke-verification",
                       data={"reason": "Stall given up"}, follow_redirects=True).get_data(as_text=True)
    assert "The verified producer status is revoked." in done
    db.session.expire_all()
    verification = db.session.scalar(select(ProducerVerification))
    assert verification.revoked_at is not None and verification.revoke_reason == "Stall given up"
    assert "Verified producer" not in client.get(f"/farmers/{approved_permit['farmer'].id}").get_data(as_text=True)
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.submission_id == submission.id)).all()
    assert ("producer_verification_revoked", "Stall given up") in [(e.action, e.reason) for e in audit]
