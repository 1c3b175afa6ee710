"""The USSD menus: a small tree of screens, walked one input at a time.

Every action calls the same service functions as the web pages (catalog's set_stock and
change_status, orders' move, egov's reading of a submission, the ledger's balance), so no rule is
written twice. A screen is a menu (numbered choices, "98 More", "0 Back"), a prompt (free input)
or an action (runs once, when chosen, and ends the session with its answer). Bad input keeps the
caller on the same screen with a short reason in front; nothing they did is lost.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Optional

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts import api as pins
from marketplace.accounts.api import District, User
from marketplace.catalog import api as listing_prefill
from marketplace.catalog import api as catalog
from marketplace.catalog.api import Category, Listing, ListingStatus
from marketplace.catalog.api import category_name, price_per_unit, quantity, unit_name
from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.core.timeutils import as_utc, utcnow
from marketplace.egov.api import submission_status_name
from marketplace.egov.api import Submission
from marketplace.egov.api import my_applications
from marketplace.extensions import db
from marketplace.i18n import LANGUAGE_NAMES, money
from marketplace.opendata.api import price_per_unit_label
from marketplace.opendata.api import typical_prices_in
from marketplace.orders import api as orders
from marketplace.orders.api import order_status_name
from marketplace.orders.api import Order, OrderStatus
from marketplace.payments import api as ledger
from marketplace.payments.api import LedgerKind
from marketplace.ussd.answers import find_by_reference, status_text
from marketplace.ussd.gateway import SCREEN_LIMIT, Screen, UssdRequest
from marketplace.ussd.models import UssdSession
from marketplace.core import params

MORE, BACK = "98", "0"


@dataclass
class Caller:
    phone: str
    user: Optional[User]
    session: UssdSession

    @property
    def is_farmer(self) -> bool:
        return self.user is not None and self.user.farmer_profile is not None


# --- what a screen can be -------------------------------------------------------------------

@dataclass
class Menu:
    title: str
    options: list[tuple[str, dict]]  # (label, the node chosen)


@dataclass
class Prompt:
    text: str


@dataclass
class Finish:
    text: str


@dataclass
class Stay:
    error: str


@dataclass
class Push:
    node: dict


@dataclass
class NodeType:
    render: Callable[[Caller, dict], Any] = None  # -> Menu | Prompt
    on_input: Callable[[Caller, dict, str], Any] = None  # prompts: -> Push | Stay | Finish
    perform: Callable[[Caller, dict], Any] = None  # actions: -> Finish | Stay


NODES: dict[str, NodeType] = {}


def menu(name):
    def register(render):
        NODES[name] = NodeType(render=render)
        return render
    return register


def prompt(name):
    def register(pair):
        render, on_input = pair()
        NODES[name] = NodeType(render=render, on_input=on_input)
        return pair
    return register


def action(name):
    def register(perform):
        NODES[name] = NodeType(perform=perform)
        return perform
    return register


# --- the engine ----------------------------------------------------------------------------

def answer(request: UssdRequest, user: Optional[User]) -> Screen:
    """Apply the inputs this session has not seen yet and say what the phone shows next."""
    session = db.session.get(UssdSession, request.session_id)
    now = utcnow()
    limit = timedelta(seconds=current_app.config["USSD_SESSION_SECONDS"])
    if session is not None and (session.phone != request.phone or now - as_utc(session.updated_at) > limit):
        db.session.delete(session)
        db.session.commit()
        with force_locale(session.locale):
            return Screen(_("Your session has timed out. Please dial again."), end=True)
    if session is None:
        _forget_old_sessions(now)
        session = UssdSession(session_id=request.session_id, phone=request.phone, consumed=0, stack=[{"n": "main"}],
                              locale=user.preferred_locale if user else current_app.config["BABEL_DEFAULT_LOCALE"])
        db.session.add(session)
    caller = Caller(phone=request.phone, user=user, session=session)
    stack = [dict(frame) for frame in session.stack]
    new_inputs = request.inputs[session.consumed:] if len(request.inputs) >= session.consumed else request.inputs
    result: Optional[Screen] = None
    with force_locale(session.locale):
        for token in new_inputs:
            result = _apply(caller, stack, token.strip())
            if result is not None:
                break
        if result is None:
            result = _render(caller, stack)
    session.consumed = len(request.inputs)
    session.stack = stack
    if result.end:
        # A session that ends on its first screen was never written: nothing to delete.
        db.session.expunge(session) if session in db.session.new else db.session.delete(session)
    db.session.commit()
    return result


def _forget_old_sessions(now) -> None:
    db.session.execute(db.delete(UssdSession).where(UssdSession.updated_at < now - timedelta(days=1)))


def _apply(caller: Caller, stack: list[dict], token: str) -> Optional[Screen]:
    top = stack[-1]
    top.pop("error", None)
    kind = NODES[top["n"]]
    if kind.render is not None and kind.on_input is None:  # a menu
        view: Menu = kind.render(caller, top)
        pages = _paginate(caller, view, len(stack) > 1)
        page = min(top.get("page", 1), len(pages))
        if token == BACK and len(stack) > 1:
            stack.pop()
            return None
        if token == MORE and page < len(pages):
            top["page"] = page + 1
            return None
        choice = params.parse_int(token, minimum=1, maximum=len(view.options))  # "²" is a digit to isdigit(), not to int()
        if choice is not None:
            return _enter(caller, stack, dict(view.options[choice - 1][1]))
        top["error"] = _("Choose one of the numbers shown.")
        return None
    if token == BACK and len(stack) > 1 and token != "":
        stack.pop()
        return None
    outcome = kind.on_input(caller, top, token)
    return _follow(caller, stack, outcome)


def _enter(caller: Caller, stack: list[dict], node: dict) -> Optional[Screen]:
    kind = NODES[node["n"]]
    if kind.perform is not None:
        return _follow(caller, stack, kind.perform(caller, node))
    stack.append(node)
    return None


def _follow(caller: Caller, stack: list[dict], outcome) -> Optional[Screen]:
    if isinstance(outcome, Finish):
        return Screen(_fit(outcome.text), end=True)
    if isinstance(outcome, Stay):
        stack[-1]["error"] = outcome.error
        return None
    if isinstance(outcome, Push):
        return _enter(caller, stack, outcome.node)
    raise TypeError(outcome)


def _render(caller: Caller, stack: list[dict]) -> Screen:
    top = stack[-1]
    kind = NODES[top["n"]]
    view = kind.render(caller, top)
    error = top.get("error")
    if isinstance(view, Prompt):
        lines = ([error] if error else []) + [view.text]
        if len(stack) > 1:
            lines.append(_("0 Back"))
        return Screen(_fit("\n".join(lines)))
    pages = _paginate(caller, view, len(stack) > 1, error)
    page = min(top.get("page", 1), len(pages))
    return Screen(pages[page - 1])


def _paginate(caller: Caller, view: Menu, can_go_back: bool, error: Optional[str] = None) -> list[str]:
    """Numbered choices in screens of at most SCREEN_LIMIT characters; numbers run on across pages."""
    head = ([error] if error else []) + [view.title]
    back = [_("0 Back")] if can_go_back else []
    more = _("98 More")
    pages, current = [], list(head)
    for number, (label, _node) in enumerate(view.options, start=1):
        line = f"{number} {label}"
        if len("\n".join(current + [line, more] + back)) > SCREEN_LIMIT and len(current) > len(head):
            pages.append("\n".join(current + [more] + back))
            current = list(head)
        current.append(line)
    pages.append("\n".join(current + back))
    return [_fit(p) for p in pages]


def _fit(text: str) -> str:
    return text if len(text) <= SCREEN_LIMIT else text[:SCREEN_LIMIT - 1] + "…"


# --- the menus ----------------------------------------------------------------------------

@menu("main")
def main_menu(caller: Caller, node: dict) -> Menu:
    options = [(_("Prices"), {"n": "prices_where"}), (_("Applications"), {"n": "applications"})]
    if caller.is_farmer:
        options.append((_("My farm"), {"n": "farm"}))
    options.append((_("Language"), {"n": "language"}))
    return Menu(_("Village Square"), options)


@action("prices_where")
def prices_where(caller: Caller, node: dict):
    village = caller.user.village if caller.user else None
    return Push({"n": "price_categories", "d": village.district_id}) if village else Push({"n": "price_districts"})


@menu("price_districts")
def price_districts(caller: Caller, node: dict) -> Menu:
    districts = db.session.scalars(select(District).order_by(District.name))
    return Menu(_("Your district?"), [(d.name, {"n": "price_categories", "d": d.id}) for d in districts])


@menu("price_categories")
def price_categories(caller: Caller, node: dict) -> Menu:
    # The kinds a farmer sells: categories without subcategories (Tomatoes and peppers, Eggs…).
    parents = select(Category.parent_id).where(Category.parent_id.is_not(None))
    categories = db.session.scalars(select(Category).where(Category.id.not_in(parents)).order_by(Category.parent_id.is_(None), Category.parent_id, Category.position, Category.id))
    return Menu(_("Which produce?"), [(category_name(c.slug), {"n": "prices", "d": node["d"], "c": c.id}) for c in categories])


@action("prices")
def prices(caller: Caller, node: dict):
    category = db.session.get(Category, node["c"])
    district = db.session.get(District, node["d"])
    lines = [f"{category_name(category.slug)}, {district.name}:"]
    for unit, median, low, high in typical_prices_in(category.id, district.id, district.region_id,
                                                      current_app.config["DEFAULT_CURRENCY"]):
        lines.append(f"{money(median)} {price_per_unit_label(unit)} ({money(low)}-{money(high)})" if low != high
                     else f"{money(median)} {price_per_unit_label(unit)}")
    if len(lines) == 1:
        lines.append(_("No prices yet."))
    return Finish("\n".join(lines))


@action("applications")
def applications(caller: Caller, node: dict):
    return Push({"n": "my_applications"}) if caller.user and _own_applications(caller) else Push({"n": "reference"})


def _own_applications(caller: Caller) -> list[Submission]:
    return [s for s in my_applications(caller.user) if s.reference and s.applicant_id == caller.user.id][:20]


@menu("my_applications")
def my_applications_menu(caller: Caller, node: dict) -> Menu:
    options = [(f"{s.reference} {submission_status_name(s.status)}", {"n": "application", "s": s.id})
               for s in _own_applications(caller)]
    options.append((_("Another reference"), {"n": "reference"}))
    return Menu(_("Your applications"), options)


@action("application")
def application(caller: Caller, node: dict):
    submission = db.session.get(Submission, node["s"])
    if submission is None or submission.applicant_id != caller.user.id:
        return Stay(_("No application has this reference."))
    return Finish(status_text(submission))


@prompt("reference")
def reference_prompt():
    def render(caller: Caller, node: dict) -> Prompt:
        return Prompt(_("Reference number? e.g. AGR-2026-000123"))

    def on_input(caller: Caller, node: dict, token: str):
        submission = find_by_reference(token, caller.user)
        if submission is None:
            return Stay(_("No application has this reference."))
        return Finish(status_text(submission))

    return render, on_input


@menu("farm")
def farm(caller: Caller, node: dict) -> Menu:
    return Menu(_("My farm"), [(_("My listings"), {"n": "listings"}), (_("Orders to prepare"), {"n": "orders"}),
                               (_("Money (PIN)"), {"n": "money"})])


def _farmer_listings(caller: Caller) -> list[Listing]:
    return list(db.session.scalars(
        select(Listing).where(Listing.farmer_id == caller.user.id,
                              Listing.status.in_([ListingStatus.ACTIVE, ListingStatus.PAUSED, ListingStatus.SOLD_OUT]))
        .order_by(Listing.id.desc()).limit(30)))


@menu("listings")
def listings(caller: Caller, node: dict) -> Menu:
    options = [(f"{l.title} {quantity(l.stock_milli, l.unit)}", {"n": "listing", "l": l.id}) for l in _farmer_listings(caller)]
    return Menu(_("My listings") if options else _("You have no listings yet."), options)


def _listing(caller: Caller, node: dict) -> Listing:
    listing = db.session.get(Listing, node["l"])
    catalog.require_manage(caller.user, listing)
    return listing


@menu("listing")
def listing_menu(caller: Caller, node: dict) -> Menu:
    listing = _listing(caller, node)
    pause = (_("Put on sale"), {"n": "unpause", "l": listing.id}) if listing.status is ListingStatus.PAUSED \
        else (_("Pause"), {"n": "pause", "l": listing.id})
    return Menu(f"{listing.title}: {price_per_unit(listing)}, {quantity(listing.stock_milli, listing.unit)}",
                [(_("Update stock"), {"n": "stock", "l": listing.id}), pause, (_("List again"), {"n": "again", "l": listing.id})])


@prompt("stock")
def stock_prompt():
    def render(caller: Caller, node: dict) -> Prompt:
        listing = _listing(caller, node)
        return Prompt(_("How much %(title)s do you have now? (%(unit)s)", title=listing.title, unit=unit_name(listing.unit)))

    def on_input(caller: Caller, node: dict, token: str):
        listing = _listing(caller, node)
        try:
            catalog.set_stock(caller.user, listing, token)
        except DomainError as error:
            db.session.rollback()
            return Stay(str(error.message))
        return Finish(_("%(title)s: %(amount)s in stock.", title=listing.title, amount=quantity(listing.stock_milli, listing.unit)))

    return render, on_input


def _status_change(new: ListingStatus, caller: Caller, node: dict):
    listing = _listing(caller, node)
    try:
        catalog.change_status(caller.user, listing, new)
    except DomainError as error:
        db.session.rollback()
        return Stay(str(error.message))
    return Finish(_("%(title)s is on sale.", title=listing.title) if new is ListingStatus.ACTIVE
                  else _("%(title)s is paused: buyers do not see it.", title=listing.title))


action("pause")(lambda caller, node: _status_change(ListingStatus.PAUSED, caller, node))
action("unpause")(lambda caller, node: _status_change(ListingStatus.ACTIVE, caller, node))


@prompt("again")
def again_quantity():
    def render(caller: Caller, node: dict) -> Prompt:
        listing = _listing(caller, node)
        return Prompt(_("List %(title)s again. How much? (%(unit)s)", title=listing.title, unit=unit_name(listing.unit)))

    def on_input(caller: Caller, node: dict, token: str):
        if not re.fullmatch(r"\d+([.,]\d+)?", token):
            return Stay(_("Write the amount as a number, e.g. 20."))
        return Push({"n": "again_price", "l": node["l"], "q": token})

    return render, on_input


@prompt("again_price")
def again_price():
    def render(caller: Caller, node: dict) -> Prompt:
        listing = _listing(caller, node)
        return Prompt(_("Price %(per_unit)s? Last time: %(price)s", per_unit=price_per_unit_label(listing.unit.value), price=money(listing.price)))

    def on_input(caller: Caller, node: dict, token: str):
        if not re.fullmatch(r"\d+([.,]\d{1,2})?", token):
            return Stay(_("Write the price as a number, e.g. 120."))
        return Push({"n": "again_pin", "l": node["l"], "q": node["q"], "p": token})

    return render, on_input


def pin_guarded(text: Callable[[], str], then: Callable[[Caller, dict], Any]):
    """A prompt for the PIN that runs `then` only with the right one: a wrong PIN keeps the screen
    with its reason, a locked PIN ends the session (accounts.pins counts the tries)."""
    def pair():
        def render(caller: Caller, node: dict) -> Prompt:
            return Prompt(text())

        def on_input(caller: Caller, node: dict, token: str):
            try:
                pins.check_pin(caller.user, token)
            except pins.PinLocked as error:
                return Finish(str(error.message))
            except DomainError as error:
                return Stay(str(error.message))
            return then(caller, node)

        return render, on_input

    return pair


def _list_again(caller: Caller, node: dict):
    listing = _listing(caller, node)
    data = listing_prefill.listing_again(caller.user, listing)
    data.stock, data.price, data.photo_ids = node["q"], node["p"], [p.photo_id for p in listing.photos]
    try:
        new = catalog.create_listing(caller.user, caller.user, data)
    except DomainError as error:
        db.session.rollback()
        return Finish(str(error.message))
    return Finish(_("%(title)s is on sale: %(amount)s at %(price)s.", title=new.title,
                    amount=quantity(new.stock_milli, new.unit), price=price_per_unit(new)))


prompt("again_pin")(pin_guarded(lambda: _("Enter your PIN to put it on sale"), _list_again))


#: Orders a farmer still has to prepare or hand over.
OPEN_ORDERS = (OrderStatus.PAID, OrderStatus.AWAITING_PAYMENT_AT_PICKUP, OrderStatus.READY_FOR_PICKUP)


@menu("orders")
def orders_menu(caller: Caller, node: dict) -> Menu:
    rows = db.session.scalars(select(Order).where(Order.farmer_id == caller.user.id, Order.status.in_(OPEN_ORDERS))
                              .order_by(Order.pickup_on, Order.id).limit(30))
    options = [(f"{o.number} {money(o.total)} {order_status_name(o.status)}", {"n": "order", "o": o.id}) for o in rows]
    return Menu(_("Orders to prepare") if options else _("No orders to prepare."), options)


def _order(caller: Caller, node: dict) -> Order:
    order = db.session.get(Order, node["o"])
    if order is None or order.farmer_id != caller.user.id:
        raise DomainError(_("There is no such order."))
    return order


@menu("order")
def order_menu(caller: Caller, node: dict) -> Menu:
    order = _order(caller, node)
    items = ", ".join(f"{quantity(i.quantity_milli, i.unit)} {i.title}" for i in order.items)
    options = []
    if OrderStatus.READY_FOR_PICKUP in orders.allowed_moves(caller.user, order):
        options.append((_("Mark ready for pickup"), {"n": "ready", "o": order.id}))
    return Menu(f"{order.number}: {items}. {money(order.total)}", options)


@action("ready")
def ready(caller: Caller, node: dict):
    order = _order(caller, node)
    try:
        orders.move(caller.user, order, OrderStatus.READY_FOR_PICKUP)
    except DomainError as error:
        db.session.rollback()
        return Stay(str(error.message))
    return Finish(_("Order %(number)s is ready. The buyer has been told.", number=order.number))


def _money(caller: Caller, node: dict):
    currency = current_app.config["DEFAULT_CURRENCY"]
    lines = [_("Owed to you: %(amount)s", amount=money(ledger.balance(caller.user.id, currency)))]
    paid = [e for e in ledger.entries(caller.user.id, limit=50) if e.kind in (LedgerKind.TRANSFER, LedgerKind.MANUAL_PAYOUT)][:3]
    for entry in paid:
        lines.append(f"{entry.created_at:%d/%m} {money(Money(entry.currency, -entry.amount_minor))}")
    if not paid:
        lines.append(_("No payouts yet."))
    return Finish("\n".join(lines))


prompt("money")(pin_guarded(lambda: _("Enter your PIN"), _money))


@menu("language")
def language(caller: Caller, node: dict) -> Menu:
    return Menu(_("Language"), [(LANGUAGE_NAMES.get(code, code), {"n": "set_language", "code": code})
                                for code in current_app.config["LANGUAGES"]])


@action("set_language")
def set_language(caller: Caller, node: dict):
    code = node["code"]
    caller.session.locale = code
    if caller.user is not None:
        caller.user.preferred_locale = code
    with force_locale(code):
        return Finish(_("Village Square will speak to you in %(language)s.", language=LANGUAGE_NAMES.get(code, code)))
