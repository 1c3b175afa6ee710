"""The rows open data computes the paid-price index from, written by orders, which owns the tables
and the statuses: a renamed status or column is changed here, beside the model."""
from __future__ import annotations

from marketplace.catalog.api import Listing
from marketplace.orders.models import Order, OrderEvent, OrderItem, OrderStatus


def completed_sales_source() -> tuple[str, dict]:
    """SQL (and its parameters) of one row per item of an order completed between :day_start and
    :day_end: the listing's category and place, the unit, currency, farmer, price paid, quantity."""
    return f"""
        SELECT l.category_id AS category_id, oi.unit AS unit, o.currency AS currency, l.region_id AS region_id,
               l.district_id AS district_id, o.farmer_id AS farmer_id, oi.unit_price_minor AS price_minor,
               oi.quantity_milli AS quantity_milli
        FROM {OrderItem.__tablename__} oi
        JOIN {Order.__tablename__} o ON o.id = oi.order_id
        JOIN {Listing.__tablename__} l ON l.id = oi.listing_id
        WHERE o.status = :order_completed AND EXISTS (
            SELECT 1 FROM {OrderEvent.__tablename__} e
            WHERE e.order_id = o.id AND e.to_status = :order_completed AND e.at >= :day_start AND e.at < :day_end
        )
    """, {"order_completed": OrderStatus.COMPLETED.value}
