"""Units produce is sold in, with the step a buyer orders by.

Quantities are integer thousandths of a unit ("milli-units"): exact like money,
and a conditional UPDATE can reserve stock atomically. 1.5 kg is 1500.
"""
from __future__ import annotations

import enum
from decimal import Decimal

from flask_babel import format_decimal, ngettext
from flask_babel import lazy_gettext as _l

from marketplace.core.numbers import read_decimal
from marketplace.i18n import is_speaking, spoken_number, spoken_unit_amount

MILLI = 1000


class Unit(str, enum.Enum):
    KG = "kg"
    G = "g"
    LITRE = "litre"
    PIECE = "piece"
    DOZEN = "dozen"
    BUNCH = "bunch"
    CRATE = "crate"
    SACK = "sack"


#: The smallest amount a buyer can add, in milli-units (0.5 kg, 100 g, 1 piece…).
ORDER_STEP = {
    Unit.KG: 500, Unit.G: 100_000, Unit.LITRE: 500, Unit.PIECE: 1000, Unit.DOZEN: 1000,
    Unit.BUNCH: 1000, Unit.CRATE: 1000, Unit.SACK: 1000,
}

UNIT_LABELS = {
    Unit.KG: _l("kilogram"), Unit.G: _l("gram"), Unit.LITRE: _l("litre"), Unit.PIECE: _l("piece"),
    Unit.DOZEN: _l("dozen"), Unit.BUNCH: _l("bunch"), Unit.CRATE: _l("crate"), Unit.SACK: _l("sack"),
}

# "per kg" after a price: short forms people read on market boards.
PER_UNIT = {
    Unit.KG: _l("per kg"), Unit.G: _l("per g"), Unit.LITRE: _l("per litre"), Unit.PIECE: _l("per piece"),
    Unit.DOZEN: _l("per dozen"), Unit.BUNCH: _l("per bunch"), Unit.CRATE: _l("per crate"), Unit.SACK: _l("per sack"),
}


def unit_amount(unit: Unit, amount: Decimal) -> str:
    """'3 kg', '1 sack', '2.5 litres' in the current language, the number formatted by Babel.

    gettext chooses plural forms by an integer; a fraction reads as plural ('1.5 litres').
    """
    if is_speaking() and (spoken := spoken_unit_amount(unit.value, amount)) is not None:
        return spoken  # a call says "2.5 kilograms", not "2.5 k g"
    count = int(amount) if amount == amount.to_integral_value() else 2
    amount_text = spoken_number(amount) if is_speaking() else format_decimal(amount)
    forms = {
        Unit.KG: lambda: ngettext("%(amount)s kg", "%(amount)s kg", count, amount=amount_text),
        Unit.G: lambda: ngettext("%(amount)s g", "%(amount)s g", count, amount=amount_text),
        Unit.LITRE: lambda: ngettext("%(amount)s litre", "%(amount)s litres", count, amount=amount_text),
        Unit.PIECE: lambda: ngettext("%(amount)s piece", "%(amount)s pieces", count, amount=amount_text),
        Unit.DOZEN: lambda: ngettext("%(amount)s dozen", "%(amount)s dozen", count, amount=amount_text),
        Unit.BUNCH: lambda: ngettext("%(amount)s bunch", "%(amount)s bunches", count, amount=amount_text),
        Unit.CRATE: lambda: ngettext("%(amount)s crate", "%(amount)s crates", count, amount=amount_text),
        Unit.SACK: lambda: ngettext("%(amount)s sack", "%(amount)s sacks", count, amount=amount_text),
    }
    return forms[unit]()


def parse_quantity(text: str) -> int:
    """A typed amount in milli-units, read as the person's language writes numbers: '1.5' in
    English, '1,5' in French -> 1500. Raises UnreadableNumber (a ValueError saying why) otherwise."""
    return int(read_decimal(text, places=3) * MILLI)


def quantity_decimal(milli: int) -> Decimal:
    """1500 -> Decimal('1.5'), 20000 -> Decimal('20') (never '2E+1')."""
    value = Decimal(milli) / MILLI
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
