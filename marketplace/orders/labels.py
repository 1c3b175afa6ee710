"""Translated names of order states."""
from flask_babel import lazy_gettext as _l

from marketplace.orders.models import OrderStatus, TripStatus

STATUS_LABELS = {
    OrderStatus.PLACED: _l("placed"),
    OrderStatus.AWAITING_PAYMENT_AT_PICKUP: _l("to pay at pickup"),
    OrderStatus.PAID: _l("paid"),
    OrderStatus.READY_FOR_PICKUP: _l("ready for pickup"),
    OrderStatus.OUT_FOR_DELIVERY: _l("out for delivery"),
    OrderStatus.COLLECTED: _l("collected"),
    OrderStatus.DELIVERED: _l("delivered"),
    OrderStatus.COMPLETED: _l("completed"),
    OrderStatus.CANCELLED: _l("cancelled"),
    OrderStatus.AT_COLLECTION_POINT: _l("waiting at the collection point"),
}


def order_status_name(status: OrderStatus | str) -> str:
    return str(STATUS_LABELS[OrderStatus(status)])


TRIP_STATUS_LABELS = {
    TripStatus.OPEN: _l("open for bookings"),
    TripStatus.CLOSED: _l("no more bookings"),
}


def trip_status_name(status: TripStatus) -> str:
    return str(TRIP_STATUS_LABELS[status])
