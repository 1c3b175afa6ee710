"""Shared trips to town: one vehicle carries the orders of several farmers on its route.

A farmer or a cooperative announces a trip: the vehicle, the day and hour it leaves, the villages
it passes (where it starts first), the town it goes to, the kilograms it can carry, what the whole
trip costs, and the window in which the town's buyers get their orders. The cost is shared by
weight: a kilogram costs the trip's cost ÷ its capacity, so each farmer sees their share before
booking and it never changes after (space nobody books is the organizer's).

A farmer with a delivery order to a buyer of the trip's town (its district) books space for it if
the trip passes their village: the kilograms are taken by one conditional UPDATE (`booked + g <=
capacity`), so concurrent bookings never overfill the vehicle. The order then carries the trip's
day and delivery window, and its buyer is told. A booking is given back when its order is cancelled
or the farmer takes it off before the trip leaves.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.api import District, Role, User, Village, distance_km
from marketplace.catalog.api import quantity_decimal
from marketplace.core.auth import require_role
from marketplace.core.bidi import isolate
from marketplace.core.errors import DomainError, InvalidInput, NotFound
from marketplace.core.money import Money
from marketplace.core.numbers import UnreadableNumber, read_decimal
from marketplace.core.urls import site_path
from marketplace.extensions import db
from marketplace.i18n import clock, format_day, money
from marketplace.notifications.api import Notice, notify_all
from marketplace.orders import states
from marketplace.orders.models import Fulfilment, Order, OrderStatus, SharedTrip, TripBooking, TripStatus, TripStop
from marketplace.orders.pickup import local_now

S = OrderStatus
#: Orders that may still be put on a trip: placed and not yet on their way.
BOOKABLE = (S.PAID, S.AWAITING_PAYMENT_AT_PICKUP)
MAX_CAPACITY_KG = 40_000
MAX_STOPS = 12


@dataclass(frozen=True)
class TripPlan:
    """What an organizer announces (the web form's fields, read)."""

    vehicle: str
    day: date
    departs_minute: int
    stop_ids: list[int]  # the villages it passes, where it starts first
    destination_id: int
    delivers_from_minute: int
    delivers_until_minute: int
    capacity_kg: str  # as typed
    cost: str  # as typed, in the deployment's currency


def kilograms(text: str, field: str) -> int:
    """Grams of a weight typed in kilograms, read as the person's language writes numbers."""
    try:
        grams = int(read_decimal(text, places=3) * 1000)
    except UnreadableNumber as problem:
        raise DomainError(problem.message, field=field) from None
    if grams <= 0 or grams > MAX_CAPACITY_KG * 1000:
        raise DomainError(_l("This weight is not possible. Check the number."), field=field)
    return grams


def stop_choices(organizer: User) -> list[Village]:
    """The villages a trip from the organizer's place may pass: those of their region, nearest first."""
    home = organizer.farmer_profile.village if organizer.farmer_profile else organizer.village
    if home is None:
        return []
    villages = list(db.session.scalars(select(Village).join(District, District.id == Village.district_id).where(
        District.region_id == home.district.region_id, Village.id != home.id).options(joinedload(Village.district))))
    return sorted(villages, key=lambda v: distance_km(home.latitude, home.longitude, v.latitude, v.longitude)
                  if None not in (home.latitude, v.latitude) else math.inf)


def start_of(organizer: User) -> Village | None:
    return organizer.farmer_profile.village if organizer.farmer_profile else organizer.village


def announce(organizer: User, plan: TripPlan, currency: str) -> SharedTrip:
    """A farmer (or a cooperative's account, which farms) offers space on a trip to town; it starts
    at their village and passes the villages they chose, nearest first."""
    require_role(organizer, Role.FARMER)
    errors: dict[str, object] = {}
    start = start_of(organizer)
    allowed = {village.id: village for village in stop_choices(organizer)}
    if any(village_id not in allowed for village_id in plan.stop_ids):
        errors["stops"] = _l("Choose the villages the trip passes from the list.")
    stops = [start] + [allowed[village_id] for village_id in dict.fromkeys(plan.stop_ids) if village_id in allowed]
    destination = db.session.get(Village, plan.destination_id)
    if start is None or len(stops) > MAX_STOPS:
        errors["stops"] = _l("Choose the villages the trip passes from the list.")
    if destination is None or destination in stops:
        errors["destination_id"] = _l("Choose the town it goes to.")
    if plan.day <= local_now().date():
        errors["day"] = _l("Choose a day from tomorrow on.")
    if plan.delivers_until_minute <= plan.delivers_from_minute:
        errors["delivers_until"] = _l("The window must end after it starts.")
    capacity = cost = None
    try:
        capacity = kilograms(plan.capacity_kg, "capacity_kg")
    except DomainError as error:
        errors["capacity_kg"] = error.message
    try:
        cost = Money.from_decimal(read_decimal(plan.cost, places=2), currency)
    except UnreadableNumber as problem:
        errors["cost"] = problem.message
    if errors or capacity is None or cost is None:
        raise InvalidInput(errors or {"cost": _l("Write a number, e.g. %(example)s.", example="1250")})
    trip = SharedTrip(organizer=organizer, vehicle=plan.vehicle.strip()[:120], day=plan.day, departs_minute=plan.departs_minute,
                      destination=destination, delivers_from_minute=plan.delivers_from_minute,
                      delivers_until_minute=plan.delivers_until_minute, capacity_grams=capacity, booked_grams=0,
                      cost_minor=cost.minor_units, currency=currency,
                      stops=[TripStop(village=village, position=n) for n, village in enumerate(stops)])
    db.session.add(trip)
    db.session.commit()
    return trip


def share_of(trip: SharedTrip, grams: int) -> Money:
    """The farmer's part of the trip's cost for `grams`: cost ÷ capacity per gram, rounded up to the
    currency's smallest unit (so the shares never add up to less than the trip costs when it is full)."""
    return Money(trip.currency, math.ceil(trip.cost_minor * grams / trip.capacity_grams))


def weight_text(grams: int) -> str:
    """Grams as kilograms, written the reader's way ('12.5' in English, '12,5' in French)."""
    return format_decimal(quantity_decimal(grams))


def order_grams(order: Order) -> int | None:
    """The order's weight when every line is sold by the kilogram (a milli-kilogram is a gram); None
    when it is not known (dozens, sacks): the farmer says it when booking."""
    if not order.items or any(item.unit != "kg" for item in order.items):
        return None
    return sum(item.quantity_milli for item in order.items)


@dataclass(frozen=True)
class TripOffer:
    trip: SharedTrip
    grams: int | None  # the order's weight, if known
    share: Money | None


def _farmers_order(farmer: User, number: str) -> Order:
    order = db.session.scalar(select(Order).where(Order.number == number.strip().upper())
                              .options(selectinload(Order.items), joinedload(Order.trip_booking)))
    if order is None or order.farmer_id != farmer.id:
        raise NotFound(_l("There is no such order."))
    return order


def may_ride(order: Order) -> bool:
    """A delivery to a buyer whose place the gazetteer knows, not yet on its way nor on a trip."""
    return order.fulfilment is Fulfilment.DELIVERY and order.status in BOOKABLE and order.buyer_village_id is not None \
        and order.trip_booking is None


def trips_for(farmer: User, number: str, *, with_room: bool = True) -> tuple[Order, list[TripOffer]]:
    """The open trips an order may ride: from tomorrow, passing the farm's village, going to the
    buyer's district, with room for it (when its weight is known, and unless not `with_room`)."""
    order = _farmers_order(farmer, number)
    if not may_ride(order):
        return order, []
    buyer_place = db.session.get(Village, order.buyer_village_id)
    grams = order_grams(order)
    trips = db.session.scalars(
        select(SharedTrip).join(TripStop, TripStop.trip_id == SharedTrip.id).join(Village, Village.id == SharedTrip.destination_id)
        .where(SharedTrip.status == TripStatus.OPEN, SharedTrip.day > local_now().date(),
               TripStop.village_id == order.origin_village_id, Village.district_id == buyer_place.district_id)  # type: ignore[union-attr]
        .options(joinedload(SharedTrip.organizer), joinedload(SharedTrip.destination), selectinload(SharedTrip.stops))
        .order_by(SharedTrip.day, SharedTrip.departs_minute)).unique()
    return order, [TripOffer(trip, grams, share_of(trip, grams) if grams else None) for trip in trips
                   if grams is None or not with_room or trip.space_left_grams >= grams]


def book(farmer: User, number: str, trip_id: int, weight_kg: str) -> TripBooking:
    """Put the farmer's order on a trip it may ride, for the kilograms they say it weighs."""
    order, offers = trips_for(farmer, number, with_room=False)  # room is the UPDATE's to decide, for the weight typed
    if not may_ride(order):
        raise DomainError(_l("This order cannot go on a shared trip now."))
    grams = kilograms(weight_kg, "weight")
    offer = next((o for o in offers if o.trip.id == trip_id), None)
    if offer is None:
        raise DomainError(_l("This trip does not go your way. Choose another."), field="trip")
    taken = db.session.execute(
        update(SharedTrip).where(SharedTrip.id == trip_id, SharedTrip.status == TripStatus.OPEN,
                                 SharedTrip.booked_grams + grams <= SharedTrip.capacity_grams)
        .values(booked_grams=SharedTrip.booked_grams + grams).returning(SharedTrip.id)
        .execution_options(synchronize_session=False)).scalar()
    if taken is None:
        db.session.rollback()
        raise DomainError(_l("This trip has no room for that weight any more. Choose another."), field="trip")
    trip = offer.trip
    booking = TripBooking(trip=trip, order=order, farmer_id=farmer.id, grams=grams, share_minor=share_of(trip, grams).minor_units)
    db.session.add(booking)
    # The buyer receives it in the trip's window: the order's day and window say so everywhere.
    order.pickup_on, order.pickup_opens_minute, order.pickup_closes_minute = trip.day, trip.delivers_from_minute, trip.delivers_until_minute
    notify_all([Notice(order.buyer, "order_on_shared_trip", lambda: (
        _("Order %(number)s", number=order.number),
        _("Your order %(number)s comes to %(town)s by a shared trip on %(day)s, between %(from)s and %(until)s.",
          number=order.number, town=isolate(trip.destination.name), day=format_day(trip.day, "full"),
          **{"from": clock(trip.delivers_from_minute), "until": clock(trip.delivers_until_minute)}),
    ), link=site_path("orders.order_page", number=order.number))])
    db.session.commit()
    return booking


def take_off(farmer: User, number: str) -> Order:
    """The farmer takes their order off its trip before the trip leaves: its kilograms are free again."""
    order = _farmers_order(farmer, number)
    booking = order.trip_booking
    if booking is None:
        raise DomainError(_l("This order is not on a shared trip."))
    if booking.trip.day <= local_now().date() or order.status not in BOOKABLE:
        raise DomainError(_l("The trip has left: the order cannot be taken off it now."))
    give_back(order)
    order.pickup_on = order.pickup_opens_minute = order.pickup_closes_minute = None
    db.session.commit()
    return order


def give_back(order: Order) -> None:
    """The order's kilograms go back to its trip (a cancelled order, or one taken off)."""
    booking = db.session.scalar(select(TripBooking).where(TripBooking.order_id == order.id))
    if booking is None:
        return
    db.session.execute(update(SharedTrip).where(SharedTrip.id == booking.trip_id)
                       .values(booked_grams=SharedTrip.booked_grams - booking.grams).execution_options(synchronize_session=False))
    db.session.delete(booking)


# --- the organizer's side -------------------------------------------------------------------------

def trips_of(organizer: User) -> list[SharedTrip]:
    return list(db.session.scalars(select(SharedTrip).where(SharedTrip.organizer_id == organizer.id)
                                   .options(joinedload(SharedTrip.destination)).order_by(SharedTrip.day.desc())))


def trip_for(organizer: User, trip_id: int) -> SharedTrip:
    """A trip its organizer sees with its bookings; to anyone else it does not exist."""
    trip = db.session.scalar(select(SharedTrip).where(SharedTrip.id == trip_id).options(
        selectinload(SharedTrip.bookings).joinedload(TripBooking.order).joinedload(Order.farmer),
        selectinload(SharedTrip.stops).joinedload(TripStop.village), joinedload(SharedTrip.destination)))
    if trip is None or trip.organizer_id != organizer.id:
        raise NotFound(_l("There is no such trip."))
    return trip


def close(organizer: User, trip_id: int) -> SharedTrip:
    """No more bookings (the vehicle is loading, or full enough); the booked orders still ride."""
    trip = trip_for(organizer, trip_id)
    states.transition_trip(trip, TripStatus.CLOSED, actor_id=organizer.id)
    db.session.commit()
    return trip


def booked_share(trip: SharedTrip) -> Money:
    return Money(trip.currency, sum(booking.share_minor for booking in trip.bookings))


def trip_sentence(trip: SharedTrip) -> str:
    """'Saturday 5 December 2026, leaves 06:00 from Mau Narok, to Westlands: delivered 14:00–18:00.'"""
    start = trip.stops[0].village.name if trip.stops else ""
    return _("%(day)s, leaves %(departs)s from %(start)s to %(town)s: delivered %(from)s–%(until)s.",
             day=format_day(trip.day, "full"), departs=clock(trip.departs_minute), start=isolate(start), town=isolate(trip.destination.name),
             **{"from": clock(trip.delivers_from_minute), "until": clock(trip.delivers_until_minute)})


def price_per_kg(trip: SharedTrip) -> str:
    return money(Money(trip.currency, math.ceil(trip.cost_minor * 1000 / trip.capacity_grams)))
