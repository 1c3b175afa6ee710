"""Basic phones: USSD menus, voice calls and SMS commands over the same services the web pages use."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.core import jobs
    from marketplace.notifications.api import register_backend
    from marketplace.ussd import voice_messages
    from marketplace.ussd.calls import CALL_BACK_JOB, call_back_job
    from marketplace.ussd.gateway import GatewaySmsBackend
    from marketplace.ussd.screens import SCREENS
    from marketplace.ussd.views import bp

    app.register_blueprint(bp)
    app.extensions["ussd_screens"] = SCREENS  # what ussd.engine walks
    register_backend("africastalking", GatewaySmsBackend)  # NOTIFICATION_SMS_BACKEND=africastalking
    jobs.register(app, CALL_BACK_JOB, call_back_job)
    jobs.register(app, voice_messages.FETCH_JOB, voice_messages.fetch_job, sweeper=voice_messages.sweep)
