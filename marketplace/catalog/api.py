"""Catalog's public face: what other domains may use.

Categories, units and listings: reading them, the farmer's own changes, and the stock orders take
and give back.

Another domain imports `marketplace.catalog.api`, never catalog's models, services or other modules
(tests/test_architecture.py holds it to that), so what catalog exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.catalog.browse import category_tree, farmer_page, farms_on_sale, home_sections
from marketplace.catalog.figures import asking_prices_source
from marketplace.catalog.models import Category, Listing, ListingStatus
from marketplace.catalog.prefill import listing_again
from marketplace.catalog.presentation import category_name, price_per_unit, quantity, unit_name
from marketplace.catalog.services import (
    catalog_version,
    change_status,
    create_listing,
    get_category,
    listing_to_manage,
    live_listings_of,
    price_amount,
    produce_categories,
    register_price_check,
    require_manage,
    set_stock,
    stock_amount,
)
from marketplace.catalog.stock import release_stock, reserve_stock
from marketplace.catalog.units import ORDER_STEP, PER_UNIT, Unit, parse_quantity, quantity_decimal

__all__ = [
    "asking_prices_source", "catalog_version", "Category", "category_name", "category_tree", "change_status",
    "create_listing", "farmer_page", "farms_on_sale", "get_category", "home_sections", "Listing", "listing_again", "listing_to_manage",
    "ListingStatus", "live_listings_of", "ORDER_STEP", "parse_quantity", "PER_UNIT", "price_amount", "register_price_check",
    "price_per_unit", "produce_categories", "quantity", "quantity_decimal", "release_stock", "require_manage",
    "reserve_stock", "set_stock", "stock_amount", "Unit", "unit_name",
]
