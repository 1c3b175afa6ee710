"""One outbox for every message the product sends, and the channels that deliver it."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.core import header, jobs
    from marketplace.notifications import inbox, services
    from marketplace.notifications.views import bp

    app.register_blueprint(bp)
    header.register(app, "unread_messages", inbox.unread_count_expression)
    # Batched: a checkout's messages to the farmer and the buyer are claimed by one UPDATE.
    jobs.register(app, services.DELIVER_JOB, services.deliver_job, sweeper=services.sweep, batch=services.DELIVER_BATCH)
