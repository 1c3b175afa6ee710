"""Translated names of outbox states."""
from flask_babel import lazy_gettext as _l

from marketplace.notifications.models import OutboxStatus

STATUS_LABELS = {
    OutboxStatus.PENDING: _l("waiting"),
    OutboxStatus.SENT: _l("sent"),
    OutboxStatus.FAILED: _l("failed"),
}


def status_name(status: OutboxStatus | str) -> str:
    return str(STATUS_LABELS[OutboxStatus(status)])
