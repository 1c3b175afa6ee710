"""Accounts pages: thin, each parses a form, calls one service, renders or redirects."""
from __future__ import annotations

from datetime import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import pins, services
from marketplace.accounts.forms import (
    FarmerProfileForm, ForgotPasswordForm, GrantRoleForm, LoginForm, PinForm, ProfileForm, RegisterForm,
    ResetPasswordForm, RevokeRoleForm, language_choices,
)
from marketplace.accounts.models import Role
from marketplace.core.auth import role_required
from marketplace.core.errors import DomainError, InvalidInput, NotFound
from marketplace.core.views import is_safe_next, show_domain_error
from marketplace.extensions import limiter
from marketplace.i18n import requested_language

bp = Blueprint("accounts", __name__)


@bp.before_app_request
def save_language_choice():
    """A signed-in person who switches language keeps it on every device, and in SMS."""
    requested = requested_language()
    if requested and current_user.is_authenticated:
        services.set_preferred_locale(current_user, requested)


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _reset_limit() -> str:
    return current_app.config["RATELIMIT_RESET"]


def _post_only() -> bool:
    return request.method != "POST"


@bp.route("/register", methods=["GET", "POST"])
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
            login_user(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("accounts.profile"))
    return render_template("accounts/register.html", form=form, villages=services.village_choices())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, exempt_when=_post_only)
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
            login_user(user, remember=form.remember.data)
            flash(_("You are signed in."), "success")
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("public.home"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("public.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, exempt_when=_post_only)
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
            flash(_("Your farm is saved. You can now sell produce.") if existing is None else _("Your farm is saved."), "success")
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
    try:
        person = services.get_user_for_admin(current_user, user_id)
    except NotFound:
        abort(404)
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
    return render_template("accounts/admin_user.html", person=person, grant_form=grant_form, revoke_form=RevokeRoleForm(prefix="revoke"))


@bp.post("/admin/users/<int:user_id>/revoke")
@role_required(Role.ADMIN)
def admin_revoke_role(user_id: int):
    try:
        person = services.get_user_for_admin(current_user, user_id)
    except NotFound:
        abort(404)
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

