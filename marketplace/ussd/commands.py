"""SMS commands: a keyword and its arguments, in any shipped language.

Each keyword is a gettext message with the context "sms command", so translators give the word a
farmer would text in their language (TAYARI, PRÊT, LISTO…); an SMS is recognised in every
language whatever the sender's setting, and the answer is written in the language of the keyword
they used (or the one they chose on the site). Commands call the same services as the web pages.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.core.errors import DomainError, NotFound, PermissionDenied
from marketplace.egov.api import answer_info_request
from marketplace.extensions import db
from marketplace.notifications.api import send_to_number
from marketplace.orders import api as orders
from marketplace.orders.api import Order, OrderStatus
from marketplace.ussd.answers import find_by_reference, status_text
from marketplace.ussd.gateway import InboundSms
from marketplace.ussd.keywords import KEYWORDS, keyword, recognise


def handle(sms: InboundSms, sender: User | None) -> str:
    """Act on one SMS and send the answer back to the phone that sent it; returns the answer."""
    command, args, keyword_locale = recognise(sms.text)
    locale = (sender.preferred_locale if sender else None) or keyword_locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    if keyword_locale and sender is None:
        locale = keyword_locale
    with force_locale(locale):
        text = _answer(command, args, sender, locale)
        send_to_number(sms.phone, locale, "reply_sms", text)
    db.session.commit()
    return text


def _answer(command: str | None, args: list[str], sender: User | None, locale: str) -> str:
    if command is None:
        return _("Village Square did not understand. Send %(help)s for the commands.", help=keyword("help", locale))
    if command == "help":
        return help_text(sender, locale)
    if command == "status":
        submission = find_by_reference(args[0], sender) if args else None
        return status_text(submission) if submission else _("No application has this reference.")
    if sender is None:
        return _("This phone number is not registered on Village Square. Register on the website or at a service centre.")
    handler: Callable = {"ready": _ready, "collected": _collected, "received": _received, "answer": _answer_info}[command]
    try:
        return handler(sender, args, locale)
    except (DomainError, PermissionDenied) as error:
        db.session.rollback()
        return str(error.message)


def help_text(sender: User | None, locale: str) -> str:
    k = {c: keyword(c, locale) for c in KEYWORDS}
    lines = [_("%(status)s reference: the status of an application", status=k["status"])]
    if sender is not None and sender.farmer_profile is not None:
        lines += [_("%(ready)s order: the order is ready for pickup", ready=k["ready"]),
                  _("%(collected)s code: the buyer collected it (their pickup code)", collected=k["collected"])]
    if sender is not None and orders.managed_points(sender):
        lines += [_("%(received)s order: a farmer brought the order to your collection point", received=k["received"]),
                  _("%(collected)s code: hand the buyer everything waiting for them", collected=k["collected"])]
    if sender is not None:
        lines.append(_("%(answer)s reference text: answer the office's question", answer=k["answer"]))
    return "\n".join(lines)


def _ready(farmer: User, args: list[str], locale: str) -> str:
    if not args:
        return _("Send %(ready)s and the order number, e.g. %(ready)s K7P2QX.", ready=keyword("ready", locale))
    try:
        order = orders.get_order_for(farmer, args[0].upper())
    except NotFound:
        return _("You have no order %(number)s.", number=args[0].upper())
    if order.farmer_id != farmer.id:
        return _("You have no order %(number)s.", number=args[0].upper())
    orders.move(farmer, order, OrderStatus.READY_FOR_PICKUP)
    return _("Order %(number)s is ready. The buyer has been told.", number=order.number)


def _collected(farmer: User, args: list[str], locale: str) -> str:
    if not args:
        return _("Send %(collected)s and the buyer's pickup code, e.g. %(collected)s 482913.", collected=keyword("collected", locale))
    if orders.managed_points(farmer):  # a point's manager: the code is a buyer's collection there
        return orders.handed_sentence(orders.collect_at_points(farmer, args[0]))
    order = db.session.scalar(select(Order).where(
        Order.farmer_id == farmer.id, Order.pickup_code == args[0], Order.status == OrderStatus.READY_FOR_PICKUP))
    if order is None:
        return _("No order of yours waiting for pickup has this code. Check the digits with the buyer.")
    orders.move(farmer, order, OrderStatus.COLLECTED, pickup_code=args[0])
    return _("Order %(number)s is collected. Thank you.", number=order.number)


def _received(manager: User, args: list[str], locale: str) -> str:
    if not args:
        return _("Send %(received)s and the order number, e.g. %(received)s K7P2QX.", received=keyword("received", locale))
    try:
        order = orders.mark_dropped(manager, args[0])
    except NotFound as error:
        return str(error.message)
    return _("Order %(number)s is at the point. The buyer has been told.", number=order.number)


def _answer_info(person: User, args: list[str], locale: str) -> str:
    if len(args) < 2:
        return _("Send %(answer)s, the reference and your answer.", answer=keyword("answer", locale))
    submission = find_by_reference(args[0], person)
    if submission is None or submission.applicant_id != person.id:
        return _("No application of yours has this reference.")
    answer_info_request(person, submission, " ".join(args[1:]), None)
    return _("Your answer is attached to %(reference)s. The office will see it.", reference=submission.reference)
