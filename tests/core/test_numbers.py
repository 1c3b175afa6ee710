"""Numbers read as the person's language writes them (issue 20: "1,000" was saved as 1 shilling)."""
from decimal import Decimal

import pytest
from flask_babel import force_locale

from marketplace.core.money import Money
from marketplace.core.numbers import UnreadableNumber, as_typed, money_as_typed, read_decimal, read_money


@pytest.mark.parametrize(("locale", "typed", "expected"), [
    ("en_KE", "1,000", "1000"), ("en_KE", "1000", "1000"), ("en_KE", "1 000", "1000"), ("en_KE", "1\u00a0000", "1000"),
    ("en_KE", "1,250.50", "1250.50"), ("en_KE", "2.5", "2.5"), ("en_KE", "0.75", "0.75"), ("sw_KE", "12,000", "12000"),
    ("fr", "1 000", "1000"), ("fr", "1\u202f000", "1000"), ("fr", "2,5", "2.5"), ("fr", "1 250,50", "1250.50"),
    ("es", "1.000", "1000"), ("es", "1.250,50", "1250.50"), ("pt", "2,5", "2.5"),
    ("ar", "٣٠٠", "300"), ("ar", "1٫5", "1.5"),
])
def test_a_number_is_read_the_way_the_locale_writes_it(locale, typed, expected):
    assert read_decimal(typed, places=2, locale=locale) == Decimal(expected)


@pytest.mark.parametrize(("locale", "typed", "readings"), [
    ("en_KE", "1.000", ("1,000", "1")),      # a European habit: a thousand, or one?
    ("en_KE", "1,5", ("15", "1.5")),         # a decimal comma in English
    ("fr", "1,000", ("1\u202f000", "1")),    # an English habit in French
    ("fr", "1.000", ("1\u202f000", "1")),
    ("es", "2.5", ("25", "2,5")),
])
def test_what_could_be_read_two_ways_is_refused_with_both_readings(app, locale, typed, readings):
    with app.test_request_context(), force_locale(locale):
        with pytest.raises(UnreadableNumber) as refused:
            read_decimal(typed, places=2, locale=locale)
        message = str(refused.value.message)
    assert typed in message and all(reading in message for reading in readings)


@pytest.mark.parametrize("typed", ["", "abc", "1e3", "NaN", "Infinity", "12'000", "KES 100", "1,2,3.4.5"])
def test_what_is_not_a_number_is_refused_with_an_example_in_the_locale(app, typed):
    with app.test_request_context(), force_locale("fr"):
        with pytest.raises(UnreadableNumber) as refused:
            read_decimal(typed, places=2)
        assert "1\u202f250,5" in str(refused.value.message)


def test_more_decimals_than_allowed_are_refused_not_rounded(app):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(UnreadableNumber):
            read_money("10.555", "KES")
        with pytest.raises(UnreadableNumber):
            read_decimal("0.5", places=0)
        assert read_money("1,000", "KES") == Money("KES", 100_000)


@pytest.mark.parametrize("locale", ["en_KE", "sw_KE", "fr", "es", "pt", "ar", "zh"])
@pytest.mark.parametrize("value", ["800", "120.5", "1250.75", "0.5", "1000000"])
def test_a_value_shown_in_a_form_is_read_back_exactly(app, locale, value):
    with app.test_request_context(), force_locale(locale):
        shown = as_typed(Decimal(value), places=2)
        assert read_decimal(shown, places=2) == Decimal(value)
        assert money_as_typed(Money("KES", 80000)) == "800"
