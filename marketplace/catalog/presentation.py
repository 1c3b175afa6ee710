"""How catalog values read on a page: quantities with units, prices per unit, category and status names."""
from __future__ import annotations

import json
import re
from functools import lru_cache

from flask import g, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from marketplace.accounts.api import km_between_villages, positions
from marketplace.catalog.categories import CATEGORY_TREE
from marketplace.catalog.labels import listing_status_name
from marketplace.catalog.models import Listing
from marketplace.catalog.units import ORDER_STEP, PER_UNIT, UNIT_LABELS, Unit, quantity_decimal, unit_amount
from marketplace.core.money import Money
from marketplace.core.numbers import as_typed
from marketplace.i18n import is_speaking, money


def quantity(milli: int, unit: Unit | str) -> str:
    """'2.5 kg', '3 sacks' in the reader's language ("2.5 kilograms" on a call)."""
    if is_speaking():
        return unit_amount(Unit(unit), quantity_decimal(milli))  # not from the written forms' cache
    return _quantity_text(str(get_locale()), milli, Unit(unit))


@lru_cache(maxsize=4096)
def _quantity_text(locale: str, milli: int, unit: Unit) -> str:  # noqa: ARG001  (the locale is the key: the text is in it)
    # Kept per language: lists of orders and listings say the same few quantities again and again.
    return unit_amount(unit, quantity_decimal(milli))


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


# --- food miles: how far the produce travels to the person reading ----------------------------

#: Where a card or a listing says how far its village is; left in shared fragments and cached pages,
#: filled per person by with_distances (a visitor, or someone without a place, sees nothing there).
DISTANCE_MARK = re.compile(r"<!--km:([0-9]{1,12})-->")


def distance_mark(village_id: int) -> Markup:
    return Markup(f"<!--km:{int(village_id)}-->")


def distance_phrase(km: float) -> Markup:
    whole = round(km) if km >= 1 else 0  # 0: "less than 1 km" (0.6 km must not round up to "1 km")
    said = g.setdefault("distance_phrases", {})  # Babel's number formatting is the slow part: once per figure
    if whole not in said:
        text = _("Less than 1 km from you") if whole == 0 else _("%(km)s km from you", km=format_decimal(whole))
        said[whole] = Markup('<span class="distance">%s</span>') % text
    return said[whole]  # type: ignore[no-any-return]


def home_place() -> int | None:
    """The signed-in person's place when the gazetteer knows where it is."""
    home = current_user.village_id if getattr(current_user, "is_authenticated", False) else None
    return home if home and home in positions() else None


def closest_to_me_url() -> str | None:
    home = home_place()
    return url_for("catalog.browse_listings", sort="closest", near=home) if home else None


def with_distances(html: str) -> Markup:
    """The marks filled for the signed-in person's own place, from the gazetteer kept in memory (no
    query), so the fragment around them stays the same for everyone: each card's distance, and on a
    browse page the "Closest to me" sort with the place it measures from."""
    home = home_place()
    if home is None:
        return Markup(html)

    def fill(mark: re.Match[str]) -> str:
        km = km_between_villages(home, int(mark.group(1)))
        return "" if km is None else str(distance_phrase(km))

    filled = DISTANCE_MARK.sub(fill, str(html))
    filled = filled.replace("<!--closest-option-->", str(Markup('<option value="closest">%s</option>') % _("Closest to me")), 1)
    filled = filled.replace("<!--near-input-->", str(Markup('<input type="hidden" name="near" value="%d">') % home), 1)
    return Markup(filled)


TEMPLATE_GLOBALS = {
    "distance_mark": distance_mark, "closest_to_me_url": closest_to_me_url,
    "quantity": quantity, "quantity_input": quantity_input, "order_step": lambda unit: ORDER_STEP[Unit(unit)],
    "price_per_unit": price_per_unit, "category_name": category_name, "unit_name": unit_name,
    "listing_status_name": listing_status_name, "listing_json_ld": listing_json_ld,
}
