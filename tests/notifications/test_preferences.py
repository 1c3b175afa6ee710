"""Preferences per channel and topic are honoured; marketing is off by default; security ignores them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from marketplace.accounts import services as accounts
from marketplace.notifications import preferences
from marketplace.notifications.models import InboxMessage, OutboxMessage
from marketplace.notifications.services import Notice, notify_all, notify_user
from tests import factories

ORDER_NEWS = ("Order K7P2QX", "Order K7P2QX is now: ready for pickup.")


def _tell(person, kind="order_ready_for_pickup"):
    notify_user(person, kind, lambda: ORDER_NEWS)


def _counts(db, person):
    outbox = {c.value: n for c, n in db.session.execute(
        select(OutboxMessage.channel, func.count()).where(OutboxMessage.user_id == person.id).group_by(OutboxMessage.channel))}
    inbox = db.session.scalars(select(InboxMessage).where(InboxMessage.user_id == person.id)).all()
    return outbox, inbox


def test_defaults_sms_and_site_for_a_phone_email_without_one_marketing_never(places):
    with_phone = factories.user("Phone", email="p@example.org")
    email_only = factories.user("Mail", phone="", email="m@example.org")
    assert preferences.channels_for(with_phone, preferences.ORDERS) == {"sms", "insite"}
    assert {"email", "insite"} <= preferences.channels_for(email_only, preferences.APPLICATIONS)
    assert preferences.channels_for(with_phone, preferences.MARKETING) == set()


def test_several_people_s_channels_are_read_at_once_each_by_their_own_choices(places, count_queries):
    quiet = factories.user("Quiet")
    preferences.save_choices(quiet, {("orders", "insite")})  # no SMS about orders; marketing by SMS
    chatty = factories.user("Chatty", email="c@example.org")
    preferences.save_choices(chatty, {("orders", "sms"), ("orders", "email"), ("marketing", "sms")})
    fresh = factories.user("Fresh")
    asked = [(quiet, preferences.ORDERS), (chatty, preferences.ORDERS), (fresh, preferences.ORDERS),
             (chatty, preferences.MARKETING), (quiet, preferences.SECURITY)]
    assert all(user.phone for user in (quiet, chatty, fresh))  # loaded again after the saves' commits, before counting
    with count_queries() as counted:
        answers = preferences.channels_for_all(asked)
    assert counted.n == 1
    assert answers == [{"insite"}, {"sms", "email"}, {"sms", "insite"}, {"sms"}, set()]
    assert answers == [preferences.channels_for(user, topic) for user, topic in asked]


def test_telling_two_people_at_once_is_as_telling_each(places, db, count_queries):
    """notify_all: each gets what notify_user would have given them, in their own language, with one
    read of preferences and one INSERT of inbox entries for all."""
    farmer = factories.user("Farmer", locale="sw")
    buyer = factories.user("Buyer", email="b@example.org")
    preferences.save_choices(buyer, {("orders", "insite")})  # the inbox only
    assert farmer.phone and buyer.phone  # loaded again after the save's commit, before counting
    render = lambda: (gettext("Order %(number)s", number="K7P2QX"), "news")  # noqa: E731
    with count_queries() as counted:
        firsts = notify_all([Notice(farmer, "order_placed", render, link="/orders/K7P2QX"), Notice(buyer, "order_confirmed", render)])
    assert counted.n == 3  # preferences, the outbox's messages, inbox entries
    db.session.commit()
    assert firsts[0] is not None and db.session.get(OutboxMessage, firsts[0]).recipient == farmer.phone and firsts[1] is None
    assert _counts(db, farmer)[0] == {"sms": 1} and _counts(db, buyer)[0] == {}
    farmer_inbox, buyer_inbox = _counts(db, farmer)[1], _counts(db, buyer)[1]
    assert [(m.kind, m.subject, m.link, m.locale) for m in farmer_inbox] == [("order_placed", "Oda K7P2QX", "/orders/K7P2QX", "sw")]
    assert [(m.kind, m.subject, m.read_at) for m in buyer_inbox] == [("order_confirmed", "Order K7P2QX", None)]


def test_default_delivery_is_one_sms_and_an_unread_inbox_copy(places, db):
    person = factories.user("Phone", email="p@example.org")
    _tell(person)
    outbox, inbox = _counts(db, person)
    assert outbox == {"sms": 1} and len(inbox) == 1 and inbox[0].read_at is None


def test_sms_turned_off_for_orders_leaves_the_inbox_only(places, db):
    person = factories.user("Quiet")
    preferences.save_choices(person, {(preferences.ORDERS, "insite"), (preferences.APPLICATIONS, "sms")})
    _tell(person)
    outbox, inbox = _counts(db, person)
    assert outbox == {} and len(inbox) == 1 and inbox[0].read_at is None
    notify_user(person, "application_submitted", lambda: ("Received", "Application received."))
    outbox, _inbox = _counts(db, person)
    assert outbox == {"sms": 1}


def test_email_chosen_as_well_sends_both(places, db):
    person = factories.user("Both", email="both@example.org")
    preferences.save_choices(person, {(preferences.ORDERS, "sms"), (preferences.ORDERS, "email"), (preferences.ORDERS, "insite")})
    _tell(person)
    outbox, _inbox = _counts(db, person)
    assert outbox == {"sms": 1, "email": 1}


def test_site_turned_off_still_keeps_a_read_copy_of_what_went_by_sms(places, db):
    person = factories.user("Sms only")
    preferences.save_choices(person, {(preferences.ORDERS, "sms")})
    _tell(person)
    outbox, inbox = _counts(db, person)
    assert outbox == {"sms": 1} and len(inbox) == 1 and inbox[0].read_at is not None


def test_everything_off_sends_nothing_and_marketing_is_silent_by_default(places, db):
    person = factories.user("Silent")
    preferences.save_choices(person, set())
    _tell(person)
    other = factories.user("Default")
    notify_user(other, "marketing_weekly_prices", lambda: ("Prices", "This week's prices."))
    assert _counts(db, person) == ({}, []) and _counts(db, other) == ({}, [])
    preferences.save_choices(other, {(preferences.MARKETING, "insite")})
    notify_user(other, "marketing_weekly_prices", lambda: ("Prices", "This week's prices."))
    outbox, inbox = _counts(db, other)
    assert outbox == {} and len(inbox) == 1


def test_a_password_reset_ignores_preferences_and_the_inbox_never_shows_the_link(places, db):
    person = factories.user("Forgetful")
    preferences.save_choices(person, set())
    accounts.request_password_reset(person.phone)
    outbox, inbox = _counts(db, person)
    assert outbox == {"sms": 1}
    assert len(inbox) == 1 and "/password/reset/" not in inbox[0].body and person.phone in inbox[0].body


def test_unknown_choices_and_kinds_without_a_topic_are_refused(places):
    person = factories.user("Someone")
    with pytest.raises(ValueError):
        preferences.save_choices(person, {("security", "sms")})
    with pytest.raises(LookupError):
        notify_user(person, "gossip", lambda: ("", ""))


def test_every_kind_the_code_sends_has_a_topic():
    """A kind without a topic could not be turned off; read every notify_user call (and Notice) in the package."""
    kinds = set()
    for path in Path("marketplace").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("notify_user", "Notice", "_tell_applicant") and len(node.args) > 1:
                kind = node.args[1]
                if isinstance(kind, ast.Constant):
                    kinds.add(kind.value)
                elif isinstance(kind, ast.JoinedStr):  # f"order_{to.value}": the literal prefix decides the topic
                    kinds.add(kind.values[0].value + "x")
    assert {"password_reset", "order_placed", "application_decided", "listing_hidden"} <= kinds
    for kind in kinds:
        assert preferences.topic_for(kind)


def test_the_preferences_page_shows_and_saves_the_choices(client, login, places, db):
    person = factories.user("Chooser", email="c@example.org")
    login(person)
    page = client.get("/profile/notifications").get_data(as_text=True)
    assert '<input checked id="orders__sms"' in page and '<input id="orders__email"' in page
    assert '<input id="marketing__insite"' in page
    response = client.post("/profile/notifications", data={"orders__email": "y", "applications__insite": "y"})
    assert response.status_code == 302
    assert preferences.channels_for(person, preferences.ORDERS) == {"email"}
    assert preferences.channels_for(person, preferences.APPLICATIONS) == {"insite"}
    assert preferences.channels_for(person, preferences.LISTINGS) == set()
    assert "Your notification choices are saved." in client.get("/profile/notifications").get_data(as_text=True)
