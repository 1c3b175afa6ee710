"""Queue a message in the recipient's language, then deliver what is pending."""
from __future__ import annotations

from typing import Callable, Optional, Protocol

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.notifications import preferences
from marketplace.notifications.channels import get_backend
from marketplace.notifications.models import Channel, InboxMessage, OutboxMessage, OutboxStatus


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


def notify_user(user: Recipient, kind: str, render: Callable[[], tuple[str, str]], channel: Channel | None = None,
                link: str = "") -> Optional[OutboxMessage]:
    """Tell `user` something: by SMS and/or email as their preferences say, and in the site's inbox.

    `render()` returns (subject, body) and is called under the user's locale, so the
    text is written in their language whatever the sender's is. `link` is a path on
    this site the inbox entry points to. Security messages ignore preferences and go to
    `channel` (or the preferred channel); their inbox copy says where the secret went
    without repeating it. Returns the first outbox message queued, if any.
    """
    topic = preferences.topic_for(kind)
    wanted = set() if topic == preferences.SECURITY else preferences.channels_for(user, topic)
    with force_locale(user.preferred_locale):
        subject, body = render()
        subject, body = str(subject), str(body)
        targets = _targets(user, topic, wanted, channel)
        inbox_body = body if topic != preferences.SECURITY else (
            str(_("This message was sent to %(address)s only, because it holds a one-time secret.",
                  address=", ".join(address for _channel, address in targets))) if targets else "")
    queued = []
    for target_channel, address in targets:
        message = OutboxMessage(
            user_id=user.id, kind=kind, channel=target_channel, recipient=address,
            locale=user.preferred_locale, subject=subject, body=body,
        )
        db.session.add(message)
        queued.append(message)
    wants_inbox = preferences.INSITE in wanted
    if wants_inbox or (queued and inbox_body):
        # What went by SMS or email is always readable here too; it only counts as new if asked for.
        db.session.add(InboxMessage(
            user_id=user.id, kind=kind, topic=topic, locale=user.preferred_locale, subject=subject,
            body=inbox_body, link=link, read_at=None if wants_inbox or topic == preferences.SECURITY else utcnow(),
        ))
    db.session.flush()
    for message in queued:
        deliver(message)
    return queued[0] if queued else None


def _targets(user: Recipient, topic: str, wanted: set[str], channel: Channel | None) -> list[tuple[Channel, str]]:
    if topic == preferences.SECURITY:
        if channel is None:
            target = preferred_channel(user)
        else:
            address = user.phone if channel is Channel.SMS else user.email
            target = (channel, address) if address else None
        return [target] if target else []
    targets = []
    if preferences.SMS in wanted and user.phone:
        targets.append((Channel.SMS, user.phone))
    if preferences.EMAIL in wanted and user.email:
        targets.append((Channel.EMAIL, user.email))
    return targets


def send_to_number(phone: str, locale: str, kind: str, body: str) -> OutboxMessage:
    """An SMS to a number that may belong to nobody registered (an answer to their SMS or USSD
    request); written to the outbox like every other message, so it is retried and visible."""
    message = OutboxMessage(user_id=None, kind=kind, channel=Channel.SMS, recipient=phone, locale=locale, body=body)
    db.session.add(message)
    db.session.flush()
    deliver(message)
    return message


def deliver(message: OutboxMessage) -> None:
    """One delivery attempt; a failure is recorded on the row, never raised to the caller."""
    # SMS may go through their own gateway (NOTIFICATION_SMS_BACKEND); everything else, and SMS
    # when it is not set, through NOTIFICATION_CHANNEL_BACKEND.
    name = current_app.config.get("NOTIFICATION_SMS_BACKEND") if message.channel is Channel.SMS else None
    backend = get_backend(name or current_app.config["NOTIFICATION_CHANNEL_BACKEND"])
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
