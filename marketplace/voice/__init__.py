"""Residents' voice: local problems and suggestions, routed to the department responsible, followed in public."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.core import jobs
    from marketplace.voice.open311 import MEDIA_JOB, fetch_media_job
    from marketplace.voice.open311_views import bp as open311
    from marketplace.voice.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(open311)
    jobs.register(app, MEDIA_JOB, fetch_media_job)
