"""Orders's public face: what other domains may use.

Orders as other domains see them: the parties' moves, and the sales figures a farmer may share.

Another domain imports `marketplace.orders.api`, never orders's models, services or other modules
(tests/test_architecture.py holds it to that), so what orders exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.orders.collection_points import collect_at_points, handed_sentence, managed_points, mark_dropped
from marketplace.orders.figures import completed_sales_source
from marketplace.orders.food_miles import Saving, collective_savings
from marketplace.orders.labels import order_status_name
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.services import (
    SalesSummary,
    allowed_moves,
    get_order_for,
    move,
    orders_to_hand_over,
    orders_to_prepare,
    sales_summary,
)

__all__ = [
    "allowed_moves", "collect_at_points", "collective_savings", "completed_sales_source", "get_order_for", "handed_sentence",
    "managed_points", "mark_dropped", "move", "Order", "order_status_name", "orders_to_hand_over", "orders_to_prepare", "OrderStatus",
    "sales_summary", "SalesSummary", "Saving",
]
