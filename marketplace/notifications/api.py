"""Notifications's public face: what other domains may use.

Telling people: one outbox for every message, and the registry of delivery channels.

Another domain imports `marketplace.notifications.api`, never notifications's models, services or other modules
(tests/test_architecture.py holds it to that), so what notifications exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.notifications.channels import register_backend
from marketplace.notifications.models import OutboxMessage, OutboxRow
from marketplace.notifications.services import Notice, notify_all, notify_user, send_to_number

__all__ = [
    "Notice", "notify_all", "notify_user", "OutboxMessage", "OutboxRow", "register_backend", "send_to_number",
]
