"""Queue a message in the recipient's language; a job delivers it once the transaction commits."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from marketplace.core.auth import Actor, require_role
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.jobs import IdOf, RetryLater, enqueue
from marketplace.core.timeutils import as_utc, utcnow
from marketplace.extensions import db
from marketplace.notifications import preferences, states
from marketplace.notifications.channels import get_backend
from marketplace.notifications.models import Channel, InboxMessage, OutboxMessage, OutboxRow, OutboxStatus


class Recipient(Protocol):
    """Anyone with an id, contact details and a language (accounts.User fulfils it)."""

    id: int
    phone: str | None
    email: str | None
    preferred_locale: str


def preferred_channel(user: Recipient) -> tuple[Channel, str] | None:
    """SMS reaches more rural people than email, so a phone number wins."""
    if user.phone:
        return Channel.SMS, user.phone
    if user.email:
        return Channel.EMAIL, user.email
    return None


def notify_user(user: Recipient, kind: str, render: Callable[[], tuple[str, str]], channel: Channel | None = None,
                link: str = "", secret: bool = False) -> int | None:
    """Tell `user` something: by SMS and/or email as their preferences say, and in the site's inbox.

    `render()` returns (subject, body) and is called under the user's locale, so the
    text is written in their language whatever the sender's is. `link` is a path on
    this site the inbox entry points to. Security messages ignore preferences and go to
    `channel` (or the preferred channel); their inbox copy says where the secret went
    without repeating it. `secret` (a reset link, a one-time code) keeps the text from every admin
    page and log, and empties it once delivered. Returns the id of the first outbox message queued, if any.
    """
    return notify_all([Notice(user, kind, render, channel=channel, link=link, secret=secret)])[0]


@dataclass(frozen=True)
class Notice:
    """One person to tell one thing (the arguments of `notify_user`)."""

    user: Recipient
    kind: str
    render: Callable[[], tuple[str, str]]
    channel: Channel | None = None
    link: str = ""
    secret: bool = False


def notify_all(notices: Sequence[Notice]) -> list[int | None]:
    """Tell several people at once what one event means to each (an order: its farmer and its buyer),
    as `notify_user` does for one: their preferences are read by one query, and their messages and
    inbox entries written by one INSERT each. Returns, for each notice, the id of the first outbox
    message queued, if any."""
    topics = [preferences.topic_for(notice.kind) for notice in notices]
    # Preferences are committed when saved, never left pending: their read need not first write what
    # this transaction has added (a checkout's orders and messages are written in one flush, at commit).
    with db.session.no_autoflush:
        wanted_by_notice = preferences.channels_for_all(
            [(notice.user, topic) for notice, topic in zip(notices, topics, strict=True) if topic != preferences.SECURITY])
    outbox_rows: list[dict] = []
    queued_by_notice: list[int] = []
    inbox_entries = []
    for notice, topic in zip(notices, topics, strict=True):
        user = notice.user
        wanted = set() if topic == preferences.SECURITY else wanted_by_notice.pop(0)
        with force_locale(user.preferred_locale):
            subject, body = notice.render()
            subject, body = str(subject), str(body)
            targets = _targets(user, topic, wanted, notice.channel)
            inbox_body = body if topic != preferences.SECURITY else (
                str(_("This message was sent to %(address)s only, because it holds a one-time secret.",
                      address=", ".join(address for _channel, address in targets))) if targets else "")
        outbox_rows.extend({"user_id": user.id, "kind": notice.kind, "channel": target_channel, "recipient": address,
                            "locale": user.preferred_locale, "subject": subject, "body": body, "holds_secret": notice.secret}
                           for target_channel, address in targets)
        queued_by_notice.append(len(targets))
        wants_inbox = preferences.INSITE in wanted
        if wants_inbox or (targets and inbox_body):
            # What went by SMS or email is always readable here too; it only counts as new if asked for.
            inbox_entries.append({
                "user_id": user.id, "kind": notice.kind, "topic": topic, "locale": user.preferred_locale, "subject": subject,
                "body": inbox_body, "link": notice.link,
                "read_at": None if wants_inbox or topic == preferences.SECURITY else utcnow(),
            })
    # Written at once by the tables' own INSERTs, as nothing in this transaction reads them back: no
    # ORM objects to build and flush (that cost a checkout a tenth of its time each). Without a flush
    # first: a row needs only its person's, and what the transaction has added is written at its commit.
    with db.session.no_autoflush:
        message_ids = list(db.session.scalars(_OUTBOX_MESSAGES, outbox_rows)) if outbox_rows else []
        if inbox_entries:
            db.session.execute(_INBOX_ENTRY, inbox_entries)
    for message_id in message_ids:
        enqueue(DELIVER_JOB, message_id)
    firsts: list[int | None] = []
    position = 0
    for count in queued_by_notice:
        firsts.append(message_ids[position] if count else None)
        position += count
    return firsts


_INBOX_ENTRY = insert(InboxMessage.__table__)
_OUTBOX_MESSAGES = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id, sort_by_parameter_order=True)


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
    enqueue(DELIVER_JOB, IdOf(message))
    return message


DELIVER_JOB = "notifications.deliver"
#: At most this many messages one delivery job claims at once (a sweep may find hundreds).
DELIVER_BATCH = 20


def deliver_job(*message_ids: int) -> None:
    """Send each outbox message at most once, however often this job runs.

    The messages are claimed by one conditional UPDATE (pending or failed → sending) committed
    before the gateway is called, so of two jobs for one message only one sends. A worker killed
    before the claim leaves the messages pending and RQ's retry sends them; one killed after handing
    a message to the gateway leaves it "sending": it may have arrived, so no job sends it again, and
    it shows as interrupted on /admin/outbox, where a person can send it again. Each message is then
    sent and marked on its own: one refused holds back none of the others, and the job ends asking
    for a retry, which claims only what is still unsent.
    """
    # The claim's own UPDATE reads the messages back: nothing else is read to send them.
    claimed = states.transition_all(message_ids, OutboxStatus.SENDING, claimed_at=utcnow(), count_attempt=True)
    db.session.commit()
    refused = [error for message in claimed if (error := _send(message))]
    if refused:
        raise RetryLater("; ".join(refused))


def _send(message: OutboxRow) -> str:
    """Hand one claimed message to its gateway and record how it went; the error, or "" when sent."""
    # SMS may go through their own gateway (NOTIFICATION_SMS_BACKEND); everything else, and SMS
    # when it is not set, through NOTIFICATION_CHANNEL_BACKEND.
    name = current_app.config.get("NOTIFICATION_SMS_BACKEND") if message.channel is Channel.SMS else None
    try:
        provider_id = get_backend(name or current_app.config["NOTIFICATION_CHANNEL_BACKEND"]).deliver(message)
    except Exception as exc:  # any backend failure must leave the message visible and retryable
        last_error = f"{type(exc).__name__}: {exc}"[:2000]
        failed = states.transition(message.id, OutboxStatus.FAILED, last_error=last_error)
        db.session.commit()
        current_app.logger.warning("outbox message %s failed (attempt %s): %s", message.id,
                                   failed.attempts if failed else message.attempts, last_error)
        return last_error
    # delivered: a secret now lives only on the person's phone or in their mailbox, not in our body column
    states.transition(message.id, OutboxStatus.SENT, sent_at=utcnow(), provider_message_id=str(provider_id or "")[:64],
                      **({"body": ""} if message.holds_secret else {}))
    db.session.commit()  # last_error stays: the history of a message sent at the second try
    return ""


def interrupted(message: OutboxMessage) -> bool:
    """Claimed longer ago than the lease and never finished: its worker died while sending."""
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    return (message.status is OutboxStatus.SENDING and message.claimed_at is not None
            and as_utc(message.claimed_at) < utcnow() - lease)


ADMIN = "admin"  # accounts' Role.ADMIN, named by value: notifications sit below accounts


class MayHaveArrived(DomainError):
    """An interrupted message was perhaps delivered: sending it again may send it twice."""


def retry(actor: Actor, message_id: int, *, checked_with_recipient: bool = False) -> OutboxMessage:
    """An admin sends a failed or interrupted message again (recorded on the row's error line).

    An interrupted message was handed to the gateway by a worker that died before it heard back: it
    may have arrived. It is sent again only when the admin says they checked with the recipient, and
    never when the gateway's id shows it was accepted."""
    require_role(actor, ADMIN)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_l("This message does not exist."))
    if not (message.status is OutboxStatus.FAILED or interrupted(message)):
        raise DomainError(_l("Only a failed or interrupted message can be sent again."))
    if message.provider_message_id:
        raise DomainError(_l("The gateway accepted this message (its id is recorded): it is not sent again."))
    if interrupted(message) and not checked_with_recipient:
        raise MayHaveArrived(_l("This message may have arrived. Ask the recipient first; send it again only if it did not."))
    note = f"{message.last_error} [sent again by user {actor.id} at {utcnow():%Y-%m-%d %H:%M} UTC]".strip()[:2000]
    if not states.transition(message.id, OutboxStatus.PENDING, party=states.ADMIN, last_error=note):
        raise DomainError(_l("Only a failed or interrupted message can be sent again."))  # a job moved it meanwhile
    enqueue(DELIVER_JOB, message.id)
    db.session.commit()
    return db.session.get(OutboxMessage, message.id, populate_existing=True)


def sweep(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Queue again the messages that have waited too long (their job was lost, e.g. Redis was down
    when the request committed). Safe to run often: delivery claims each message once."""
    cutoff = utcnow() - older_than
    ids = list(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.created_at < cutoff)))
    for message_id in ids:
        enqueue(DELIVER_JOB, message_id)
    db.session.commit()
    return len(ids)


def recent_messages(limit: int = 50, problems_only: bool = False) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if problems_only:
        query = query.where(OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.SENDING]))
    return list(db.session.scalars(query))
