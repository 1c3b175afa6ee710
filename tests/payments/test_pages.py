"""Payment, money and pickup pages over HTTP: who sees what, and what each page says."""
from __future__ import annotations

from datetime import date

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role
from marketplace.orders.models import Order
from marketplace.orders.pickup import local_now
from marketplace.payments.models import LedgerEntry, PayoutAccount
from tests import factories
from tests.payments.test_payouts import _paid_without_network
from tests.support.stripe_fakes import CARD_DECLINED, CARD_OK, PUBLISHABLE_KEY, confirm_card_as_browser


def test_checkout_with_card_leads_to_the_card_page(client, login, market, stripe_on, db):
    login(market["buyer"])
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="card"' in page and "Card, now" in page
    farmer_ids = [market["wanjiru"].id, market["otieno"].id]
    data = {f"payment-{fid}": "card" for fid in farmer_ids}
    response = client.post("/checkout", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/pay")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-publishable-key="{PUBLISHABLE_KEY}"' in page and 'data-client-secret="pi_' in page
    assert "To pay now: Ksh\xa04,500" in page and "4,500" in page
    assert '<script src="https://js.stripe.com/v3/"' in page and "/static/js/pay.js" in page


def test_the_done_page_asks_stripe_and_shows_paid_or_declined(client, login, market, card_checkout, stripe_on, db):
    login(market["buyer"])
    page = client.get(f"/checkout/{card_checkout.reference}/pay").get_data(as_text=True)
    secret = page.split('data-client-secret="')[1].split('"')[0]
    confirm_card_as_browser(stripe_on, secret, CARD_DECLINED)
    done = client.get(f"/checkout/{card_checkout.reference}").get_data(as_text=True)
    assert "The card payment did not go through. Your cart is kept." in done and "Try another card" in done
    assert "Amina" not in client.get("/cart").get_data(as_text=True) and "Ripe tomatoes" in client.get("/cart").get_data(as_text=True)
    confirm_card_as_browser(stripe_on, secret, CARD_OK)
    done = client.get(f"/checkout/{card_checkout.reference}").get_data(as_text=True)
    assert "Your card payment of Ksh\xa0" in done and done.count(">paid<") == 2
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


def test_a_stranger_cannot_open_someone_elses_payment(client, login, market, card_checkout):
    login(factories.user("Stranger"))
    assert client.get(f"/checkout/{card_checkout.reference}/pay").status_code == 404
    assert client.get(f"/checkout/{card_checkout.reference}").status_code == 404
    assert client.post(f"/checkout/{card_checkout.reference}/stop").status_code == 404


def test_stop_paying_returns_to_the_cart(client, login, market, card_checkout, db):
    login(market["buyer"])
    response = client.post(f"/checkout/{card_checkout.reference}/stop", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The unpaid orders are cancelled. Your cart is kept." in page and "Ripe tomatoes" in page


def test_farmer_money_page_shows_only_their_entries(client, login, market, card_checkout, db):
    _paid_without_network(market, card_checkout, db)
    login(market["wanjiru"])
    page = client.get("/sell/money").get_data(as_text=True)
    assert "Ksh\xa0285" in page and "sale paid by card or M-Pesa" in page and "platform fee" in page
    assert "4,200" not in page  # Otieno's sale is not hers
    assert "Get paid through Stripe" in page


def test_buyers_and_farmers_cannot_reach_the_admin_money_pages(client, login, market):
    login(market["wanjiru"])
    assert client.get("/admin/payouts").status_code == 403
    assert client.post(f"/admin/payouts/{market['wanjiru'].id}", data={"amount": "1", "reference": "x"}).status_code == 403
    client.post("/logout")
    login(market["buyer"])
    assert client.get("/sell/money").status_code == 403


def test_admin_reports_exports_and_records_a_manual_payout(client, login, market, card_checkout, db):
    _paid_without_network(market, card_checkout, db)
    login(factories.with_role(Role.ADMIN))
    page = client.get("/admin/payouts").get_data(as_text=True)
    assert "Otieno" in page and "Ksh\xa03,990" in page
    csv = client.get("/admin/payouts?format=csv")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"] and "Otieno" in csv.get_data(as_text=True)
    otieno = market["otieno"].id
    refused = client.post(f"/admin/payouts/{otieno}", data={"amount": "99999", "reference": "MPESA-1", "note": "kept"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "That is more than the farmer is owed." in text and 'value="MPESA-1"' in text and 'value="kept"' in text
    done = client.post(f"/admin/payouts/{otieno}", data={"amount": "3990", "reference": "MPESA-1"}, follow_redirects=True)
    assert "Payout recorded for \u2068Otieno\u2069." in done.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.sum(LedgerEntry.amount_minor)).where(LedgerEntry.farmer_id == otieno)) == 0


def test_onboarding_button_redirects_to_stripe_and_the_return_syncs(client, login, market, stripe_recorder, db):
    stripe_recorder.routes.update({
        ("POST", "/v1/accounts"): {"id": "acct_w", "object": "account"},
        ("POST", "/v1/account_links"): {"object": "account_link", "url": "https://connect.stripe.com/setup/x"},
        ("GET", "/v1/accounts/acct_w"): {"id": "acct_w", "object": "account", "payouts_enabled": True, "details_submitted": True},
    })
    login(market["wanjiru"])
    response = client.post("/sell/money/stripe")
    assert response.status_code == 302 and response.headers["Location"] == "https://connect.stripe.com/setup/x"
    back = client.get("/sell/money/stripe/return", follow_redirects=True).get_data(as_text=True)
    assert "Your Stripe account is ready" in back
    assert db.session.scalar(db.select(PayoutAccount)).payouts_enabled


# --- pickup hours and slots -----------------------------------------------------------------

def test_farmer_sets_pickup_hours_and_a_bad_window_is_explained_and_kept(client, login, market, db):
    login(market["wanjiru"])
    form = {"farm_name": "Wanjiru's farm", "village_id": market["wanjiru"].village_id, "pickup_point": "Mbeu market",
            "accepts_pay_on_pickup": "y", "opens_5": "08:00", "closes_5": "12:00",
            "opens_2": "15:00", "closes_2": "14:00"}
    response = client.post("/farm", data=form)
    page = response.get_data(as_text=True)
    assert "The closing time must be after the opening time." in page and 'value="15:00"' in page and 'value="08:00"' in page
    form["closes_2"] = "17:30"
    assert client.post("/farm", data=form).status_code == 302
    db.session.expire_all()
    windows = [(w.weekday, w.opens_minute, w.closes_minute) for w in market["wanjiru"].farmer_profile.pickup_windows]
    assert windows == [(2, 900, 1050), (5, 480, 720)]
    assert 'value="17:30"' in client.get("/farm").get_data(as_text=True)


def _saturday_mornings(farmer):
    accounts.become_farmer(farmer, farmer.farmer_profile.farm_name, farmer.village_id, "Mbeu market",
                           pickup_hours=[(5, 8 * 60, 12 * 60)])


def test_checkout_offers_the_next_slots_and_the_packing_list_groups_the_day(client, login, market, db):
    _saturday_mornings(market["wanjiru"])
    login(market["buyer"])
    page = client.get("/checkout").get_data(as_text=True)
    assert "When will you collect?" in page and "Saturday" in page
    wanjiru = market["wanjiru"].id
    missing = client.post("/checkout", data={f"slot-{wanjiru}": "1999-01-01@0-1"})
    assert missing.status_code == 422 and "Choose when you will collect." in missing.get_data(as_text=True)
    slot = page.split(f'name="slot-{wanjiru}" value="')[1].split('"')[0]  # the first slot offered (one radio each)
    assert client.post("/checkout", data={f"slot-{wanjiru}": slot}).status_code == 302
    order = db.session.scalar(db.select(Order).where(Order.farmer_id == wanjiru))
    assert order.pickup_on.weekday() == 5 and (order.pickup_opens_minute, order.pickup_closes_minute) == (480, 720)
    assert order.pickup_on >= local_now().date()
    client.post("/logout")
    login(market["wanjiru"])
    packing = client.get("/sell/packing").get_data(as_text=True)
    assert "Bring in total" in packing and "2.5" in packing and "Amina Buyer" in packing and order.number in packing
    assert "to collect: Ksh\xa0" in packing  # pay on pickup: the farmer knows what to ask for


def test_next_slots_skip_a_window_already_closed_today():
    from datetime import datetime

    from marketplace.accounts.models import PickupWindow
    from marketplace.orders.pickup import next_slots

    windows = [PickupWindow(weekday=5, opens_minute=480, closes_minute=720), PickupWindow(weekday=2, opens_minute=900, closes_minute=1000)]
    saturday_noon = datetime(2026, 11, 28, 12, 30)
    slots = next_slots(windows, count=3, now=saturday_noon)
    assert [(s.day.isoformat(), s.opens_minute) for s in slots] == [("2026-12-02", 900), ("2026-12-05", 480), ("2026-12-09", 900)]
    saturday_morning = datetime(2026, 11, 28, 9, 0)
    assert next_slots(windows, count=1, now=saturday_morning)[0].day == date(2026, 11, 28)


def test_a_farmer_who_takes_only_cards_is_not_offered_pay_on_pickup(client, login, market, stripe_on):
    accounts.become_farmer(market["otieno"], "Otieno's farm", market["otieno"].village_id, "Tala", accepts_pay_on_pickup=False)
    login(market["buyer"])
    page = client.get("/checkout").get_data(as_text=True)
    otieno_block = page.split(f'id="payment-{market["otieno"].id}"')[1].split("</fieldset>")[0]
    assert 'value="card"' in otieno_block and 'value="on_pickup"' not in otieno_block
    refused = client.post("/checkout", data={f"payment-{market['otieno'].id}": "on_pickup"})
    assert refused.status_code == 422 and "only accepts card payment" in refused.get_data(as_text=True)


def test_a_guest_with_a_cart_registers_on_the_way_and_lands_back_at_checkout(client, market, places):
    client.post(f"/cart/add/{market['tomatoes'].id}", data={"quantity": "1"})
    to_login = client.get("/checkout")
    assert to_login.status_code == 302 and "/login?next=%2Fcheckout" in to_login.headers["Location"]
    login_page = client.get(to_login.headers["Location"]).get_data(as_text=True)
    assert 'href="/register?next=/checkout"' in login_page
    register_page = client.get("/register?next=%2Fcheckout").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/checkout"' in register_page
    response = client.post("/register", data={
        "name": "New Buyer", "phone": "0733000111", "password": "long-enough-9", "confirm": "long-enough-9",
        "preferred_locale": "en", "village_id": places["villages"]["Tala"].id, "next": "/checkout"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/checkout")
    assert "Ripe tomatoes" in client.get("/checkout").get_data(as_text=True)  # the guest cart followed
