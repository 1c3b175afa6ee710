"""What USSD and SMS both say about an application: found by its reference, told by its status."""
from __future__ import annotations

import re
from typing import Optional

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.egov.labels import submission_status_name
from marketplace.egov.models import Submission, SubmissionStatus
from marketplace.egov.services import service_title
from marketplace.extensions import db
from marketplace.ussd.keywords import keyword


def find_by_reference(typed: str) -> Optional[Submission]:
    """A full reference, or its digits only (a basic phone's keypad makes letters slow)."""
    typed = typed.strip().upper()
    if re.fullmatch(r"[A-Z]{2,8}-\d{4}-\d{6}", typed):
        return db.session.scalar(select(Submission).where(Submission.reference == typed))
    digits = re.sub(r"\D", "", typed)
    if len(digits) == 10:
        return db.session.scalar(select(Submission).where(Submission.reference.like(f"%-{digits[:4]}-{digits[4:]}")))
    return None


def status_text(submission: Submission) -> str:
    text = f"{submission.reference} ({service_title(submission)}): {submission_status_name(submission.status)}."
    if submission.status is SubmissionStatus.MORE_INFO_REQUESTED:
        text += " " + _("Answer by SMS: %(keyword)s %(reference)s and your answer.",
                        keyword=keyword("answer", str(get_locale())), reference=submission.reference)
    return text
