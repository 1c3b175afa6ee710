"""The public, read-only open-data API under /api/v1, its OpenAPI description and its human page; the catalogue
in the Data Food Consortium standard under /api/dfc (dfc.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.api.dfc import bp as dfc
    from marketplace.api.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(dfc)
