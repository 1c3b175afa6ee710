"""The site's inbox: a person reads what they were told, newest first, and marks it read."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.sql.selectable import ScalarSelect

from marketplace.core.errors import NotFound
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import InboxMessage

PAGE_SIZE = 20


@dataclass
class InboxPage:
    messages: list[InboxMessage]
    page: int
    has_next: bool


def inbox_page(user, page: int = 1) -> InboxPage:
    page = max(page, 1)
    rows = list(db.session.scalars(
        select(InboxMessage).where(InboxMessage.user_id == user.id)
        .order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc())
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ))
    return InboxPage(messages=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)


def unread_count(user) -> int:
    return db.session.scalar(select(unread_count_expression(user.id))) or 0


def unread_count_expression(user_id) -> ScalarSelect[int]:
    """The header's count of unread messages (core.header sends it with the others); `user_id` is an
    id or an SQL parameter."""
    return select(func.count()).select_from(InboxMessage).where(InboxMessage.user_id == user_id,
                                                                InboxMessage.read_at.is_(None)).scalar_subquery()


def mark_read(user, message_id: int) -> InboxMessage:
    message = db.session.get(InboxMessage, message_id)
    if message is None or message.user_id != user.id:
        # Someone else's message does not exist, as far as this person can tell.
        raise NotFound(_l("There is no such message."))
    if message.read_at is None:
        message.read_at = utcnow()
        db.session.commit()
    return message


def mark_all_read(user) -> int:
    result = db.session.execute(
        update(InboxMessage).where(InboxMessage.user_id == user.id, InboxMessage.read_at.is_(None)).values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount
