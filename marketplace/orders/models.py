"""Carts, checkouts and orders. A signed-in person's cart is stored (a guest's lives in the session);
a checkout is one purchase, split into one order per farmer, each with its own history."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.api import User, Village
from marketplace.catalog.api import Listing
from marketplace.core.db import StatusHistoryMixin, TimestampMixin, string_enum
from marketplace.core.money import Money
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("user_id", "listing_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    quantity_milli: Mapped[int] = mapped_column()
    # The price the buyer saw when adding: a later change is pointed out, never applied silently.
    seen_price_minor: Mapped[int] = mapped_column()
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    listing: Mapped[Listing] = relationship()


class OrderStatus(str, enum.Enum):
    PLACED = "placed"
    AWAITING_PAYMENT_AT_PICKUP = "awaiting_payment_at_pickup"
    PAID = "paid"
    READY_FOR_PICKUP = "ready_for_pickup"
    OUT_FOR_DELIVERY = "out_for_delivery"
    COLLECTED = "collected"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    # Dropped by the farmer at a village collection point; its manager hands it to the buyer.
    AT_COLLECTION_POINT = "at_collection_point"


class Fulfilment(str, enum.Enum):
    PICKUP = "pickup"
    DELIVERY = "delivery"
    COLLECTION_POINT = "collection_point"  # the farmer drops it at a point; the buyer collects all theirs there


class PaymentMethod(str, enum.Enum):
    CARD = "card"
    MOBILE_MONEY = "mobile_money"  # M-Pesa's PIN prompt, now
    ON_PICKUP = "on_pickup"


class Checkout(db.Model):
    """One buyer's purchase across farmers: paid once, split into one order per farmer."""

    __tablename__ = "checkouts"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    total_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)  # short, read out over the phone
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    farmer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(string_enum(OrderStatus, 32))
    fulfilment: Mapped[Fulfilment] = mapped_column(string_enum(Fulfilment))
    delivery_address: Mapped[str] = mapped_column(String(500), default="")
    # The pickup slot the buyer chose: a local date and the farmer's window that day (None: no hours set).
    # Where the buyer collects, as the listing said when the order was placed (a snapshot, as the lines are).
    pickup_point: Mapped[str] = mapped_column(String(500), default="", server_default="")
    pickup_village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    # The food miles (orders.food_miles): where the produce starts (the listing's village) and where the
    # buyer lives, as they were when the order was placed.
    origin_village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    buyer_village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    pickup_on: Mapped[date | None] = mapped_column(index=True)
    pickup_opens_minute: Mapped[int | None] = mapped_column()
    pickup_closes_minute: Mapped[int | None] = mapped_column()
    payment_method: Mapped[PaymentMethod] = mapped_column(string_enum(PaymentMethod))
    # Six digits the buyer shows (or reads out) when collecting; the farmer confirms with it by SMS.
    pickup_code: Mapped[str | None] = mapped_column(String(6))
    items_total_minor: Mapped[int] = mapped_column()
    delivery_fee_minor: Mapped[int] = mapped_column(default=0)
    total_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    # At a collection point: the buyer's collection there that day (its one code is also pickup_code).
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id"), index=True)

    checkout: Mapped[Checkout] = relationship(back_populates="orders")
    collection: Mapped[Collection | None] = relationship(back_populates="orders")
    trip_booking: Mapped[TripBooking | None] = relationship(back_populates="order")
    buyer: Mapped[User] = relationship(foreign_keys=[buyer_id])
    farmer: Mapped[User] = relationship(foreign_keys=[farmer_id])
    pickup_village: Mapped[Village | None] = relationship(foreign_keys=[pickup_village_id])
    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan")
    events: Mapped[list[OrderEvent]] = relationship(order_by="OrderEvent.id", cascade="all, delete-orphan")

    @property
    def total(self) -> Money:
        return Money(self.currency, self.total_minor)


class OrderItem(db.Model):
    """What was bought, as it was when bought: later edits to the listing change nothing here."""

    __tablename__ = "order_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    title: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(16))
    unit_price_minor: Mapped[int] = mapped_column()
    quantity_milli: Mapped[int] = mapped_column()
    line_total_minor: Mapped[int] = mapped_column()

    order: Mapped[Order] = relationship(back_populates="items")


class OrderEvent(StatusHistoryMixin, db.Model):
    """Append-only history of an order: who moved it, when, from what, to what, and why."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)


class CollectionPoint(TimestampMixin, db.Model):
    """A shop, a cooperative store or a service centre where farmers of nearby villages drop their
    orders on its opening days, and buyers collect everything they ordered there with one code. Its
    manager (an agent or a cooperative's person) marks what was dropped and what was collected."""

    __tablename__ = "collection_points"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(300), default="")  # where in the village: "next to the market"
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The weekdays it opens, Monday 0 … Sunday 6, as digits ("025": Monday, Wednesday, Saturday).
    opening_days: Mapped[str] = mapped_column(String(7))
    opens_minute: Mapped[int] = mapped_column()  # local time, minutes after midnight
    closes_minute: Mapped[int] = mapped_column()
    capacity_per_day: Mapped[int] = mapped_column()  # orders it can hold on one day
    active: Mapped[bool] = mapped_column(default=True)

    village: Mapped[Village] = relationship()
    manager: Mapped[User] = relationship()

    def opens_on(self, day: date) -> bool:
        return str(day.weekday()) in self.opening_days


class PointDay(db.Model):
    """The orders booked at a point for one day: taken by one conditional UPDATE (as stock is), so
    concurrent checkouts never book more than the point holds."""

    __tablename__ = "collection_point_days"
    __table_args__ = (UniqueConstraint("point_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("collection_points.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column()
    booked: Mapped[int] = mapped_column(default=0)


class Collection(db.Model):
    """Everything one buyer collects at one point on one day, under one code."""

    __tablename__ = "collections"
    # One collection per buyer, point and day; its code names it among that point's of that day.
    __table_args__ = (UniqueConstraint("point_id", "buyer_id", "day", name="uq_collections_point_buyer_day"),
                      UniqueConstraint("point_id", "day", "code", name="uq_collections_point_day_code"))
    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("collection_points.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    day: Mapped[date] = mapped_column()
    code: Mapped[str] = mapped_column(String(6))

    point: Mapped[CollectionPoint] = relationship()
    buyer: Mapped[User] = relationship()
    orders: Mapped[list[Order]] = relationship(back_populates="collection", order_by="Order.id")


class TripStatus(str, enum.Enum):
    OPEN = "open"  # farmers on the route may book space
    CLOSED = "closed"  # the organizer takes no more bookings (the van is loading, or full enough)


class SharedTrip(TimestampMixin, db.Model):
    """A farmer or a cooperative drives to town on a day and sells space in the vehicle: farmers on
    the route book kilograms for their orders to town buyers, who get the trip's delivery window.
    The trip's cost is shared by weight: each booking pays its kilograms at cost ÷ capacity."""

    __tablename__ = "shared_trips"
    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    vehicle: Mapped[str] = mapped_column(String(120))  # "Isuzu lorry KCA 123X"
    day: Mapped[date] = mapped_column(index=True)
    departs_minute: Mapped[int] = mapped_column()  # local time
    # The town it goes to: a place of the gazetteer; buyers of its district are delivered to.
    destination_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    delivers_from_minute: Mapped[int] = mapped_column()  # the town buyers' delivery window, that day
    delivers_until_minute: Mapped[int] = mapped_column()
    capacity_grams: Mapped[int] = mapped_column()
    booked_grams: Mapped[int] = mapped_column(default=0)
    cost_minor: Mapped[int] = mapped_column()  # the whole trip: fuel, driver, vehicle
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[TripStatus] = mapped_column(string_enum(TripStatus), default=TripStatus.OPEN)

    organizer: Mapped[User] = relationship()
    destination: Mapped[Village] = relationship()
    stops: Mapped[list[TripStop]] = relationship(order_by="TripStop.position", cascade="all, delete-orphan")
    bookings: Mapped[list[TripBooking]] = relationship(back_populates="trip", order_by="TripBooking.id")

    @property
    def space_left_grams(self) -> int:
        return max(self.capacity_grams - self.booked_grams, 0)


class TripStop(db.Model):
    """A village the trip passes on its way, where farmers hand their orders to the vehicle (0: where it starts)."""

    __tablename__ = "shared_trip_stops"
    __table_args__ = (UniqueConstraint("trip_id", "village_id", name="uq_shared_trip_stops_trip_village"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("shared_trips.id", ondelete="CASCADE"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    position: Mapped[int] = mapped_column()

    village: Mapped[Village] = relationship()


class TripBooking(db.Model):
    """One order on a trip: its kilograms, and its share of the cost as shown before booking."""

    __tablename__ = "shared_trip_bookings"
    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("shared_trips.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)  # an order rides one trip
    farmer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    grams: Mapped[int] = mapped_column()
    share_minor: Mapped[int] = mapped_column()
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)

    trip: Mapped[SharedTrip] = relationship(back_populates="bookings")
    order: Mapped[Order] = relationship(back_populates="trip_booking")
