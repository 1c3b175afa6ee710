"""E-services pages, one module per audience on one blueprint ("egov"): applicant.py (the catalogue
and start pages, one question page per step, check answers, fee, status, the public certificate
check), agent.py (agents filing with residents), official.py (the department's queue and review),
admin.py (form versions). Views parse, call one service, render or redirect."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect
from flask_babel import get_locale
from flask_login import current_user

from marketplace.accounts.api import PresenceRequired
from marketplace.core.errors import DomainError, NotFound, PermissionDenied
from marketplace.egov import services
from marketplace.egov.models import SubmissionStatus

bp = Blueprint("egov", __name__)
S = SubmissionStatus


def _locale() -> str:
    return str(get_locale())


def _submission(key: str):
    try:
        return services.get_submission_for(current_user, key)
    except NotFound:
        abort(404)


def _apply(submission, action, success: str, back: str):
    """Run one service action on a submission the person may see; say how it went; go back."""
    try:
        action(submission)
    except PresenceRequired:
        raise  # the agent is sent to prove the person is here
    except PermissionDenied:
        abort(403)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(success, "success")
    return redirect(back)


# The audiences' pages attach their routes to `bp` (as a blueprint's modules do).
from marketplace.egov.views import admin, agent, applicant, official  # noqa: E402,F401
