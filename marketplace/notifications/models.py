from __future__ import annotations

import enum
from datetime import datetime
from typing import Protocol

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import string_enum
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class Channel(str, enum.Enum):
    SMS = "sms"
    EMAIL = "email"


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a delivery job; if it stays so past the lease, its worker died
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """A message to one recipient, written in their language before it is sent."""

    __tablename__ = "outbox_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "password_reset"
    channel: Mapped[Channel] = mapped_column(string_enum(Channel))
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    # A reset link, a one-time code: never shown to admins nor logged, and emptied once delivered.
    holds_secret: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    status: Mapped[OutboxStatus] = mapped_column(string_enum(OutboxStatus), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    claimed_at: Mapped[datetime | None] = mapped_column()  # when a delivery job took it
    # The gateway's id for what it accepted (Africa's Talking's messageId): proof that it went out.
    provider_message_id: Mapped[str] = mapped_column(String(64), default="", server_default="")


class OutboxRow(Protocol):
    """An outbox message as the UPDATE that moved it read it back (notifications.states): the row
    itself, read-only and outside the session. What a channel backend is handed to send."""

    id: int
    kind: str
    channel: Channel
    recipient: str
    locale: str
    subject: str
    body: str
    holds_secret: bool
    status: OutboxStatus
    attempts: int


class InboxMessage(db.Model):
    """The in-site copy of a notification, readable on the site in the language it was written in.

    Every message the outbox sends by SMS or email has one, so a person who lost the SMS
    finds it here; `read_at` is empty until they mark it read.
    """

    __tablename__ = "inbox_messages"
    __table_args__ = (Index("ix_inbox_messages_user_unread", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")  # a path on this site, e.g. /orders/K7P2QX
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()


class NotificationPreference(db.Model):
    """One person's choice for one topic on one channel; without a row the default applies."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "topic", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    enabled: Mapped[bool] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
