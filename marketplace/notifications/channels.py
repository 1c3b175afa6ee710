"""Channel backends behind one interface, chosen by NOTIFICATION_CHANNEL_BACKEND.

The default `log` backend delivers nothing: it writes the message to the
application log, so `make run` can read what would have been sent (the outbox row
keeps the full text until it is sent; a secret's text is emptied then, and is logged
only in development). Real SMS and email backends register
here under their own names.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from flask import current_app

from marketplace.notifications.models import OutboxRow

log = logging.getLogger("marketplace.notifications")


class ChannelBackend(Protocol):
    def deliver(self, message: OutboxRow) -> str | None:
        """Send the message or raise; the outbox records the outcome (and the provider's message id,
        when the backend returns one)."""


class LogBackend:
    def deliver(self, message: OutboxRow) -> None:
        # A reset link or one-time code is never written to a log, except in the development demo
        # (NOTIFICATION_LOG_SECRETS), where the terminal stands in for the person's phone.
        shown = message.body if not message.holds_secret or current_app.config.get("NOTIFICATION_LOG_SECRETS") \
            else "[one-time secret, not logged]"
        log.info(
            "outbox %s to %s [%s] %s: %s",
            message.channel.value, message.recipient, message.locale, message.subject, shown,
        )


BACKENDS: dict[str, Callable[[], ChannelBackend]] = {"log": LogBackend}


def register_backend(name: str, factory: Callable[[], ChannelBackend]) -> None:
    """A gateway's domain adds its backend here (e.g. the SMS gateway of the basic-phone channels)."""
    BACKENDS[name] = factory


def get_backend(name: str) -> ChannelBackend:
    try:
        return BACKENDS[name]()
    except KeyError:
        raise LookupError(f"no notification backend named {name!r}; known: {sorted(BACKENDS)}") from None
