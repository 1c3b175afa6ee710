"""Officials' pages: their department's queue, one application, claiming, assigning, asking,
deciding, notes."""
from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts import api as accounts
from marketplace.accounts.api import Role
from marketplace.core import params
from marketplace.core.auth import role_required
from marketplace.core.errors import (
    PermissionDenied,
)
from marketplace.egov import (
    form_engine,
    review,
    services,
    versions,
)
from marketplace.egov.forms import (
    AssignForm,
    DecisionForm,
    NoteForm,
    QuestionForm,
)
from marketplace.egov.prefill import shared_facts
from marketplace.egov.views import S, _apply, _locale, bp
from marketplace.extensions import db
from marketplace.voice import api as voice

# --- officials ----------------------------------------------------------------------------

@bp.get("/official/queue")
@role_required(Role.OFFICIAL)
def official_queue():
    filters = review.QueueFilter(
        status=request.args.get("status", ""),
        eservice_id=params.id_arg("service"),
        district_id=params.id_arg("district"),
        older_than_days=params.int_arg("older_than", minimum=0, maximum=3650),
    )
    rows = review.queue(current_user, filters)
    department_services = [s for s in versions.all_services() if s.department_id == current_user.department_id]
    return render_template("egov/official_queue.html", rows=rows, filters=filters, statuses=list(S),
                           department_services=department_services, villages=accounts.village_choices(),
                           districts=_districts(), title=services.service_title,
                           open_reports=voice.open_report_count(current_user))


def _districts():
    from marketplace.accounts.api import District

    return list(db.session.scalars(db.select(District).order_by(District.name)))


def _official_submission(reference: str):
    try:
        return review.get_for_official(current_user, reference)
    except PermissionDenied:  # a case outside one's department is not even said to exist
        abort(404)


@bp.get("/official/applications/<reference>")
@role_required(Role.OFFICIAL)
def official_application(reference: str):
    submission = _official_submission(reference)
    assign_form = AssignForm()
    assign_form.official_id.choices = [(u.id, u.name) for u in review.colleagues(current_user)]
    rows = form_engine.answer_rows(submission.version.definition, submission.answers, _locale(), services.build_context(submission, current_user),
                                   submission.attachments, submission.prefilled)
    return render_template("egov/official_application.html", submission=submission, rows=rows,
                           verification=accounts.verification_for(submission.reference or ""),
                           shared_facts=shared_facts(submission.applicant, submission.eservice_id),
                           applicant_verification=(submission.applicant.farmer_profile.verification
                                                   if submission.applicant.farmer_profile else None),
                           title=services.service_title(submission), question_form=QuestionForm(), decision_form=DecisionForm(),
                           note_form=NoteForm(), assign_form=assign_form)


def _official_act(reference: str, action, success: str):
    return _apply(_official_submission(reference), action, success, url_for("egov.official_application", reference=reference))


@bp.post("/official/applications/<reference>/claim")
@role_required(Role.OFFICIAL)
def official_claim(reference: str):
    return _official_act(reference, lambda s: review.claim(current_user, s), _("You are reviewing this application."))


@bp.post("/official/applications/<reference>/assign")
@role_required(Role.OFFICIAL)
def official_assign(reference: str):
    official_id = params.int_arg("official_id", 0)
    return _official_act(reference, lambda s: review.assign(current_user, s, official_id), _("Assigned."))


@bp.post("/official/applications/<reference>/request-info")
@role_required(Role.OFFICIAL)
def official_request_info(reference: str):
    form = QuestionForm()
    return _official_act(reference, lambda s: review.request_info(current_user, s, form.question.data or ""),
                         _("The applicant has been asked."))


@bp.post("/official/applications/<reference>/decide")
@role_required(Role.OFFICIAL)
def official_decide(reference: str):
    _official_submission(reference)  # who may see it is checked before anything is said about the form
    form = DecisionForm()
    if form.decision.data not in ("approve", "reject"):
        flash(_("Choose approve or reject."), "error")
        return redirect(url_for("egov.official_application", reference=reference))
    return _official_act(reference, lambda s: review.decide(current_user, s, form.decision.data == "approve", form.reason.data or ""),
                         _("The decision is recorded and the applicant is told."))


@bp.post("/official/applications/<reference>/revoke-verification")
@role_required(Role.OFFICIAL)
def official_revoke_verification(reference: str):
    reason = request.form.get("reason", "")
    return _official_act(reference, lambda s: review.revoke_verification(current_user, s, reason),
                         _("The verified producer status is revoked."))


@bp.post("/official/applications/<reference>/note")
@role_required(Role.OFFICIAL)
def official_note(reference: str):
    form = NoteForm()
    return _official_act(reference, lambda s: review.add_note(current_user, s, form.note.data or ""), _("Note added."))
