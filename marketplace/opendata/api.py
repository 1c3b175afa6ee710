"""Opendata's public face: what other domains may use.

The price index and service performance, read by the public API and the phone menus.

Another domain imports `marketplace.opendata.api`, never opendata's models, services or other modules
(tests/test_architecture.py holds it to that), so what opendata exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.opendata.models import PriceCell, ServiceMonth, TradeMonth
from marketplace.opendata.presentation import price_per_unit_label
from marketplace.opendata.services import (
    PriceQuery,
    ServiceQuery,
    TradeQuery,
    price_cells,
    service_months,
    trade_months,
    typical_prices_in,
)

__all__ = [
    "price_cells", "price_per_unit_label", "PriceCell", "PriceQuery", "service_months", "ServiceMonth",
    "ServiceQuery", "trade_months", "TradeMonth", "TradeQuery", "typical_prices_in",
]
