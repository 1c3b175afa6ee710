"""Officials' side: the department's queue, claiming and assigning, asking for more information,
deciding with a reason, internal notes. Officials see their own department's submissions only.

The state machine is egov.states (who may move a submission from what to what): the officials'
moves here, the resident's (submit, withdraw, answer) in egov.services, on the same audit trail.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts import api as accounts
from marketplace.accounts.api import Role, RoleGrant, User
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, NotFound, PermissionDenied
from marketplace.core.timeutils import as_utc, utcnow
from marketplace.core.urls import site_path
from marketplace.egov import certificates
from marketplace.egov.models import InternalNote, Submission, SubmissionStatus
from marketplace.egov.services import OPEN, record, service_title, transition
from marketplace.extensions import db
from marketplace.notifications.api import notify_user

S = SubmissionStatus


def _official(actor: User, submission: Submission | None = None) -> User:
    require_role(actor, Role.OFFICIAL)
    if submission is not None and not actor.serves(submission.department_id, submission.district_id):
        raise NotFound(_l("There is no such application."))
    return actor


def get_for_official(actor: User, reference: str) -> Submission:
    _official(actor)
    submission = db.session.scalar(select(Submission).where(Submission.reference == reference.upper()))
    if submission is None:
        raise NotFound(_l("There is no such application."))
    _official(actor, submission)
    return submission


@dataclass
class QueueFilter:
    status: str = ""  # "" = every open status
    eservice_id: int | None = None
    district_id: int | None = None
    older_than_days: int | None = None


@dataclass
class QueueRow:
    submission: Submission
    age_days: int
    overdue: bool


def queue(actor: User, filters: QueueFilter) -> list[QueueRow]:
    """The department's filed applications, oldest first; overdue ones marked against their target."""
    _official(actor)
    query = (select(Submission).where(actor.jurisdiction(Submission.department_id, Submission.district_id))
             .options(selectinload(Submission.applicant), selectinload(Submission.version), selectinload(Submission.assigned_to))
             .order_by(Submission.submitted_at))
    statuses = [S(filters.status)] if filters.status in {s.value for s in S} else list(OPEN)
    query = query.where(Submission.status.in_(statuses), Submission.status != S.DRAFT)
    if filters.eservice_id:
        query = query.where(Submission.eservice_id == filters.eservice_id)
    if filters.district_id:
        query = query.where(Submission.district_id == filters.district_id)
    now = utcnow()
    if filters.older_than_days:
        query = query.where(Submission.submitted_at <= now - timedelta(days=filters.older_than_days))
    rows = []
    for submission in db.session.scalars(query.limit(500)):
        started = submission.submitted_at or submission.created_at
        age = (now - as_utc(started)).days
        target = int(submission.version.definition.get("target_days") or 0)
        rows.append(QueueRow(submission, age, bool(target) and submission.status in OPEN and age > target))
    return rows


def colleagues(actor: User) -> list[User]:
    """Officials of the actor's department (to assign a submission to)."""
    _official(actor)
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.OFFICIAL, RoleGrant.department_id == actor.department_id).order_by(User.name)
    ))


def _move(actor: User, submission: Submission, to: SubmissionStatus, reason: str = "") -> None:
    if actor.id == submission.applicant_id:
        raise PermissionDenied(_l("You cannot review your own application."))
    transition(submission, actor, to, reason=reason)


def claim(actor: User, submission: Submission) -> Submission:
    """Take a submitted application into review (it becomes the actor's)."""
    _official(actor, submission)
    _move(actor, submission, S.IN_REVIEW)
    submission.assigned_to_id = actor.id
    db.session.commit()
    return submission


def assign(actor: User, submission: Submission, official_id: int) -> Submission:
    _official(actor, submission)
    colleague = next((u for u in colleagues(actor) if u.id == official_id), None)
    if colleague is None:
        raise DomainError(_l("Choose an official of your department."), field="official_id")
    if submission.status is S.SUBMITTED:
        _move(actor, submission, S.IN_REVIEW)
    submission.assigned_to_id = colleague.id
    record(submission, actor, "assigned", reason=colleague.name)
    db.session.commit()
    return submission


def request_info(actor: User, submission: Submission, question: str) -> Submission:
    _official(actor, submission)
    if not question.strip():
        raise DomainError(_l("Say what the applicant must add."), field="question")
    _move(actor, submission, S.MORE_INFO_REQUESTED, question.strip())
    submission.info_request = question.strip()
    notify_user(submission.applicant, "application_more_info", lambda: (
        _("More information needed for %(reference)s", reference=submission.reference),
        _("Village Square: the office needs more for your application %(reference)s: %(question)s Open My applications to answer.",
          reference=submission.reference, question=question.strip()),
    ), link=site_path("egov.application", key=submission.key))
    db.session.commit()
    return submission


def decide(actor: User, submission: Submission, approve: bool, reason: str) -> Submission:
    """Approve or reject, with a reason the applicant reads; the certificate or letter is issued now."""
    _official(actor, submission)
    if not reason.strip():
        raise DomainError(_l("Give the reason for the decision; the applicant will read it."), field="reason")
    _move(actor, submission, S.APPROVED if approve else S.REJECTED, reason.strip())
    submission.decided_at = utcnow()
    submission.decision_reason = reason.strip()
    if approve and submission.version.definition.get("verifies_producer") \
            and accounts.verify_producer(submission.applicant, submission.department, submission.reference) is not None:
        record(submission, actor, "producer_verified")
    certificate = certificates.issue(submission)
    notify_user(submission.applicant, "application_decided", lambda: (
        _("Decision on %(reference)s", reference=submission.reference),
        (_("Village Square: your application %(reference)s (%(service)s) is approved. Verification code: %(code)s.",
           reference=submission.reference, service=service_title(submission), code=certificate.code) if approve else
         _("Village Square: your application %(reference)s (%(service)s) is not approved. Reason: %(reason)s",
           reference=submission.reference, service=service_title(submission), reason=reason.strip())),
    ), link=site_path("egov.application", key=submission.key))
    db.session.commit()
    return submission


def revoke_verification(actor: User, submission: Submission, reason: str) -> None:
    """The department takes back the verified-producer status this application gave."""
    _official(actor, submission)
    verification = accounts.verification_for(submission.reference or "")
    if verification is None or verification.revoked_at is not None:
        raise DomainError(_l("This application gave no verified status to revoke."))
    accounts.revoke_producer_verification(actor, verification, reason)
    record(submission, actor, "producer_verification_revoked", reason=reason.strip())
    db.session.commit()


def add_note(actor: User, submission: Submission, text: str) -> InternalNote:
    _official(actor, submission)
    if not text.strip():
        raise DomainError(_l("Write the note first."), field="note")
    note = InternalNote(submission_id=submission.id, author_id=actor.id, text=text.strip())
    db.session.add(note)
    record(submission, actor, "noted")
    db.session.commit()
    return note


def status_name(status: SubmissionStatus | str) -> str:
    from marketplace.egov.labels import submission_status_name

    return submission_status_name(status)

