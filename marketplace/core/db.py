"""The declarative base shared by every domain's models.

The naming convention gives every constraint a stable name, so Alembic can
alter them on PostgreSQL and recreate them in SQLite's batch mode.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from marketplace.core.timeutils import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Every datetime column keeps its zone: times are stored in UTC (see core.timeutils).
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


def _channel() -> str:
    from marketplace.core.states import channel

    return channel()


class StatusHistoryMixin:
    """The one shape of an append-only history row: who moved a thing, when, from what, to what, why.
    Each domain's history table adds the column naming what moved (listing_id, order_id…)."""

    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system (expiry, CLI)
    # The part the actor played in the move ("farmer", "buyer", "official", "system"…), and how
    # they reached us ("web", "ussd", "sms", "api", "job": core.states.channel).
    actor_role: Mapped[str] = mapped_column(String(16), default="", server_default="")
    channel: Mapped[str] = mapped_column(String(8), default=_channel, server_default="")  # "": before it was recorded
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def string_enum(kind: type[enum.Enum], length: int = 16) -> Enum:
    """An enum stored as its value in a VARCHAR: adding a state needs no PostgreSQL type change."""
    return Enum(kind, native_enum=False, length=length, values_callable=lambda members: [m.value for m in members])
