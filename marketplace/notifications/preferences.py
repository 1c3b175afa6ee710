"""Who wants to hear about what, and how: preferences per topic and channel.

Kinds of message (``order_ready``, ``application_decided``…) belong to a few topics a
person can understand and choose from. Without a saved choice the defaults apply:
orders, applications, listings and reports arrive in the site's inbox and by SMS (by email
only for people without a phone, as before preferences existed); marketing arrives
nowhere until the person turns it on. Security messages (a password reset) are not
a choice: they go to the phone or email whatever the preferences say, because the
person asked for them and cannot sign in without them.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, select

from marketplace.extensions import db
from marketplace.notifications.models import NotificationPreference

SMS, EMAIL, INSITE = "sms", "email", "insite"
CHANNELS = (SMS, EMAIL, INSITE)

ORDERS, APPLICATIONS, LISTINGS, REPORTS, MARKETING, SECURITY = (
    "orders", "applications", "listings", "reports", "marketing", "security")
#: The topics a person chooses for, in the order the preferences page shows them.
CHOOSABLE_TOPICS = (ORDERS, APPLICATIONS, LISTINGS, REPORTS, MARKETING)

_TOPIC_OF_PREFIX = {
    "order_": ORDERS, "payment_": ORDERS, "payout_": ORDERS,
    "application_": APPLICATIONS,
    "listing_": LISTINGS,
    "report_": REPORTS,
    "marketing_": MARKETING,
    "password_": SECURITY, "security_": SECURITY,
    # An answer to an SMS or USSD request goes back to the phone that asked, whatever the preferences.
    "reply_": SECURITY,
}


def topic_for(kind: str) -> str:
    for prefix, topic in _TOPIC_OF_PREFIX.items():
        if kind.startswith(prefix):
            return topic
    # A new kind must be given a topic here, or nobody could turn it off.
    raise LookupError(f"notification kind {kind!r} has no topic; add its prefix to preferences._TOPIC_OF_PREFIX")


def default_enabled(user, topic: str, channel: str) -> bool:
    if topic == MARKETING:
        return False
    if channel == EMAIL:
        return not user.phone  # SMS reaches more rural people; email stands in when there is no phone
    return True


def choices(user) -> dict[tuple[str, str], bool]:
    """Every (topic, channel) the person can choose, with what applies now."""
    saved = {
        (row.topic, row.channel): row.enabled
        for row in db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    }
    return {
        (topic, channel): saved.get((topic, channel), default_enabled(user, topic, channel))
        for topic in CHOOSABLE_TOPICS for channel in CHANNELS
    }


@functools.cache
def _topics_choices() -> Select:
    return select(NotificationPreference.user_id, NotificationPreference.topic, NotificationPreference.channel,
                  NotificationPreference.enabled).where(
        NotificationPreference.user_id.in_(bindparam("user_ids", expanding=True)),
        NotificationPreference.topic.in_(bindparam("topics", expanding=True)))


def channels_for(user, topic: str) -> set[str]:
    """The channels a message on `topic` goes to for this person (before checking addresses)."""
    return channels_for_all([(user, topic)])[0]


def channels_for_all(asked: Sequence[tuple[Any, str]]) -> list[set[str]]:
    """`channels_for` of each (person, topic), read by one query: asked for every message sent (a
    checkout tells two people), so it reads the four columns of the topics' rows, not whole pages."""
    chosen = [(user, topic) for user, topic in asked if topic in CHOOSABLE_TOPICS]
    saved: dict[tuple[int, str, str], bool] = {}
    if chosen:
        rows = db.session.execute(_topics_choices(), {"user_ids": sorted({user.id for user, _topic in chosen}),
                                                      "topics": sorted({topic for _user, topic in chosen})})
        saved = {(user_id, topic, channel): enabled for user_id, topic, channel, enabled in rows}
    return [
        {channel for channel in CHANNELS if saved.get((user.id, topic, channel), default_enabled(user, topic, channel))}
        if topic in CHOOSABLE_TOPICS else set()
        for user, topic in asked
    ]


def save_choices(user, enabled: Iterable[tuple[str, str]]) -> None:
    """Store the whole page of choices: every pair in `enabled` on, every other pair off."""
    wanted = set(enabled)
    unknown = wanted - {(t, c) for t in CHOOSABLE_TOPICS for c in CHANNELS}
    if unknown:
        raise ValueError(f"unknown notification choices: {sorted(unknown)}")
    rows = {
        (row.topic, row.channel): row
        for row in db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    }
    for topic in CHOOSABLE_TOPICS:
        for channel in CHANNELS:
            on = (topic, channel) in wanted
            row = rows.get((topic, channel))
            if row is None:
                db.session.add(NotificationPreference(user_id=user.id, topic=topic, channel=channel, enabled=on))
            else:
                row.enabled = on
    db.session.commit()
