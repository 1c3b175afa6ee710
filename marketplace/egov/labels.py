"""Translated names of application states and audit actions."""
from flask_babel import lazy_gettext as _l

from marketplace.egov.models import SubmissionStatus

S = SubmissionStatus
STATUS_LABELS = {
    S.DRAFT: _l("draft"),
    S.AWAITING_PAYMENT: _l("waiting for the fee"),
    S.SUBMITTED: _l("received"),
    S.IN_REVIEW: _l("being reviewed"),
    S.MORE_INFO_REQUESTED: _l("more information needed"),
    S.APPROVED: _l("approved"),
    S.REJECTED: _l("not approved"),
    S.WITHDRAWN: _l("withdrawn"),
}

ACTION_LABELS = {
    "started": _l("started"),
    "declared": _l("declaration signed"),
    "submitted": _l("sent to the office"),
    "fee_paid": _l("fee paid; sent to the office"),
    "to_pay_at_office": _l("to pay at the office; sent to the office"),
    "to_pay_by_card": _l("to pay now (card or M-Pesa); waiting for the fee"),
    "claimed": _l("taken into review"),
    "assigned": _l("assigned to an official"),
    "requested_info": _l("more information asked"),
    "answered_info_request": _l("information added"),
    "approved": _l("approved"),
    "rejected": _l("not approved"),
    "withdrawn": _l("withdrawn"),
    "rated": _l("service rated"),
    "handed_back": _l("handed back by the agent"),
    "noted": _l("internal note added"),
    "viewed_by_admin": _l("viewed by an administrator"),
    "prefill_agreed": _l("profile facts copied, with consent"),
    "prefill_declined": _l("profile facts not copied"),
    "producer_verified": _l("verified producer status given"),
    "producer_verification_revoked": _l("verified producer status revoked"),
}


#: Who did something to an application, as the audit trail names them (egov.states.role_of).
ACTOR_LABELS = {
    "applicant": _l("the applicant"),
    "agent": _l("their agent"),
    "official": _l("an official"),
    "admin": _l("an administrator"),
    "system": _l("Village Square, automatically"),
    "other": _l("someone else"),
}


def actor_role_name(role: str | None) -> str:
    return str(ACTOR_LABELS.get(role or "", role or ""))


def submission_status_name(status: SubmissionStatus | str) -> str:
    return str(STATUS_LABELS[SubmissionStatus(status)])


def audit_action_name(action: str) -> str:
    if action.startswith("saved_step_"):
        return str(_l("answers saved (page %(number)s)", number=action.rsplit("_", 1)[1]))
    return str(ACTION_LABELS.get(action, action))
