"""An agent acts for a person only while that person is with them.

An agent (a service-centre clerk) files applications, lists produce and sets basic-phone PINs
for people who cannot do it alone. None of that may happen on behalf of someone who is not
there: before it, the person proves they are present with a one-time code sent to their own
phone (accounts.codes; the agent types it back) or by typing their PIN on the agent's device
(accounts.pins.confirm_presence, which knows PINs and records the proof here).
The proof lasts PRESENCE_MINUTES and is recorded (PresenceCheck), so every act has who vouched
for it and how.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts import codes
from marketplace.accounts.models import PresenceCheck, Role, User
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class PresenceRequired(PermissionDenied):
    """The agent has not shown that the person is with them (or the proof has expired). Views let
    it through to the app's handler, which sends the agent to prove it (create_app)."""

    def __init__(self, message: object, person_id: int) -> None:
        super().__init__(message)
        self.person_id = person_id


def _lasts() -> timedelta:
    return timedelta(minutes=current_app.config["PRESENCE_MINUTES"])


def send_code(agent: User, person: User) -> None:
    """Text the person a code that lets this agent act for them once typed back."""
    require_role(agent, Role.AGENT)
    if agent.id == person.id:
        raise DomainError(_l("You do not need a code to act for yourself."), field="code")
    agent_name, minutes = agent.name, int(_lasts().total_seconds() // 60)
    codes.send(person, codes.PRESENCE, agent, lambda code: (
        _("Your Village Square code"),
        _("Village Square code %(code)s: give it to agent %(agent)s only if you are with them now. It lets them act for you for %(minutes)d minutes.",
          code=code, agent=agent_name, minutes=minutes),
    ))


def record_presence(agent: User, person: User, method: str) -> PresenceCheck:
    """The person proved they are with the agent (by `method`: "code", or "pin" from accounts.pins)."""
    now = utcnow()
    check = PresenceCheck(agent_id=agent.id, person_id=person.id, method=method, confirmed_at=now, expires_at=now + _lasts())
    db.session.add(check)
    db.session.commit()
    return check


def confirm_with_code(agent: User, person: User, code: str) -> PresenceCheck:
    require_role(agent, Role.AGENT)
    codes.redeem(person, codes.PRESENCE, agent, code)
    return record_presence(agent, person, "code")


def current_check(agent: User, person: User) -> PresenceCheck | None:
    return db.session.scalar(select(PresenceCheck).where(
        PresenceCheck.agent_id == agent.id, PresenceCheck.person_id == person.id,
        PresenceCheck.expires_at > utcnow()).order_by(PresenceCheck.id.desc()).limit(1))


def is_present(agent: User, person: User) -> bool:
    return agent.id == person.id or current_check(agent, person) is not None


def require_presence(agent: User, person: User) -> None:
    """Raise unless `person` proved, recently, that they are with `agent`."""
    if not is_present(agent, person):
        raise PresenceRequired(_l("The person must be with you: send them a code, or ask them to type their PIN."), person.id)
