"""Every USSD menu path, pagination and back, bad input at each step, unknown numbers, the PIN."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from marketplace.accounts.models import PhonePin
from marketplace.catalog import api as catalog  # the face the menus call
from marketplace.catalog.models import Listing, ListingStatus
from marketplace.core.timeutils import utcnow
from marketplace.egov.models import SubmissionStatus
from marketplace.egov.services import start_application
from marketplace.notifications.models import OutboxMessage
from marketplace.orders import cart
from marketplace.orders.checkout import place_checkout
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import ledger
from marketplace.payments.models import LedgerKind
from marketplace.ussd.models import UssdSession
from tests import factories
from tests.ussd.conftest import SECRET


def test_an_unknown_number_gets_prices_and_status_but_no_farm(dial, phones):
    press = dial(phones["stranger"])
    main = press()
    assert main.startswith("CON Village Square") and "My farm" not in main and "1 Prices" in main
    districts = press("1")
    assert "Your district?" in districts and "Hill" in districts
    hill = next(line.split()[0] for line in districts.splitlines() if line.endswith("Hill"))
    categories = press(hill)
    assert "Which produce?" in categories and "98 More" in categories and "0 Back" in categories
    second = press("98")  # the second page of produce: numbers run on, no "More" on the last page
    last_on_first = int(categories.splitlines()[-3].split()[0])  # the line before "98 More" and "0 Back"
    assert second.splitlines()[1].startswith(f"{last_on_first + 1} ") and "98 More" not in second
    back = press("0")
    assert "Your district?" in back  # back from the produce list to the districts


def test_prices_come_live_from_listings_without_an_index(dial, phones):
    press = dial(phones["wanjiru"].phone)
    press()
    categories = press("1")  # a farmer with a village goes straight to the produce
    number = next(line.split()[0] for line in categories.splitlines() if "Tomatoes" in line or "tomatoes" in line.lower())
    prices = press(number)
    assert prices.startswith("END ") and "Ksh\xa0120 per kg" in prices and "Hill" in prices


def test_bad_input_keeps_the_screen_with_a_reason(dial, phones):
    press = dial(phones["stranger"])
    press()
    again = press("7")
    assert again.startswith("CON Choose one of the numbers shown.\nVillage Square")
    reference = press("2")
    assert "Reference number?" in reference
    wrong = press("XYZ-1")
    assert wrong.startswith("CON No application has this reference.")


def test_application_status_by_reference_or_by_digits(dial, phones, db):
    submission = start_application(phones["resident"], phones["egov"]["services"]["agricultural-input-subsidy"])
    submission.reference, submission.status = "AGR-2026-000042", SubmissionStatus.MORE_INFO_REQUESTED
    db.session.commit()
    press = dial(phones["stranger"])
    press(), press("2")
    assert press("2026000042").startswith("CON No application has this reference.")  # not a stranger's to know
    mine = dial(phones["resident"].phone)
    mine()
    listed = mine("2")
    assert "AGR-2026-000042" in listed and "Another reference" in listed
    assert mine("1").startswith("END AGR-2026-000042")
    by_digits = dial(phones["resident"].phone)
    by_digits(), by_digits("2")
    status = by_digits("2", "2026000042")  # "Another reference", then the digits only
    assert status.startswith("END AGR-2026-000042 (Agricultural input subsidy): more information needed.")
    assert "ANSWER AGR-2026-000042" in status


def test_a_farmer_updates_stock_and_a_wrong_amount_is_explained(dial, phones, db, monkeypatch):
    calls = []
    real = catalog.set_stock
    monkeypatch.setattr(catalog, "set_stock", lambda *a, **k: calls.append(a) or real(*a, **k))
    press = dial(phones["wanjiru"].phone)
    assert "3 My farm" in press()
    assert "My listings" in press("3")
    listings = press("1")
    listing = press(_choice(listings, "Tomatoes"))
    assert "Tomatoes: Ksh\xa0120 per kg, 10 kg" in listing and "1 Update stock" in listing
    assert "How much Tomatoes" in press("1")
    assert press("lots").startswith("CON ") and "number" in press("-3").lower()
    done = press("12.5")
    assert done == "END Tomatoes: 12.5 kg in stock."
    assert db.session.get(Listing, phones["tomatoes"].id).stock_milli == 12500
    assert len(calls) == 3  # every try went through catalog.set_stock, the web's own rule


def _choice(screen: str, word: str) -> str:
    return next(line.split()[0] for line in screen.splitlines() if word in line)


def test_pause_and_put_back_on_sale(dial, phones, db):
    press = dial(phones["wanjiru"].phone)
    press(), press("3")
    number = _choice(press("1"), "Eggs")
    press(number)
    assert press("2") == "END Eggs is paused: buyers do not see it."
    assert db.session.get(Listing, phones["eggs"].id).status is ListingStatus.PAUSED
    again = dial(phones["wanjiru"].phone)
    again(), again("3"), again("1")
    assert "Put on sale" in again(number)
    assert again("2") == "END Eggs is on sale."


def _to_list_again(dial, phone):
    press = dial(phone)
    press(), press("3")
    press(_choice(press("1"), "Tomatoes"))
    return press


def test_list_again_needs_the_pin_and_three_wrong_pins_lock_it(dial, phones, db):
    press = _to_list_again(dial, phones["wanjiru"].phone)
    assert "How much?" in press("3")
    assert press("twenty").startswith("CON Write a number")
    assert "Price per kg?" in press("20")
    assert "PIN" in press("130")
    assert press("1111").startswith("CON Wrong PIN.")
    assert press("2222").startswith("CON Wrong PIN.")
    assert press("3333") == "END Too many wrong PINs. Try again in 30 minutes."
    retry = _to_list_again(dial, phones["wanjiru"].phone)
    retry("3"), retry("20"), retry("130")
    assert retry("2580") == "END Too many wrong PINs. Try again in 30 minutes."  # even the right one, while locked
    db.session.execute(update(PhonePin).values(locked_until=None))
    db.session.commit()
    final = _to_list_again(dial, phones["wanjiru"].phone)
    final("3"), final("20"), final("130")
    done = final("2580")
    assert done.startswith("END ") and "is on sale: 20 kg at Ksh\xa0130 per kg." in done
    assert db.session.scalar(select(Listing).where(Listing.price_minor == 13000)).stock_milli == 20000


def test_orders_to_prepare_and_mark_ready(dial, phones, db):
    cart.add_to_cart(phones["amina"], {}, phones["tomatoes"].id, "2")
    order = place_checkout(phones["amina"], {}, {}).orders[0]
    press = dial(phones["wanjiru"].phone)
    press(), press("3")
    orders = press("2")
    assert order.number in orders
    detail = press("1")
    assert f"{order.number}: 2 kg Tomatoes. Ksh\xa0240" in detail and "1 Mark ready for pickup" in detail
    assert press("1") == f"END Order {order.number} is ready. The buyer has been told."
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.READY_FOR_PICKUP


def test_money_needs_the_pin(dial, phones, db):
    farmer = phones["wanjiru"]
    ledger.record(farmer.id, LedgerKind.SALE, 500_00, "KES", "ORDER1")
    ledger.record(farmer.id, LedgerKind.MANUAL_PAYOUT, -300_00, "KES", "PAY-1", note="M-Pesa")
    db.session.commit()
    press = dial(farmer.phone)
    press(), press("3")
    assert "Enter your PIN" in press("3")
    money = press("2580")
    assert money.startswith("END Owed to you: Ksh\xa0200") and "Ksh\xa0300" in money


def test_language_changes_every_later_screen(dial, phones, db):
    press = dial(phones["amina"].phone)
    press()
    languages = press("3")
    assert "Kiswahili" in languages and "العربية" in languages
    swahili = next(line.split()[0] for line in languages.splitlines() if "Kiswahili" in line)
    assert press(swahili).startswith("END ")
    db.session.expire_all()
    assert db.session.get(type(phones["amina"]), phones["amina"].id).preferred_locale == "sw"
    again = dial(phones["amina"].phone)
    assert "Bei" in again()


def test_sessions_time_out_like_the_network(dial, phones, db):
    press = dial(phones["stranger"])
    press()
    db.session.execute(update(UssdSession).values(updated_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    assert press("1") == "END Your session has timed out. Please dial again."


def test_only_the_gateway_may_call(client, gateway, phones, app, monkeypatch):
    form = {"sessionId": "x", "serviceCode": "*384*1#", "phoneNumber": phones["stranger"], "text": ""}
    assert client.post("/phone/ussd/wrong-secret", data=form).status_code == 404
    monkeypatch.setitem(app.config, "PHONE_GATEWAY_ADDRESSES", ("196.201.214.200",))
    assert client.post(f"/phone/ussd/{SECRET}", data=form).status_code == 403
    allowed = client.post(f"/phone/ussd/{SECRET}", data=form, environ_base={"REMOTE_ADDR": "196.201.214.200"})
    assert allowed.status_code == 200


def test_each_phone_number_is_rate_limited(database_url, phones):
    from marketplace import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_ENABLED": True, "USSD_RATE_LIMIT": "3 per minute", "PHONE_CALLBACK_SECRET": SECRET})
    client = app.test_client()

    def call(phone, n):
        return client.post(f"/phone/ussd/{SECRET}", data={"sessionId": f"s{n}", "serviceCode": "*1#", "phoneNumber": phone, "text": ""}).status_code

    assert [call(phones["stranger"], n) for n in range(4)] == [200, 200, 200, 429]
    assert call("+254733999001", 9) == 200  # another number has its own allowance


def test_the_simulator_relays_key_presses_to_the_real_callback(client, login, gateway, phones, db, app, monkeypatch):
    login(phones["amina"])
    assert client.get("/phone/simulator").status_code == 403  # buyers do not get the trainer's tool
    client.post("/logout")
    monkeypatch.setitem(app.config, "MODE", "development")  # in the demo everyone tries their own phone
    login(phones["wanjiru"])
    assert "Dial *384*1#" in client.get("/phone/simulator").get_data(as_text=True)
    first = client.post("/phone/simulator", data={"dial": "1"}).get_data(as_text=True)
    assert "3 My farm" in first
    session_id = re.search(r'name="session_id" value="([^"]+)"', first).group(1)
    farm = client.post("/phone/simulator", data={"session_id": session_id, "typed": "", "input": "3"}).get_data(as_text=True)
    assert "1 My listings" in farm and 'name="typed" value="3"' in farm
    assert db.session.get(UssdSession, session_id).consumed == 1  # the real callback kept the session
    assert db.session.get(UssdSession, session_id).phone == phones["wanjiru"].phone


def test_a_pin_is_set_on_the_web_by_the_person_or_an_agent_beside_them(client, login, phones, db):
    from marketplace.accounts import pins
    from marketplace.accounts.models import Role
    from tests import factories

    amina = phones["amina"]
    login(amina)
    page = client.post("/profile/pin", data={"pin": "1234", "pin_again": "1234"}).get_data(as_text=True)
    assert "too easy to guess" in page
    assert "not the same" in client.post("/profile/pin", data={"pin": "4826", "pin_again": "4827"}).get_data(as_text=True)
    assert client.post("/profile/pin", data={"pin": "4826", "pin_again": "4826"}).status_code == 302
    pins.check_pin(amina, "4826")
    # A buyer cannot set someone else's PIN: the phone field is only read for agents.
    client.post("/profile/pin", data={"resident_phone": phones["wanjiru"].phone, "pin": "9051", "pin_again": "9051"})
    pins.check_pin(phones["wanjiru"], "2580")
    client.post("/logout")
    agent = factories.with_role(Role.AGENT)
    login(agent)
    # Not without the resident beside the agent: their PIN (and its lockout) stays as it was.
    response = client.post("/profile/pin", data={"resident_phone": phones["resident"].phone, "pin": "7315", "pin_again": "7315"})
    assert response.status_code == 200 and "The person must be with you" in response.get_data(as_text=True)
    assert pins.pin_of(phones["resident"]) is None
    factories.present(agent, phones["resident"])
    response = client.post("/profile/pin", data={"resident_phone": phones["resident"].phone, "pin": "7315", "pin_again": "7315"})
    assert response.status_code == 302
    pins.check_pin(phones["resident"], "7315")
    told = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == phones["resident"].id,
                                                         OutboxMessage.kind == "security_pin_changed"))
    assert told is not None and agent.name in told.body  # the owner hears who changed it


def test_money_says_when_no_pin_is_set_before_asking_for_one(dial, phones, db):
    """Issue 20: 'Money' asked for a PIN, and only after it was typed said none was set."""
    farmer = factories.farmer(phones["places"]["villages"]["Mbeu"], "Baraka")
    press = dial(farmer.phone)
    press(), press("3")
    answer = press("3")
    assert answer.startswith("END Set a PIN first") and "Enter your PIN" not in answer
