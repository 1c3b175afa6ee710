"""My activity: one page, newest first, of everything a person has going on across the domains."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.activity.views import bp

    app.register_blueprint(bp)
