"""Placing a checkout: the cart becomes one order per farmer, stock is reserved atomically.

Everything happens in one transaction: if any line cannot be reserved (someone
else bought the last units a moment ago), nothing is reserved and nothing is
ordered, and the buyer is told which produce ran out. Orders paid by card wait
in "placed" for the payment (orders.card_payments); the cart is emptied when the
payment succeeds, so a declined card loses nothing. Without Stripe keys only
pay-on-pickup is offered.
"""
from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, pgettext
from sqlalchemy import Select, bindparam, delete, exists, select

from marketplace.accounts.api import User
from marketplace.catalog.api import reserve_stock
from marketplace.core import idempotency
from marketplace.core.db import insert_loaded, keep_loaded
from marketplace.core.errors import DomainError, InvalidInput
from marketplace.core.urls import site_path
from marketplace.extensions import db
from marketplace.i18n import money
from marketplace.notifications.api import Notice, notify_all
from marketplace.orders import cart, collection_points, presentation
from marketplace.orders.models import (
    CartItem,
    Checkout,
    Collection,
    Fulfilment,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentMethod,
)
from marketplace.orders.pickup import PickupSlot, next_slots, slot_from_key
from marketplace.payments import api as payments

# No 0/O, 1/I/L: read out over a phone line without mistakes.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass
class FarmerChoice:
    fulfilment: str = Fulfilment.PICKUP.value
    delivery_address: str = ""
    payment_method: str = PaymentMethod.ON_PICKUP.value
    pickup_slot: str = ""


_CHOICE_FIELD = re.compile(r"(fulfilment|address|payment|slot)-([0-9]{1,18})")


def choices_from_form(form: Mapping[str, str]) -> dict[int, FarmerChoice]:
    """The checkout form's choices per farmer, named `payment-<farmer id>` and so on: read from the
    form itself, so placing needs no look at the cart before the service's own. A farmer the form
    says nothing about gets the defaults (pickup, pay at pickup), as the page preselects them."""
    fields: dict[int, dict[str, str]] = {}
    for name in form:
        if matched := _CHOICE_FIELD.fullmatch(name):
            fields.setdefault(int(matched[2]), {})[matched[1]] = form[name]
    return {farmer_id: FarmerChoice(
        fulfilment=given.get("fulfilment", Fulfilment.PICKUP.value), delivery_address=given.get("address", ""),
        payment_method=given.get("payment", PaymentMethod.ON_PICKUP.value), pickup_slot=given.get("slot", ""),
    ) for farmer_id, given in fields.items()}


@dataclass
class CleanChoice:
    fulfilment: Fulfilment
    address: str
    payment: PaymentMethod
    slot: PickupSlot | None
    point: collection_points.PointOffer | None = None


def card_payments_enabled() -> bool:
    return payments.card_payments_enabled()


def pickup_slots_of(farmer: User) -> list[PickupSlot]:
    profile = farmer.farmer_profile
    return next_slots(profile.pickup_windows) if profile else []


def _code(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@functools.cache
def _codes_taken() -> Select:
    return select(exists().where(Checkout.reference == bindparam("reference")),
                  exists().where(Order.number.in_(bindparam("numbers", expanding=True))))


def _fresh_codes(orders: int) -> tuple[str, list[str]]:
    """A new checkout reference and `orders` new order numbers, checked in one look: drawn again,
    all of them, in the rare case one is taken."""
    while True:
        reference, numbers = _code(8), [_code(6) for _ in range(orders)]
        reference_taken, number_taken = db.session.execute(_codes_taken(), {"reference": reference, "numbers": numbers}).one()
        if not (reference_taken or number_taken or len(set(numbers)) < orders):
            return reference, numbers


def _validate_choices(view: cart.CartView, choices: dict[int, FarmerChoice]) -> dict[int, CleanChoice]:
    errors: dict[str, object] = {}
    clean = {}
    for group in view.groups:
        choice = choices.get(group.farmer.id, FarmerChoice())
        point = None
        if choice.fulfilment.startswith(Fulfilment.COLLECTION_POINT.value):
            # The point and its day in one value (the page offers each as one choice).
            point = collection_points.offer_from_key(choice.fulfilment, group.lines[0].listing.village)
            if point is None:
                errors[f"farmer-{group.farmer.id}"] = _l("This collection point cannot take it that day any more. Choose again.")
                continue
            choice = FarmerChoice(Fulfilment.COLLECTION_POINT.value, choice.delivery_address, choice.payment_method, "")
        try:
            fulfilment = Fulfilment(choice.fulfilment)
            payment = PaymentMethod(choice.payment_method)
        except ValueError:
            errors[f"farmer-{group.farmer.id}"] = _l("Choose how to receive and pay for this order.")
            continue
        if fulfilment is Fulfilment.DELIVERY:
            if not all(line.listing.delivery_available for line in group.lines):
                errors[f"farmer-{group.farmer.id}"] = _l("This farmer cannot deliver everything in your cart. Choose pickup.")
            elif not choice.delivery_address.strip():
                errors[f"address-{group.farmer.id}"] = _l("Say where to deliver: village and a landmark.")
        slot = None
        if fulfilment is Fulfilment.PICKUP:
            offered = pickup_slots_of(group.farmer)
            slot = slot_from_key(choice.pickup_slot, offered)
            if offered and slot is None:
                errors[f"slot-{group.farmer.id}"] = _l("Choose when you will collect.")
        if payment is PaymentMethod.CARD and not card_payments_enabled():
            errors[f"payment-{group.farmer.id}"] = _l("Card payment is not available yet. Choose pay on pickup.")
        if payment is PaymentMethod.MOBILE_MONEY and not payments.mobile_money_enabled():
            errors[f"payment-{group.farmer.id}"] = _l("M-Pesa payment is not available yet. Choose pay on pickup.")
        profile = group.farmer.farmer_profile
        if payment is PaymentMethod.ON_PICKUP and profile is not None and not profile.accepts_pay_on_pickup:
            errors[f"payment-{group.farmer.id}"] = _l("This farmer only accepts card payment. Choose card.")
        clean[group.farmer.id] = CleanChoice(fulfilment, choice.delivery_address.strip()[:500], payment, slot, point)
    if errors:
        raise InvalidInput(errors)
    return clean


CHECKOUT_FORM = "checkout"


@dataclass(frozen=True)
class Outcome:
    """What the page after placing needs, computed before the commit: once the orders are committed,
    nothing may fail the buyer's response (a reload after the commit could meet a database gone)."""

    reference: str
    card_payment_due: bool
    mobile_payment_due: bool = False


def outcome_of(checkout: Checkout) -> Outcome:
    return getattr(checkout, "outcome", None) or Outcome(checkout.reference, needs_card_payment(checkout),
                                                         needs_payment_now(checkout, PaymentMethod.MOBILE_MONEY))


def earlier_checkout(buyer: User, submission_key: str | None) -> Checkout | None:
    """The checkout this form already made (a second tab, a double tap, a retried POST)."""
    reference = idempotency.earlier_result(buyer.id, CHECKOUT_FORM, submission_key)
    return db.session.scalar(select(Checkout).where(Checkout.reference == reference, Checkout.buyer_id == buyer.id)) \
        if reference else None


def place_again_lookup(buyer: User, submission_key: str | None) -> Checkout | None:
    """Look once more for the checkout this form made, in a fresh transaction: SQLite keeps a read
    transaction's snapshot, so a second look inside the first would not see the other tab's commit."""
    buyer_id = buyer.id
    db.session.rollback()
    return earlier_checkout(db.session.get(User, buyer_id), submission_key)


def place_checkout(buyer: User, session: MutableMapping, choices: dict[int, FarmerChoice],
                   submission_key: str | None = None) -> Checkout:
    """One submission of the checkout form (`submission_key`) places at most one checkout: a second
    one gets the first one's checkout back, and no stock is taken twice. The form's key is not looked
    up first: a repeat meets the key's unique constraint in `claim` (or finds the cart its first
    sending emptied), and is answered from there."""
    try:
        view = cart.view_cart(buyer, session, to_place=True)
        if view.is_empty:
            raise DomainError(_l("Your cart is empty."))
        if view.has_problems:
            raise DomainError(_l("Some amounts in your cart need your attention first."))
        clean = _validate_choices(view, choices)
    except DomainError:
        # This very form may have been placed already, by a first tap or another tab (its commit
        # empties the cart): that checkout is the answer, not "your cart is empty".
        earlier = place_again_lookup(buyer, submission_key)
        if earlier is not None:
            return earlier
        raise
    buyer_id = buyer.id
    reference, numbers = _fresh_codes(len(view.groups))
    # Claimed with its result at once; straight to the insert, as a repeat is rare (a second tap).
    if idempotency.claim(buyer_id, CHECKOUT_FORM, submission_key, result=reference, look_first=False) is not None:
        return earlier_checkout(db.session.get(User, buyer_id), submission_key)  # the other tab placed it meanwhile

    # Every listing's row is locked in id order, as everywhere stock moves (catalog.stock), so two
    # checkouts sharing listings wait for each other instead of deadlocking.
    for line in sorted((line for group in view.groups for line in group.lines), key=lambda line: line.listing.id):
        if not reserve_stock(line.listing.id, line.quantity_milli):
            db.session.rollback()
            raise DomainError(_l("Sorry, %(title)s has just sold out. Your cart is kept; change the amount or remove it.",
                                 title=line.listing.title), field="sold_out")
    for group in view.groups:  # a collection point's day holds so many orders: taken as stock is
        offer = clean[group.farmer.id].point
        if offer is not None and not collection_points.book_place(offer.point, offer.day):
            db.session.rollback()
            raise InvalidInput({f"farmer-{group.farmer.id}": _l("This collection point is full that day. Choose another day or way.")})
    collections: dict[tuple[int, object], Collection] = {}  # one code for all the buyer's orders at a point that day
    orders = [_order_of(group, clean[group.farmer.id], buyer, number, collections)
              for group, number in zip(view.groups, numbers, strict=True)]
    if not any(order.payment_method in PAID_NOW for order in orders):
        with db.session.no_autoflush:  # nothing pending to write first: the orders are written by _write
            db.session.execute(_EMPTY_CART, {"buyer_id": buyer_id})
        session.pop(cart.SESSION_KEY, None)
    checkout = Checkout(reference=reference, buyer_id=buyer_id, currency=view.total.currency,
                        total_minor=sum(order.total_minor for order in orders), orders=orders)
    _write(checkout)
    for order in orders:
        if order.payment_method is PaymentMethod.ON_PICKUP:
            tell_both(order)  # card orders are announced when paid
    # A plain attribute, not a column: it outlives the commit's expiry of the checkout's columns.
    checkout.outcome = Outcome(reference, needs_card_payment(checkout), needs_payment_now(checkout, PaymentMethod.MOBILE_MONEY))
    db.session().commit_for_response()
    return checkout


def _order_of(group, choice: CleanChoice, buyer: User, number: str, collections: dict) -> Order:
    """One farmer's order of the checkout: snapshots of the lines, the delivery fee, the pickup
    slot and code, and its first history rows (placed; to pay at pickup). Its people and pickup
    place are given as the rows already loaded, not only as ids: the messages about it read them
    without a query. Its collection is given by id only: set as a relationship, the order would join
    that collection's list in the session before `_write` writes it."""
    fulfilment, payment = choice.fulfilment, choice.payment
    buyer_id, first = buyer.id, group.lines[0].listing
    delivery_fee = group.delivery_fee.minor_units if fulfilment is Fulfilment.DELIVERY else 0
    items_total = group.subtotal.minor_units
    status = OrderStatus.AWAITING_PAYMENT_AT_PICKUP if payment is PaymentMethod.ON_PICKUP else OrderStatus.PLACED
    order = Order(
        number=number, buyer=buyer, buyer_id=buyer_id, farmer=group.farmer, farmer_id=group.farmer.id,
        status=status, fulfilment=fulfilment, delivery_address=choice.address, payment_method=payment,
        pickup_point=first.pickup_point if fulfilment is Fulfilment.PICKUP else "",
        pickup_village=first.village if fulfilment is Fulfilment.PICKUP else None,
        pickup_village_id=first.village_id if fulfilment is Fulfilment.PICKUP else None,
        origin_village_id=first.village_id, buyer_village_id=buyer.village_id,
        pickup_on=choice.slot.day if choice.slot else None,
        pickup_opens_minute=choice.slot.opens_minute if choice.slot else None,
        pickup_closes_minute=choice.slot.closes_minute if choice.slot else None,
        items_total_minor=items_total, delivery_fee_minor=delivery_fee, total_minor=items_total + delivery_fee,
        currency=group.subtotal.currency,
        pickup_code=f"{secrets.randbelow(1_000_000):06d}" if fulfilment is Fulfilment.PICKUP else None,
        collection_id=None,
    )
    if choice.point is not None:  # collected at a point: its place, day and hours, and the buyer's one code there
        offer = choice.point
        key = (offer.point.id, offer.day)
        if key not in collections:
            collections[key] = collection_points.collection_of(buyer, offer.point, offer.day)
        collection = collections[key]
        order.collection_id, order.pickup_code = collection.id, collection.code
        order.pickup_point = ", ".join(part for part in (offer.point.name, offer.point.place) if part)
        order.pickup_village, order.pickup_village_id = offer.point.village, offer.point.village_id
        order.pickup_on, order.pickup_opens_minute, order.pickup_closes_minute = offer.day, offer.point.opens_minute, offer.point.closes_minute
    order.items = [
        OrderItem(listing_id=line.listing.id, title=line.listing.title, unit=line.listing.unit.value,
                  unit_price_minor=line.listing.price_minor, quantity_milli=line.quantity_milli,
                  line_total_minor=line.total.minor_units)
        for line in group.lines
    ]
    order.events = [OrderEvent(actor_id=buyer_id, actor_role="buyer", from_status=None, to_status=OrderStatus.PLACED.value,
                               reason="checkout")]
    if status is not OrderStatus.PLACED:
        order.events.append(OrderEvent(actor_id=buyer_id, actor_role="buyer", from_status=OrderStatus.PLACED.value,
                                       to_status=status.value, reason="pay on pickup"))
    return order


_EMPTY_CART = delete(CartItem).where(CartItem.user_id == bindparam("buyer_id"))


def _write(checkout: Checkout) -> None:
    """The checkout, its orders and their lines and first history, written by one INSERT each, not by
    the session's flush: ordering and tracking these rows cost the flush more than writing them (a
    quarter of a checkout's time, measured). They stay in the session as loaded rows."""
    orders = checkout.orders
    items = [item for order in orders for item in order.items]
    events = [event for order in orders for event in order.events]
    with db.session.no_autoflush:
        insert_loaded(db.session, [checkout])
        for order in orders:
            order.checkout_id = checkout.id
        insert_loaded(db.session, orders)
        for order in orders:
            for row in (*order.items, *order.events):
                row.order_id = order.id
        insert_loaded(db.session, items)
        insert_loaded(db.session, events)
        keep_loaded(db.session, [checkout, *orders, *items, *events])


#: Ways paid before the order stands (the cart is kept until the money arrives).
PAID_NOW = (PaymentMethod.CARD, PaymentMethod.MOBILE_MONEY)


def needs_payment_now(checkout: Checkout, method: PaymentMethod) -> bool:
    return any(o.payment_method is method and o.status is OrderStatus.PLACED for o in checkout.orders)


def needs_card_payment(checkout: Checkout) -> bool:
    return needs_payment_now(checkout, PaymentMethod.CARD)


def tell_both(order: Order) -> None:
    """An order that stands (placed to pay at pickup, or paid by card): the farmer is told to
    prepare it, the buyer where, when and from whom to collect it."""
    notify_all([_farmer_notice(order), Notice(order.buyer, "order_confirmed", lambda: (
        _("Order %(number)s", number=order.number),
        _("Village Square: your order %(number)s (%(total)s) is placed.", number=order.number, total=money(order.total))
        + " " + presentation.collection_sentence(order)
        + (" " + (_("Your code for the collection point is %(code)s: one code for all your orders there that day.",
                    code=order.pickup_code) if order.fulfilment is Fulfilment.COLLECTION_POINT else
                  _("Your pickup code is %(code)s: give it to the farmer when you collect.", code=order.pickup_code))
           if order.pickup_code else ""),
    # The pickup code hands the order over: like a one-time code, kept from admins' pages and logs.
    ), link=site_path("orders.order_page", number=order.number), secret=bool(order.pickup_code))])


def _farmer_notice(order: Order) -> Notice:
    # Rendered under the farmer's locale by notify_all, so the total is formatted for them.
    return Notice(order.farmer, "order_placed", lambda: (
        _("New order %(number)s", number=order.number),
        ngettext("New order %(number)s on Village Square: %(num)d item, %(total)s. Open Orders to prepare.",
                 "New order %(number)s on Village Square: %(num)d items, %(total)s. Open Orders to prepare.",
                 len(order.items), number=order.number, total=money(order.total))
        # The keyword is the SMS command's own word in the farmer's language (ussd.commands reads it back).
        + " " + _("Or reply %(ready)s %(number)s when it is ready.", ready=pgettext("sms command", "READY"), number=order.number),
    ), link=site_path("orders.order_page", number=order.number))
