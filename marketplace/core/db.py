"""The declarative base shared by every domain's models.

The naming convention gives every constraint a stable name, so Alembic can
alter them on PostgreSQL and recreate them in SQLite's batch mode.
"""
from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Enum, ForeignKey, Insert, MetaData, String, Table, insert, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, make_transient_to_detached, mapped_column, registry

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


def insert_loaded(session: Session, objects: Sequence[Any]) -> None:
    """Write new, never-added objects of one mapped class with one INSERT, instead of the session's
    flush: for a request's hottest writes (a checkout's orders, lines and history), where the flush
    spends more on ordering and tracking the rows than on writing them.

    Each object gets the key the INSERT returns. The caller gives each the keys it points to first
    (an order its checkout's id) and calls `keep_loaded` once all are written. What the objects left
    unset takes its column's default, read from the database the first time it is asked for (a
    creation time), as after a commit. Every object must set the same columns."""
    if not objects:
        return
    mapper = inspect(objects[0]).mapper
    keys = session.execute(_insert_returning_key(mapper.local_table), _new_row_values(objects)).all()
    key_props = [mapper.get_property_by_column(column).key for column in mapper.local_table.primary_key.columns]
    for obj, key in zip(objects, keys, strict=True):
        for name, value in zip(key_props, key, strict=True):
            setattr(obj, name, value)


def keep_loaded(session: Session, objects: Sequence[Any]) -> None:
    """Objects `insert_loaded` wrote, made part of `session` with nothing left to flush (SQLAlchemy's
    `make_transient_to_detached`, meant for this: persistent without a SELECT). All of them at once, as
    adding one adds those it points to: one not yet made detached would be written again."""
    for obj in objects:
        make_transient_to_detached(obj)
    session.add_all(objects)


@functools.cache
def _insert_returning_key(table: Table) -> Insert:
    return insert(table).returning(*table.primary_key.columns, sort_by_parameter_order=True)


def _new_row_values(objects: Sequence[Any]) -> list[dict[str, Any]]:
    rows = []
    for obj in objects:
        state = inspect(obj)
        if not state.transient:
            raise ValueError(f"{obj!r} is already in a session: its flush would write it again")
        rows.append({prop.columns[0].name: state.dict[prop.key] for prop in state.mapper.column_attrs if prop.key in state.dict})
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError("one INSERT writes the same columns for every row: set the same attributes on each object")
    return rows
