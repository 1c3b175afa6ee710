"""Orders after checkout: who may see them, and what follows a move.

orders.states says which moves exist and who may make each: the farmer prepares
and hands over, the buyer may cancel until the order is ready, and the farmer
may cancel with a reason. Every move writes an OrderEvent (who, their role, the
channel, when, why) and tells the other party through the outbox in their language. Cancelling gives the
stock back and refunds a card payment; completing pays the farmer their share
(orders.card_payments).
"""
from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.selectable import ScalarSelect

from marketplace.accounts.api import User, Village
from marketplace.catalog.api import release_stock
from marketplace.core import header
from marketplace.core.errors import DomainError, NotFound, PermissionDenied
from marketplace.core.money import Money
from marketplace.core.states import SYSTEM
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import site_path
from marketplace.extensions import db
from marketplace.notifications.api import notify_user
from marketplace.orders import card_payments, collection_points, mobile_payments, presentation, shared_trips, states
from marketplace.orders.labels import order_status_name
from marketplace.orders.models import Order, OrderStatus, PaymentMethod
from marketplace.payments.api import CardPaymentsOff, MobileMoneyOff, MoneyInHand, ProviderUnavailable

log = logging.getLogger(__name__)

S = OrderStatus


def _party(actor: User | None, order: Order) -> str | None:
    if actor is None or not actor.is_authenticated:
        return None
    return states.party_of(actor.id, order)


def get_order_for(actor: User, number: str) -> Order:
    """The buyer and the farmer of an order see it; nobody else learns it exists."""
    order = db.session.scalar(select(Order).where(Order.number == number.upper()).options(
        selectinload(Order.items), selectinload(Order.events)))
    if order is None or _party(actor, order) is None:
        raise NotFound(_l("There is no such order."))
    return order


def allowed_moves(actor: User, order: Order) -> list[OrderStatus]:
    return states.targets(order, _party(actor, order))


def move(actor: User, order: Order, to: OrderStatus, reason: str = "", pickup_code: str = "") -> Order:
    """A person moves their order (orders.states says which moves exist and whose they are); the
    money, the stock and the other party follow. Collected needs the buyer's pickup code: the
    farmer hands the produce over to the person who holds it, not to whoever says it was taken."""
    party = _party(actor, order)
    if party is None:
        raise PermissionDenied(_l("This is not your order."))
    if not states.possible(order, to):
        raise DomainError(_l("An order that is %(old)s cannot become %(new)s.",
                             old=order_status_name(order.status), new=order_status_name(to)))
    if not states.ORDER_MOVES.allows(order.status, to, party):
        raise PermissionDenied(_l("Only the farmer can do this."))
    if to is S.CANCELLED and party == states.FARMER and not reason.strip():
        raise DomainError(_l("Tell the buyer why you cancel."), field="reason")
    if to is S.COLLECTED and order.pickup_code and not hmac.compare_digest(pickup_code.strip(), order.pickup_code):
        raise DomainError(_l("Ask the buyer for their 6-digit pickup code and type it in."), field="pickup_code")
    old = order.status
    if to is S.CANCELLED and old is S.PAID and order.payment_method is PaymentMethod.CARD:
        card_payments.refund_cancelled_order(order, actor.id, reason.strip())  # raises, changing nothing, if Stripe fails
    if to is S.CANCELLED and old is S.PAID and order.payment_method is PaymentMethod.MOBILE_MONEY:
        mobile_payments.owe_back(order, actor.id, reason.strip())
    states.transition(order, to, party=party, actor_id=actor.id, reason=reason)
    if to is S.CANCELLED:
        for item in sorted(order.items, key=lambda item: item.listing_id):  # listing rows locked in id order
            release_stock(item.listing_id, item.quantity_milli)
        collection_points.give_place_back(order)
        shared_trips.give_back(order)
    if to is S.COMPLETED:
        card_payments.pay_farmer_for(order)
    other = order.buyer if party == states.FARMER else order.farmer
    notify_user(other, f"order_{to.value}", lambda: (
        _("Order %(number)s", number=order.number),
        _("Order %(number)s is now: %(status)s.", number=order.number, status=order_status_name(to))
        + (" " + _("Reason: %(reason)s", reason=reason.strip()) if reason.strip() else "")
        + (" " + presentation.collection_sentence(order) + " "
           + _("Your pickup code is %(code)s: give it to the farmer when you collect.", code=order.pickup_code)
           if to is S.READY_FOR_PICKUP and order.pickup_code else ""),
    ), link=site_path("orders.order_page", number=order.number),
        secret=bool(to is S.READY_FOR_PICKUP and order.pickup_code))  # the pickup code, kept from admins and logs
    db.session.commit()
    return order


def expire_unpaid_orders(older_than: timedelta) -> list[str]:
    """Cancel card and mobile-money orders still unpaid after `older_than` and give their stock back
    (idempotent: an order is only ever cancelled once, and a rerun finds nothing). A mobile-money
    prompt may have been paid with its callback lost: the provider is asked first, and what it says
    was paid is paid, not cancelled. Returns the order numbers."""
    cutoff = utcnow() - older_than
    _ask_about_lost_mobile_payments(cutoff)
    expired = []
    for order in db.session.scalars(select(Order).where(Order.status == S.PLACED, Order.created_at < cutoff)
                                    .options(selectinload(Order.items)).with_for_update(skip_locked=True)):
        states.transition(order, S.CANCELLED, party=SYSTEM, reason="payment not received in time")
        collection_points.give_place_back(order)
        expired.append(order)
    # Stock goes back listing by listing in id order (the order every stock change locks rows in).
    released: dict[int, int] = {}
    for item in (item for order in expired for item in order.items):
        released[item.listing_id] = released.get(item.listing_id, 0) + item.quantity_milli
    for listing_id in sorted(released):
        release_stock(listing_id, released[listing_id])
    db.session.commit()
    for checkout in {order.checkout for order in expired}:
        try:  # so a card entered late is refused; if Stripe cannot be reached, a late payment is refunded
            card_payments.cancel_payment_if_nothing_due(checkout, "orders expired")
            mobile_payments.cancel_payment_if_nothing_due(checkout, "orders expired")
            db.session.commit()
        except (ProviderUnavailable, CardPaymentsOff, MobileMoneyOff) as error:
            db.session.rollback()
            log.warning("could not cancel the payment of checkout %s: %s", checkout.reference, error)
    return [order.number for order in expired]


def _ask_about_lost_mobile_payments(cutoff) -> None:
    checkouts = {o.checkout for o in db.session.scalars(select(Order).where(
        Order.status == S.PLACED, Order.created_at < cutoff, Order.payment_method == PaymentMethod.MOBILE_MONEY))}
    for checkout in checkouts:
        try:
            mobile_payments.payment_of(checkout, refresh=True)
        except (ProviderUnavailable, MobileMoneyOff) as error:
            db.session.rollback()
            log.warning("could not ask how the M-Pesa payment of checkout %s ended: %s", checkout.reference, error)


UNPAID_ORDER_LIFETIME = timedelta(minutes=30)


EXPIRE_JOB = "orders.expire_unpaid"


def expire_unpaid_orders_job() -> int:
    """The scheduler's form of `flask orders expire`."""
    return len(expire_unpaid_orders(UNPAID_ORDER_LIFETIME))



def stop_paying(buyer: User, reference: str) -> None:
    """The buyer gives up paying now: unpaid card and mobile-money orders are cancelled, stock goes
    back, the cart stays."""
    checkout = card_payments.checkout_of(buyer, reference)
    for order in card_payments.card_orders_due(checkout):
        move(buyer, order, S.CANCELLED, _("Card payment not completed."))
    for order in mobile_payments.mobile_orders_due(checkout):
        move(buyer, order, S.CANCELLED, _("M-Pesa payment not completed."))
    card_payments.cancel_payment_if_nothing_due(checkout, "buyer stopped paying")
    mobile_payments.cancel_payment_if_nothing_due(checkout, "buyer stopped paying")
    db.session.commit()


#: Orders on one page of "My orders" and "Orders to prepare": a phone on 3G gets the newest quickly.
ORDERS_PER_PAGE = 20


@dataclass
class OrderPage:
    orders: list[Order]
    page: int
    has_next: bool


def _page_of(query: Select[tuple[Order]], page: int) -> OrderPage:
    rows = list(db.session.scalars(query.order_by(Order.id.desc()).offset((page - 1) * ORDERS_PER_PAGE).limit(ORDERS_PER_PAGE + 1)))
    return OrderPage(orders=rows[:ORDERS_PER_PAGE], page=page, has_next=len(rows) > ORDERS_PER_PAGE)


def orders_as_buyer(buyer: User, page: int = 1) -> OrderPage:
    """A buyer's orders, newest first, a page at a time, with what the page shows of each: from whom,
    where and when to collect."""
    # Each order has one farmer and one pickup village: joined into the page's one query (a round trip
    # each saved on PostgreSQL); only the items, many per order, come in a second.
    return _page_of(select(Order).where(Order.buyer_id == buyer.id).options(
        selectinload(Order.items), joinedload(Order.farmer).joinedload(User.farmer_profile),
        joinedload(Order.pickup_village).joinedload(Village.district)), page)


def orders_as_farmer(farmer: User, page: int = 1) -> OrderPage:
    """A farmer's orders, newest first, a page at a time."""
    return _page_of(select(Order).where(Order.farmer_id == farmer.id).options(selectinload(Order.items), joinedload(Order.buyer)), page)


def bought_figures(person_id: Any) -> list[Any]:
    """The version of a buyer's order list: how many orders, and the newest change (every change goes
    through the transition table, and any write stamps the order's updated_at). Read with the person
    on "My orders" (core.header)."""
    return [select(func.count()).select_from(Order).where(Order.buyer_id == person_id).scalar_subquery(),
            select(func.max(Order.updated_at)).where(Order.buyer_id == person_id).scalar_subquery()]


def received_figures(person_id: Any) -> list[Any]:
    """As bought_figures, for the orders a farmer receives ("Orders to prepare")."""
    return [select(func.count()).select_from(Order).where(Order.farmer_id == person_id).scalar_subquery(),
            select(func.max(Order.updated_at)).where(Order.farmer_id == person_id).scalar_subquery()]


def buyer_orders_version(buyer: User) -> tuple[object, ...]:
    """The key of the buyer's kept order list: it changes whenever one of their orders is placed or changes."""
    return header.figure("orders_bought", buyer.id, lambda: tuple(db.session.execute(select(*bought_figures(buyer.id))).one()))


def farmer_orders_version(farmer: User) -> tuple[object, ...]:
    """As buyer_orders_version, for the orders a farmer receives."""
    return header.figure("orders_received", farmer.id, lambda: tuple(db.session.execute(select(*received_figures(farmer.id))).one()))


# --- the farmer's packing list per pickup day ------------------------------------------------

#: Orders a farmer still has to hand over at the pickup point.
TO_HAND_OVER = (S.PAID, S.AWAITING_PAYMENT_AT_PICKUP, S.READY_FOR_PICKUP)


@dataclass
class PackingList:
    day: date
    orders: list[Order]
    totals: list[tuple[str, str, int]]  # (title, unit, quantity in milli-units), by title


#: Orders a farmer has still to get ready: what their home page and the header's count show.
TO_PREPARE = (S.PAID, S.AWAITING_PAYMENT_AT_PICKUP)


def orders_to_prepare(farmer: User, limit: int = 10) -> list[Order]:
    """Soonest pickup first, with the buyer and the lines the farmer's home shows."""
    return list(db.session.scalars(select(Order).where(Order.farmer_id == farmer.id, Order.status.in_(TO_PREPARE)).options(
        selectinload(Order.items), selectinload(Order.buyer),
    ).order_by(Order.pickup_on, Order.id).limit(limit)))


def count_to_prepare(farmer: User) -> int:
    return db.session.scalar(select(to_prepare_count(farmer.id))) or 0


def to_prepare_count(farmer_id: Any) -> ScalarSelect[int]:
    """The header's count of a farmer's orders to get ready (core.header sends it with the others);
    `farmer_id` is an id or an SQL parameter."""
    return select(func.count()).select_from(Order).where(Order.farmer_id == farmer_id, Order.status.in_(TO_PREPARE)).scalar_subquery()


def orders_to_hand_over(farmer: User, limit: int = 30) -> list[Order]:
    """The farmer's orders still to prepare or hand over, soonest pickup first."""
    return list(db.session.scalars(select(Order).where(Order.farmer_id == farmer.id, Order.status.in_(TO_HAND_OVER))
                                   .options(selectinload(Order.items)).order_by(Order.pickup_on, Order.id).limit(limit)))


def pickup_days(farmer: User) -> list[date]:
    """Days with orders still to hand over, soonest first."""
    return list(db.session.scalars(
        select(Order.pickup_on).where(Order.farmer_id == farmer.id, Order.pickup_on.is_not(None), Order.status.in_(TO_HAND_OVER))
        .distinct().order_by(Order.pickup_on)
    ))


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def packing_list(farmer: User, day: date) -> PackingList:
    orders = list(db.session.scalars(
        select(Order).where(Order.farmer_id == farmer.id, Order.pickup_on == day, Order.status.in_(TO_HAND_OVER))
        .options(selectinload(Order.items), selectinload(Order.buyer)).order_by(Order.pickup_opens_minute, Order.number)
    ))
    totals: dict[tuple[str, str], int] = {}
    for order in orders:
        for item in order.items:
            totals[(item.title, item.unit)] = totals.get((item.title, item.unit), 0) + item.quantity_milli
    return PackingList(day, orders, [(title, unit, qty) for (title, unit), qty in sorted(totals.items())])


# --- what a farmer sold (for forms the farmer agrees to prefill) ------------------------------

def paid_at_pickup(farmer_id: int) -> list[MoneyInHand]:
    """For "My money": what buyers paid the farmer in hand at pickup (completed orders), and what
    orders still waiting for pickup will bring; one SQL sum each, per currency."""
    rows = []
    for label, statuses in ((_l("Taken at pickup"), (S.COLLECTED, S.DELIVERED, S.COMPLETED)),
                            (_l("Still to collect at pickup"), (S.AWAITING_PAYMENT_AT_PICKUP, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY))):
        for currency, count, total in db.session.execute(
                select(Order.currency, func.count(Order.id), func.sum(Order.total_minor))
                .where(Order.farmer_id == farmer_id, Order.payment_method == PaymentMethod.ON_PICKUP, Order.status.in_(statuses))
                .group_by(Order.currency)):
            rows.append(MoneyInHand(str(label), int(count), Money(currency, int(total))))
    return rows


@dataclass
class SalesSummary:
    completed_orders: int
    currency: str
    value_minor: int
    by_category: list[tuple[str, str, int, int]]  # (category slug, unit, quantity in milli-units, value in minor units)


def sales_summary(farmer_id: int, since: datetime) -> SalesSummary:
    """Completed orders since `since`, summed in SQL: how many, their value, and per category and unit."""
    from sqlalchemy import func

    from marketplace.catalog.api import Category, Listing
    from marketplace.orders.models import OrderItem

    completed = (Order.farmer_id == farmer_id) & (Order.status == S.COMPLETED) & (Order.updated_at >= since)
    count, value = db.session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.items_total_minor), 0)).where(completed)).one()
    rows = db.session.execute(
        select(Category.slug, OrderItem.unit, func.sum(OrderItem.quantity_milli), func.sum(OrderItem.line_total_minor))
        .join(Order, Order.id == OrderItem.order_id).join(Listing, Listing.id == OrderItem.listing_id)
        .join(Category, Category.id == Listing.category_id).where(completed)
        .group_by(Category.slug, OrderItem.unit).order_by(func.sum(OrderItem.line_total_minor).desc())
    ).all()
    currency = db.session.scalar(select(Order.currency).where(completed).limit(1)) or ""
    return SalesSummary(int(count), currency, int(value), [(slug, unit, int(q), int(v)) for slug, unit, q, v in rows])
