"""Accounts rules: registration, sign-in, password reset, roles and profiles.

No request or template here: views pass in what the person typed and show
the DomainError messages raised back.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts import codes
from marketplace.accounts.models import (
    ADMIN_GRANTED_ROLES,
    Department,
    District,
    FarmerProfile,
    PickupWindow,
    ProducerVerification,
    Region,
    Role,
    RoleChange,
    RoleGrant,
    User,
    Village,
)
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from marketplace.core.phone import normalise_phone
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import external_url
from marketplace.extensions import db
from marketplace.notifications.api import notify_user

MIN_PASSWORD_LENGTH = 8
_RESET_SALT = "password-reset"


@dataclass
class Registration:
    name: str
    password: str
    preferred_locale: str
    village_id: int | None
    phone: str = ""
    email: str = ""


def _hash_password(password: str) -> str:
    # scrypt: memory-hard, and Werkzeug's default; no extra dependency to keep patched. The test
    # suite lowers its cost (PASSWORD_HASH_METHOD) so that hundreds of test users take seconds, not minutes.
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _l("Choose a password of at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password"
        )


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def get_village(village_id: int | None) -> Village | None:
    if village_id is None:
        return None
    village = db.session.get(Village, village_id)
    if village is None:
        raise DomainError(_l("Choose your village from the list."), field="village_id")
    return village


def register_user(data: Registration) -> User:
    """Create a person who can buy and use government services straight away."""
    name = data.name.strip()
    if not name:
        raise DomainError(_l("Tell us your name."), field="name")
    phone = normalise_phone(data.phone) if data.phone.strip() else None
    email = _normalise_email(data.email) if data.email.strip() else None
    if not phone and not email:
        raise DomainError(_l("Give a phone number or an email address so you can sign in."), field="phone")
    _check_password_strength(data.password)
    if data.preferred_locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose a language from the list."), field="preferred_locale")
    village = get_village(data.village_id)
    if phone and db.session.scalar(select(User.id).where(User.phone == phone)):
        raise DomainError(_l("An account with this phone number already exists. Try signing in."), field="phone")
    if email and db.session.scalar(select(User.id).where(User.email == email)):
        raise DomainError(_l("An account with this email already exists. Try signing in."), field="email")

    user = User(
        name=name, phone=phone, email=email, password_hash=_hash_password(data.password),
        preferred_locale=data.preferred_locale, village=village,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # The same phone or email registered by another request between our check and our insert
        # (a double tap, a scanner's parallel posts): the same answer as the check's, not a 500.
        db.session.rollback()
        if phone and db.session.scalar(select(User.id).where(User.phone == phone)):
            raise DomainError(_l("An account with this phone number already exists. Try signing in."), field="phone") from None
        raise DomainError(_l("An account with this email already exists. Try signing in."), field="email") from None
    for role in (Role.BUYER, Role.RESIDENT):
        _add_grant(user, role, actor=user, reason="registration")
    db.session.commit()
    return user


def find_user_by_identifier(identifier: str) -> User | None:
    """An identifier with an @ is an email; anything else is read as a phone number."""
    identifier = identifier.strip()
    if not identifier:
        return None
    if "@" in identifier:
        return db.session.scalar(select(User).where(User.email == _normalise_email(identifier)))
    try:
        phone = normalise_phone(identifier)
    except DomainError:
        return None
    return db.session.scalar(select(User).where(User.phone == phone))


def identifier_key(identifier: str) -> str:
    """One spelling per account for limits: E.164 for a phone, lower case for an email, else the text."""
    identifier = (identifier or "").strip()[:254]
    if "@" in identifier:
        return _normalise_email(identifier)
    try:
        return normalise_phone(identifier)
    except DomainError:
        return identifier.lower()


_unknown_account_hash: dict[str, str] = {}


def _hash_for_unknown_accounts() -> str:
    """A hash of nothing, at the configured cost: checking a password against it for an unknown
    account takes as long as for a real one, so timing does not tell who is registered."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _unknown_account_hash:
        _unknown_account_hash[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _unknown_account_hash[method]


def authenticate(identifier: str, password: str) -> User:
    user = find_user_by_identifier(identifier)
    # The same message, and the same work, whether the account exists or not, so sign-in does not
    # reveal who is registered.
    if user is None:
        check_password_hash(_hash_for_unknown_accounts(), password)
        raise DomainError(_l("The phone number, email or password is not right."))
    if not check_password_hash(user.password_hash, password):
        raise DomainError(_l("The phone number, email or password is not right."))
    if not user.active:
        raise DomainError(_l("This account has been closed. Contact the service centre."))
    return user


# --- password reset -----------------------------------------------------------

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"uid": user.id, "pw": _password_fingerprint(user)})


def request_password_reset(identifier: str) -> None:
    """Send a reset link if the account exists; say nothing either way (no account probing)."""
    user = find_user_by_identifier(identifier)
    if user is None or not user.active:
        return
    link = external_url("accounts.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    notify_user(
        user, "password_reset",
        lambda: (
            _("Reset your Village Square password"),
            _("Open this link within %(minutes)d minutes to choose a new password: %(link)s", minutes=minutes, link=link),
        ),
        secret=True,
    )
    db.session.commit()


def user_for_reset_token(token: str) -> User:
    try:
        payload = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise DomainError(_l("This reset link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise DomainError(_l("This reset link is not valid. Ask for a new one.")) from None
    user = db.session.get(User, payload.get("uid"))
    if user is None or payload.get("pw") != _password_fingerprint(user):
        raise DomainError(_l("This reset link has already been used. Ask for a new one."))
    return user


def reset_password(token: str, new_password: str) -> User:
    """A new password ends every session and remember-me cookie of the account: whoever knew the
    old one, or copied a cookie, is out."""
    user = user_for_reset_token(token)
    _check_password_strength(new_password)
    user.password_hash = _hash_password(new_password)
    end_sessions(user)
    db.session.commit()
    return user


# --- phone confirmation ----------------------------------------------------------

def send_phone_confirmation(user: User) -> None:
    """Text the person a code that proves the number they registered is theirs."""
    codes.send(user, codes.CONFIRM_PHONE, user, lambda code: (
        _("Confirm your phone for Village Square"),
        _("Village Square code %(code)s: type it on the site to confirm this is your phone. Do not give it to anyone.", code=code),
    ))


def get_user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id else None


# --- sessions -------------------------------------------------------------------

def end_sessions(user: User) -> None:
    """Every session and remember-me cookie of `user`, on every device, stops opening anything
    (they carry User.get_id(), which includes this generation). The caller commits."""
    user.session_generation = User.session_generation + 1  # in SQL: two ends at once both count
    db.session.flush()
    db.session.refresh(user, ["session_generation"])


def sign_out(user: User) -> None:
    """Signing out ends the person's sessions everywhere, so a cookie copied earlier is useless."""
    end_sessions(user)
    db.session.commit()


def sign_out_everywhere(actor: User, user: User, reason: str) -> None:
    """An admin ends every session of someone (a lost phone, a shared computer), with a reason."""
    require_role(actor, Role.ADMIN)
    if not reason.strip():
        raise DomainError(_l("Give a reason for signing this person out."), field="reason")
    end_sessions(user)
    db.session.commit()
    current_app.logger.info("user %s signed out everywhere by admin %s: %s", user.id, actor.id, reason.strip()[:255])


# --- profile ------------------------------------------------------------------

def update_profile(user: User, name: str, preferred_locale: str, village_id: int | None) -> User:
    if not name.strip():
        raise DomainError(_l("Tell us your name."), field="name")
    if preferred_locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose a language from the list."), field="preferred_locale")
    user.name = name.strip()
    user.preferred_locale = preferred_locale
    user.village = get_village(village_id)
    db.session.commit()
    return user


def set_preferred_locale(user: User, locale: str) -> None:
    if locale in current_app.config["LANGUAGES"] and user.preferred_locale != locale:
        user.preferred_locale = locale
        db.session.commit()


def become_farmer(user: User, farm_name: str, village_id: int | None, pickup_point: str, *,
                  accepts_pay_on_pickup: bool = True,
                  pickup_hours: list[tuple[int, int | None, int | None]] | None = None) -> FarmerProfile:
    """Self-service: anyone signed in may start selling; editing uses the same rule.

    `pickup_hours` lists (weekday, opens_minute, closes_minute); a day with neither time is closed."""
    if not farm_name.strip():
        raise DomainError(_l("Give your farm a name buyers will recognise."), field="farm_name")
    village = get_village(village_id)
    if village is None:
        raise DomainError(_l("Choose the village where your farm is."), field="village_id")
    if not pickup_point.strip():
        raise DomainError(_l("Say where buyers collect their produce, e.g. 'Gate of the primary school'."), field="pickup_point")
    windows = _pickup_windows(pickup_hours or [])
    profile = user.farmer_profile or FarmerProfile(user=user)
    profile.farm_name = farm_name.strip()
    profile.village = village
    profile.pickup_point = pickup_point.strip()
    profile.accepts_pay_on_pickup = accepts_pay_on_pickup
    if pickup_hours is not None:
        profile.pickup_windows = windows
    db.session.add(profile)
    if not user.has_role(Role.FARMER):
        _add_grant(user, Role.FARMER, actor=user, reason="self-service")
    db.session.commit()
    return profile


def _pickup_windows(hours: list[tuple[int, int | None, int | None]]) -> list[PickupWindow]:
    errors: dict[str, object] = {}
    windows = []
    for weekday, opens, closes in hours:
        if opens is None and closes is None:
            continue
        if opens is None or closes is None:
            errors[f"pickup_hours-{weekday}"] = _l("Give both the opening and the closing time, or neither.")
        elif closes <= opens:
            errors[f"pickup_hours-{weekday}"] = _l("The closing time must be after the opening time.")
        else:
            windows.append(PickupWindow(weekday=weekday, opens_minute=opens, closes_minute=closes))
    if errors:
        raise InvalidInput(errors)
    return windows


# --- verified producers (granted by a department's decision, see egov.review) ---------------

def verify_producer(farmer: User, department: Department, reference: str) -> ProducerVerification | None:
    """Record that `department` verified the farmer (once per approved application). None when the
    applicant has no farm to verify."""
    if farmer.farmer_profile is None:
        return None
    existing = db.session.scalar(select(ProducerVerification).where(ProducerVerification.reference == reference))
    if existing is not None:
        return existing
    verification = ProducerVerification(farmer_id=farmer.id, department_id=department.id, reference=reference)
    db.session.add(verification)
    db.session.flush()
    return verification


def revoke_producer_verification(actor: User, verification: ProducerVerification, reason: str) -> ProducerVerification:
    """Only an official of the department that verified may revoke, and says why."""
    require_role(actor, Role.OFFICIAL)
    if actor.department_id != verification.department_id:
        raise PermissionDenied(_l("Only an official of the department that verified can revoke it."))
    if not reason.strip():
        raise DomainError(_l("Give the reason for revoking."), field="reason")
    if verification.revoked_at is None:
        verification.revoked_at, verification.revoked_by_id, verification.revoke_reason = utcnow(), actor.id, reason.strip()[:500]
    return verification


def verification_for(reference: str) -> ProducerVerification | None:
    return db.session.scalar(select(ProducerVerification).where(ProducerVerification.reference == reference))


def revoked_verifications() -> dict[str, datetime]:
    """Reference of the application that gave it -> when it was revoked, for every revoked verification."""
    rows = db.session.execute(select(ProducerVerification.reference, ProducerVerification.revoked_at)
                              .where(ProducerVerification.revoked_at.is_not(None)))
    return {reference: revoked_at for reference, revoked_at in rows}


# --- roles granted by admins ----------------------------------------------------

def _add_grant(user: User, role: Role, actor: User | None, reason: str, department: Department | None = None) -> RoleGrant:
    grant = RoleGrant(user=user, role=role, granted_by=actor, reason=reason, department=department)
    db.session.add(grant)
    db.session.add(RoleChange(
        user_id=user.id, role=role.value, action="grant", actor_id=actor.id if actor else None,
        reason=reason, department_id=department.id if department else None,
    ))
    return grant


def grant_role(actor: User | None, user: User, role: Role, reason: str = "", department_code: str | None = None,
               district_code: str | None = None) -> RoleGrant:
    """Grant agent, official or admin. `actor` None means the command line (a trusted operator)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    if role not in ADMIN_GRANTED_ROLES:
        raise DomainError(_l("This role is taken by people themselves, not granted."))
    department = None
    if role is Role.OFFICIAL:
        if not department_code:
            raise DomainError(_l("An official must belong to a department."), field="department")
        department = db.session.scalar(select(Department).where(Department.code == department_code.upper()))
        if department is None:
            raise DomainError(_l("There is no department with this code."), field="department")
    district = None
    if role is Role.OFFICIAL and district_code:
        district = db.session.scalar(select(District).where(District.code == district_code.upper()))
        if district is None:
            raise DomainError(_l("There is no district with this code."), field="district")
    existing = next((g for g in user.role_grants if g.role is role), None)
    if existing is not None:
        if role is Role.OFFICIAL and existing.department_id != department.id:
            raise DomainError(_l("This person is already an official of another department. Revoke that first."))
        return existing
    grant = _add_grant(user, role, actor, reason, department)
    grant.district_id = district.id if district else None
    db.session.commit()
    return grant


def revoke_role(actor: User | None, user: User, role: Role, reason: str = "") -> None:
    if actor is not None:
        require_role(actor, Role.ADMIN)
        if actor.id == user.id and role is Role.ADMIN:
            raise DomainError(_l("You cannot remove your own admin role; ask another admin."))
    if role not in ADMIN_GRANTED_ROLES:
        raise DomainError(_l("This role is taken by people themselves, not granted."))
    grant = next((g for g in user.role_grants if g.role is role), None)
    if grant is None:
        return
    user.role_grants.remove(grant)
    db.session.add(RoleChange(
        user_id=user.id, role=role.value, action="revoke", actor_id=actor.id if actor else None,
        reason=reason, department_id=grant.department_id,
    ))
    db.session.commit()


def search_users(actor: User, query: str, limit: int = 50) -> list[User]:
    require_role(actor, Role.ADMIN)
    stmt = select(User).order_by(User.id.desc()).limit(limit)
    query = query.strip()
    if query:
        pattern = f"%{query.lower()}%"
        stmt = stmt.where(db.or_(db.func.lower(User.name).like(pattern), User.phone.like(f"%{query}%"), User.email.like(pattern)))
    return list(db.session.scalars(stmt))


def get_user_for_admin(actor: User, user_id: int) -> User:
    require_role(actor, Role.ADMIN)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such person."))
    return user


def list_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def list_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))


def get_district(district_id: int) -> District | None:
    return db.session.get(District, district_id)


def village_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Villages grouped as (\"Region — District\", [(id, village)]) for one no-JavaScript picker."""
    regions = db.session.scalars(
        select(Region).order_by(Region.name).options(selectinload(Region.districts).selectinload(District.villages))
    )
    return [
        (f"{region.name} — {district.name}", [(v.id, v.name) for v in district.villages])
        for region in regions for district in region.districts
    ]
