"""Operations: liveness and readiness probes, Prometheus metrics. Reads every domain, nothing imports it."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.ops import metrics
    from marketplace.ops.views import bp

    app.register_blueprint(bp)
    metrics.init_app(app)
