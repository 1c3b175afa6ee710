"""Translated names of outbox states, notification topics and channels."""
from flask_babel import lazy_gettext as _l

from marketplace.notifications import preferences
from marketplace.notifications.models import OutboxStatus

STATUS_LABELS = {
    OutboxStatus.PENDING: _l("waiting"),
    OutboxStatus.SENDING: _l("being sent"),
    OutboxStatus.SENT: _l("sent"),
    OutboxStatus.FAILED: _l("failed"),
}

TOPIC_LABELS = {
    preferences.ORDERS: _l("Orders and payments"),
    preferences.APPLICATIONS: _l("Applications to government services"),
    preferences.LISTINGS: _l("Your listings"),
    preferences.REPORTS: _l("Reports you made or support"),
    preferences.MARKETING: _l("News and offers from Village Square"),
    preferences.SECURITY: _l("Account security"),
}

CHANNEL_LABELS = {
    preferences.SMS: _l("SMS"),
    preferences.EMAIL: _l("Email"),
    preferences.INSITE: _l("Messages on this site"),
}


def status_name(status: OutboxStatus | str) -> str:
    return str(STATUS_LABELS[OutboxStatus(status)])


def topic_name(topic: str) -> str:
    return str(TOPIC_LABELS[topic])


def channel_name(channel: str) -> str:
    return str(CHANNEL_LABELS[channel])
