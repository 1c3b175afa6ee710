"""Applicants' pages: the catalogue and start pages, one question page per step, check answers,
the fee, status and files after sending, and the public certificate check."""
from __future__ import annotations

import contextlib

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.api import Role, User
from marketplace.core import params
from marketplace.core.auth import role_required
from marketplace.core.bidi import left_to_right
from marketplace.core.errors import (
    REFUSALS,
    DomainError,
    InvalidInput,
)
from marketplace.core.money import Money
from marketplace.core.phone import display_phone
from marketplace.core.views import signed_in_person
from marketplace.egov import (
    attachments,
    certificates,
    consent,
    fees,
    form_engine,
    seals,
    services,
)
from marketplace.egov.forms import (
    DeclarationForm,
    InfoResponseForm,
    RatingForm,
    WayToPayForm,
    WithdrawForm,
)
from marketplace.egov.views import S, _apply, _locale, _submission, bp
from marketplace.extensions import limiter, talisman
from marketplace.payments.api import ProviderUnavailable

# --- catalogue -------------------------------------------------------------------------------

@bp.get("/services")
def catalogue():
    query, department = request.args.get("q", "").strip()[:100], request.args.get("department", "")
    return render_template("egov/catalogue.html", services=services.catalogue(query, department, _locale()),
                           departments=services.departments(), query=query, department=department, text=form_engine.text)


@bp.get("/services/<slug>")
def start_page(slug: str):
    service = services.published_service(slug)
    definition = service.published_version.definition
    return render_template("egov/start.html", service=service, d=definition, fee=form_engine.fee_of(definition),
                           text=form_engine.text, for_user=_resident_for_agent(only_if_present=True))


def _resident_for_agent(only_if_present: bool = False) -> User | None:
    """An agent starting a service for a resident carries ?for=<user id> from the resident page.
    The start page names only a resident who proved they are with the agent; starting checks it
    again in the service (and refuses, rather than filing for the agent)."""
    if request.values.get("for") and current_user.is_authenticated and current_user.has_role(Role.AGENT):
        resident = services.resident_for_agent(current_user, params.id_arg("for"))
        if resident is None:
            abort(404)
        if only_if_present and not services.resident_is_present(current_user, resident):
            return None
        return resident
    return None


@bp.post("/services/<slug>/start")
@login_required
def start(slug: str):
    service = services.published_service(slug)
    submission = services.start_application(current_user, service, _resident_for_agent())
    return redirect(url_for("egov.step", key=submission.key, number=_first_step(submission)))


def _first_step(submission) -> int:
    shown = form_engine.shown_steps(submission.version.definition, submission.answers)
    return (shown[0] if shown else 0) + 1


# --- answering, one step per page ---------------------------------------------------------

@bp.route("/applications/<key>/step/<int:number>", methods=["GET", "POST"])
@login_required
def step(key: str, number: int):
    submission = _submission(key)
    if submission.status is not S.DRAFT:
        return redirect(url_for("egov.application", key=key))
    definition = submission.version.definition
    index = number - 1
    if not 0 <= index < len(definition["steps"]):
        abort(404)
    context = services.build_context(submission, current_user)
    form = form_engine.step_form(definition, index, submission.answers, _locale(), context,
                                 formdata=request.form if request.method == "POST" else None)
    if request.method == "POST":
        form_files = request.files or {}
        try:
            result = services.save_step(current_user, submission, index, form, form_files)
        except REFUSALS:
            raise  # the app's handlers answer 403, 404 or the presence page
        except DomainError as error:
            flash(str(error.message), "error")
            return redirect(url_for("egov.application", key=key))
        if result.saved:
            if request.args.get("back") == "check" or result.next_step is None:
                return redirect(url_for("egov.check", key=key))
            return redirect(url_for("egov.step", key=key, number=result.next_step + 1))
    shown = form_engine.shown_steps(definition, submission.answers)
    position = shown.index(index) + 1 if index in shown else 1
    return render_template("egov/step.html", submission=submission, form=form, step=definition["steps"][index], number=number,
                           step_title=form_engine.addressed(definition["steps"][index], "title", _locale(), context),
                           position=position, total=len(shown), text=form_engine.text,
                           prefill_facts=consent.question_for(current_user, submission),
                           files=[a for a in submission.attachments if a.field in {f.name for f in form}],
                           back=url_for("egov.step", key=key, number=shown[position - 2] + 1) if position > 1 else None), \
        (422 if form.errors else 200)


@bp.post("/applications/<key>/prefill")
@login_required
def prefill(key: str):
    """The applicant's answer to "copy these facts from your profile?"; back to the page they were on."""
    agree = request.form.get("agree") == "yes"
    number = params.int_arg("step", 1, minimum=1, maximum=100)
    done = (_("Copied from your profile. Check each answer; you can change any of them.") if agree
            else _("Nothing was copied. Type your answers."))
    return _apply(_submission(key), lambda submission: consent.answer(current_user, submission, agree), done,
                  url_for("egov.step", key=key, number=number))


@bp.post("/applications/consents/<int:consent_id>/revoke")
@login_required
def revoke_consent(consent_id: int):
    try:
        consent.revoke(current_user, consent_id)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Your profile will no longer fill in this service's forms."), "success")
    return redirect(url_for("egov.my_applications"))


@bp.get("/applications/<key>/check")
@login_required
def check(key: str):
    submission = _submission(key)
    if submission.status is not S.DRAFT:
        return redirect(url_for("egov.application", key=key))
    return _check_page(submission, DeclarationForm())


def _check_page(submission, form, errors=None, status=200):
    definition = submission.version.definition
    rows = form_engine.answer_rows(definition, submission.answers, _locale(), services.build_context(submission, current_user),
                                   submission.attachments, submission.prefilled)
    ways = services.ways_to_pay(definition)
    form.offer(ways)
    return render_template("egov/check.html", submission=submission, rows=rows, form=form, missing=services.check_answers(submission),
                           fee=form_engine.fee_of(definition), ways=ways, errors=errors or {}, text=form_engine.text), status


@bp.post("/applications/<key>/submit")
@login_required
def submit(key: str):
    submission = _submission(key)
    form = DeclarationForm()
    try:
        services.submit_application(current_user, submission, declared=bool(form.declared.data), way_to_pay=form.payment.data)
    except REFUSALS:
        raise  # the app's handlers answer 403, 404 or the presence page
    except InvalidInput as error:
        return _check_page(submission, form, {k: str(v) for k, v in error.errors.items()}, 422)
    except services.AlreadySent as error:
        flash(str(error.message), "info")
        return redirect(url_for("egov.application", key=key))
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("egov.application", key=key))
    if submission.status is S.AWAITING_PAYMENT:
        ways = services.ways_to_pay(submission.version.definition)
        way = form.payment.data or next((w for w in ways if w in services.PAID_NOW), services.CARD)  # the only one offered
        return redirect(url_for("egov.pay_fee_by_mpesa" if way == services.MPESA else "egov.pay_fee", key=key))
    flash(_("Your application is sent. Your reference is %(reference)s.", reference=left_to_right(submission.reference)), "success")
    return redirect(url_for("egov.application", key=key))


@bp.get("/applications/<key>/pay")
@login_required
def pay_fee(key: str):
    submission = _submission(key)
    try:
        payment, client_secret = fees.start_fee_payment(submission)
    except ProviderUnavailable as error:
        flash(str(error.message), "error")
        return redirect(url_for("egov.application", key=key))
    except DomainError as error:
        flash(str(error.message), "info")
        return redirect(url_for("egov.application", key=key))
    return render_template("egov/pay.html", submission=submission, payment=payment, client_secret=client_secret,
                           title=services.service_title(submission))


@bp.route("/applications/<key>/pay/mpesa", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["MPESA_PROMPT_RATE_LIMIT"], key_func=signed_in_person, methods=["POST"])
def pay_fee_by_mpesa(key: str):
    """The fee by M-Pesa: the prompt to the phone the applicant confirms, then a page that waits,
    asking M-Pesa each time it is shown, and refreshes itself (no JavaScript needed)."""
    submission = _submission(key)
    phone, error = request.form.get("phone", "")[:32], None
    if request.method == "POST":
        try:
            fees.start_mobile_fee_payment(current_user, submission, phone)
        except REFUSALS:
            raise
        except DomainError as refused:
            error = str(refused.message)
        else:
            return redirect(url_for("egov.pay_fee_by_mpesa", key=key))
    try:
        payment = fees.fee_payment(submission, refresh=request.method == "GET", purpose=fees.MOBILE_PURPOSE)
    except ProviderUnavailable:
        payment = fees.fee_payment(submission, purpose=fees.MOBILE_PURPOSE)
    if submission.status is not S.AWAITING_PAYMENT:
        return redirect(url_for("egov.application", key=key))  # paid (the application page says so), or not due
    prompt_out = bool(payment and payment.prompt_is_out and not error)
    return render_template("egov/pay_mobile.html", submission=submission, payment=payment, error=error, prompt_out=prompt_out,
                           phone=phone or display_phone(submission.applicant.phone or ""), title=services.service_title(submission),
                           fee=Money(submission.currency, submission.fee_minor)), (422 if error else 200)


# --- after filing -------------------------------------------------------------------------

@bp.get("/applications")
@login_required
def my_applications():
    return render_template("egov/my_applications.html", submissions=services.my_applications(current_user),
                           title=services.service_title, consents=consent.consents_of(current_user), text=form_engine.text)


@bp.get("/applications/<key>")
@login_required
def application(key: str):
    submission = _submission(key)
    if submission.status is S.AWAITING_PAYMENT:
        with contextlib.suppress(ProviderUnavailable):  # back from the card page: ask the provider
            fees.fee_payment(submission, refresh=True)
    rows = form_engine.answer_rows(submission.version.definition, submission.answers, _locale(), services.build_context(submission, current_user),
                                   submission.attachments, submission.prefilled)
    return render_template("egov/application.html", submission=submission, rows=rows, title=services.service_title(submission),
                           role=services.role_of(current_user, submission), info_form=InfoResponseForm(),
                           rating_form=RatingForm(), withdraw_form=WithdrawForm(), way_form=WayToPayForm(),
                           ways=services.ways_to_pay(submission.version.definition), other_way=services.other_way_to_pay(submission))


@bp.post("/applications/<key>/way-to-pay")
@login_required
def change_way_to_pay(key: str):
    form = WayToPayForm()
    if not form.validate_on_submit():
        flash(_("Choose how you will pay the fee."), "error")
        return redirect(url_for("egov.application", key=key))
    return _act(key, lambda submission: services.change_way_to_pay(current_user, submission, form.way.data),
                _("Saved. You pay at the office.") if form.way.data == "office" else _("Saved. You pay by card."))


def _act(key: str, action, success: str):
    return _apply(_submission(key), action, success, url_for("egov.application", key=key))


@bp.post("/applications/<key>/withdraw")
@login_required
def withdraw(key: str):
    form = WithdrawForm()
    return _act(key, lambda s: services.withdraw(current_user, s, form.reason.data or ""), _("The application is withdrawn."))


@bp.post("/applications/<key>/respond")
@login_required
def respond(key: str):
    form = InfoResponseForm()
    return _act(key, lambda s: services.answer_info_request(current_user, s, form.answer.data or "", request.files.get("document")),
                _("Thank you. Your answer is with the office."))


@bp.post("/applications/<key>/rate")
@login_required
def rate(key: str):
    form = RatingForm()
    stars = params.parse_int(form.stars.data, minimum=1, maximum=5) or 0
    return _act(key, lambda s: services.rate(current_user, s, stars, form.comment.data or ""), _("Thank you for rating the service."))


@bp.post("/applications/<key>/hand-back")
@role_required(Role.AGENT)
def hand_back(key: str):
    return _act(key, lambda s: services.hand_back(current_user, s), _("The resident can now finish the application."))


#: An uploaded PDF is the uploader's bytes (it may carry script or links): it is downloaded, never
#: opened inside our origin, and even if a browser renders it, it runs sandboxed with nothing allowed.
UPLOAD_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


@bp.get("/applications/<key>/files/<int:attachment_id>")
@login_required
@talisman(content_security_policy=UPLOAD_CSP, frame_options="DENY")
def attachment(key: str, attachment_id: int):
    submission = _submission(key)
    found = next((a for a in submission.attachments if a.id == attachment_id), None)
    if found is None:
        abort(404)
    extension = found.storage_key.rsplit(".", 1)[1]
    # Photos were redrawn by the image pipeline and may show inline; PDFs are as they were sent.
    disposition = "attachment" if extension == "pdf" else "inline"
    return Response(attachments.read(found), mimetype=found.content_type, headers={
        "Content-Disposition": f"{disposition}; filename=document-{found.id}.{extension}",
        "Cache-Control": "private, no-store"})


@bp.get("/applications/<key>/certificate.pdf")
@login_required
def certificate(key: str):
    submission = _submission(key)
    if submission.certificate is None or not certificates.is_ready(submission.certificate):
        abort(404)
    return Response(certificates.read(submission.certificate), mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename={submission.reference}.pdf", "Cache-Control": "private, no-store"})


@bp.get("/verify", defaults={"code": ""})
@bp.get("/verify/<code>")
def verify(code: str):
    """The public check: by the code printed on the paper, or by the signed text its second QR code
    carries (pasted, or read by a phone's camera where the browser can), checked with our keys."""
    code = code or request.args.get("code", "")
    sealed = request.args.get("sealed", "").strip()[:2000]
    refused = None
    found = certificates.certificate_for_code(code) if code else None
    if sealed:
        try:
            _unsealed, found = seals.read_sealed(sealed)
        except seals.SealRefused as error:
            refused = error
    status = 404 if (code and found is None) or refused is not None or (sealed and found is None) else 200
    return render_template("egov/verify.html", code=code, sealed=sealed, refused=refused, certificate=found,
                           revoked_on=seals.revoked_on(found) if found else None,
                           certificate_facts=certificates.facts(found, on_paper=False) if found else []), status


@bp.get("/verify/revoked")
def revoked_certificates():
    """The certificates that no longer hold (a list like a certificate revocation list, as JSON)."""
    response = jsonify(revoked=seals.revoked())
    response.headers["Cache-Control"] = "public, max-age=600"
    return response


@bp.get("/.well-known/jwks.json")
def published_keys():
    """The departments' public keys, for verifier apps to check sealed certificates offline."""
    response = jsonify(seals.published_keys())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
