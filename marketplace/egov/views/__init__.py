"""E-services pages, one module per audience on one blueprint ("egov"): applicant.py (the catalogue
and start pages, one question page per step, check answers, fee, status, the public certificate
check), agent.py (agents filing with residents), official.py (the department's queue and review),
admin.py (form versions). Views parse, call one service, render or redirect."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import get_locale
from flask_login import current_user

from marketplace.core.views import act
from marketplace.egov import services
from marketplace.egov.models import SubmissionStatus

bp = Blueprint("egov", __name__)
S = SubmissionStatus


def _locale() -> str:
    return str(get_locale())


def _submission(key: str):
    return services.get_submission_for(current_user, key)


def _apply(submission, action, success: str, back: str):
    """Run one service action on a submission the person may see; say how it went; go back."""
    return act(lambda: action(submission), success, back)


# The audiences' pages attach their routes to `bp` (as a blueprint's modules do).
from marketplace.egov.views import admin, agent, applicant, official, offline  # noqa: E402,F401
