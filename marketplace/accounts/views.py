"""Accounts pages: thin, each parses a form, calls one service, renders or redirects."""
from __future__ import annotations

import contextlib
import json
from datetime import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import codes, devices, pins, places, presence, services
from marketplace.accounts.forms import (
    DeviceForm,
    FarmerProfileForm,
    ForgotPasswordForm,
    GrantRoleForm,
    LoginForm,
    PhoneCodeForm,
    PinForm,
    PresenceForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    RevokeRoleForm,
    SignOutEverywhereForm,
    language_choices,
)
from marketplace.accounts.models import Role
from marketplace.core.auth import role_required
from marketplace.core.bidi import isolate
from marketplace.core.errors import DomainError, InvalidInput
from marketplace.core.views import safe_next, show_domain_error
from marketplace.extensions import limiter
from marketplace.i18n import SESSION_KEY as SESSION_LANGUAGE

bp = Blueprint("accounts", __name__)


@bp.get("/places/villages.geojson")
def villages_geojson():
    """The gazetteer as open data: the report form's map reads it, and so may anyone."""
    response = current_app.response_class(json.dumps(places.villages_geojson(), ensure_ascii=False),
                                          mimetype="application/geo+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/places/villages.csv")
def villages_csv():
    """The same in the columns `flask places import` reads back."""
    response = current_app.response_class(places.gazetteer_csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=villages.csv"
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


#: The language this browser chose to keep for itself only: the offer to save it is not shown again.
LANGUAGE_OFFER_DECLINED = "lang_offer_declined"


@bp.post("/profile/language")
@login_required
def save_language():
    """The banner after a switch: keep this language on every device and in SMS (a POST with a
    token; a link with ?lang= changes only this browser)."""
    if request.form.get("keep") == "here":
        # "Only here": stop asking in this browser; the account (and its SMS) keep their language.
        session[LANGUAGE_OFFER_DECLINED] = request.form.get("lang", "")
    else:
        services.set_preferred_locale(current_user, request.form.get("lang", ""))
        session[SESSION_LANGUAGE] = current_user.preferred_locale
    target = request.form.get("next", "")
    return redirect(safe_next(target, url_for("public.home")))


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _account_login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_ACCOUNT"]


def _reset_limit() -> str:
    return current_app.config["RATELIMIT_RESET"]


def _reset_per_number_limit() -> str:
    return current_app.config["RATELIMIT_RESET_ACCOUNT"]


def _post_only() -> bool:
    return request.method != "POST"


def _account_key() -> str:
    """The account a sign-in or reset names, however it was typed (known or not: the limit must
    not tell which accounts exist). Behind a shared address every person keeps their own limit."""
    return "account:" + services.identifier_key(request.form.get("identifier", ""))


def _failed_sign_in(response) -> bool:
    return response.status_code != 302  # a success redirects; only failures count towards the back-off


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], exempt_when=_post_only)
def register():
    form = RegisterForm()
    form.preferred_locale.choices = language_choices(current_app.config["LANGUAGES"])
    if request.method == "GET":
        form.preferred_locale.data = str(get_locale())
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = services.register_user(services.Registration(
                name=form.name.data, phone=form.phone.data or "", email=form.email.data or "",
                password=form.password.data, preferred_locale=form.preferred_locale.data,
                village_id=form.village_id.data,
            ))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            _start_session(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=isolate(user.name)), "success")
            target = safe_next(form.next.data, url_for("accounts.profile"))
            if user.phone:
                with contextlib.suppress(DomainError):  # the confirmation page offers to send one again
                    services.send_phone_confirmation(user)
                return redirect(url_for("accounts.confirm_phone", next=target))
            return redirect(target)
    return render_template("accounts/register.html", form=form, villages=services.village_choices())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, exempt_when=_post_only)
@limiter.limit(_account_login_limit, key_func=_account_key, exempt_when=_post_only, deduct_when=_failed_sign_in)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.identifier.data, form.password.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            _start_session(user, remember=form.remember.data)
            flash(_("You are signed in."), "success")
            target = form.next.data
            return redirect(safe_next(target, url_for("public.home")))
    return render_template("accounts/login.html", form=form)


#: What a visitor's session carries across signing in: their guest cart (merged into the account's)
#: and the language they chose. Everything else starts anew.
_KEPT_AT_SIGN_IN = ("cart", "lang")


def _start_session(user, remember: bool = False) -> None:
    """A new session at sign-in: nothing an earlier visitor (or someone who planted a cookie) put
    in it survives except the guest cart and the language, so no session is carried into an account."""
    kept = {key: session[key] for key in _KEPT_AT_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    login_user(user, remember=remember)


@bp.post("/logout")
@login_required
def logout():
    services.sign_out(current_user)
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("public.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, exempt_when=_post_only)
@limiter.limit(_reset_per_number_limit, key_func=_account_key, exempt_when=_post_only)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.identifier.data)
        flash(_("If an account uses this phone number or email, we have sent it a link to choose a new password."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, exempt_when=_post_only)
def reset_password(token: str):
    form = ResetPasswordForm()
    try:
        services.user_for_reset_token(token)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("accounts.forgot_password"))
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your password has been changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    form.preferred_locale.choices = language_choices(current_app.config["LANGUAGES"])
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.name.data, form.preferred_locale.data, form.village_id.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            session[SESSION_LANGUAGE] = current_user.preferred_locale  # this browser follows the saved choice
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, villages=services.village_choices())


@bp.route("/profile/pin", methods=["GET", "POST"])
@login_required
def phone_pin():
    """The PIN a basic phone asks for before money: set by the person, or by an agent beside them."""
    form = PinForm()
    is_agent = current_user.has_role(Role.AGENT)
    if form.validate_on_submit():
        person = current_user
        phone = (form.resident_phone.data or "").strip() if is_agent else ""
        if phone:
            person = services.find_user_by_identifier(phone)
        if person is None:
            form.resident_phone.errors = [_("No one is registered with this phone number. Register them first.")]
        else:
            try:
                pins.set_pin(current_user, person, form.pin.data)
            except DomainError as error:
                show_domain_error(form, error)
            else:
                flash(_("The PIN is set. It is asked on a basic phone before anything about money."), "success")
                return redirect(url_for("accounts.phone_pin"))
    return render_template("accounts/pin.html", form=form, is_agent=is_agent, has_pin=pins.pin_of(current_user) is not None)


@bp.route("/profile/devices", methods=["GET", "POST"])
@role_required(Role.AGENT)
def field_devices():
    """Tokens for ODK Collect and other field apps: made here, shown once, revoked one by one."""
    form = DeviceForm()
    secret = None
    if form.validate_on_submit():
        try:
            _token, secret = devices.create_device_token(current_user, form.label.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            form.label.data = ""
    response = current_app.make_response(render_template(
        "accounts/devices.html", form=form, secret=secret, devices=devices.device_tokens(current_user),
        server_url=url_for("openrosa.form_list", _external=True).rsplit("/", 1)[0]))
    response.headers["Cache-Control"] = "no-store"  # the token is on this page once; no cache keeps it
    return response


@bp.post("/profile/devices/<int:token_id>/revoke")
@role_required(Role.AGENT)
def revoke_field_device(token_id: int):
    devices.revoke_device_token(current_user, token_id)
    flash(_("The device is signed out. It can no longer send forms."), "success")
    return redirect(url_for("accounts.field_devices"))


@bp.route("/profile/phone", methods=["GET", "POST"])
@login_required
def confirm_phone():
    """Type back the code texted to the account's number: until then it may buy, not sell, file or
    be paid (accounts.codes)."""
    form = PhoneCodeForm()
    target = request.values.get("next", "")
    target = safe_next(target, url_for("accounts.profile"))
    if current_user.phone and not current_user.phone_confirmed and form.validate_on_submit():
        try:
            if request.form.get("send"):
                services.send_phone_confirmation(current_user)
                flash(_("We sent a new code to your phone."), "success")
                return redirect(url_for("accounts.confirm_phone", next=target))
            codes.redeem(current_user, codes.CONFIRM_PHONE, current_user, form.code.data or "")
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your phone number is confirmed."), "success")
            return redirect(target)
    return render_template("accounts/confirm_phone.html", form=form, next=target), (422 if form.errors else 200)


@bp.post("/agent/people/<int:person_id>/presence")
@role_required(Role.AGENT)
def agent_presence(person_id: int):
    """The person beside the agent proves it (a code texted to them, or their PIN); the agent may
    then act for them for a while (accounts.presence). Back to the page the agent came from."""
    person = services.get_user(person_id)
    if person is None:
        abort(404)
    target = request.form.get("next", "")
    target = safe_next(target, url_for("egov.agent_residents", person=person.id))
    form = PresenceForm()
    if form.validate_on_submit():
        try:
            if request.form.get("send"):
                presence.send_code(current_user, person)
                flash(_("A code was sent to their phone. Ask them to read it to you."), "success")
            elif form.pin.data:
                pins.confirm_presence(current_user, person, form.pin.data)
                flash(_("Thank you: you may act for them for the next %(minutes)d minutes.",
                        minutes=current_app.config["PRESENCE_MINUTES"]), "success")
            else:
                presence.confirm_with_code(current_user, person, form.code.data or "")
                flash(_("Thank you: you may act for them for the next %(minutes)d minutes.",
                        minutes=current_app.config["PRESENCE_MINUTES"]), "success")
        except DomainError as error:
            flash(str(error.message), "error")
    return redirect(target)


@bp.route("/farm", methods=["GET", "POST"])
@login_required
def farmer_profile():
    """Become a farmer (self-service) or edit the farm's details."""
    existing = current_user.farmer_profile
    form = FarmerProfileForm(obj=existing)
    if request.method == "GET":
        if existing is None:
            form.village_id.data = current_user.village_id
        _show_pickup_hours(form, existing)
    if form.validate_on_submit():
        hours = [(day, *(_minutes(f.data) for f in form.pickup_day(day))) for day in range(7)]
        try:
            services.become_farmer(current_user, form.farm_name.data, form.village_id.data, form.pickup_point.data,
                                   accepts_pay_on_pickup=form.accepts_pay_on_pickup.data, pickup_hours=hours)
        except InvalidInput as error:
            for name, message in error.errors.items():
                if name.startswith("pickup_hours-"):
                    form.pickup_day(int(name.rsplit("-", 1)[1]))[0].errors = [str(message)]
                else:
                    show_domain_error(form, DomainError(message, field=name))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            if existing is None:  # the next step of becoming a seller is the first listing
                flash(_("Your farm is saved. You can now sell produce."), "success")
                return redirect(url_for("catalog.new_listing"))
            flash(_("Your farm is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/farmer_profile.html", form=form, villages=services.village_choices(), existing=existing)


def _minutes(value: time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def _show_pickup_hours(form: FarmerProfileForm, profile) -> None:
    for window in (profile.pickup_windows if profile else []):
        opens, closes = form.pickup_day(window.weekday)
        opens.data = time(window.opens_minute // 60, window.opens_minute % 60)
        closes.data = time(window.closes_minute // 60, window.closes_minute % 60)


# --- admin ---------------------------------------------------------------------

@bp.get("/admin/users")
@role_required(Role.ADMIN)
def admin_users():
    query = request.args.get("q", "")
    return render_template("accounts/admin_users.html", users=services.search_users(current_user, query), query=query)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_user(user_id: int):
    person = services.get_user_for_admin(current_user, user_id)
    grant_form = GrantRoleForm(prefix="grant")
    grant_form.department.choices = [("", "—")] + [(d.code, d.name) for d in services.list_departments()]
    grant_form.district.choices = [("", "—")] + [(d.code, d.name) for d in services.list_districts()]
    if grant_form.validate_on_submit():
        try:
            services.grant_role(current_user, person, Role(grant_form.role.data), grant_form.reason.data,
                                grant_form.department.data or None, grant_form.district.data or None)
        except DomainError as error:
            show_domain_error(grant_form, error)
        else:
            flash(_("Role granted."), "success")
            return redirect(url_for("accounts.admin_user", user_id=person.id))
    return render_template("accounts/admin_user.html", person=person, grant_form=grant_form, revoke_form=RevokeRoleForm(prefix="revoke"),
                           sign_out_form=SignOutEverywhereForm(prefix="signout"))


@bp.post("/admin/users/<int:user_id>/sign-out")
@role_required(Role.ADMIN)
def admin_sign_out_everywhere(user_id: int):
    person = services.get_user_for_admin(current_user, user_id)
    form = SignOutEverywhereForm(prefix="signout")
    if not form.validate_on_submit():
        flash(_("Give a reason for signing this person out."), "error")
        return redirect(url_for("accounts.admin_user", user_id=person.id))
    services.sign_out_everywhere(current_user, person, form.reason.data)
    flash(_("%(name)s is signed out on every device.", name=isolate(person.name)), "success")
    return redirect(url_for("accounts.admin_user", user_id=person.id))


@bp.post("/admin/users/<int:user_id>/revoke")
@role_required(Role.ADMIN)
def admin_revoke_role(user_id: int):
    person = services.get_user_for_admin(current_user, user_id)
    form = RevokeRoleForm(prefix="revoke")
    if not form.validate_on_submit():
        flash(_("Give a reason for removing the role."), "error")
        return redirect(url_for("accounts.admin_user", user_id=person.id))
    try:
        services.revoke_role(current_user, person, Role(form.role.data), form.reason.data)
    except (DomainError, ValueError) as error:
        flash(str(getattr(error, "message", error)), "error")
    else:
        flash(_("Role removed."), "success")
    return redirect(url_for("accounts.admin_user", user_id=person.id))

