"""At 390×844, in English and Arabic, against the fake Daraja (tests/support/fake_daraja.py), which
calls the app back over HTTP with Safaricom's JSON: a buyer pays two farmers with one M-Pesa prompt,
waits on a page that refreshes itself (JavaScript off here, as on a basic browser), and sees the
receipt; a cancelled prompt is said in words and can be sent again."""
from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from marketplace import create_app
from tests import factories
from tests.browser.pages import add_to_cart, sign_in, two_farmers_market
from tests.support import fake_daraja

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
             java_script_enabled=False)

#: The waiting page asks again by itself every five seconds (its <meta http-equiv="refresh">): the tests
#: wait for that, as a person does. Reloading by hand raced it (a fresh clone's make test: "Not attached to an
#: active page" when both navigated at once).
OWN_REFRESH_MS = 15_000


@pytest.fixture(scope="module")
def mpesa_server(database_url, fake_daraja_server):
    app = create_app({
        "TESTING": False, "SECRET_KEY": "live-test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False,
        "MPESA_CONSUMER_KEY": fake_daraja.KEY, "MPESA_CONSUMER_SECRET": fake_daraja.SECRET, "MPESA_SHORTCODE": fake_daraja.SHORTCODE,
        "MPESA_PASSKEY": fake_daraja.PASSKEY, "MPESA_CALLBACK_SECRET": "live-mpesa", "MPESA_API_BASE": fake_daraja_server.url,
        "MPESA_INITIATOR_NAME": fake_daraja.INITIATOR, "MPESA_SECURITY_CREDENTIAL": fake_daraja.CREDENTIAL,
    })
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url  # the CallBackURL Daraja is given
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_buyer_pays_two_farmers_by_mpesa_and_sees_the_receipt(browser, mpesa_server, fake_daraja_server, places,
                                                                  screenshot, language):
    fake_daraja_server.prompts.clear()
    market = two_farmers_market(places)
    buyer = factories.user("Amina", phone="+254712000444")
    context = browser.new_context(base_url=mpesa_server, **PHONE)
    page = context.new_page()
    sign_in(page, buyer)
    add_to_cart(page, market["eggs"], "1")
    add_to_cart(page, market["maize"], "1")
    page.goto(f"/checkout?lang={language}")  # the rest in the language of the test
    for farmer in (market["wanjiru"], market["otieno"]):
        page.locator(f"input[name='payment-{farmer.id}'][value='mobile_money']").check()
    page.locator("main form:has(input[name^='payment-']) button[type=submit]").click()
    expect(page.locator("#phone")).to_have_value("+254 712 000444")  # her phone, to confirm or change
    page.locator("main form:has(#phone) button[type=submit]").click()
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(1)  # it waits, and asks again by itself
    screenshot(page, f"mpesa-waiting-{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    prompt = fake_daraja_server.last()
    assert prompt.amount == 240 + 4200 and prompt.phone == "254712000444"

    fake_daraja_server.answer(prompt, 1032)  # she pressed Cancel on the phone: the callback reaches the app over HTTP
    expect(page.locator("[role=alert]")).to_contain_text(  # the page's own refresh brings it
        "cancelled on the phone" if language == "en" else "أُلغي طلب M-Pesa على الهاتف", timeout=OWN_REFRESH_MS)
    page.locator("main form:has(#phone) button[type=submit]").click()  # send it again
    fake_daraja_server.answer(fake_daraja_server.last(), 0)
    expect(page.locator(".notice[role=status]").first).to_contain_text(fake_daraja_server.last().receipt, timeout=OWN_REFRESH_MS)
    expect(page.get_by_text("Kienyeji eggs").first).to_be_visible()
    screenshot(page, f"mpesa-paid-{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_a_basic_phone_pays_a_checkout_from_the_m_pesa_menu_over_http(mpesa_server, fake_daraja_server, mpesa_on, places):
    """Pay bill for real over HTTP: Daraja calls the app's validation then confirmation URLs (the fake does
    what Safaricom does); an unknown account number is refused before any money moves."""
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.orders import cart
    from marketplace.orders.checkout import FarmerChoice, place_checkout
    from marketplace.orders.models import Order, OrderStatus

    market = two_farmers_market(places)
    cart.add_to_cart(market["buyer"], {}, market["eggs"].id, "1")
    checkout = place_checkout(market["buyer"], {}, {market["wanjiru"].id: FarmerChoice(payment_method="mobile_money")})
    fake_daraja_server.paybill_urls = {"validation": f"{mpesa_server}/payments/mpesa/paybill/validate/live-mpesa",
                                       "confirmation": f"{mpesa_server}/payments/mpesa/paybill/confirm/live-mpesa"}
    refused, nothing = fake_daraja_server.pay_bill("NOSUCH01", 240)
    assert refused["ResultCode"] == "C2B00012" and nothing is None
    accepted, confirmed = fake_daraja_server.pay_bill(checkout.reference, 240)
    assert accepted["ResultCode"] == "0" and confirmed["outcome"] == "paid"
    db.session.expire_all()
    assert db.session.scalar(select(Order).where(Order.checkout_id == checkout.id)).status is OrderStatus.PAID


def test_a_resident_pays_a_fee_by_m_pesa_and_the_application_reaches_the_office(browser, mpesa_server, fake_daraja_server, places,
                                                                                 screenshot):
    from marketplace.egov.versions import ensure_seeded_services
    from tests.egov.conftest import PDF_BYTES

    ensure_seeded_services()
    fake_daraja_server.prompts.clear()
    resident = factories.user("Achieng", phone="+254712000666", village=places["villages"]["Mbeu"])
    context = browser.new_context(base_url=mpesa_server, **PHONE)
    page = context.new_page()
    sign_in(page, resident)
    page.goto("/services/birth-certificate-copy")
    page.locator("main form:not(.language-offer) button[type=submit]").last.click()  # start
    page.fill("#national_id", "12345678")
    page.locator("main form button[type=submit]:not(.link-button)").last.click()
    page.check("input[name=for_whom][value=self]")
    page.fill("#birth_date", "1990-05-04")
    page.locator("#birth_place").select_option(index=1)
    page.locator("main form button[type=submit]:not(.link-button)").last.click()
    page.fill("#copies", "1")
    page.set_input_files("#id_copy", [{"name": "id.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    page.locator("main form button[type=submit]:not(.link-button)").last.click()
    page.check("#declared")  # the only way here is M-Pesa: said on the page, nothing to choose
    page.locator("main form button[type=submit]:not(.link-button)").last.click()
    expect(page.locator("#phone")).to_have_value("+254 712 000666")
    page.locator("main form:has(#phone) button[type=submit]").click()
    prompt = fake_daraja_server.last()
    assert prompt.amount == 200 and prompt.account.startswith("REG-")
    fake_daraja_server.answer(prompt, 0)  # over HTTP to the app
    expect(page.get_by_text("The office has your application.")).to_be_visible(timeout=OWN_REFRESH_MS)
    screenshot(page, "fee-paid-by-mpesa")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_each_farmer_hands_over_an_m_pesa_order_and_is_paid_to_their_phone(browser, mpesa_server, fake_daraja_server, mpesa_on,
                                                                           places, screenshot):
    """One M-Pesa payment for two farmers' orders; each farmer hands over theirs with the buyer's pickup
    code and completes it, and their share goes to their own M-Pesa; Daraja's results come back over
    HTTP; each farmer's "My money" shows it sent."""
    import requests
    from sqlalchemy import select

    from marketplace.core.money import Money
    from marketplace.extensions import db
    from marketplace.orders import cart
    from marketplace.orders.checkout import FarmerChoice, place_checkout
    from marketplace.orders.models import Order
    from marketplace.payments.services import start_mobile_payment

    market = two_farmers_market(places)
    cart.add_to_cart(market["buyer"], {}, market["eggs"].id, "1")
    cart.add_to_cart(market["buyer"], {}, market["maize"].id, "1")
    checkout = place_checkout(market["buyer"], {}, {market[f].id: FarmerChoice(payment_method="mobile_money") for f in ("wanjiru", "otieno")})
    start_mobile_payment(purpose="checkout_mobile", reference=checkout.reference, amount=Money("KES", checkout.total_minor),
                         payer_id=market["buyer"].id, phone=market["buyer"].phone)
    paid = fake_daraja_server.answer(fake_daraja_server.last(), 0, deliver=False)  # the prompt was sent from the test's app:
    requests.post(f"{mpesa_server}/payments/mpesa/callback/live-mpesa", json=paid, timeout=10)  # its callback goes to the live one
    db.session.expire_all()
    shares = {"wanjiru": 228, "otieno": 3990}  # Ksh 240 and Ksh 4,200, less the 5% fee
    for name, share in shares.items():
        farmer = market[name]
        order = db.session.scalar(select(Order).where(Order.checkout_id == checkout.id, Order.farmer_id == farmer.id))
        context = browser.new_context(base_url=mpesa_server, **PHONE)
        page = context.new_page()
        sign_in(page, farmer)
        page.goto(f"/orders/{order.number}")
        page.locator("form:has(input[name=to][value=ready_for_pickup]) button[type=submit]").click()
        page.fill("#pickup_code", order.pickup_code)
        page.locator("form:has(input[name=to][value=collected]) button[type=submit]").click()
        page.locator("form:has(input[name=to][value=completed]) button[type=submit]").click()
        (payout,) = [p for p in fake_daraja_server.payouts if p.phone == farmer.phone[1:]]
        assert payout.amount == share
        assert requests.post(payout.result_url, json=fake_daraja_server.settle(payout, 0), timeout=10).json()["outcome"] == "sent"
        page.goto("/sell/money")
        expect(page.get_by_text("sent to your M-Pesa").first).to_be_visible()
        expect(page.get_by_text("your share is sent to your M-Pesa at")).to_be_visible()
        screenshot(page, f"farmer-paid-to-mpesa-{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        context.close()
    assert len(fake_daraja_server.payouts) == 2


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_admin_reads_the_days_reconciliation_and_closes_a_difference(browser, mpesa_server, fake_daraja_server, mpesa_on, places,
                                                                         screenshot, language):
    """A lost callback (paid at M-Pesa, never told to us) shows up as a difference on the admin's page
    after the day's reconciliation; the admin closes it with what they found, at 390×844."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from marketplace.accounts.models import Role
    from marketplace.core.money import Money
    from marketplace.orders import cart
    from marketplace.orders.checkout import FarmerChoice, place_checkout
    from marketplace.payments import reconciliation
    from marketplace.payments.services import start_mobile_payment

    market = two_farmers_market(places)
    cart.add_to_cart(market["buyer"], {}, market["eggs"].id, "1")
    checkout = place_checkout(market["buyer"], {}, {market["wanjiru"].id: FarmerChoice(payment_method="mobile_money")})
    start_mobile_payment(purpose="checkout_mobile", reference=checkout.reference, amount=Money("KES", checkout.total_minor),
                         payer_id=market["buyer"].id, phone=market["buyer"].phone)
    lost = fake_daraja_server.last()
    fake_daraja_server.answer(lost, 0, deliver=False)  # paid at M-Pesa; the callback never comes
    reconciliation.reconcile_day(datetime.now(ZoneInfo("Africa/Nairobi")).date())
    admin = factories.with_role(Role.ADMIN)
    context = browser.new_context(base_url=mpesa_server, **PHONE)
    page = context.new_page()
    sign_in(page, admin)
    page.goto(f"/admin/payouts?lang={language}")
    section = page.locator("#reconciliation")
    expect(section.get_by_text(lost.receipt)).to_be_visible()
    expect(section.get_by_text("M-Pesa received money we never recorded" if language == "en"
                               else "تلقّت M-Pesa مالًا لم نسجّله قط")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"reconciliation-{language}")
    section.locator("input[name=explanation]").fill("paid at M-Pesa, callback lost: order marked paid by hand")
    section.locator("button[type=submit]").click()
    expect(page.get_by_text("The difference is closed with what you found." if language == "en"
                            else "أُغلق الفرق مع ما وجدته.")).to_be_visible()
    expect(page.locator("#reconciliation").get_by_text(lost.receipt)).to_have_count(0)
    context.close()
