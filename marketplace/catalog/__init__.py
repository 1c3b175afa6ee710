"""Produce for sale: categories, units, listings, photos, search. The blueprint is in views.py."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.catalog import services
    from marketplace.catalog.views import bp
    from marketplace.core import header, jobs

    app.register_blueprint(bp)
    # What the kept pages are keyed by, read with the signed-in person (core.cache, core.header).
    header.register_figures(app, "catalog_version", services.catalog_version_figures, (
        "public.home", "catalog.browse_listings", "catalog.category_page", "catalog.listing_detail", "catalog.farmer_page"))
    header.register_figures(app, "listings_managed", services.farmer_listing_figures, ("catalog.dashboard",))
    jobs.register(app, services.PHOTO_VARIANTS_JOB, services.make_photo_variants, sweeper=services.sweep_photos)
