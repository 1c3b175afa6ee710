"""Queue a message in the recipient's language, then deliver what is pending."""
from __future__ import annotations

from typing import Callable, Optional, Protocol

from flask import current_app
from flask_babel import force_locale

from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.notifications.channels import get_backend
from marketplace.notifications.models import Channel, OutboxMessage, OutboxStatus


class Recipient(Protocol):
    """Anyone with an id, contact details and a language (accounts.User fulfils it)."""

    id: int
    phone: Optional[str]
    email: Optional[str]
    preferred_locale: str


def preferred_channel(user: Recipient) -> Optional[tuple[Channel, str]]:
    """SMS reaches more rural people than email, so a phone number wins."""
    if user.phone:
        return Channel.SMS, user.phone
    if user.email:
        return Channel.EMAIL, user.email
    return None


def notify_user(user: Recipient, kind: str, render: Callable[[], tuple[str, str]], channel: Channel | None = None) -> Optional[OutboxMessage]:
    """Queue a message to `user` and try to deliver it at once.

    `render()` returns (subject, body) and is called under the user's locale,
    so the text is written in their language whatever the sender's is.
    """
    if channel is None:
        target = preferred_channel(user)
    else:
        address = user.phone if channel is Channel.SMS else user.email
        target = (channel, address) if address else None
    if target is None:
        return None
    with force_locale(user.preferred_locale):
        subject, body = render()
        subject, body = str(subject), str(body)
    message = OutboxMessage(
        user_id=user.id, kind=kind, channel=target[0], recipient=target[1],
        locale=user.preferred_locale, subject=subject, body=body,
    )
    db.session.add(message)
    db.session.flush()
    deliver(message)
    return message


def deliver(message: OutboxMessage) -> None:
    """One delivery attempt; a failure is recorded on the row, never raised to the caller."""
    backend = get_backend(current_app.config["NOTIFICATION_CHANNEL_BACKEND"])
    message.attempts += 1
    try:
        backend.deliver(message)
    except Exception as exc:  # any backend failure must leave the message visible for a retry
        message.status = OutboxStatus.FAILED
        message.last_error = f"{type(exc).__name__}: {exc}"
        current_app.logger.warning("outbox message %s failed: %s", message.id, message.last_error)
    else:
        message.status = OutboxStatus.SENT
        message.sent_at = utcnow()
        message.last_error = ""


def recent_messages(limit: int = 50) -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
