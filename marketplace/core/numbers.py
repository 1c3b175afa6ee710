"""Numbers people type, read the way their language writes them.

"1,000" is a thousand in Nairobi and one in Dakar; "1.000" the other way round. Babel knows each
locale's decimal sign and grouping (`parse_decimal`), so a price or a quantity is read with the
person's locale, and anything that could be read two ways is refused with both readings, never
guessed: a farmer who typed "1,000" must not sell for one shilling.
"""
from __future__ import annotations

import re
from decimal import Decimal

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_currency_precision,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from marketplace.core.money import Money

# Spaces people put between groups of thousands ("1 000", "1 000" with a no-break space).
_SPACES = "\u0020\u00a0\u202f\u2009"
_SPACED_GROUPS = re.compile(rf"^(\d{{1,3}})((?:[{_SPACES}]\d{{3}})+)([.,]\d+)?$")
# Arabic's own decimal and group signs, typed on an Arabic keyboard.
_ARABIC_DECIMAL, _ARABIC_GROUP = "\u066b", "\u066c"
# Babel would also read "1e3" and "NaN"; a price or an amount is only digits and signs.
_NOT_A_PLAIN_NUMBER = re.compile(r"[^\d.,+\-\s\u066b\u066c'’]")


class UnreadableNumber(ValueError):
    """What was typed is not one number in this locale; `message` says why, in the person's language."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def read_decimal(text: str, *, places: int, locale: Locale | str | None = None) -> Decimal:
    """The number in `text` as the locale writes it, with at most `places` digits after the decimal sign.

    Refused (UnreadableNumber): anything that is not a number; a grouping the locale does not use
    ("1,5" in English: 15 or 1.5?); a decimal sign followed by exactly three digits when there are
    more decimals than allowed or when the other convention would read a thousand ("1.000" in
    English, "1,000" in French); more decimals than `places`.
    """
    locale = Locale.parse(locale or get_locale() or "en")
    typed = (text or "").strip()
    typed = typed.replace(_ARABIC_DECIMAL, get_decimal_symbol(locale)).replace(_ARABIC_GROUP, get_group_symbol(locale))
    if not typed or _NOT_A_PLAIN_NUMBER.search(typed):
        raise UnreadableNumber(_l("Write a number, e.g. %(example)s.", example=_example(locale, places)))
    spaced = _SPACED_GROUPS.match(typed)
    if spaced:  # "1 000" is a thousand in every language we serve
        typed = spaced.group(1) + re.sub(f"[{_SPACES}]", "", spaced.group(2)) + (spaced.group(3) or "")
    try:
        value = parse_decimal(typed, locale, strict=True)
    except NumberFormatError as error:
        if error.suggestions:
            raise UnreadableNumber(_two_ways(text, error.suggestions)) from None
        raise UnreadableNumber(_l("Write a number, e.g. %(example)s.", example=_example(locale, places))) from None
    if not value.is_finite():
        raise UnreadableNumber(_l("Write a number, e.g. %(example)s.", example=_example(locale, places)))
    _refuse_thousand_lookalike(text, typed, value, locale)
    decimals = -value.as_tuple().exponent if value.as_tuple().exponent < 0 else 0  # type: ignore[operator]
    if decimals > places:
        if places == 0:
            raise UnreadableNumber(_l("Write a whole number, e.g. %(example)s.", example=format_decimal(1250, locale=locale)))
        raise UnreadableNumber(_l("Use at most %(places)d digits after the decimal sign.", places=places))
    return value


def _refuse_thousand_lookalike(text: str, typed: str, value: Decimal, locale: Locale) -> None:
    """'1.000' in English (or '1,000' or '1.000' in French): a point or comma that is not the
    locale's grouping, then exactly three digits, after a whole part that could be a group of
    thousands. Another convention reads a thousand."""
    match = re.fullmatch(r"([1-9]\d{0,2})([.,])(\d{3})", typed)
    if not match or match.group(2) == get_group_symbol(locale):
        return
    as_thousands = int(match.group(1) + match.group(3))
    raise UnreadableNumber(_two_ways(text, [format_decimal(as_thousands, locale=locale), format_decimal(value, locale=locale)]))


def _two_ways(text: str, readings: list[str]) -> object:
    return _l("“%(typed)s” can be read in more than one way: %(readings)s. Write the one you mean.",
              typed=text.strip(), readings=" / ".join(dict.fromkeys(readings)))


def _example(locale: Locale, places: int) -> str:
    return format_decimal(Decimal("1250.5") if places else Decimal(1250), locale=locale)


def read_money(text: str, currency: str, *, locale: Locale | str | None = None) -> Money:
    """An amount typed in `currency` (as many decimals as the currency has, e.g. 2 for KES)."""
    return Money.from_decimal(read_decimal(text, places=get_currency_precision(currency), locale=locale), currency)


def as_typed(value: Decimal, *, places: int, locale: Locale | str | None = None) -> str:
    """A number as the value of a form field: the locale's decimal sign, no grouping, no trailing
    zeros ('1250', '2.5', '2,5'), so that read_decimal reads it back exactly."""
    locale = Locale.parse(locale or get_locale() or "en")
    pattern = "0." + "#" * places if places else "0"
    return format_decimal(value, format=pattern, locale=locale)


def money_as_typed(amount: Money) -> str:
    return as_typed(amount.as_decimal(), places=amount.exponent)
