"""Residents' voice pages: public list and detail, the report form, "me too", comments, the department's moves."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer

from marketplace.accounts.api import Department, Role, find_user_by_identifier, list_districts, village_choices
from marketplace.core import params
from marketplace.core.auth import role_required
from marketplace.core.errors import REFUSALS, DomainError, NotFound
from marketplace.core.views import back_or, show_domain_error, take_photos, validate_with_photo_errors
from marketplace.extensions import db, limiter
from marketplace.voice import services
from marketplace.voice.forms import CommentForm, HideForm, ReportForm, RuleForm, StatusForm
from marketplace.voice.models import ReportCategory, ReportStatus

bp = Blueprint("voice", __name__)


def _photo_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="report-photos")


def _filters() -> services.ReportFilter:
    def day(name):  # a filter: a date that is not one is ignored, as an empty field is
        return params.parse_date(request.args.get(name, "").strip())

    return services.ReportFilter(
        category=request.args.get("category", ""), status=request.args.get("status", ""),
        district_id=params.id_arg("district"), page=params.page_arg(),
        since=day("from"), until=day("to"),
    )


@bp.get("/reports")
def reports():
    filters = _filters()
    return render_template("voice/reports.html", result=services.public_reports(filters), filters=filters,
                           categories=list(ReportCategory), statuses=list(ReportStatus), districts=list_districts())


@bp.route("/reports/new", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config.get("REPORT_RATE_LIMIT", "5 per hour"), methods=["POST"])
def new_report():
    form = ReportForm()
    if request.method == "GET" and current_user.village_id:
        form.village_id.data = current_user.village_id
    if form.is_submitted():
        try:
            photos = _photo_serializer().loads(form.photo_token.data) if form.photo_token.data else []
        except BadSignature:
            photos = []
        photos, photo_errors = take_photos(form.photos, photos, services.MAX_PHOTOS, _("Add at most %(n)d photos.", n=services.MAX_PHOTOS),
                                           services.process_photos)
        form.photo_token.data = _photo_serializer().dumps(photos) if photos else ""
        report_input = services.ReportInput(
            category=form.category.data, village_id=form.village_id.data, description=form.description.data or "",
            photos=photos, latitude=_degrees(form.latitude.data), longitude=_degrees(form.longitude.data))
        similar = [] if form.new_problem.data else services.me_too_candidates(current_user, report_input, form.submission_key.data)
        if validate_with_photo_errors(form, form.photos, photo_errors) and similar:
            # "Me too" first: the same problem here may already be reported; nothing typed is lost
            return render_template("voice/new_report.html", form=form, villages=village_choices(), kept_photos=len(photos),
                                   is_agent=current_user.has_role(Role.AGENT), similar=similar)
        if validate_with_photo_errors(form, form.photos, photo_errors):
            try:
                report = services.file_report(current_user, report_input, reporter=_reporter(form),
                                              submission_key=form.submission_key.data)
            except DomainError as error:
                db.session.rollback()
                show_domain_error(form, error)
            else:
                flash(_("Thank you. Your report is number %(number)d; you will hear when its status changes.", number=report.id), "success")
                return redirect(url_for("voice.report_page", report_id=report.id))
        kept = len(photos)
    else:
        kept = 0
    return render_template("voice/new_report.html", form=form, villages=village_choices(), kept_photos=kept,
                           is_agent=current_user.has_role(Role.AGENT))


def _degrees(text: str | None) -> float | None:
    """A coordinate the browser filled in; anything else is left out (the village still places the report)."""
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _reporter(form: ReportForm):
    phone = (form.resident_phone.data or "").strip()
    if not phone:
        return None
    if not current_user.has_role(Role.AGENT):
        raise DomainError(_("Only a service-centre agent can report for someone else."), field="resident_phone")
    resident = find_user_by_identifier(phone)
    if resident is None:
        raise DomainError(_("No one is registered with this phone number. Register them first."), field="resident_phone")
    return resident


def _report(report_id: int):
    return services.get_report(current_user if current_user.is_authenticated else None, report_id)


@bp.get("/reports/<int:report_id>")
def report_page(report_id: int):
    report = _report(report_id)
    viewer = current_user if current_user.is_authenticated else None
    status_form = StatusForm(status=report.status.value)
    return render_template(
        "voice/report.html", report=report, comments=services.visible_comments(viewer, report),
        supported=services.has_supported(viewer, report), comment_form=CommentForm(), status_form=status_form,
        hide_form=HideForm(), can_moderate=services.can_moderate(viewer, report),
        is_department=services.is_department_official(viewer, report),
        is_reporter=viewer is not None and viewer.id == report.reporter_id, may_listen=services.may_listen(viewer, report),
    )


@bp.get("/reports/<int:report_id>/recordings/<int:recording_id>")
@login_required
def recording(report_id: int, recording_id: int):
    """A voice message, streamed after the check that this person may hear it (404 otherwise)."""
    report = _report(report_id)
    try:
        found, data = services.recording_to_hear(current_user, report, recording_id)
    except NotFound:
        abort(404)
    return Response(data, mimetype=found.content_type, headers={"Cache-Control": "private, no-store"})


@bp.post("/reports/<int:report_id>/support")
@login_required
def support(report_id: int):
    report = _report(report_id)
    try:
        added = services.support(current_user, report)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Thank you: you will hear when its status changes.") if added else _("You already said this matters to you."), "success")
    return redirect(url_for("voice.report_page", report_id=report_id))


@bp.post("/reports/<int:report_id>/comments")
@login_required
@limiter.limit(lambda: current_app.config.get("COMMENT_RATE_LIMIT", "20 per hour"))
def add_comment(report_id: int):
    report = _report(report_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            services.comment(current_user, report, form.body.data)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            flash(_("Your comment is published."), "success")
            return redirect(url_for("voice.report_page", report_id=report_id) + "#comments")
    viewer = current_user
    return render_template(
        "voice/report.html", report=report, comments=services.visible_comments(viewer, report),
        supported=services.has_supported(viewer, report), comment_form=form, status_form=StatusForm(status=report.status.value),
        hide_form=HideForm(), can_moderate=services.can_moderate(viewer, report),
        is_department=services.is_department_official(viewer, report), is_reporter=viewer.id == report.reporter_id,
    ), 400


@bp.post("/reports/<int:report_id>/status")
@role_required(Role.OFFICIAL)
def set_status(report_id: int):
    report = _report(report_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            services.set_status(current_user, report, ReportStatus(form.status.data), form.reason.data or "")
        except REFUSALS:
            raise  # the app's handlers answer 403, 404 or the presence page
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            flash(_("The status is changed and the residents are told."), "success")
    else:
        flash(_("Choose a status."), "error")
    return redirect(url_for("voice.report_page", report_id=report_id))


@bp.post("/reports/<int:report_id>/hide")
@role_required(Role.OFFICIAL, Role.ADMIN)
def hide(report_id: int):
    report = _report(report_id)
    try:
        if request.form.get("unhide"):
            services.unhide_report(current_user, report)
        else:
            services.hide_report(current_user, report, request.form.get("reason", ""))
    except REFUSALS:
        raise  # the app's handlers answer 403, 404 or the presence page
    except DomainError as error:
        flash(str(error.message), "error")
    return redirect(url_for("voice.report_page", report_id=report_id))


@bp.post("/reports/comments/<int:comment_id>/hide")
@role_required(Role.OFFICIAL, Role.ADMIN)
def hide_comment(comment_id: int):
    try:
        entry = services.hide_comment(current_user, comment_id, request.form.get("reason", ""))
    except REFUSALS:
        raise  # the app's handlers answer 403, 404 or the presence page
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(back_or(url_for("voice.reports")))
    return redirect(url_for("voice.report_page", report_id=entry.report_id) + "#comments")


@bp.get("/official/reports")
@role_required(Role.OFFICIAL)
def official_reports():
    status = request.args.get("status", "")
    return render_template("voice/official_reports.html", reports=services.reports_for_official(current_user, status),
                           status=status, statuses=list(ReportStatus))


@bp.route("/admin/report-routing", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def routing():
    form = RuleForm()
    districts = list_districts()
    departments = list(db.session.scalars(db.select(Department).order_by(Department.name)))
    form.district_id.choices = [("", _("Every district"))] + [(d.id, d.name) for d in districts]
    form.department_id.choices = [(d.id, d.name) for d in departments]
    if request.form.get("delete"):
        try:
            services.delete_rule(current_user, params.int_arg("delete", minimum=1))
        except (NotFound, ValueError):
            abort(404)
        flash(_("The rule is removed."), "success")
        return redirect(url_for("voice.routing"))
    if form.validate_on_submit():
        services.set_rule(current_user, ReportCategory(form.category.data), form.district_id.data, form.department_id.data)
        flash(_("The rule is saved."), "success")
        return redirect(url_for("voice.routing"))
    return render_template("voice/routing.html", form=form, rules=services.rules(), unrouted=services.unrouted_count(),
                           districts=districts, departments=departments)
