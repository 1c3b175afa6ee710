"""How catalog values read on a page: quantities with units, prices per unit, category and status names."""
from __future__ import annotations

import json

from marketplace.catalog.categories import CATEGORY_TREE
from marketplace.catalog.labels import listing_status_name
from marketplace.catalog.models import Listing
from marketplace.catalog.units import ORDER_STEP, PER_UNIT, UNIT_LABELS, Unit, quantity_decimal, unit_amount
from marketplace.core.money import Money
from marketplace.core.numbers import as_typed
from marketplace.i18n import money


def quantity(milli: int, unit: Unit | str) -> str:
    """'2.5 kg', '3 sacks' in the reader's language."""
    return unit_amount(Unit(unit), quantity_decimal(milli))


def quantity_input(milli: int) -> str:
    """A quantity as the value of a form field, in the reader's way of writing numbers, which the
    parser reads back exactly."""
    return as_typed(quantity_decimal(milli), places=3)


def price_per_unit(listing: Listing) -> str:
    return f"{money(listing.price)} {PER_UNIT[listing.unit]}"


def category_name(slug: str) -> str:
    return str(CATEGORY_TREE[slug][0]) if slug in CATEGORY_TREE else slug


def unit_name(unit: Unit | str) -> str:
    return str(UNIT_LABELS[Unit(unit)])


def listing_json_ld(listing: Listing, url: str, image_urls: list[str]) -> str:
    """schema.org Product with one Offer; escaped so it cannot close its <script> element."""
    data = {
        "@context": "https://schema.org", "@type": "Product", "name": listing.title,
        "description": listing.description or listing.title, "category": category_name(listing.category.slug),
        "image": image_urls,
        "offers": {
            "@type": "Offer", "url": url, "priceCurrency": listing.currency,
            "price": str(Money(listing.currency, listing.price_minor).as_decimal()),
            "availability": "https://schema.org/InStock" if listing.stock_milli > 0 else "https://schema.org/SoldOut",
            "seller": {"@type": "Organization",
                       "name": listing.farmer.farmer_profile.farm_name if listing.farmer.farmer_profile else listing.farmer.name},
        },
    }
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


TEMPLATE_GLOBALS = {
    "quantity": quantity, "quantity_input": quantity_input, "order_step": lambda unit: ORDER_STEP[Unit(unit)],
    "price_per_unit": price_per_unit, "category_name": category_name, "unit_name": unit_name,
    "listing_status_name": listing_status_name, "listing_json_ld": listing_json_ld,
}
