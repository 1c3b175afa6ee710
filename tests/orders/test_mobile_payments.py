"""A checkout paid by M-Pesa, over HTTP, against the fake Daraja: one PIN prompt for every farmer's
mobile-money order, a page that waits (refreshing itself) and asks M-Pesa each time, the orders paid
and the farmers' sales recorded once, and what happens when the buyer's phone never answers."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from marketplace.core.timeutils import utcnow
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.services import expire_unpaid_orders
from marketplace.payments.models import LedgerEntry, LedgerKind, Payment, PaymentStatus
from tests import factories

CALLBACK = "/payments/mpesa/callback/test-mpesa"


def _market(places):
    cats = factories.categories()
    wanjiru = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    otieno = factories.farmer(places["villages"]["Tala"], "Otieno")
    return {"wanjiru": wanjiru, "otieno": otieno, "buyer": factories.user("Amina Buyer", phone="+254712000222"),
            "tomatoes": factories.listing(wanjiru, cats["tomatoes-peppers"], unit="kg", price="120", stock="10"),
            "maize": factories.listing(otieno, cats["maize"], unit="sack", price="4200", stock="3")}


def _an_hour_ago(db, buyer):
    db.session.execute(update(Order).where(Order.buyer_id == buyer.id).values(created_at=utcnow() - timedelta(hours=1)))
    db.session.commit()


def _checkout_by_mpesa(client, login, market):
    login(market["buyer"])
    client.post(f"/cart/add/{market['tomatoes'].id}", data={"quantity": "2"})
    client.post(f"/cart/add/{market['maize'].id}", data={"quantity": "1"})
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="mobile_money"' in page and "M-Pesa, now" in page
    placed = client.post("/checkout", data={f"payment-{market[f].id}": "mobile_money" for f in ("wanjiru", "otieno")})
    assert placed.status_code == 302 and placed.headers["Location"].endswith("/mpesa")
    return placed.headers["Location"]


def test_a_buyer_pays_two_farmers_with_one_mpesa_prompt(client, login, places, mpesa_on, db):
    market = _market(places)
    pay_url = _checkout_by_mpesa(client, login, market)
    page = client.get(pay_url).get_data(as_text=True)
    assert "To pay now: Ksh\xa04,440" in page and 'value="+254 712 000222"' in page  # her own phone, to confirm or change
    client.post(pay_url, data={"phone": "0712 000 222"})
    client.post(pay_url, data={"phone": "0712 000 222"})  # a second tap sends nothing more
    assert len(mpesa_on.prompts) == 1 and mpesa_on.last().amount == 4440 and mpesa_on.last().phone == "254712000222"
    waiting = client.get(pay_url).get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and "Check your phone." in waiting  # waits without JavaScript
    assert client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False)).status_code == 200
    done = client.get(pay_url, follow_redirects=True).get_data(as_text=True)
    assert "Your M-Pesa payment of Ksh\xa04,440 is received" in done and mpesa_on.last().receipt in done
    orders = db.session.scalars(select(Order).where(Order.buyer_id == market["buyer"].id)).all()
    assert {o.status for o in orders} == {OrderStatus.PAID}
    sales = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.SALE)).all()
    assert sorted(e.amount_minor for e in sales) == [240_00, 4200_00]
    assert "Tomatoes" not in client.get("/cart").get_data(as_text=True)  # bought: out of the cart


def test_a_cancelled_prompt_keeps_the_order_and_says_why(client, login, places, mpesa_on, db):
    market = _market(places)
    pay_url = _checkout_by_mpesa(client, login, market)
    client.post(pay_url, data={"phone": "0712000222"})
    client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 1032, deliver=False))
    page = client.get(pay_url).get_data(as_text=True)
    assert "The M-Pesa request was cancelled on the phone." in page and "Send the M-Pesa request" in page
    assert {o.status for o in db.session.scalars(select(Order))} == {OrderStatus.PLACED}


def test_a_phone_m_pesa_cannot_reach_is_refused_on_the_page_with_what_was_typed(client, login, places, mpesa_on):
    market = _market(places)
    pay_url = _checkout_by_mpesa(client, login, market)
    refused = client.post(pay_url, data={"phone": "+44 7911 123456"})
    assert refused.status_code == 422 and "M-Pesa needs a Kenyan mobile number" in refused.get_data(as_text=True)
    assert 'value="+44 7911 123456"' in refused.get_data(as_text=True) and mpesa_on.prompts == []


def test_a_phone_that_never_answers_frees_the_stock_and_a_lost_callback_still_pays(client, login, places, mpesa_on, db):
    market = _market(places)
    pay_url = _checkout_by_mpesa(client, login, market)
    client.post(pay_url, data={"phone": "0712000222"})
    mpesa_on.answer(mpesa_on.last(), 0, deliver=False)  # paid on the phone; the callback is lost
    _an_hour_ago(db, market["buyer"])
    assert expire_unpaid_orders(timedelta(minutes=30)) == []  # the query said paid: nothing expires
    assert {o.status for o in db.session.scalars(select(Order))} == {OrderStatus.PAID}

    other = factories.user("Other Buyer", phone="+254712000333")
    client.post("/logout")
    market["buyer"] = other
    pay_url = _checkout_by_mpesa(client, login, market)
    client.post(pay_url, data={"phone": "0712000333"})  # her phone is off: no answer, no callback
    _an_hour_ago(db, other)
    assert len(expire_unpaid_orders(timedelta(minutes=30))) == 2
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.payer_id == other.id))
    assert payment.status is PaymentStatus.CANCELLED and market["tomatoes"].stock_milli == 10_000 - 2_000  # hers went back


def test_one_person_cannot_make_phones_ring_for_money_without_end(places, mpesa_on, app, database_url):
    """Each send may make a phone ring with a request for money: a few per person, then a polite 429."""
    from marketplace import create_app
    from tests.conftest import FreshContextClient

    limited = create_app({**{k: v for k, v in app.config.items() if k.startswith("MPESA_")}, "TESTING": True, "SECRET_KEY": "x",
                          "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                          "RATELIMIT_STORAGE_URI": "memory://", "MPESA_PROMPT_RATE_LIMIT": "2 per minute",
                          "PASSWORD_HASH_METHOD": app.config.get("PASSWORD_HASH_METHOD", "scrypt")})
    limited.test_client_class = FreshContextClient
    client = limited.test_client()
    market = _market(places)

    def login(user):
        assert client.post("/login", data={"identifier": user.phone, "password": factories.PASSWORD}).status_code == 302

    pay_url = _checkout_by_mpesa(client, login, market)
    answers = [client.post(pay_url, data={"phone": f"07120003{n:02d}"}).status_code for n in range(3)]
    assert answers == [302, 302, 429]
