"""The rows open data computes the asking-price index from, written by the catalog, which owns the
table and its statuses: a renamed status or column is changed here, beside the model."""
from __future__ import annotations

from marketplace.catalog.models import Listing, ListingStatus


def asking_prices_source() -> tuple[str, dict]:
    """SQL (and its parameters) of one row per listing on sale and not hidden, created before
    :day_end: category, unit, currency, region, district, farmer, asking price in minor units."""
    return f"""
        SELECT category_id, unit, currency, region_id, district_id, farmer_id, price_minor
        FROM {Listing.__tablename__}
        WHERE status = :listing_on_sale AND hidden_at IS NULL AND created_at < :day_end
    """, {"listing_on_sale": ListingStatus.ACTIVE.value}
