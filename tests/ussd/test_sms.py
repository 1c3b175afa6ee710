"""SMS commands in every language, answers through the gateway, and the whole story of an order
told by SMS: stock by USSD, an order on the web, READY by SMS, the pickup code, COLLECTED by SMS."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.egov.models import SubmissionStatus
from marketplace.egov.services import start_application
from marketplace.orders import cart
from marketplace.orders.checkout import place_checkout
from marketplace.orders.models import Order, OrderStatus
from marketplace.ussd.keywords import recognise
from tests.ussd.conftest import SECRET


def _sms(client, gateway, phone, text):
    response = client.post(f"/phone/sms/{SECRET}", data=gateway.sms_form(phone, text))
    assert response.status_code == 200
    return gateway.messages_to(phone)[-1]


@pytest.mark.parametrize("text,command,locale", [
    ("HELP", "help", "en"), ("msaada", "help", "sw"), ("Aide", "help", "fr"), ("AYUDA", "help", "es"),
    ("ajuda", "help", "pt"), ("帮助", "help", "zh"), ("مساعدة", "help", "ar"),
    ("TAYARI K7P2QX", "ready", "sw"), ("pret K7P2QX", "ready", "fr"), ("PRÊT K7P2QX", "ready", "fr"), ("LISTO K7P2QX", "ready", "es"),
])
def test_keywords_are_recognised_in_every_language(app, text, command, locale):
    found, _args, language = recognise(text)
    assert (found, language) == (command, locale)


def test_help_answers_in_the_language_of_the_keyword_through_the_gateway(client, gateway, phones):
    answer = _sms(client, gateway, phones["stranger"], "MSAADA")
    assert "HALI" in answer and "TAYARI" not in answer  # a stranger is not a farmer
    sent = gateway.sent[-1]
    assert sent.to == phones["stranger"] and sent.api_key == "test-key" and sent.username == "sandbox"
    farmer_help = _sms(client, gateway, phones["wanjiru"].phone, "HELP")
    assert "READY order" in farmer_help and "COLLECTED code" in farmer_help


def test_unknown_words_and_unknown_numbers_get_a_clear_answer(client, gateway, phones):
    assert "did not understand" in _sms(client, gateway, phones["stranger"], "hello there")
    assert "not registered" in _sms(client, gateway, phones["stranger"], "READY K7P2QX")
    assert "You have no order" in _sms(client, gateway, phones["wanjiru"].phone, "READY NOPE12")
    assert "order number" in _sms(client, gateway, phones["wanjiru"].phone, "READY")


def test_status_and_an_answer_to_the_office_by_sms(client, gateway, phones, db):
    submission = start_application(phones["resident"], phones["egov"]["services"]["agricultural-input-subsidy"])
    submission.reference, submission.status = "AGR-2026-000077", SubmissionStatus.MORE_INFO_REQUESTED
    db.session.commit()
    # References are sequential: a stranger (or another registered person) learns nothing from one.
    for phone in (phones["stranger"], phones["wanjiru"].phone):
        assert _sms(client, gateway, phone, "STATUS AGR-2026-000077") == "No application has this reference."
        assert _sms(client, gateway, phone, "STATUS 2026000077") == "No application has this reference."
    assert "AGR-2026-000077" in _sms(client, gateway, phones["resident"].phone, "STATUS AGR-2026-000077")
    assert "No application of yours" in _sms(client, gateway, phones["wanjiru"].phone, "ANSWER AGR-2026-000077 hello")
    done = _sms(client, gateway, phones["resident"].phone, "ANSWER AGR-2026-000077 The plot is 2 acres, title deed 4471.")
    assert "attached to AGR-2026-000077" in done
    db.session.expire_all()
    submission = db.session.get(type(submission), submission.id)
    assert submission.status is SubmissionStatus.IN_REVIEW
    assert submission.audit[-1].reason == "The plot is 2 acres, title deed 4471."


def test_a_failed_send_stays_visible_in_the_outbox(client, gateway, phones, db):
    from marketplace.notifications.models import OutboxMessage, OutboxStatus

    gateway.refuse = True
    client.post(f"/phone/sms/{SECRET}", data=gateway.sms_form(phones["stranger"], "HELP"))
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == phones["stranger"]))
    assert message.status is OutboxStatus.FAILED and "refused" in message.last_error


def test_the_whole_story_of_an_order_by_basic_phone(client, dial, gateway, phones, login, db):
    farmer, amina = phones["wanjiru"], phones["amina"]
    # 1. The farmer updates stock by USSD.
    press = dial(farmer.phone)
    press(), press("3")
    listings = press("1")
    press(next(line.split()[0] for line in listings.splitlines() if "Tomatoes" in line))
    press("1")
    assert press("30") == "END Tomatoes: 30 kg in stock."
    # 2. A buyer orders on the web, to pay at pickup.
    login(amina)
    client.post(f"/cart/add/{phones['tomatoes'].id}", data={"quantity": "2"})
    cart_rows = cart.view_cart(amina, {})
    assert not cart_rows.is_empty
    order = place_checkout(amina, {}, {}).orders[0]
    assert re.fullmatch(r"\d{6}", order.pickup_code)
    # 3. The farmer gets the order by SMS, with the word to answer.
    told = gateway.messages_to(farmer.phone)[-1]
    assert order.number in told and f"READY {order.number}" in told
    # 4. The farmer answers READY; the buyer gets the pickup code by SMS.
    assert "is ready" in _sms(client, gateway, farmer.phone, f"ready {order.number.lower()}")
    to_buyer = gateway.messages_to(amina.phone)[-1]
    assert order.pickup_code in to_buyer and "pickup code" in to_buyer
    # 5. At pickup the farmer confirms with the buyer's code.
    assert "No order of yours" in _sms(client, gateway, farmer.phone, "COLLECTED 000000")
    assert "collected" in _sms(client, gateway, farmer.phone, f"COLLECTED {order.pickup_code}")
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.COLLECTED
