"""What USSD and SMS both say about an application: found by its reference, told by its status."""
from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.egov.api import Submission, SubmissionStatus, service_title, submission_status_name
from marketplace.extensions import db
from marketplace.ussd.keywords import keyword


def find_by_reference(typed: str, asker: User | None) -> Submission | None:
    """The application with this reference (in full, or its digits only: a basic phone's keypad
    makes letters slow), if the phone asking is its applicant's or the agent's who filed it.
    References are sequential, so anyone else gets the same "not found" as on the web."""
    typed = typed.strip().upper()
    found = None
    if re.fullmatch(r"[A-Z]{2,8}-[0-9]{4}-[0-9]{6}", typed):
        found = db.session.scalar(select(Submission).where(Submission.reference == typed))
    else:
        digits = re.sub(r"[^0-9]", "", typed)
        if len(digits) == 10:
            found = db.session.scalar(select(Submission).where(Submission.reference.like(f"%-{digits[:4]}-{digits[4:]}")))
    if found is None or asker is None or asker.id not in (found.applicant_id, found.agent_id):
        return None
    return found


def status_text(submission: Submission) -> str:
    text = f"{submission.reference} ({service_title(submission)}): {submission_status_name(submission.status)}."
    if submission.status is SubmissionStatus.MORE_INFO_REQUESTED:
        text += " " + _("Answer by SMS: %(keyword)s %(reference)s and your answer.",
                        keyword=keyword("answer", str(get_locale())), reference=submission.reference)
    return text
