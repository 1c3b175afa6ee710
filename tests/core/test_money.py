import pytest

from marketplace.core.money import Money


def test_money_parses_typed_amounts_into_minor_units():
    assert Money.from_decimal("125.5", "KES") == Money("KES", 12550)
    assert Money.from_decimal("300", "UGX") == Money("UGX", 300)  # a currency without decimals


def test_money_refuses_more_decimals_than_the_currency_has():
    with pytest.raises(ValueError):
        Money.from_decimal("1.005", "KES")
    with pytest.raises(ValueError):
        Money.from_decimal("1.5", "UGX")


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money("KES", 1.5)
    with pytest.raises(ValueError):
        Money("KES", 100) + Money("USD", 100)
    assert Money("KES", 100) * 3 == Money("KES", 300)

