"""Open data: the produce price index and service performance, computed by SQL into their own tables."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.catalog.api import register_price_check
    from marketplace.core import jobs
    from marketplace.opendata import aggregate
    from marketplace.opendata.presentation import far_from_typical
    from marketplace.opendata.views import bp

    app.register_blueprint(bp)
    register_price_check(app, far_from_typical)
    jobs.register(app, aggregate.AGGREGATE_JOB, aggregate.aggregate_today, every=3600)
