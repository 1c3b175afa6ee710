"""PINs for basic phones: set by the person on the web or by an agent beside them; checked with a
lockout, so guessing four digits over USSD is not worth trying."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts import presence
from marketplace.accounts.models import PhonePin, PresenceCheck, Role, User
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.timeutils import as_utc, utcnow
from marketplace.extensions import db
from marketplace.notifications.api import notify_user

MAX_TRIES = 3
LOCKED_FOR = timedelta(minutes=30)
#: PINs nobody should choose: the first ones tried by anyone guessing.
TOO_EASY = {"0000", "1111", "1234", "2222", "3333", "4444", "5555", "6666", "7777", "8888", "9999", "4321", "1212"}


class PinLocked(DomainError):
    pass


def pin_of(user: User) -> PhonePin | None:
    return db.session.scalar(select(PhonePin).where(PhonePin.user_id == user.id))


def set_pin(actor: User, person: User, pin: str) -> PhonePin:
    """The person sets their own PIN, or an agent sets it with the person beside them (proved by a
    code to their phone, accounts.presence); either way the owner is told by SMS."""
    if actor.id != person.id:
        if not actor.has_role(Role.AGENT):
            raise PermissionDenied(_l("Only the person or a service-centre agent beside them can set a PIN."))
        presence.require_presence(actor, person)
    pin = pin.strip()
    if not re.fullmatch(r"[0-9]{4}", pin):  # ASCII digits: a phone keypad types no others
        raise DomainError(_l("The PIN is 4 digits."), field="pin")
    if pin in TOO_EASY:
        raise DomainError(_l("This PIN is too easy to guess. Choose another."), field="pin")
    row = pin_of(person) or PhonePin(user_id=person.id)
    row.pin_hash = generate_password_hash(pin, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))
    row.failed_attempts, row.locked_until, row.set_by_id = 0, None, actor.id
    db.session.add(row)
    by_agent = actor.name if actor.id != person.id else None
    notify_user(person, "security_pin_changed", lambda: (
        _("Your Village Square PIN was changed"),
        _("Your Village Square PIN for basic phones was changed by agent %(agent)s. If you were not with them, call the service centre.",
          agent=by_agent)
        if by_agent else _("Your Village Square PIN for basic phones was changed. If this was not you, call the service centre."),
    ))
    db.session.commit()
    return row


def has_pin(person: User) -> bool:
    return pin_of(person) is not None


def check_pin(person: User, pin: str) -> None:
    """Raise unless `pin` is the person's PIN; a wrong one counts, the third locks it."""
    row = pin_of(person)
    if row is None:
        raise DomainError(_l("Set a PIN first: on the website under My account, or with an agent."))
    now = utcnow()
    if row.locked_until is not None and as_utc(row.locked_until) > now:
        raise PinLocked(_l("Too many wrong PINs. Try again in 30 minutes."))
    if check_password_hash(row.pin_hash, pin.strip()):
        row.failed_attempts, row.locked_until = 0, None
        db.session.commit()
        return
    row.failed_attempts += 1
    if row.failed_attempts >= MAX_TRIES:
        row.failed_attempts, row.locked_until = 0, now + LOCKED_FOR
        db.session.commit()
        raise PinLocked(_l("Too many wrong PINs. Try again in 30 minutes."))
    db.session.commit()
    raise DomainError(_l("Wrong PIN."))


def confirm_presence(agent: User, person: User, pin: str) -> PresenceCheck:
    """The person beside an agent types their PIN on the agent's device to prove they are there
    (accounts.presence); wrong tries count towards the same lockout as on a basic phone."""
    if not agent.has_role(Role.AGENT):
        raise PermissionDenied(_l("Only a service-centre agent can look people up."))
    if agent.id == person.id:
        raise DomainError(_l("You do not need a code to act for yourself."), field="pin")
    try:
        check_pin(person, pin)
    except DomainError as error:
        error.field = "pin"  # shown on the PIN field; a lockout stays a PinLocked
        raise
    return presence.record_presence(agent, person, "pin")
