"""Filing without a signal: the whole form on one page that a service worker keeps on the phone.

The page is offered (by static/js/offline-form.js, so only where JavaScript and service workers run)
beside the usual one-question-per-page flow, which stays the way without JavaScript. Answers are kept
in the browser as they are typed; "Send" queues the filled form with an id the browser makes, and
the queue is sent one form at a time, with back-off, once the network is back. The server stores
each id once (egov.field_filing), so a resend after a lost answer is harmless.
"""
from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.bidi import isolate
from marketplace.core.errors import REFUSALS, DomainError, InvalidInput
from marketplace.egov import field_filing, form_engine, services
from marketplace.egov.forms import OfflineFilingForm
from marketplace.egov.prefill import prefill_answers
from marketplace.egov.views import _locale, bp


def _page(service, filing: OfflineFilingForm):
    version = service.published_version
    definition = version.definition
    # Contact details only, as on the web; an agent's page starts empty, since it is usually for someone else
    answers = {} if current_user.has_role("agent") else prefill_answers(definition, current_user, with_consent=False)
    context = services.build_context()
    steps = [(form_engine.text(step["title"], _locale()), form_engine.step_form(definition, index, answers, _locale(), context),
              {spec["name"]: spec.get("show_if") for spec in step["fields"]})
             for index, step in enumerate(definition["steps"])]
    return render_template("egov/offline.html", service=service, version=version, steps=steps, filing=filing,
                           is_agent=current_user.has_role("agent"), text=form_engine.text)


@bp.get("/services/<slug>/offline")
@login_required
def offline_form(slug: str):
    return _page(services.published_service(slug), OfflineFilingForm())


@bp.post("/services/<slug>/offline")
@login_required
def offline_send(slug: str):
    """A filled form: from the page's queue (JSON answer) or, without JavaScript, posted as a page."""
    service = services.published_service(slug)
    filing = OfflineFilingForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        receipt = field_filing.receive_browser_form(current_user, service, filing.version_id.data or 0, request.form, request.files,
                                                    filing.instance_id.data or "")
    except REFUSALS:
        raise
    except InvalidInput as error:
        messages = [str(message) for message in error.errors.values()]
        if wants_json:
            return jsonify(state="refused", message=" ".join(messages)), 400
        for message in messages:
            flash(message, "error")
        return _page(service, filing), 422
    except DomainError as error:
        if wants_json:
            return jsonify(state="refused", message=str(error.message)), 400
        flash(str(error.message), "error")
        return _page(service, filing), 422
    submission = receipt.submission
    link = url_for("egov.application", key=submission.key) if receipt.filed else url_for("egov.check", key=submission.key)
    if receipt.filed:
        message = _("Sent: reference %(reference)s.", reference=submission.reference)
    elif submission.applicant_id != current_user.id:
        message = _("Saved for %(name)s as a draft: they were texted to check it and send it.", name=isolate(submission.applicant.name))
    else:
        message = _("Saved as a draft: open it to finish and send it.")
    if receipt.problems:
        message += " " + _("To finish: %(problems)s", problems="; ".join(receipt.problems))
    if wants_json:
        return jsonify(state="filed" if receipt.filed else "draft", message=message, link=link), 201 if receipt.created else 200
    flash(message, "success" if receipt.filed else "info")
    return redirect(link)


@bp.get("/services/offline-worker.js")
def offline_worker():
    """The service worker, from under /services/ so that its scope is the service pages (and no more)."""
    response = send_from_directory(current_app.static_folder, "js/offline-worker.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # a new worker reaches phones at their next visit
    return response
