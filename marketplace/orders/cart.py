"""Cart rules: what may go in, in what amounts, and what the buyer sees before checkout.

Two stores behind one set of functions: a guest's cart is a dict in the signed
session cookie ({listing id: [quantity, price seen]}); a signed-in person's is
CartItem rows. Signing in moves the guest's items into the stored cart.
Quantities are checked against the listing's stock, minimum order and order step
when added and again whenever the cart is shown; price changes since adding are
pointed out, never applied silently.
"""
from __future__ import annotations

import functools
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.selectable import ScalarSelect

from marketplace.accounts.api import FarmerProfile, User, Village
from marketplace.catalog.api import ORDER_STEP, Listing, parse_quantity, quantity_decimal
from marketplace.core import header
from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.core.numbers import UnreadableNumber
from marketplace.extensions import db
from marketplace.orders.models import CartItem

SESSION_KEY = "cart"
MAX_ITEMS = 50


@dataclass
class CartLine:
    listing: Listing
    quantity_milli: int
    seen_price_minor: int
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> Money:
        # price per unit x quantity in thousandths, rounded half up to the currency's minor unit
        return Money(self.listing.currency, (self.listing.price_minor * self.quantity_milli + 500) // 1000)

    @property
    def price_changed(self) -> bool:
        return self.seen_price_minor != self.listing.price_minor


@dataclass
class FarmerGroup:
    farmer: User
    lines: list[CartLine]

    @property
    def subtotal(self) -> Money:
        total = Money(self.lines[0].listing.currency, 0)
        for line in self.lines:
            total = total + line.total
        return total

    @property
    def delivery_fee(self) -> Money:
        """What delivery of this farmer's lines costs: the highest fee among them (one trip). The
        checkout page shows it and checkout charges it, by this one rule."""
        return Money(self.lines[0].listing.currency, max((line.listing.delivery_fee_minor for line in self.lines), default=0))


@dataclass
class CartView:
    groups: list[FarmerGroup]

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def item_count(self) -> int:
        return sum(len(g.lines) for g in self.groups)

    @property
    def total(self) -> Money | None:
        if not self.groups:
            return None
        total = Money(self.groups[0].subtotal.currency, 0)
        for group in self.groups:
            total = total + group.subtotal
        return total

    @property
    def has_problems(self) -> bool:
        return any(line.problems for g in self.groups for line in g.lines)


def check_quantity(listing: Listing, quantity_milli: int) -> list[str]:
    """Every reason this amount cannot be bought now (empty when it can)."""
    problems: list[str] = []
    if not listing.is_public:
        return [str(_l("This produce is no longer on sale."))]
    step = ORDER_STEP[listing.unit]
    if quantity_milli <= 0:
        problems.append(str(_l("Choose an amount more than zero.")))
    elif quantity_milli % step:
        problems.append(str(_l("Choose an amount in steps of %(step)s.", step=_plain(step))))
    if listing.min_order_milli and 0 < quantity_milli < listing.min_order_milli:
        problems.append(str(_l("The farmer sells at least %(min)s.", min=_plain(listing.min_order_milli))))
    if quantity_milli > listing.stock_milli:
        problems.append(str(_l("Only %(stock)s left.", stock=_plain(listing.stock_milli)) if listing.stock_milli else _l("Sold out.")))
    return problems


def _plain(milli: int) -> str:
    return format_decimal(quantity_decimal(milli))


def _parse(quantity: str) -> int:
    try:
        return parse_quantity(quantity)
    except UnreadableNumber as problem:
        raise DomainError(problem.message, field="quantity") from None


# --- the two stores ------------------------------------------------------------------------

def _session_items(session: MutableMapping) -> dict[str, list[int]]:
    return dict(session.get(SESSION_KEY) or {})


@functools.cache
def _items_of_person() -> Select:
    return select(CartItem).where(CartItem.user_id == bindparam("user_id"))


def _stored(user: User) -> dict[int, CartItem]:
    return {item.listing_id: item for item in db.session.scalars(_items_of_person(), {"user_id": user.id})}


def add_to_cart(user: User | None, session: MutableMapping, listing_id: int, quantity: str) -> Listing:
    """Add an amount (on top of what is already in the cart); refuses what cannot be bought."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or not listing.is_public:
        raise DomainError(_l("This produce is no longer on sale."))
    added = _parse(quantity)
    signed_in = user is not None and user.is_authenticated
    if signed_in and user.id == listing.farmer_id:
        raise DomainError(_l("This is your own listing."))
    current = _stored(user).get(listing.id) if signed_in else None
    already = (current.quantity_milli if current else 0) if signed_in else int(_session_items(session).get(str(listing.id), [0, 0])[0])
    problems = check_quantity(listing, already + added)
    if problems:
        raise DomainError(" ".join(problems), field="quantity")
    if signed_in:
        if current is None and len(_stored(user)) >= MAX_ITEMS:
            raise DomainError(_l("Your cart is full. Check out first."))
        _add_line(user.id, listing, added)
    else:
        items = _session_items(session)
        if str(listing.id) not in items and len(items) >= MAX_ITEMS:
            raise DomainError(_l("Your cart is full. Check out first."))
        items[str(listing.id)] = [already + added, listing.price_minor]
        session[SESSION_KEY] = items
    return listing


def _add_line(user_id: int, listing: Listing, added: int) -> None:
    """Add to the person's line for this listing, or start it. Written with statements, so the same
    person in two tabs (one checking out, one adding) gets a right cart, not an error (found by
    `make loadtest` with several users on one account)."""
    for _attempt in range(2):
        grown = db.session.execute(
            update(CartItem).where(CartItem.user_id == user_id, CartItem.listing_id == listing.id)
            .values(quantity_milli=CartItem.quantity_milli + added, seen_price_minor=listing.price_minor)
            .execution_options(synchronize_session=False)).rowcount
        if grown:
            db.session.commit()
            return
        for loaded in [o for o in db.session.identity_map.values() if isinstance(o, CartItem)
                       and o.__dict__.get("user_id") == user_id and o.__dict__.get("listing_id") == listing.id]:
            db.session.expunge(loaded)  # the line this request read is gone: forget it before starting anew
        try:
            with db.session.begin_nested():
                db.session.add(CartItem(user_id=user_id, listing_id=listing.id, quantity_milli=added,
                                        seen_price_minor=listing.price_minor))
        except IntegrityError:
            continue  # the other tab started the line first: add to it
        db.session.commit()
        return
    raise DomainError(_l("Your cart changed meanwhile. Try again."))


def set_quantity(user: User | None, session: MutableMapping, listing_id: int, quantity: str) -> None:
    """Change an amount; zero removes the line."""
    milli = _parse(quantity)
    if milli == 0:
        remove(user, session, listing_id)
        return
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        remove(user, session, listing_id)
        raise DomainError(_l("This produce is no longer on sale."))
    problems = check_quantity(listing, milli)
    if problems:
        raise DomainError(" ".join(problems), field="quantity")
    if user is not None and user.is_authenticated:
        # A statement, not the loaded row: the line may have gone meanwhile (a checkout in another tab).
        db.session.execute(update(CartItem).where(CartItem.user_id == user.id, CartItem.listing_id == listing_id)
                           .values(quantity_milli=milli, seen_price_minor=listing.price_minor)
                           .execution_options(synchronize_session=False))
        db.session.commit()
    else:
        items = _session_items(session)
        if str(listing_id) in items:
            items[str(listing_id)] = [milli, listing.price_minor]
            session[SESSION_KEY] = items


def remove(user: User | None, session: MutableMapping, listing_id: int) -> None:
    if user is not None and user.is_authenticated:
        db.session.execute(db.delete(CartItem).where(CartItem.user_id == user.id, CartItem.listing_id == listing_id))
        db.session.commit()
    else:
        items = _session_items(session)
        items.pop(str(listing_id), None)
        session[SESSION_KEY] = items


def lines_in_cart(user: User | None, session: MutableMapping) -> int:
    """How many lines the cart holds, for the header's count: a guest's from the session (no
    query), a signed-in person's with one COUNT (the cart may have changed in another tab)."""
    if user is not None and user.is_authenticated:
        return db.session.scalar(select(stored_lines_count(user.id))) or 0
    return len(_session_items(session))


def stored_lines_count(user_id: Any) -> ScalarSelect[int]:
    """A signed-in person's cart lines, as the header counts them (core.header sends it with the others);
    `user_id` is an id or an SQL parameter."""
    return select(func.count()).select_from(CartItem).where(CartItem.user_id == user_id).scalar_subquery()


def merge_guest_cart(user: User, session: MutableMapping) -> int:
    """At sign-in: the guest's items join the stored cart (amounts add up, capped at the stock)."""
    items = _session_items(session)
    if not items:
        return 0
    stored = _stored(user)
    merged = 0
    for listing_id, (quantity_milli, seen_price) in items.items():
        listing = db.session.get(Listing, int(listing_id))
        if listing is None or not listing.is_public or listing.farmer_id == user.id:
            continue
        item = stored.get(listing.id)
        total = min((item.quantity_milli if item else 0) + int(quantity_milli), listing.stock_milli)
        if total <= 0:
            continue
        if item is None:
            db.session.add(CartItem(user_id=user.id, listing_id=listing.id, quantity_milli=total, seen_price_minor=int(seen_price)))
        else:
            item.quantity_milli = total
        merged += 1
    session.pop(SESSION_KEY, None)
    db.session.commit()
    return merged


def cart_figures(user_id: Any) -> list[Any]:
    """The version of a person's stored cart: its lines, the amounts and prices seen (summed, and
    weighted by listing so that a change to one line always moves them), and the newest change to a
    listing in it (its price, stock or state). Read with the person on the cart page (core.header)."""
    mine = CartItem.user_id == user_id
    return [select(func.count()).select_from(CartItem).where(mine).scalar_subquery(),
            *(select(func.coalesce(func.sum(column), 0)).where(mine).scalar_subquery() for column in (
                CartItem.quantity_milli, CartItem.seen_price_minor, CartItem.listing_id * CartItem.quantity_milli,
                CartItem.listing_id * CartItem.seen_price_minor)),
            select(func.max(Listing.updated_at)).join(CartItem, CartItem.listing_id == Listing.id).where(mine).scalar_subquery()]


def stored_cart_version(user: User) -> tuple[object, ...]:
    """The key of the person's kept cart page: it changes whenever their cart or a listing in it changes."""
    return header.figure("cart", user.id, lambda: tuple(db.session.execute(select(*cart_figures(user.id))).one()))


@functools.cache
def _listings_in_cart(to_place: bool) -> Select:
    """Built once (the loader options cost more to build than the query takes to run). Placing reads
    each farmer's pickup days (checked against the chosen slot) and shows no photos."""
    shown = (joinedload(Listing.farmer).joinedload(User.farmer_profile).joinedload(FarmerProfile.pickup_windows),) if to_place \
        else (selectinload(Listing.photos),)
    return select(Listing).where(Listing.id.in_(bindparam("ids", expanding=True))).options(
        joinedload(Listing.farmer).joinedload(User.farmer_profile), joinedload(Listing.village).joinedload(Village.district), *shown)


def view_cart(user: User | None, session: MutableMapping, *, to_place: bool = False) -> CartView:
    """The cart grouped by farmer, each line re-checked against today's stock and price. `to_place`:
    read for placing it, which shows no photos (the places stay: the buyer's message names where to collect)."""
    if user is not None and user.is_authenticated:
        wanted = {item.listing_id: (item.quantity_milli, item.seen_price_minor) for item in _stored(user).values()}
    else:
        wanted = {int(k): (int(v[0]), int(v[1])) for k, v in _session_items(session).items()}
    if not wanted:
        return CartView(groups=[])
    listings = db.session.scalars(_listings_in_cart(to_place), {"ids": list(wanted)}).unique()
    groups: dict[int, FarmerGroup] = {}
    for listing in sorted(listings, key=lambda item: (item.farmer_id, item.id)):
        quantity, seen = wanted[listing.id]
        line = CartLine(listing=listing, quantity_milli=quantity, seen_price_minor=seen, problems=check_quantity(listing, quantity))
        if line.price_changed and listing.is_public:
            line.problems.append(str(_l("The price changed since you added this.")))
        groups.setdefault(listing.farmer_id, FarmerGroup(farmer=listing.farmer, lines=[])).lines.append(line)
    return CartView(groups=list(groups.values()))
