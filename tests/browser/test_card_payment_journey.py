"""At 390×844, against localstripe (its Stripe.js stand-in and its signed webhooks): a buyer pays
two farmers by card; a declined card shows the error and keeps the cart."""
from __future__ import annotations

import threading
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db
from marketplace.payments.models import StripeEvent
from tests.browser.pages import add_to_cart, sign_in, two_farmers_market
from tests.support import stripe_fakes

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


@pytest.fixture(scope="module")
def paying_server(database_url):
    """The app with card payments on, served for real, with its own localstripe whose webhooks call it."""
    pytest.importorskip("localstripe", reason="localstripe is not installed (pip install -e '.[dev]')")
    with stripe_fakes.localstripe() as stripe_url:
        app = create_app({
            "TESTING": False, "SECRET_KEY": "live-test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False,
            "STRIPE_SECRET_KEY": stripe_fakes.SECRET_KEY, "STRIPE_PUBLISHABLE_KEY": stripe_fakes.PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": stripe_fakes.WEBHOOK_SECRET, "STRIPE_API_BASE": stripe_url,
            "STRIPE_JS_URL": stripe_url + "/js.stripe.com/v3/",
        })
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base_url = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = base_url
        stripe_fakes.register_webhook(stripe_url, base_url + "/payments/stripe/webhook")
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield base_url
        server.shutdown()
        thread.join(timeout=5)


def _fill_card(page, number: str) -> None:
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    page.get_by_role("button", name="Pay").click()


def _checkout_by_card(page, farmer_ids) -> None:
    page.goto("/checkout")
    for farmer_id in farmer_ids:
        page.locator(f"input[name='payment-{farmer_id}'][value='card']").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()


def _wait_for_event(event_type: str, timeout: float = 15) -> StripeEvent:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        event = db.session.scalar(select(StripeEvent).where(StripeEvent.type == event_type))
        if event is not None:
            return event
        time.sleep(0.2)
    raise AssertionError(f"no {event_type} webhook arrived within {timeout} s")


def test_a_buyer_pays_two_farmers_by_card_and_both_see_the_paid_orders(browser, paying_server, places, screenshot):
    market = two_farmers_market(places)
    wanjiru, otieno = market["wanjiru"], market["otieno"]
    context = browser.new_context(base_url=paying_server, **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, market["buyer"])
    add_to_cart(page, market["eggs"], "2")
    add_to_cart(page, market["maize"], "1")
    _checkout_by_card(page, [wanjiru.id, otieno.id])
    expect(page.get_by_text("To pay now:")).to_contain_text("Ksh\u00a04,680")
    screenshot(page, "pay")
    _fill_card(page, stripe_fakes.CARD_OK)
    expect(page.get_by_text("Your card payment of")).to_be_visible()
    expect(page.locator(".order-status", has_text="paid")).to_have_count(2)
    screenshot(page, "paid")
    _wait_for_event("payment_intent.succeeded")  # Stripe's own word arrives too, signed and verified
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/cart")
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    context.close()

    for farmer, title in ((wanjiru, "Kienyeji eggs"), (otieno, "Dry maize")):
        context = browser.new_context(base_url=paying_server, **PHONE)
        page = context.new_page()
        sign_in(page, farmer)
        page.goto("/sell/orders")
        order = page.locator("li", has_text=title).first
        expect(order).to_contain_text("paid")
        expect(order).to_contain_text("Amina")
        context.close()


def test_a_declined_card_shows_the_error_and_keeps_the_cart(browser, paying_server, places, screenshot):
    market = two_farmers_market(places)
    context = browser.new_context(base_url=paying_server, **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, market["buyer"])
    add_to_cart(page, market["eggs"], "1")
    _checkout_by_card(page, [market["wanjiru"].id])
    _fill_card(page, stripe_fakes.CARD_DECLINED)
    expect(page.get_by_role("alert").filter(has_text="Your card was declined. Nothing was charged.")).to_be_visible()
    expect(page.get_by_role("button", name="Pay")).to_be_enabled()  # free to try another card
    screenshot(page, "declined")
    page.goto("/cart")
    expect(page.get_by_role("link", name="Kienyeji eggs")).to_be_visible()
    context.close()
