"""One-time codes texted to a person's phone, and what typing one back proves.

Two purposes share the mechanism: CONFIRM_PHONE (the person shows the number they registered is
theirs; until then the account may not sell, file or receive money) and PRESENCE (an agent shows
the person is beside them, accounts.presence). A code is 6 random digits, stored only as a hash,
valid CODE_VALID, tried at most MAX_TRIES times, used once; at most CODES_PER_HOUR are sent per
person and purpose, so nobody can flood a phone. Typing back any code sent to the number proves
the number, so it also confirms the phone.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts.models import OneTimeCode, User
from marketplace.core.errors import DomainError
from marketplace.core.timeutils import as_utc, utcnow
from marketplace.extensions import db
from marketplace.notifications.api import notify_user

CONFIRM_PHONE, PRESENCE = "confirm_phone", "presence"
CODE_VALID = timedelta(minutes=10)
MAX_TRIES = 5
CODES_PER_HOUR = 3


class PhoneNotConfirmed(DomainError):
    """The account's phone number has not been confirmed with a code yet."""


def send(person: User, purpose: str, requested_by: User, render: Callable[[str], tuple[str, str]]) -> OneTimeCode:
    """Text `person` a new code; `render(code)` writes the SMS (called in the person's language).
    The outbox marks it secret: no admin page or log shows it."""
    if not person.phone:
        raise DomainError(_l("There is no phone number to send a code to."), field="code")
    now = utcnow()
    recent = db.session.scalar(select(func.count()).select_from(OneTimeCode).where(
        OneTimeCode.user_id == person.id, OneTimeCode.purpose == purpose, OneTimeCode.created_at > now - timedelta(hours=1)))
    if recent >= CODES_PER_HOUR:
        raise DomainError(_l("Three codes were sent in the last hour. Wait a little before asking for another."), field="code")
    code = f"{secrets.randbelow(10**6):06d}"
    row = OneTimeCode(user_id=person.id, purpose=purpose, requested_by_id=requested_by.id, created_at=now,
                      expires_at=now + CODE_VALID,
                      code_hash=generate_password_hash(code, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")))
    db.session.add(row)
    notify_user(person, f"security_code_{purpose}", lambda: render(code), secret=True)
    db.session.commit()
    return row


def redeem(person: User, purpose: str, requested_by: User, typed: str) -> OneTimeCode:
    """Use the newest code sent to `person` for `purpose` at `requested_by`'s request; raise with a
    message for the code field when it is wrong, expired or tried too often."""
    now = utcnow()
    row = db.session.scalar(select(OneTimeCode).where(
        OneTimeCode.user_id == person.id, OneTimeCode.purpose == purpose, OneTimeCode.requested_by_id == requested_by.id,
        OneTimeCode.used_at.is_(None)).order_by(OneTimeCode.id.desc()).limit(1).with_for_update())
    if row is None or as_utc(row.expires_at) < now or row.attempts >= MAX_TRIES:
        raise DomainError(_l("This code has expired or was tried too often. Ask for a new one."), field="code")
    row.attempts += 1
    typed = (typed or "").strip()
    if not re.fullmatch(r"[0-9]{6}", typed) or not check_password_hash(row.code_hash, typed):
        db.session.commit()
        raise DomainError(_l("This is not the code that was sent. Check the SMS and try again."), field="code")
    row.used_at = now
    if person.phone_confirmed_at is None:
        person.phone_confirmed_at = now  # the code reached this number: it is the person's
    db.session.commit()
    return row


def require_confirmed_phone(person: User) -> None:
    """Selling, filing and receiving money need a confirmed phone (accounts without a phone, which
    signed up by email, have no number anyone could have taken and are not held up)."""
    if person.phone and person.phone_confirmed_at is None:
        raise PhoneNotConfirmed(_l("First confirm your phone number with the code we send to it (My account → Confirm my phone)."))
