"""Consent to copy profile facts into a service's forms: asked once per person and service, shown
with exactly which facts, remembered, and revocable from "My applications"."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.timeutils import utcnow
from marketplace.egov.models import PrefillConsent, Submission, SubmissionStatus
from marketplace.egov.prefill import active_consent, facts_needing_consent, prefill_answers
from marketplace.egov.services import record, role_of
from marketplace.extensions import db


def question_for(actor: User, submission: Submission) -> list[str]:
    """The facts to ask the applicant about on this draft now (empty: nothing to ask)."""
    if (submission.status is not SubmissionStatus.DRAFT or submission.prefill_decided
            or role_of(actor, submission) != "applicant" or active_consent(actor.id, submission.eservice_id)):
        return []
    return facts_needing_consent(submission.version.definition)


def answer(actor: User, submission: Submission, agree: bool) -> Submission:
    """Only the applicant decides (an agent filing with them cannot agree for them)."""
    if role_of(actor, submission) != "applicant":
        raise PermissionDenied(_l("Only the applicant can decide what their profile shares."))
    if submission.status is not SubmissionStatus.DRAFT:
        raise DomainError(_l("This application has been sent; it can no longer be changed."))
    submission.prefill_decided = True
    if agree:
        consent = db.session.scalar(select(PrefillConsent).where(PrefillConsent.user_id == actor.id,
                                                                 PrefillConsent.eservice_id == submission.eservice_id))
        if consent is None:
            consent = PrefillConsent(user_id=actor.id, eservice_id=submission.eservice_id)
            db.session.add(consent)
        consent.granted_at, consent.revoked_at = utcnow(), None
        apply(submission, actor)
        record(submission, actor, "prefill_agreed")
    else:
        record(submission, actor, "prefill_declined")
    db.session.commit()
    return submission


def apply(submission: Submission, applicant: User) -> None:
    """Copy every allowed fact into questions not answered yet; what the applicant typed wins."""
    answers, fresh = dict(submission.answers), {}
    for name, value in prefill_answers(submission.version.definition, applicant, with_consent=True).items():
        if answers.get(name) in (None, "", []):
            answers[name] = fresh[name] = value
    submission.answers = answers
    submission.prefilled = {**submission.prefilled, **fresh}


def consents_of(user: User) -> list[PrefillConsent]:
    return list(db.session.scalars(select(PrefillConsent).where(PrefillConsent.user_id == user.id,
                                                                PrefillConsent.revoked_at.is_(None))))


def revoke(user: User, consent_id: int) -> None:
    consent = db.session.get(PrefillConsent, consent_id)
    if consent is None or consent.user_id != user.id:
        raise DomainError(_l("There is nothing to withdraw."))
    consent.revoked_at = utcnow()
    db.session.commit()
