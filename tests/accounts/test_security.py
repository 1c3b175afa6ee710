"""Accounts as an attacker sees them: copied cookies, remember-me tokens, planted sessions,
sign-in limits, account probing, and who may end whose sessions (issue 17, ASVS V2/V3)."""
from __future__ import annotations

import pytest

from marketplace.accounts import services
from marketplace.accounts.models import Role
from marketplace.core.errors import PermissionDenied
from marketplace.extensions import db
from tests import factories


def _cookie(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def _copy_of(app, cookies: dict[str, str | None]):
    """A second browser holding copies of the cookies (what a thief copies off a shared computer)."""
    other = app.test_client()
    for name, value in cookies.items():
        if value:
            other.set_cookie(name, value)
    return other


def _signed_in_with(app, **cookies) -> bool:
    return _copy_of(app, cookies).get("/profile").status_code == 200


def test_a_session_copied_before_sign_out_opens_nothing_after_it(app, client, login, places):
    person = factories.user()
    login(person)
    copied = _cookie(client, "session")
    assert _signed_in_with(app, session=copied)  # the copy works while the person is signed in…
    client.post("/logout")
    assert not _signed_in_with(app, session=copied)  # …and not after they sign out


def test_remember_me_ends_at_sign_out_and_changes_at_the_next_sign_in(app, client, places):
    person = factories.user()
    client.post("/login", data={"identifier": person.phone, "password": factories.PASSWORD, "remember": "y"})
    first_token = _cookie(client, "remember_token")
    assert first_token and _signed_in_with(app, remember_token=first_token)
    client.post("/logout")
    assert not _signed_in_with(app, remember_token=first_token)
    client.post("/login", data={"identifier": person.phone, "password": factories.PASSWORD, "remember": "y"})
    assert _cookie(client, "remember_token") not in (None, first_token)
    assert app.config["REMEMBER_COOKIE_DURATION"].days <= 30


def test_a_password_reset_ends_every_session_and_remember_me_token(app, client, places):
    person = factories.user()
    client.post("/login", data={"identifier": person.phone, "password": factories.PASSWORD, "remember": "y"})
    session_cookie, remember = _cookie(client, "session"), _cookie(client, "remember_token")
    services.reset_password(services.make_reset_token(person), "a-brand-new-password")
    assert not _signed_in_with(app, session=session_cookie)
    assert not _signed_in_with(app, remember_token=remember)
    assert client.get("/profile").status_code == 302  # the browser that was signed in is out too


def test_an_admin_signs_a_person_out_everywhere_with_a_reason(app, client, login, places):
    person, admin = factories.user("Lost Phone"), factories.with_role(Role.ADMIN)
    device = app.test_client()
    device.post("/login", data={"identifier": person.phone, "password": factories.PASSWORD, "remember": "y"})
    remember = _cookie(device, "remember_token")
    login(admin)
    assert client.post(f"/admin/users/{person.id}/sign-out", data={"signout-reason": ""}).status_code == 302
    assert device.get("/profile").status_code == 200  # no reason, nothing ended
    client.post(f"/admin/users/{person.id}/sign-out", data={"signout-reason": "phone lost at the market"})
    assert device.get("/profile").status_code == 302
    assert not _signed_in_with(app, remember_token=remember)
    assert client.get("/profile").status_code == 200  # the admin's own session is untouched


def test_only_an_admin_may_sign_someone_out_everywhere(app, client, login, places):
    person, other = factories.user("Target"), factories.user("Someone")
    login(other)
    assert client.post(f"/admin/users/{person.id}/sign-out", data={"signout-reason": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.sign_out_everywhere(other, person, "because")
    db.session.refresh(person)
    assert person.session_generation == 0


def test_a_session_planted_before_sign_in_is_not_carried_into_the_account(app, client, places):
    person = factories.user()
    with client.session_transaction() as planted:
        planted["planted_by_attacker"] = "x"
        planted["lang"] = "fr"
    client.post("/login", data={"identifier": person.phone, "password": factories.PASSWORD})
    with client.session_transaction() as after:
        assert "planted_by_attacker" not in after and after["lang"] == "fr"
        assert after["_user_id"] == f"{person.id}:0"


def test_a_forged_or_odd_session_user_id_opens_nothing(app, client, places):
    person = factories.user()
    for forged in (str(person.id), f"{person.id}:1", f"{person.id}:-1", "²:0", "9" * 40 + ":0", f"{person.id}:0:0"):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/profile").status_code == 302, forged


# --- a phone nobody can borrow: confirmation, presence, PINs, secrets ---------------------------

def _code_in(delivered, kind: str) -> str:
    import re

    bodies = [m["body"] for m in delivered if m["kind"] == kind]
    assert bodies, f"no {kind} SMS was delivered"
    return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)


def test_a_new_account_confirms_its_phone_by_code_before_it_can_sell(client, places, db, delivered):
    from marketplace.accounts.codes import PhoneNotConfirmed
    from marketplace.catalog import services as catalog

    response = client.post("/register", data={"name": "New Farmer", "phone": "0722555111", "password": "long-enough-1",
                                              "preferred_locale": "en"})
    assert response.headers["Location"].startswith("/profile/phone")
    person = services.find_user_by_identifier("0722555111")
    assert not person.phone_confirmed
    services.become_farmer(person, "New Farm", places["villages"]["Mbeu"].id, "Gate")
    cats = factories.categories()
    with pytest.raises(PhoneNotConfirmed):
        catalog.create_listing(person, person, factories.listing_input(places["villages"]["Mbeu"], cats["maize"]))
    assert client.get("/sell/new").headers["Location"].startswith("/profile/phone")  # told before typing a listing
    page = client.post("/profile/phone", data={"code": "000000"})
    assert page.status_code == 422 and "This is not the code that was sent" in page.get_data(as_text=True)
    code = _code_in(delivered, "security_code_confirm_phone")
    assert client.post("/profile/phone", data={"code": code}).status_code == 302
    db.session.refresh(person)
    assert person.phone_confirmed
    assert catalog.create_listing(person, person, factories.listing_input(places["villages"]["Mbeu"], cats["maize"])).id


def test_a_code_is_tried_five_times_at_most_and_three_are_sent_an_hour(client, places, db, delivered):
    person = factories.user("Unconfirmed", phone_confirmed=False)
    from marketplace.accounts import codes
    from marketplace.core.errors import DomainError

    services.send_phone_confirmation(person)
    right = _code_in(delivered, "security_code_confirm_phone")
    wrong = "111111" if right != "111111" else "222222"
    for _ in range(5):
        with pytest.raises(DomainError, match="not the code"):
            codes.redeem(person, codes.CONFIRM_PHONE, person, wrong)
    with pytest.raises(DomainError, match="tried too often"):
        codes.redeem(person, codes.CONFIRM_PHONE, person, right)  # the sixth try fails even when right
    services.send_phone_confirmation(person)
    services.send_phone_confirmation(person)
    with pytest.raises(DomainError, match="Three codes"):
        services.send_phone_confirmation(person)
    assert not person.phone_confirmed


def test_an_agents_presence_lasts_two_hours_and_a_code_for_one_agent_is_not_for_another(places, db, delivered, app):
    from datetime import timedelta

    from marketplace.accounts import presence
    from marketplace.accounts.models import PresenceCheck
    from marketplace.core.errors import DomainError

    agent, other_agent, resident = factories.with_role(Role.AGENT), factories.with_role(Role.AGENT), factories.user("Resident")
    presence.send_code(agent, resident)
    code = _code_in(delivered, "security_code_presence")
    with pytest.raises(DomainError):
        presence.confirm_with_code(other_agent, resident, code)  # the code was asked for by the first agent
    presence.confirm_with_code(agent, resident, code)
    assert presence.is_present(agent, resident) and not presence.is_present(other_agent, resident)
    check = db.session.scalar(db.select(PresenceCheck))
    assert (check.agent_id, check.person_id, check.method) == (agent.id, resident.id, "code")
    check.expires_at = check.confirmed_at + timedelta(minutes=app.config["PRESENCE_MINUTES"]) - timedelta(hours=3)
    db.session.commit()
    with pytest.raises(presence.PresenceRequired):
        presence.require_presence(agent, resident)


def test_presence_by_pin_counts_wrong_tries_towards_the_lockout(places, db):
    from marketplace.accounts import pins, presence
    from marketplace.core.errors import DomainError

    agent, resident = factories.with_role(Role.AGENT), factories.user("Resident")
    pins.set_pin(resident, resident, "4826")
    for _ in range(2):
        with pytest.raises(DomainError):
            pins.confirm_presence(agent, resident, "9999")
    with pytest.raises(pins.PinLocked):
        pins.confirm_presence(agent, resident, "9999")
    with pytest.raises(pins.PinLocked):
        pins.confirm_presence(agent, resident, "4826")  # locked: even the right PIN waits
    assert not presence.is_present(agent, resident)


def test_nobody_but_an_agent_asks_for_presence(client, login, places, db):
    buyer, resident = factories.user("Buyer"), factories.user("Resident")
    login(buyer)
    assert client.post(f"/agent/people/{resident.id}/presence", data={"send": "1"}).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(db.metadata.tables["one_time_codes"])) == 0


def test_reset_links_and_codes_are_never_shown_to_admins_nor_logged(client, login, places, db, caplog):
    import logging

    from marketplace.notifications.models import OutboxMessage

    person, admin = factories.user("Forgetful"), factories.with_role(Role.ADMIN)
    with caplog.at_level(logging.INFO):
        services.request_password_reset(person.phone)
    assert "/password/reset/" not in caplog.text and "not logged" in caplog.text
    message = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.kind == "password_reset"))
    assert message.holds_secret and "/password/reset/" not in message.body
    login(admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "/password/reset/" not in page and "its text is not shown" in page


def test_a_secret_waiting_to_be_sent_is_not_shown_either(client, login, places, db, app, monkeypatch):
    from marketplace.notifications import channels
    from marketplace.notifications.models import OutboxMessage

    class Refusing:
        def deliver(self, message):
            raise RuntimeError("gateway down")

    monkeypatch.setitem(channels.BACKENDS, "refusing", Refusing)
    monkeypatch.setitem(app.config, "NOTIFICATION_CHANNEL_BACKEND", "refusing")
    person, admin = factories.user("Forgetful"), factories.with_role(Role.ADMIN)
    services.request_password_reset(person.phone)
    message = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.kind == "password_reset"))
    assert message.status.value == "failed" and "/password/reset/" in message.body  # kept, to be sent again
    login(admin)
    page = client.get("/admin/outbox?show=problems").get_data(as_text=True)
    assert "/password/reset/" not in page and "Send again" in page


# --- sign-in limits per account, behind a proxy, without telling who exists ---------------------

@pytest.fixture
def limited_app(database_url):
    from marketplace import create_app

    return create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_LOGIN": "100 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "3 per minute", "RATELIMIT_RESET": "100 per minute", "RATELIMIT_RESET_ACCOUNT": "2 per hour",
        "TRUSTED_PROXIES": ("127.0.0.1",), "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    })


def _sign_in(client, identifier, password, address):
    return client.post("/login", data={"identifier": identifier, "password": password},
                       environ_base={"REMOTE_ADDR": address}).status_code


def test_failed_sign_ins_are_limited_per_account_whatever_the_address(limited_app, places):
    target, bystander = factories.user("Target"), factories.user("Bystander")
    client = limited_app.test_client()
    tries = [_sign_in(client, target.phone, "wrong", f"198.51.100.{n}") for n in range(5)]
    assert tries == [200, 200, 200, 429, 429]  # new addresses do not buy new guesses
    assert _sign_in(client, target.phone.replace("+254", "0"), "wrong", "198.51.100.99") == 429  # nor another spelling
    assert _sign_in(client, bystander.phone, factories.PASSWORD, "198.51.100.1") == 302  # others are not locked out


def test_successful_sign_ins_do_not_count_towards_the_account_limit(limited_app, places):
    person = factories.user()
    client = limited_app.test_client()
    assert [_sign_in(client, person.phone, factories.PASSWORD, "198.51.100.7") for _ in range(5)] == [302] * 5


def test_an_unknown_account_is_limited_and_answered_exactly_like_a_known_one(limited_app, places, monkeypatch):
    from werkzeug import security

    person = factories.user()
    client = limited_app.test_client()
    known = client.post("/login", data={"identifier": person.phone, "password": "wrong"}).get_data(as_text=True)
    unknown = client.post("/login", data={"identifier": "0799123456", "password": "wrong"}).get_data(as_text=True)
    assert "The phone number, email or password is not right." in known and "The phone number, email or password is not right." in unknown
    checked = []
    real = security.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    client.post("/login", data={"identifier": "0799123457", "password": "wrong"})
    assert len(checked) == 1 and checked[0].startswith("scrypt:")  # the same work as for a real account
    assert [_sign_in(client, "0799123458", "x", "198.51.100.3") for _ in range(4)][-1] == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_address_limit(database_url, places):
    from marketplace import create_app

    app = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_LOGIN": "2 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "100 per minute", "TRUSTED_PROXIES": ("127.0.0.1",),
    })
    client = app.test_client()

    def through(proxy, client_address, n):
        return client.post("/login", data={"identifier": f"07991000{n:02d}", "password": "x"},
                           environ_base={"REMOTE_ADDR": proxy}, headers={"X-Forwarded-For": client_address}).status_code

    # Through our proxy, two people are two addresses: one locked out does not lock out the other.
    assert [through("127.0.0.1", "203.0.113.1", n) for n in range(3)] == [200, 200, 429]
    assert through("127.0.0.1", "203.0.113.2", 9) == 200
    # From anywhere else X-Forwarded-For is not believed: changing it buys nothing.
    assert [through("192.0.2.50", f"203.0.113.{10 + n}", 20 + n) for n in range(3)] == [200, 200, 429]


def test_reset_sms_to_one_number_are_limited(limited_app, places, db):
    from marketplace.notifications.models import OutboxMessage

    person = factories.user()
    client = limited_app.test_client()
    codes = [client.post("/password/forgot", data={"identifier": person.phone}, environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).status_code
             for n in range(4)]
    assert codes == [302, 302, 429, 429]
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "password_reset")) == 2


# --- what the browser keeps, and what a link may change ------------------------------------------

def test_signed_in_pages_are_never_stored_and_anonymous_ones_may_be(client, login, places):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    login(factories.user())
    for path in ("/", "/profile", "/produce", "/activity"):
        assert client.get(path).headers["Cache-Control"] == "private, no-store", path
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")  # shared, fingerprinted


def test_a_language_link_changes_this_browser_but_never_the_account(client, login, places, db):
    person = factories.user(locale="sw")
    login(person)
    page = client.get("/?lang=ar").get_data(as_text=True)
    assert '<html lang="ar"' in page and "Yes, keep it" not in page  # the banner speaks the new language
    db.session.refresh(person)
    assert person.preferred_locale == "sw"  # a link (which anyone can send) changed nothing stored
    assert '<html lang="ar"' in client.get("/profile").get_data(as_text=True)  # this browser keeps its choice
    assert client.post("/profile/language", data={"lang": "ar", "next": "/profile"}).status_code == 302
    db.session.refresh(person)
    assert person.preferred_locale == "ar"


def test_registrations_from_one_address_are_limited_because_each_texts_a_code(database_url, places, db):
    from marketplace import create_app
    from marketplace.notifications.models import OutboxMessage

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_REGISTER": "2 per hour",
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    client = app.test_client()
    statuses = [client.post("/register", data={"name": f"Bot {n}", "phone": f"07225550{n:02d}", "password": "long-enough-1",
                                               "preferred_locale": "en"}).status_code for n in range(4)]
    assert statuses == [302, 302, 429, 429]
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 2  # two codes, not four


def test_a_registration_racing_another_for_the_same_email_gets_the_same_answer_not_a_500(app, places, db, monkeypatch, database_url):
    """Found by make security-scan: wapiti's parallel posts registered one email twice at once."""
    from sqlalchemy import create_engine, text

    from marketplace.core.errors import DomainError

    other_request = create_engine(database_url)
    real_hash = services._hash_password

    def meanwhile(password):  # the other request commits between our check and our insert
        with other_request.begin() as connection:
            connection.execute(text("INSERT INTO users (name, email, password_hash, preferred_locale, active, session_generation, "
                                    "created_at, updated_at) VALUES ('Twin', 'twin@example.org', 'x', 'en', true, 0, "
                                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        return real_hash(password)

    monkeypatch.setattr(services, "_hash_password", meanwhile)
    with pytest.raises(DomainError) as refused:
        services.register_user(services.Registration(name="Twin", email="twin@example.org", password="long-enough-1",
                                                     preferred_locale="en", village_id=None))
    assert refused.value.field == "email"
    other_request.dispose()


def test_every_error_in_the_summary_names_its_field_and_says_how_to_fix_it(client):
    """Issue 20 item 9: "This field is required." three times, and "Field must be between 8 and 128 characters long"."""
    page = client.post("/register", data={"name": "", "phone": "", "password": "short"}).get_data(as_text=True)
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert "Your name: " in summary and "Password: Use 8 to 128 characters" in summary
    assert "Field must be between" not in page


def test_the_offer_to_keep_a_language_can_be_declined_for_this_browser_only(client, login, places, db):
    """The banner came back on every page for someone reading in another language than their SMS."""
    person = factories.user(locale="en")
    login(person)
    assert 'name="keep" value="here"' in client.get("/?lang=sw").get_data(as_text=True)
    assert client.post("/profile/language", data={"lang": "sw", "keep": "here", "next": "/orders"}).headers["Location"] == "/orders"
    page = client.get("/orders").get_data(as_text=True)
    assert '<html lang="sw"' in page and 'class="flash flash-info language-offer"' not in page  # read in Swahili, not asked again
    db.session.refresh(person)
    assert person.preferred_locale == "en"  # the account and its SMS keep their language
    assert "language-offer" in client.get("/?lang=ar").get_data(as_text=True)  # another language: asked again
