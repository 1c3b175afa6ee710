"""Admins' pages: the services' form versions, drafts and publishing."""
from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.api import Role
from marketplace.core.auth import role_required
from marketplace.core.errors import (
    DomainError,
)
from marketplace.core.views import show_domain_error
from marketplace.egov import (
    form_engine,
    services,
    versions,
    xlsform,
)
from marketplace.egov.forms import (
    DefinitionForm,
    XLSFormImportForm,
)
from marketplace.egov.models import EService
from marketplace.egov.views import bp
from marketplace.extensions import db

# --- admins: form versions and ratings ----------------------------------------------------

@bp.get("/admin/services")
@role_required(Role.ADMIN)
def admin_services():
    return render_template("egov/admin_services.html", ratings=services.ratings_by_service(), text=form_engine.text,
                           import_form=_import_form())


def _import_form() -> XLSFormImportForm:
    form = XLSFormImportForm()
    form.department.choices = [("", "—")] + [(d.code, d.name) for d in services.departments()]
    return form


@bp.route("/admin/services/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_import_xlsform():
    """An XLSForm workbook becomes a service's draft; what cannot be read is listed row by row."""
    form = _import_form()
    reasons: list[str] = []
    if form.validate_on_submit():
        upload = form.workbook.data
        try:
            draft, skipped = versions.import_xlsform(current_user, form.slug.data.strip(), upload.read(), upload.filename or "form.xlsx",
                                                     form.department.data or "")
        except xlsform.XLSFormRefused as error:
            reasons = error.reasons
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("The workbook is the draft of version %(number)s. Check it, then publish it.", number=draft.number), "success")
            for item in skipped:
                flash(_("Skipped: %(item)s", item=item), "info")
            return redirect(url_for("egov.admin_version", version_id=draft.id))
    status = 422 if reasons or form.errors else 200
    return render_template("egov/admin_import.html", form=form, reasons=reasons), status


@bp.get("/admin/services/versions/<int:version_id>.xlsx")
@role_required(Role.ADMIN)
def admin_version_xlsform(version_id: int):
    version = versions.get_version(current_user, version_id)
    name = f"{version.eservice.slug}-v{version.number}.xlsx"
    return Response(versions.as_xlsform(current_user, version),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/admin/services/<slug>/draft")
@role_required(Role.ADMIN)
def admin_new_draft(slug: str):
    service = db.session.scalar(db.select(EService).where(EService.slug == slug))
    if service is None:
        abort(404)
    draft = versions.new_draft(current_user, service)
    return redirect(url_for("egov.admin_version", version_id=draft.id))


@bp.route("/admin/services/versions/<int:version_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_version(version_id: int):
    version = versions.get_version(current_user, version_id)
    form = DefinitionForm()
    reasons: list[str] = []
    if request.method == "GET":
        form.definition.data = json.dumps(version.definition, ensure_ascii=False, indent=1)
    elif form.validate_on_submit():
        try:
            versions.save_draft(current_user, version, form.definition.data)
            if request.form.get("publish"):
                versions.publish(current_user, version)
        except form_engine.DefinitionError as error:
            reasons = error.reasons
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Version %(number)s published.", number=version.number) if request.form.get("publish")
                  else _("Draft saved."), "success")
            return redirect(url_for("egov.admin_version", version_id=version.id))
    return render_template("egov/admin_version.html", version=version, form=form, reasons=reasons), (422 if reasons else 200)
