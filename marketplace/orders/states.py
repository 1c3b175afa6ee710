"""The orders' state machine: every move an order can make, people's and the system's, and the one
`transition()` that makes it (core.states).

The farmer prepares and hands over, the buyer may cancel until the order is ready, the farmer may
cancel with a reason; the system marks a card order paid when the provider says so and cancels
one left unpaid too long. What a move does besides (refund, stock back, the other party told) is
orders.services' `move`, which people's moves go through.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.errors import DomainError
from marketplace.core.states import SYSTEM, Machine, emit
from marketplace.extensions import db
from marketplace.orders.labels import order_status_name
from marketplace.orders.models import Fulfilment, Order, OrderEvent, OrderStatus, SharedTrip, TripStatus

S = OrderStatus
FARMER, BUYER = "farmer", "buyer"
POINT = "point"  # the manager of the collection point an order goes through
PEOPLE = (FARMER, BUYER)

ORDER_MOVES: Machine[OrderStatus] = Machine("order", [
    (None, S.PLACED, [BUYER], "placed"),
    (S.PLACED, S.AWAITING_PAYMENT_AT_PICKUP, [BUYER], "to_pay_at_pickup"),
    (S.PLACED, S.PAID, [SYSTEM], "paid"),
    (S.PAID, S.READY_FOR_PICKUP, [FARMER], "ready"),
    (S.AWAITING_PAYMENT_AT_PICKUP, S.READY_FOR_PICKUP, [FARMER], "ready"),
    (S.PAID, S.OUT_FOR_DELIVERY, [FARMER], "out_for_delivery"),
    (S.AWAITING_PAYMENT_AT_PICKUP, S.OUT_FOR_DELIVERY, [FARMER], "out_for_delivery"),
    (S.READY_FOR_PICKUP, S.COLLECTED, [FARMER], "collected"),
    (S.OUT_FOR_DELIVERY, S.DELIVERED, [FARMER], "delivered"),
    (S.COLLECTED, S.COMPLETED, PEOPLE, "completed"),
    (S.DELIVERED, S.COMPLETED, PEOPLE, "completed"),
    (S.PLACED, S.CANCELLED, [FARMER, BUYER, SYSTEM], "cancelled"),  # the system: not paid in time
    (S.PAID, S.CANCELLED, PEOPLE, "cancelled"),
    (S.AWAITING_PAYMENT_AT_PICKUP, S.CANCELLED, PEOPLE, "cancelled"),
    (S.READY_FOR_PICKUP, S.CANCELLED, [FARMER], "cancelled"),
    (S.OUT_FOR_DELIVERY, S.CANCELLED, [FARMER], "cancelled"),
    # A collection point: the farmer hands the order to its manager, who marks it dropped, and hands it
    # to the buyer with the code of their collection there.
    (S.PAID, S.AT_COLLECTION_POINT, [POINT], "dropped_at_point"),
    (S.AWAITING_PAYMENT_AT_PICKUP, S.AT_COLLECTION_POINT, [POINT], "dropped_at_point"),
    (S.AT_COLLECTION_POINT, S.COLLECTED, [POINT], "collected"),
])

#: The statuses that only some ways of handing over have.
FULFILMENTS_OF = {S.READY_FOR_PICKUP: (Fulfilment.PICKUP,), S.COLLECTED: (Fulfilment.PICKUP, Fulfilment.COLLECTION_POINT),
                  S.AT_COLLECTION_POINT: (Fulfilment.COLLECTION_POINT,),
                  S.OUT_FOR_DELIVERY: (Fulfilment.DELIVERY,), S.DELIVERED: (Fulfilment.DELIVERY,)}


def _fits(order: Order, to: OrderStatus) -> bool:
    return order.fulfilment in FULFILMENTS_OF.get(to, (order.fulfilment,))


def party_of(actor_id: int | None, order: Order) -> str | None:
    if actor_id is None:
        return None
    if actor_id == order.farmer_id:
        return FARMER
    if actor_id == order.buyer_id:
        return BUYER
    if order.collection is not None and actor_id == order.collection.point.manager_id:
        return POINT
    return None


def possible(order: Order, to: OrderStatus) -> bool:
    return ORDER_MOVES.move(order.status, to) is not None and _fits(order, to)


def targets(order: Order, party: str | None) -> list[OrderStatus]:
    return [to for to in ORDER_MOVES.targets(order.status, party) if possible(order, to)]


def transition(order: Order, to: OrderStatus, *, party: str, actor_id: int | None = None, reason: str = "") -> OrderEvent:
    """Move `order` to `to` as `party` (FARMER, BUYER or SYSTEM), writing its history row; the only
    place an order's status is written after checkout."""
    refused = _l("An order that is %(old)s cannot become %(new)s.", old=order_status_name(order.status), new=order_status_name(to))
    move = ORDER_MOVES.check(order.status, to, party, refused, _l("Only the farmer can do this."))
    if not _fits(order, to):
        raise DomainError(refused)
    old = order.status
    order.status = to
    event = OrderEvent(order_id=order.id, actor_id=actor_id, actor_role=party, from_status=old.value, to_status=to.value,
                       reason=reason.strip()[:500])
    db.session.add(event)
    emit(f"order.{move.event}", order)
    return event


# --- shared trips ---------------------------------------------------------------------------------

ORGANIZER = "organizer"
TRIP_MOVES: Machine[TripStatus] = Machine("shared trip", [
    (None, TripStatus.OPEN, [ORGANIZER], "announced"),
    (TripStatus.OPEN, TripStatus.CLOSED, [ORGANIZER], "closed"),
])


def transition_trip(trip: SharedTrip, to: TripStatus, *, actor_id: int) -> None:
    """The organizer moves their trip (orders.shared_trips has checked it is theirs); the trip row
    says when (updated_at), and its organizer is the only one who may."""
    refused = _l("This trip takes no bookings already.")
    move = TRIP_MOVES.check(trip.status, to, ORGANIZER if actor_id == trip.organizer_id else None, refused, refused)
    trip.status = to
    emit(f"trip.{move.event}", trip)
