"""How the open data reads on a page: days, shares and ratings in the reader's language, from integers."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _

from marketplace.catalog.api import PER_UNIT, Unit
from marketplace.core.money import Money
from marketplace.core.numbers import UnreadableNumber, read_money
from marketplace.egov import api as form_engine
from marketplace.i18n import money
from marketplace.opendata import services


def price_per_unit_label(unit: str) -> str:
    return str(PER_UNIT[Unit(unit)])


def days_from_hours(hours: int) -> str:
    return format_decimal((Decimal(hours) / 24).quantize(Decimal("0.1"), ROUND_HALF_UP), format="#,##0.0")


def percent(part: int, whole: int) -> str:
    return format_percent(Decimal(part) / Decimal(whole), format="#,##0%")


def rating_text(row) -> str:
    mean = Decimal(row.mean_rating_x10) / 10
    return ngettext("%(mean)s of 5 (%(num)d rating)", "%(mean)s of 5 (%(num)d ratings)", row.rating_count,
                    mean=format_decimal(mean, format="0.0"))


def service_title_of(eservice) -> str:
    version = eservice.published_version
    return form_engine.text(version.definition["title"], str(get_locale())) if version else eservice.slug


def typical_price_for_listing(listing):
    return services.typical_price(listing.category_id, listing.unit.value, listing.currency, listing.district_id, listing.region_id)


def price_comparison(typed: str, typical: services.TypicalPrice) -> str:
    """How a price being typed compares with the typical one; "" while it is not a number yet."""
    try:
        price = read_money(typed, typical.median.currency)
    except UnreadableNumber:
        return ""
    if price.minor_units <= 0 or typical.median.minor_units <= 0:
        return ""
    difference = Decimal(price.minor_units - typical.median.minor_units) / Decimal(typical.median.minor_units)
    if abs(difference) < Decimal("0.05"):
        return _("Your price is close to the typical price.")
    share = format_percent(abs(difference), format="#,##0%")
    return _("Your price is %(share)s above the typical price.", share=share) if difference > 0 else \
        _("Your price is %(share)s below the typical price.", share=share)


#: A price this many times above or below the typical one is asked about before it goes on sale:
#: typing 1 for 1,000 (or 10000 for 100) lands far outside, a real bargain or premium rarely does.
FAR_FACTOR = 3


def far_from_typical(category, unit: str, village, price: Money):
    """The listing form's question when a price is far from what farmers nearby ask (catalog's
    price check, registered in init_app); None when it is not, or nothing is known yet."""
    typical = services.typical_price(category.id, unit, price.currency, village.district_id, village.district.region_id)
    if typical is None or typical.median.minor_units <= 0:
        return None
    median = typical.median.minor_units
    if median // FAR_FACTOR <= price.minor_units <= median * FAR_FACTOR:
        return None
    return _("%(price)s %(per_unit)s is far from what farmers in %(area)s ask (most between %(low)s and %(high)s). "
             "Check the price. If it is right, tick the box and save again.",
             price=money(price), per_unit=price_per_unit_label(unit), area=typical.area,
             low=money(typical.low), high=money(typical.high))


def price_preview(typed: str, unit: str, currency: str) -> str:
    """The price as buyers will see it, read from what is typed ("" while nothing is typed); or
    why it cannot be read, so the farmer sees "1,000" become KES 1,000.00 before it goes on sale."""
    if not typed.strip() or not unit:
        return ""
    try:
        price = read_money(typed, currency)
    except UnreadableNumber as problem:
        return str(problem.message)
    if price.minor_units <= 0:
        return ""
    return _("Buyers will see: %(price)s %(per_unit)s", price=money(price), per_unit=price_per_unit_label(unit))


def typical_price_hint(category_id, unit: str, village_id, currency: str, typed: str = "") -> str:
    """The sentence under the price field of the listing form ("" when nothing is known yet)."""
    from marketplace.accounts.api import Village
    from marketplace.extensions import db

    village = db.session.get(Village, village_id) if village_id else None
    if not category_id or not unit or village is None:
        return ""
    typical = services.typical_price(int(category_id), unit, currency, village.district_id, village.district.region_id)
    if typical is None:
        return ""
    hint = _("Typical price in %(area)s: %(price)s %(per_unit)s (most between %(low)s and %(high)s).",
             area=typical.area, price=money(typical.median), per_unit=price_per_unit_label(unit),
             low=money(typical.low), high=money(typical.high))
    comparison = price_comparison(typed, typical) if typed else ""
    return f"{hint} {comparison}".strip()


TEMPLATE_GLOBALS = {
    "typical_price_for_listing": typical_price_for_listing, "typical_price_hint": typical_price_hint,
    "price_per_unit_label": price_per_unit_label, "price_preview": price_preview, "days_from_hours": days_from_hours, "percent": percent,
    "rating_text": rating_text, "service_title_of": service_title_of,
}
