"""The applications' state machine and the one place their audit rows are written (core.states).

The applicant (or the agent filing for them) starts, sends, answers questions and may withdraw
until a decision; the system sends an application on when its fee is paid; an official of the
department (and district) claims it, asks for more information, approves or rejects. Every row
of the audit trail, moves and other actions alike (saved a step, viewed by an admin, a note),
comes from `record` or `transition` here.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.accounts.api import Role, User
from marketplace.core.states import SYSTEM, Machine, emit
from marketplace.egov.labels import submission_status_name as status_name
from marketplace.egov.models import AuditEvent, FormVersion, Submission, SubmissionStatus, VersionStatus
from marketplace.extensions import db

S = SubmissionStatus
APPLICANT, AGENT, OFFICIAL, ADMIN = "applicant", "agent", "official", "admin"
EDITORS = (APPLICANT, AGENT)
BEFORE_DECISION = (S.DRAFT, S.AWAITING_PAYMENT, S.SUBMITTED, S.IN_REVIEW, S.MORE_INFO_REQUESTED)

SUBMISSION_MOVES: Machine[SubmissionStatus] = Machine("submission", [
    (None, S.DRAFT, EDITORS, "started"),
    (S.DRAFT, S.AWAITING_PAYMENT, EDITORS, "declared"),
    (S.DRAFT, S.SUBMITTED, EDITORS, "submitted"),
    # The card fee paid (the system; audit "fee_paid"), or the applicant chose to pay at the office
    # instead (audit "to_pay_at_office"): either way it goes to the office now.
    (S.AWAITING_PAYMENT, S.SUBMITTED, [SYSTEM, *EDITORS], "sent_to_office"),
    (S.SUBMITTED, S.AWAITING_PAYMENT, EDITORS, "to_pay_by_card"),  # before the office opens it
    (S.SUBMITTED, S.IN_REVIEW, [OFFICIAL], "claimed"),
    (S.IN_REVIEW, S.MORE_INFO_REQUESTED, [OFFICIAL], "requested_info"),
    (S.IN_REVIEW, S.APPROVED, [OFFICIAL], "approved"),
    (S.IN_REVIEW, S.REJECTED, [OFFICIAL], "rejected"),
    (S.MORE_INFO_REQUESTED, S.IN_REVIEW, EDITORS, "answered_info_request"),
    *((old, S.WITHDRAWN, EDITORS, "withdrawn") for old in BEFORE_DECISION),
])

V = VersionStatus
VERSION_MOVES: Machine[VersionStatus] = Machine("form_version", [
    (None, V.DRAFT, [ADMIN], "drafted"),
    (V.DRAFT, V.PUBLISHED, [ADMIN], "published"),
    (V.PUBLISHED, V.RETIRED, [ADMIN], "retired"),  # a newer version was published
])


def role_of(actor: User | None, submission: Submission) -> str:
    if actor is None:
        return SYSTEM
    if actor.id == submission.applicant_id:
        return APPLICANT
    if actor.id == submission.agent_id:
        return AGENT
    if actor.serves(submission.department_id, submission.district_id):
        return OFFICIAL
    if actor.has_role(Role.ADMIN):
        return ADMIN
    return "other"


def record(submission: Submission, actor: User | None, action: str, *, reason: str = "") -> AuditEvent:
    """An audit row for what is not a move (saved a step, viewed, assigned, a note): the status stays."""
    event = AuditEvent(submission_id=submission.id, actor_id=actor.id if actor else None, actor_role=role_of(actor, submission),
                       action=action, from_status=submission.status.value, to_status=submission.status.value, reason=reason[:500])
    db.session.add(event)
    return event


def transition(submission: Submission, actor: User | None, to: SubmissionStatus, *, action: str = "",
               reason: str = "") -> AuditEvent:
    """Move the application as the table allows the actor's role, writing its audit row; the only
    place an application's status is written. `action` names the row when the move's own name is
    not the one the audit trail shows."""
    old, role = submission.status, role_of(actor, submission)
    refused = _l("This application cannot go from “%(old)s” to “%(new)s”.", old=status_name(old), new=status_name(to))
    move = SUBMISSION_MOVES.check(old, to, role, refused, refused)
    submission.status = to
    event = AuditEvent(submission_id=submission.id, actor_id=actor.id if actor else None, actor_role=role,
                       action=action or move.event, from_status=old.value, to_status=to.value, reason=reason[:500])
    db.session.add(event)
    emit(f"submission.{move.event}", submission)
    return event


def transition_version(version: FormVersion, to: VersionStatus) -> None:
    """Publish or retire a form version (an admin's act; the service's page says who and when)."""
    VERSION_MOVES.check(version.status, to, ADMIN, _l("Only a draft can be published."), _l("Only a draft can be published."))
    version.status = to

