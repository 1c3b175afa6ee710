"""Village collection points: farmers drop their orders at one place on its opening days, and a
buyer collects everything they ordered there that day with one code.

A point serves the farmers of its district. At checkout a buyer may choose, for each farmer, a
point and one of its next opening days (from tomorrow: the farmer needs a day to bring it) that
still has space: a day's places are taken by one conditional UPDATE, as stock is, so concurrent
checkouts never book more orders than the point holds, and a cancelled order gives its place back.
The buyer's orders at one point on one day form one `Collection` with one six-digit code, which is
also each order's pickup code.

The point's manager (an agent or a cooperative's person; the admin names them) marks each order
dropped when the farmer hands it over, and hands the buyer everything waiting there when they give
the code: one move per order through orders.states, recorded with who and how (web, USSD, SMS).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.api import Role, User, Village, find_user_by_identifier
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, InvalidInput, NotFound
from marketplace.core.money import Money
from marketplace.core.urls import site_path
from marketplace.extensions import db
from marketplace.i18n import money
from marketplace.notifications.api import Notice, notify_all
from marketplace.orders import presentation, states
from marketplace.orders.labels import order_status_name
from marketplace.orders.models import Collection, CollectionPoint, Order, OrderStatus, PaymentMethod, PointDay
from marketplace.orders.pickup import local_now

S = OrderStatus
ADMIN = Role.ADMIN
#: How many opening days ahead a buyer may choose from.
DAYS_OFFERED = 3
#: Looked at at most this far ahead for opening days with space.
HORIZON_DAYS = 21
#: A code opens what waits at its point for this long after its day (and before it, from booking).
CODE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class PointOffer:
    """A point and a day it can take one more order: what the checkout offers and is sent back."""

    point: CollectionPoint
    day: date

    @property
    def key(self) -> str:
        """The checkout form's value: 'collection_point:<point id>:<yyyy-mm-dd>'."""
        return f"collection_point:{self.point.id}:{self.day.isoformat()}"


def parse_key(value: str) -> tuple[int, date] | None:
    """(point id, day) of a form's value, or None for anything that is not one."""
    parts = value.split(":")
    if len(parts) != 3 or parts[0] != "collection_point" or not parts[1].isdigit() or len(parts[1]) > 18:
        return None
    try:
        return int(parts[1]), date.fromisoformat(parts[2])
    except ValueError:
        return None


def points_serving(village: Village | None) -> list[CollectionPoint]:
    """The open points of a farm village's district, nearest by name order (villages have no roads)."""
    if village is None:
        return []
    return list(db.session.scalars(
        select(CollectionPoint).join(Village, Village.id == CollectionPoint.village_id)
        .where(Village.district_id == village.district_id, CollectionPoint.active.is_(True))
        .options(joinedload(CollectionPoint.village).joinedload(Village.district))
        .order_by(CollectionPoint.name, CollectionPoint.id)))


def _booked(point_ids: list[int], first: date, last: date) -> dict[tuple[int, date], int]:
    if not point_ids:
        return {}
    return {(point_id, day): booked for point_id, day, booked in db.session.execute(
        select(PointDay.point_id, PointDay.day, PointDay.booked)
        .where(PointDay.point_id.in_(point_ids), PointDay.day >= first, PointDay.day <= last))}


def offers_for(village: Village | None, today: date | None = None) -> list[PointOffer]:
    """For each point serving the farm's village, its next opening days with space, soonest first."""
    points = points_serving(village)
    today = today or local_now().date()
    first, last = today + timedelta(days=1), today + timedelta(days=HORIZON_DAYS)
    booked = _booked([point.id for point in points], first, last)
    offers = []
    for point in points:
        days = [first + timedelta(days=n) for n in range(HORIZON_DAYS)]
        open_days = [day for day in days if point.opens_on(day) and booked.get((point.id, day), 0) < point.capacity_per_day]
        offers += [PointOffer(point, day) for day in open_days[:DAYS_OFFERED]]
    return offers


def offer_from_key(value: str, village: Village | None, today: date | None = None) -> PointOffer | None:
    """The offer a checkout form names, if it is still one a buyer may choose for this farm (a point
    of its district, open that day, from tomorrow on); space is checked when it is booked."""
    parsed = parse_key(value)
    if parsed is None or village is None:
        return None
    point_id, day = parsed
    today = today or local_now().date()
    point = next((p for p in points_serving(village) if p.id == point_id), None)
    if point is None or not point.opens_on(day) or not today < day <= today + timedelta(days=HORIZON_DAYS):
        return None
    return PointOffer(point, day)


def book_place(point: CollectionPoint, day: date) -> bool:
    """Take one of the day's places, atomically (its row is locked until the checkout ends); False when full."""
    dialect_insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(dialect_insert(PointDay).values(point_id=point.id, day=day, booked=0).on_conflict_do_nothing())
    taken = db.session.execute(
        update(PointDay).where(PointDay.point_id == point.id, PointDay.day == day, PointDay.booked < point.capacity_per_day)
        .values(booked=PointDay.booked + 1).returning(PointDay.booked).execution_options(synchronize_session=False)).scalar()
    return taken is not None


def give_place_back(order: Order) -> None:
    """A cancelled order leaves its day's place to someone else."""
    if order.collection_id is None:
        return
    collection = order.collection
    db.session.execute(update(PointDay).where(PointDay.point_id == collection.point_id, PointDay.day == collection.day,
                                              PointDay.booked > 0)
                       .values(booked=PointDay.booked - 1).execution_options(synchronize_session=False))


def collection_of(buyer: User, point: CollectionPoint, day: date) -> Collection:
    """The buyer's collection at this point that day, with its code: an earlier checkout's, or a new
    one. Written at once with `ON CONFLICT DO NOTHING`, then read: another tab of the same buyer that
    made it meanwhile is found, not met as an error, and a code another buyer drew at the same moment
    is drawn again."""
    found_again = select(Collection).where(Collection.point_id == point.id, Collection.buyer_id == buyer.id, Collection.day == day)
    dialect_insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    with db.session.no_autoflush:  # the checkout's own rows are written at its commit
        while (found := db.session.scalar(found_again)) is None:
            # Unique among the point's collections of the weeks a code can still open something, not
            # only that day's: a buyer may come early or late, and one code must never open another's orders.
            taken = set(db.session.scalars(select(Collection.code).where(
                Collection.point_id == point.id, Collection.day >= day - CODE_WINDOW, Collection.day <= day + CODE_WINDOW)))
            code = next(c for c in iter(lambda: f"{secrets.randbelow(1_000_000):06d}", None) if c not in taken)
            db.session.execute(dialect_insert(Collection).values(point_id=point.id, buyer_id=buyer.id, day=day, code=code)
                               .on_conflict_do_nothing())
    return found


# --- the admin's side ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PointDetails:
    name: str
    place: str
    village_id: int
    manager_identifier: str  # their phone or email
    opening_days: list[int]  # Monday 0 … Sunday 6
    opens_minute: int
    closes_minute: int
    capacity_per_day: int


def all_points(actor: User) -> list[CollectionPoint]:
    require_role(actor, ADMIN)
    return list(db.session.scalars(select(CollectionPoint).options(
        joinedload(CollectionPoint.village).joinedload(Village.district), joinedload(CollectionPoint.manager))
        .order_by(CollectionPoint.name)))


def open_point(actor: User, details: PointDetails) -> CollectionPoint:
    """An admin opens a point; its manager must have an account (they sign in to mark drops)."""
    require_role(actor, ADMIN)
    errors: dict[str, object] = {}
    manager = find_user_by_identifier(details.manager_identifier)
    if manager is None:
        errors["manager"] = _l("Nobody has an account with this phone or email. They register first.")
    village = db.session.get(Village, details.village_id)
    if village is None:
        errors["village_id"] = _l("Choose the village.")
    if details.closes_minute <= details.opens_minute:
        errors["closes"] = _l("It must close after it opens.")
    if errors:
        raise InvalidInput(errors)
    point = CollectionPoint(name=details.name.strip(), place=details.place.strip(), village=village, manager=manager,
                            opening_days="".join(str(day) for day in sorted(set(details.opening_days)) if 0 <= day <= 6),
                            opens_minute=details.opens_minute, closes_minute=details.closes_minute,
                            capacity_per_day=details.capacity_per_day)
    db.session.add(point)
    db.session.flush()
    notify_all([Notice(manager, "order_point_opened", lambda: (  # type: ignore[arg-type]
        _("Collection point %(point)s", point=point.name),
        _("You run the collection point %(point)s on Village Square: farmers bring orders there and buyers collect them "
          "with their code. Mark both on the website, in the phone menu or by SMS.", point=point.name),
    ), link=site_path("orders.point_day", point_id=point.id))])
    db.session.commit()
    return point


def set_point_open(actor: User, point_id: int, active: bool) -> CollectionPoint:
    """A closed point is offered to nobody; the orders booked there still go through it."""
    require_role(actor, ADMIN)
    point = db.session.get(CollectionPoint, point_id)
    if point is None:
        raise NotFound(_l("There is no such collection point."))
    point.active = active
    db.session.commit()
    return point


# --- the manager's side ---------------------------------------------------------------------------

def managed_points(actor: User) -> list[CollectionPoint]:
    return list(db.session.scalars(select(CollectionPoint).where(CollectionPoint.manager_id == actor.id)
                                   .options(joinedload(CollectionPoint.village)).order_by(CollectionPoint.name)))


def point_for(actor: User, point_id: int) -> CollectionPoint:
    """A point its manager runs; to anyone else it does not exist."""
    point = db.session.get(CollectionPoint, point_id)
    if point is None or point.manager_id != actor.id:
        raise NotFound(_l("There is no such collection point."))
    return point


@dataclass
class Waiting:
    """One buyer's collection at the point: their orders, and the money to take if not paid yet."""

    collection: Collection
    orders: list[Order] = field(default_factory=list)

    @property
    def to_take(self) -> Money | None:
        unpaid = [o for o in self.orders if o.payment_method is PaymentMethod.ON_PICKUP and o.status is not S.COLLECTED]
        return Money(unpaid[0].currency, sum(o.total_minor for o in unpaid)) if unpaid else None


@dataclass
class DaySheet:
    point: CollectionPoint
    day: date
    to_drop: list[Order]  # booked for the day, not handed over by their farmer yet
    waiting: list[Waiting]  # per buyer: what is at the point
    collected: list[Order]

    @property
    def day_before(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def day_after(self) -> date:
        return self.day + timedelta(days=1)


def day_sheet(actor: User, point_id: int, day: date) -> DaySheet:
    """What the manager does on a day: orders to receive from farmers, buyers to hand orders to."""
    point = point_for(actor, point_id)
    orders = list(db.session.scalars(
        select(Order).join(Collection, Collection.id == Order.collection_id)
        .where(Collection.point_id == point.id, Collection.day == day, Order.status != S.CANCELLED)
        .options(joinedload(Order.collection).joinedload(Collection.buyer), joinedload(Order.farmer), selectinload(Order.items))
        .order_by(Collection.id, Order.id)).unique())
    waiting: dict[int, Waiting] = {}
    for order in orders:
        if order.status in (S.AT_COLLECTION_POINT, S.PAID, S.AWAITING_PAYMENT_AT_PICKUP, S.PLACED):
            waiting.setdefault(order.collection_id, Waiting(order.collection)).orders.append(order)  # type: ignore[arg-type]
    return DaySheet(
        point=point, day=day,
        to_drop=[o for o in orders if o.status in (S.PAID, S.AWAITING_PAYMENT_AT_PICKUP)],
        waiting=[w for w in waiting.values() if any(o.status is S.AT_COLLECTION_POINT for o in w.orders)],
        collected=[o for o in orders if o.status in (S.COLLECTED, S.COMPLETED)],
    )


def _order_at_points_of(actor: User, number: str) -> Order:
    order = db.session.scalar(select(Order).join(Collection, Collection.id == Order.collection_id)
                              .join(CollectionPoint, CollectionPoint.id == Collection.point_id)
                              .where(Order.number == number.strip().upper(), CollectionPoint.manager_id == actor.id))
    if order is None:
        raise NotFound(_l("No order %(number)s is booked at your collection point.", number=number.strip().upper()))
    return order


def mark_dropped(actor: User, number: str) -> Order:
    """The farmer handed order `number` to the point: its buyer is told it waits there, with the code."""
    order = _order_at_points_of(actor, number)  # an order at a point the actor runs: they are its POINT party
    states.transition(order, S.AT_COLLECTION_POINT, party=states.POINT, actor_id=actor.id, reason="handed over by the farmer")
    notify_all([Notice(order.buyer, "order_at_collection_point", lambda: (
        _("Order %(number)s", number=order.number),
        _("Order %(number)s is now: %(status)s.", number=order.number, status=order_status_name(S.AT_COLLECTION_POINT))
        + " " + presentation.collection_sentence(order)
        + " " + _("Your code for the collection point is %(code)s: one code for all your orders there that day.",
                  code=order.pickup_code),
    ), link=site_path("orders.order_page", number=order.number), secret=True)])
    db.session.commit()
    return order


@dataclass(frozen=True)
class Handed:
    """What one code handed over: the orders the buyer took, those still on their way, the money taken."""

    collection: Collection
    collected: list[Order]
    not_dropped_yet: list[Order]
    taken: Money | None


def collect_at_points(actor: User, code: str) -> Handed:
    """The buyer gives their code: every order of theirs waiting at the manager's point goes to them at
    once. A code that opens nothing says so and moves nothing. Codes are unique among a point's
    collections of the weeks around their day (`collection_of`), so one code is one buyer's."""
    code = code.strip()
    if not (code.isdigit() and len(code) == 6):
        raise DomainError(_l("Ask the buyer for their 6-digit code and type it in."), field="code")
    today = local_now().date()
    candidates = db.session.scalars(
        select(Collection).join(CollectionPoint, CollectionPoint.id == Collection.point_id)
        .where(CollectionPoint.manager_id == actor.id, Collection.code == code, Collection.day >= today - CODE_WINDOW,
               Collection.day <= today + timedelta(days=HORIZON_DAYS))
        .options(selectinload(Collection.orders)).order_by(Collection.day, Collection.id))
    for collection in candidates:
        waiting = [o for o in collection.orders if o.status is S.AT_COLLECTION_POINT]
        if waiting:
            break
    else:
        raise DomainError(_l("No orders wait at your collection point under this code. Check the digits with the buyer."),
                          field="code")
    unpaid = [o for o in waiting if o.payment_method is PaymentMethod.ON_PICKUP]
    for order in waiting:
        states.transition(order, S.COLLECTED, party=states.POINT, actor_id=actor.id, reason=f"collected with the code at {collection.point.name}")
    farmers_told = [Notice(order.farmer, "order_collected", lambda order=order: (
        _("Order %(number)s", number=order.number),
        _("Order %(number)s is now: %(status)s.", number=order.number, status=order_status_name(S.COLLECTED))
        + " " + _("The buyer took it at %(point)s.", point=collection.point.name),
    ), link=site_path("orders.order_page", number=order.number)) for order in waiting]
    notify_all(farmers_told)
    db.session.commit()
    return Handed(collection, waiting, [o for o in collection.orders if o.status in (S.PAID, S.AWAITING_PAYMENT_AT_PICKUP)],
                  Money(unpaid[0].currency, sum(o.total_minor for o in unpaid)) if unpaid else None)


def handed_sentence(handed: Handed) -> str:
    """What the manager is told, on the page, on the phone and by SMS."""
    sentence = _("%(buyer)s collected %(orders)s.", buyer=handed.collection.buyer.name,
                 orders=", ".join(o.number for o in handed.collected))
    if handed.taken is not None:
        sentence += " " + _("Take %(amount)s from them for the farmers.", amount=money(handed.taken))
    if handed.not_dropped_yet:
        sentence += " " + _("Not here yet: %(orders)s.", orders=", ".join(o.number for o in handed.not_dropped_yet))
    return sentence
