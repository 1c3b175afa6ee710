"""The phone menus' screens: what a caller sees and can do, each a few lines over a domain's face.

No rule lives here: prices and amounts are read by the catalog's own rules, moves are the orders'
and the listings' machines, money is the ledger's, applications are egov's. The engine
(ussd.engine) walks these screens; ussd.init_app gives it SCREENS.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts import api as accounts
from marketplace.catalog import api as catalog
from marketplace.catalog.api import Listing, ListingStatus, category_name, price_per_unit, quantity, unit_name
from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.egov import api as egov
from marketplace.extensions import db
from marketplace.i18n import LANGUAGE_NAMES, format_day, money
from marketplace.opendata.api import price_per_unit_label, typical_prices_in
from marketplace.orders import api as orders
from marketplace.orders.api import Order, OrderStatus, order_status_name
from marketplace.payments import api as payments
from marketplace.ussd import voice_messages
from marketplace.ussd.answers import find_by_reference, status_text
from marketplace.ussd.calls import remember_language
from marketplace.ussd.engine import Caller, Finish, Menu, Prompt, Push, ScreenSet, Stay, pin_guarded
from marketplace.voice import api as reports

SCREENS = ScreenSet()
menu, prompt, action = SCREENS.menu, SCREENS.prompt, SCREENS.action


@menu("main")
def main_menu(caller: Caller, node: dict) -> Menu:
    options = [(_("Prices"), {"n": "prices_where"}), (_("Applications"), {"n": "applications"})]
    if caller.is_farmer:
        options.append((_("My farm"), {"n": "farm"}))
    if caller.user is not None and orders.managed_points(caller.user):
        options.append((_("Collection point"), {"n": "point"}))
    if caller.channel == "voice" and caller.user is not None and caller.user.village_id:  # a call can leave a voice message
        options.append((_("Report a problem"), {"n": "report_categories"}))
    options.append((_("Language"), {"n": "language"}))
    return Menu(_("Village Square"), options)


# --- prices -----------------------------------------------------------------------------------

@action("prices_where")
def prices_where(caller: Caller, node: dict):
    village = caller.user.village if caller.user else None
    return Push({"n": "price_categories", "d": village.district_id}) if village else Push({"n": "price_districts"})


@menu("price_districts")
def price_districts(caller: Caller, node: dict) -> Menu:
    return Menu(_("Your district?"), [(d.name, {"n": "price_categories", "d": d.id}) for d in accounts.list_districts()])


@menu("price_categories")
def price_categories(caller: Caller, node: dict) -> Menu:
    return Menu(_("Which produce?"), [(category_name(c.slug), {"n": "prices", "d": node["d"], "c": c.id})
                                      for c in catalog.produce_categories()])


@action("prices")
def prices(caller: Caller, node: dict):
    category, district = catalog.get_category(node["c"]), accounts.get_district(node["d"])
    lines = [f"{category_name(category.slug)}, {district.name}:"]
    for unit, median, low, high in typical_prices_in(category.id, district.id, district.region_id,
                                                      current_app.config["DEFAULT_CURRENCY"]):
        lines.append(f"{money(median)} {price_per_unit_label(unit)} ({money(low)}-{money(high)})" if low != high
                     else f"{money(median)} {price_per_unit_label(unit)}")
    if len(lines) == 1:
        lines.append(_("No prices yet."))
    return Finish("\n".join(lines))


# --- applications -----------------------------------------------------------------------------

@action("applications")
def applications(caller: Caller, node: dict):
    return Push({"n": "my_applications"}) if caller.user and egov.own_sent_applications(caller.user) else Push({"n": "reference"})


@menu("my_applications")
def my_applications_menu(caller: Caller, node: dict) -> Menu:
    options = [(f"{s.reference} {egov.submission_status_name(s.status)}", {"n": "application", "s": s.id})
               for s in egov.own_sent_applications(caller.user)]
    options.append((_("Another reference"), {"n": "reference"}))
    return Menu(_("Your applications"), options)


@action("application")
def application(caller: Caller, node: dict):
    submission = egov.own_application(caller.user, node["s"])
    if submission is None:
        return Stay(_("No application has this reference."))
    if caller.channel == "voice" and submission.status is egov.SubmissionStatus.MORE_INFO_REQUESTED:
        return Push({"n": "question", "s": submission.id})
    return Finish(status_text(submission))


@menu("question")
def question_menu(caller: Caller, node: dict) -> Menu:
    """On a call, the office's question is read and answered by a voice message."""
    submission = egov.own_application(caller.user, node["s"])
    asked = _("The office asks: %(question)s", question=submission.info_request) if submission and submission.info_request else ""
    return Menu(f"{submission.reference} ({egov.service_title(submission)}). {asked}" if submission else "",
                [(_("Answer with a voice message"), {"n": "answer_recording", "s": node["s"]})])


@prompt("answer_recording")
def answer_recording():
    def render(caller: Caller, node: dict) -> Prompt:
        return Prompt(_("After the beep, say your answer to the office."), keys="recording")

    def on_input(caller: Caller, node: dict, token: str):
        if not token.startswith(("https://", "http://")):
            return Stay(_("We heard nothing. Speak after the beep."))
        submission = egov.own_application(caller.user, node["s"])
        try:
            egov.answer_info_request(caller.user, submission, _("Answered by a voice message on a phone call."), None)
        except DomainError as error:
            db.session.rollback()
            return Finish(str(error.message))
        voice_messages.leave(caller.user, caller.phone, voice_messages.ANSWER, submission.id, token)
        db.session.commit()
        return Finish(_("Your answer is with the office. They will listen to it."))

    return render, on_input


# --- a resident's report, by voice --------------------------------------------------------------

@menu("report_categories")
def report_categories(caller: Caller, node: dict) -> Menu:
    return Menu(_("What is the problem about?"), [(reports.category_name(category), {"n": "report_recording", "c": category.value})
                                                  for category in reports.ReportCategory])


@prompt("report_recording")
def report_recording():
    def render(caller: Caller, node: dict) -> Prompt:
        return Prompt(_("After the beep, say what the problem is and where it is."), keys="recording")

    def on_input(caller: Caller, node: dict, token: str):
        if not token.startswith(("https://", "http://")):
            return Stay(_("We heard nothing. Speak after the beep."))
        try:
            report = reports.file_report(caller.user, reports.ReportInput(category=node["c"], village_id=caller.user.village_id, voice_message=True))
        except DomainError as error:
            db.session.rollback()
            return Finish(str(error.message))
        voice_messages.leave(caller.user, caller.phone, voice_messages.REPORT, report.id, token)
        db.session.commit()
        return Finish(_("Thank you. Your report number %(number)s is with the department.", number=report.id))

    return render, on_input


@prompt("reference")
def reference_prompt():
    def render(caller: Caller, node: dict) -> Prompt:
        return Prompt(_("Reference number? e.g. AGR-2026-000123"), keys="digits")  # its digits alone are enough

    def on_input(caller: Caller, node: dict, token: str):
        submission = find_by_reference(token, caller.user)
        if submission is None:
            return Stay(_("No application has this reference."))
        return Finish(status_text(submission))

    return render, on_input


# --- the farm ---------------------------------------------------------------------------------

@menu("farm")
def farm(caller: Caller, node: dict) -> Menu:
    return Menu(_("My farm"), [(_("My listings"), {"n": "listings"}), (_("Orders to prepare"), {"n": "orders"}),
                               (_("Money (PIN)"), {"n": "money"})])


@menu("listings")
def listings(caller: Caller, node: dict) -> Menu:
    options = [(f"{listing.title} {quantity(listing.stock_milli, listing.unit)}", {"n": "listing", "l": listing.id})
               for listing in catalog.live_listings_of(caller.user)]
    return Menu(_("My listings") if options else _("You have no listings yet."), options)


def _listing(caller: Caller, node: dict) -> Listing:
    return catalog.listing_to_manage(caller.user, node["l"])


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
        return Prompt(_("How much %(title)s do you have now? (%(unit)s)", title=listing.title, unit=unit_name(listing.unit)), keys="amount")

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
        return Prompt(_("List %(title)s again. How much? (%(unit)s)", title=listing.title, unit=unit_name(listing.unit)), keys="amount")

    def on_input(caller: Caller, node: dict, token: str):
        try:
            catalog.stock_amount(_listing(caller, node).unit, token)  # the catalog's rule, before the price is asked
        except DomainError as error:
            return Stay(str(error.message))
        return Push({"n": "again_price", "l": node["l"], "q": token})

    return render, on_input


@prompt("again_price")
def again_price():
    def render(caller: Caller, node: dict) -> Prompt:
        listing = _listing(caller, node)
        return Prompt(_("Price %(per_unit)s? Last time: %(price)s", per_unit=price_per_unit_label(listing.unit.value), price=money(listing.price)),
                      keys="amount")

    def on_input(caller: Caller, node: dict, token: str):
        try:
            catalog.price_amount(token, _listing(caller, node).currency)
        except DomainError as error:
            return Stay(str(error.message))
        return Push({"n": "again_pin", "l": node["l"], "q": node["q"], "p": token})

    return render, on_input


def _list_again(caller: Caller, node: dict):
    listing = _listing(caller, node)
    data = catalog.listing_again(caller.user, listing)
    data.stock, data.price, data.photo_ids = node["q"], node["p"], [p.photo_id for p in listing.photos]
    try:
        new = catalog.create_listing(caller.user, caller.user, data)
    except DomainError as error:
        db.session.rollback()
        return Finish(str(error.message))
    return Finish(_("%(title)s is on sale: %(amount)s at %(price)s.", title=new.title,
                    amount=quantity(new.stock_milli, new.unit), price=price_per_unit(new)))


prompt("again_pin")(pin_guarded(lambda: _("Enter your PIN to put it on sale"), _list_again))


# --- orders and money -------------------------------------------------------------------------

@menu("orders")
def orders_menu(caller: Caller, node: dict) -> Menu:
    options = [(f"{o.number} {money(o.total)} {order_status_name(o.status)}", {"n": "order", "o": o.number})
               for o in orders.orders_to_hand_over(caller.user)]
    return Menu(_("Orders to prepare") if options else _("No orders to prepare."), options)


def _order(caller: Caller, node: dict) -> Order:
    return orders.get_order_for(caller.user, str(node["o"]))  # NotFound for anyone but its farmer and buyer


@menu("order")
def order_menu(caller: Caller, node: dict) -> Menu:
    order = _order(caller, node)
    items = ", ".join(f"{quantity(i.quantity_milli, i.unit)} {i.title}" for i in order.items)
    options = []
    if OrderStatus.READY_FOR_PICKUP in orders.allowed_moves(caller.user, order):
        options.append((_("Mark ready for pickup"), {"n": "ready", "o": order.number}))
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
    lines = [_("Owed to you: %(amount)s", amount=money(payments.balance(caller.user.id, currency)))]
    paid = payments.paid_out(caller.user.id)
    for entry in paid:
        lines.append(f"{format_day(entry.created_at, 'dd/MM')} {money(Money(entry.currency, -entry.amount_minor))}")
    if not paid:
        lines.append(_("No payouts yet."))
    return Finish("\n".join(lines))


prompt("money")(pin_guarded(lambda: _("Enter your PIN"), _money))


# --- a collection point's manager ---------------------------------------------------------------

@menu("point")
def point_menu(caller: Caller, node: dict) -> Menu:
    return Menu(_("Collection point"), [(_("A farmer brought an order"), {"n": "point_drop"}),
                                        (_("A buyer came to collect"), {"n": "point_collect"})])


@prompt("point_drop")
def point_drop():
    def render(caller: Caller, node: dict) -> Prompt:
        return Prompt(_("Order number? e.g. K7P2QX"))

    def on_input(caller: Caller, node: dict, token: str):
        if caller.user is None:  # the menu offers this to a registered manager only
            return Finish(_("This phone number is not registered on Village Square. Register on the website or at a service centre."))
        try:
            order = orders.mark_dropped(caller.user, token)
        except DomainError as error:  # NotFound too: no such order at their point
            db.session.rollback()
            return Stay(str(error.message))
        return Finish(_("Order %(number)s is at the point. The buyer has been told.", number=order.number))

    return render, on_input


@prompt("point_collect")
def point_collect():
    def render(caller: Caller, node: dict) -> Prompt:
        return Prompt(_("The buyer's 6-digit code?"), keys="digits")

    def on_input(caller: Caller, node: dict, token: str):
        if caller.user is None:
            return Finish(_("This phone number is not registered on Village Square. Register on the website or at a service centre."))
        try:
            handed = orders.collect_at_points(caller.user, token)
        except DomainError as error:
            db.session.rollback()
            return Stay(str(error.message))
        return Finish(orders.handed_sentence(handed))

    return render, on_input


# --- language ---------------------------------------------------------------------------------

@menu("language")
def language(caller: Caller, node: dict) -> Menu:
    return Menu(_("Language"), [(LANGUAGE_NAMES.get(code, code), {"n": "set_language", "code": code})
                                for code in current_app.config["LANGUAGES"]])


@action("set_language")
def set_language(caller: Caller, node: dict):
    code = node["code"]
    caller.session.locale = code
    remember_language(caller.phone, code)  # a voice call speaks it too
    if caller.user is not None:
        caller.user.preferred_locale = code
    with force_locale(code):
        return Finish(_("Village Square will speak to you in %(language)s.", language=LANGUAGE_NAMES.get(code, code)))
