"""Money as integer minor units plus an ISO 4217 currency code, never floats."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import get_currency_precision


@dataclass(frozen=True, order=True)
class Money:
    currency: str
    minor_units: int

    def __post_init__(self) -> None:
        if not isinstance(self.minor_units, int) or isinstance(self.minor_units, bool):
            raise TypeError("Money.minor_units must be an int")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    @property
    def exponent(self) -> int:
        return get_currency_precision(self.currency)

    def as_decimal(self) -> Decimal:
        return Decimal(self.minor_units).scaleb(-self.exponent)

    @classmethod
    def from_decimal(cls, amount: Decimal | str, currency: str) -> Money:
        """Parse a typed amount; refuses more decimals than the currency has."""
        value = Decimal(str(amount))
        exponent = get_currency_precision(currency)
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{currency} has {exponent} decimal places")
        return cls(currency, int(scaled))

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.currency, self.minor_units + other.minor_units)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.currency, self.minor_units - other.minor_units)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            raise TypeError("multiply Money by an int; round quantities before pricing")
        return Money(self.currency, self.minor_units * factor)
