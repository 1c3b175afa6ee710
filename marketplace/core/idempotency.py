"""One submission of a form makes at most one thing, however often it arrives.

A form that creates something (a checkout, a listing, a report, a payout) carries a key issued with
the form (`new_key`; Flask-WTF forms get it from `OnceForm`). The service claims the key inside its
own transaction before creating anything: a unique constraint on (actor, kind, key) lets one
transaction through; a second tab, a double tap or a retried POST waits for the first to commit,
then finds its result and shows that instead of making another. A submission without a key (the
USSD channel, tests of the rules) is not guarded this way.
"""
from __future__ import annotations

import functools
import re
import secrets
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Insert, Select, String, UniqueConstraint, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import Base
from marketplace.core.errors import DomainError
from marketplace.core.timeutils import utcnow

_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _session() -> Any:
    """The app's scoped session (core sits below extensions.py, as in core.jobs)."""
    return current_app.extensions["sqlalchemy"].session


class FormSubmission(Base):
    """A form's key, once used: what it made (`result`: a reference or id the owner domain reads)."""

    __tablename__ = "form_submissions"
    __table_args__ = (UniqueConstraint("actor_id", "kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def new_key() -> str:
    return secrets.token_urlsafe(24)


def usable(key: str | None) -> bool:
    return key is not None and bool(_KEY.fullmatch(key))


def earlier_result(actor_id: int, kind: str, key: str | None) -> str | None:
    """What this form's earlier submission made, if it was submitted (and committed) before."""
    if not usable(key):
        return None
    result: str | None = _session().scalar(_result_of(), {"actor_id": actor_id, "kind": kind, "key": key})
    return result


@functools.cache
def _key_claimed() -> Insert:
    return insert(FormSubmission).values(actor_id=bindparam("actor_id"), kind=bindparam("kind"), key=bindparam("key"),
                                         result=bindparam("result"), created_at=bindparam("created_at"))


@functools.cache
def _result_of() -> Select[str]:
    return select(FormSubmission.result).where(FormSubmission.actor_id == bindparam("actor_id"),
                                               FormSubmission.kind == bindparam("kind"), FormSubmission.key == bindparam("key"))


def claim(actor_id: int, kind: str, key: str | None, *, result: object = "", look_first: bool = True) -> str | None:
    """Call first in the transaction that creates the thing. None: go on and create it (then call
    `done`, unless `result` said already what it will be: a reference chosen before). A string: this
    form was already handled, here is what it made; the transaction was rolled back and nothing must
    be created. Raises DomainError when the other submission holds the key but has not finished.
    `look_first=False` goes straight to the insert, for a form sent again rarely: a repeat then meets
    the unique constraint, and the rollback that follows costs less than a look on every sending."""
    if not usable(key):
        return None
    found = earlier_result(actor_id, kind, key) if look_first else None
    if found is not None:
        return found
    try:
        # One INSERT, not an object for the session to flush: a concurrent submission of the same
        # form waits here until the first commits.
        _session().execute(_key_claimed(), {"actor_id": actor_id, "kind": kind, "key": key, "result": str(result)[:64],
                                            "created_at": utcnow()})
    except IntegrityError:
        _session().rollback()
        found = earlier_result(actor_id, kind, key)
        if not found:  # the other submission is not committed yet: never create a second one meanwhile
            raise DomainError(_l("This form is being sent already. Wait a moment, then look at what it made.")) from None
        return found
    return None


def done(actor_id: int, kind: str, key: str | None, result: object) -> None:
    """Record what the claimed submission made; committed with it."""
    if not usable(key):
        return
    _session().execute(update(FormSubmission).where(
        FormSubmission.actor_id == actor_id, FormSubmission.kind == kind, FormSubmission.key == key).values(result=str(result)[:64]))
