from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class UssdSession(db.Model):
    """Where a USSD caller is in the menus. The gateway resends every input of the session with
    each request; only the inputs not seen yet are applied, so an action or a PIN try never runs
    twice. Kept in the database so any app server can answer the next screen."""

    __tablename__ = "ussd_sessions"
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    consumed: Mapped[int] = mapped_column(default=0)  # how many inputs have been applied
    stack: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the screens, the current one last
    locale: Mapped[str] = mapped_column(String(12), default="en")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
