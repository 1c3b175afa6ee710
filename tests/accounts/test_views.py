"""Accounts pages over HTTP: what each role may reach, and forms that keep what was typed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.notifications.models import OutboxMessage
from tests import factories

ANONYMOUS = "anonymous"
ALL_ROLES = [ANONYMOUS, Role.BUYER, Role.RESIDENT, Role.FARMER, Role.AGENT, Role.OFFICIAL, Role.ADMIN]


def person_with(role, places):
    if role == ANONYMOUS:
        return None
    if role is Role.FARMER:
        return factories.farmer(places["villages"]["Mbeu"])
    if role in (Role.AGENT, Role.OFFICIAL, Role.ADMIN):
        return factories.with_role(role, places["departments"]["AGR"] if role is Role.OFFICIAL else None)
    return factories.user(f"Test {role.value}")  # buyers and residents are the same self-registered person


# page -> roles that may open it (everyone else: anonymous is sent to sign in, others get 403)
PROTECTED_PAGES = {
    "/profile": {Role.BUYER, Role.RESIDENT, Role.FARMER, Role.AGENT, Role.OFFICIAL, Role.ADMIN},
    "/farm": {Role.BUYER, Role.RESIDENT, Role.FARMER, Role.AGENT, Role.OFFICIAL, Role.ADMIN},
    "/admin/users": {Role.ADMIN},
    "/admin/users/{other}": {Role.ADMIN},
    "/admin/outbox": {Role.ADMIN},
}


@pytest.mark.parametrize("role", ALL_ROLES, ids=lambda r: getattr(r, "value", r))
@pytest.mark.parametrize("page", list(PROTECTED_PAGES))
def test_each_role_reaches_only_the_pages_it_may(client, login, places, role, page):
    other = factories.user("Someone Else")
    person = person_with(role, places)
    if person is not None:
        login(person)
    response = client.get(page.format(other=other.id))
    if role == ANONYMOUS:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif role in PROTECTED_PAGES[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "You cannot open this page" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.BUYER, Role.FARMER, Role.AGENT, Role.OFFICIAL])
def test_non_admins_cannot_grant_roles_by_posting_directly(client, login, places, role, db):
    target = factories.user("Target")
    login(person_with(role, places))
    response = client.post(f"/admin/users/{target.id}", data={"grant-role": "admin", "grant-reason": "x"})
    assert response.status_code == 403
    response = client.post(f"/admin/users/{target.id}/revoke", data={"revoke-role": "admin", "revoke-reason": "x"})
    assert response.status_code == 403
    db.session.expire_all()
    assert not db.session.get(User, target.id).has_role(Role.ADMIN)


def test_admin_grants_and_revokes_through_the_page(client, login, places, db):
    admin = person_with(Role.ADMIN, places)
    target = factories.user("New Officer")
    login(admin)
    response = client.post(f"/admin/users/{target.id}", data={"grant-role": "official", "grant-department": "AGR", "grant-reason": "hired"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).department_id == places["departments"]["AGR"].id
    client.post(f"/admin/users/{target.id}/revoke", data={"revoke-role": "official", "revoke-reason": "moved"})
    db.session.expire_all()
    assert not db.session.get(User, target.id).has_role(Role.OFFICIAL)


def test_admin_granting_an_official_without_department_sees_the_error_on_the_field(client, login, places):
    login(person_with(Role.ADMIN, places))
    target = factories.user("Target")
    response = client.post(f"/admin/users/{target.id}", data={"grant-role": "official", "grant-department": "", "grant-reason": "hired"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "An official must belong to a department." in page and 'value="hired"' in page


def test_register_then_land_signed_in_on_the_profile(client, places, db):
    village = places["villages"]["Ahero"]
    response = client.post("/register", data={
        "name": "Akinyi", "phone": "0722 000 111", "email": "", "password": "long-enough-1",
        "preferred_locale": "es", "village_id": str(village.id),
    }, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Akinyi" in page and "Mi cuenta" in page  # signed in, and the page follows the chosen language
    user = db.session.scalar(select(User).where(User.phone == "+254722000111"))
    assert user.village_id == village.id and user.preferred_locale == "es"


def test_registration_errors_keep_everything_typed_except_the_password(client, places):
    village = places["villages"]["Ahero"]
    response = client.post("/register", data={
        "name": "Akinyi", "phone": "12", "email": "akinyi@example.org", "password": "long-enough-1",
        "preferred_locale": "en", "village_id": str(village.id),
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This phone number is not valid." in page
    assert 'href="#phone"' in page  # the error summary links to the field
    assert 'value="Akinyi"' in page and 'value="12"' in page and 'value="akinyi@example.org"' in page
    assert f'<option value="{village.id}" selected>' in page
    assert "long-enough-1" not in page


def test_wtforms_errors_are_translated(client, places):
    response = client.post("/register?lang=es", data={"name": "", "phone": "", "password": "", "preferred_locale": "es"})
    assert "Este campo es obligatorio." in response.get_data(as_text=True)


def test_login_with_wrong_password_keeps_the_identifier(client, places):
    user = factories.user()
    response = client.post("/login", data={"identifier": user.phone, "password": "nope-nope"})
    page = response.get_data(as_text=True)
    assert "The phone number, email or password is not right." in page and f'value="{user.phone}"' in page


def test_login_redirects_only_to_local_next(client, places):
    user = factories.user()
    response = client.post("/login", data={"identifier": user.phone, "password": factories.PASSWORD, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login", data={"identifier": user.phone, "password": factories.PASSWORD, "next": "/profile"})
    assert response.headers["Location"] == "/profile"


def test_logout_is_a_post(client, login, places):
    login(factories.user())
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/profile").status_code == 302


def test_forgot_password_says_the_same_for_known_and_unknown_accounts(client, places, db):
    user = factories.user()
    known = client.post("/password/forgot", data={"identifier": user.phone}, follow_redirects=True).get_data(as_text=True)
    unknown = client.post("/password/forgot", data={"identifier": "0799000000"}, follow_redirects=True).get_data(as_text=True)
    assert "If an account uses this phone number or email" in known and "If an account uses this phone number or email" in unknown
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 1


def test_reset_link_from_the_outbox_sets_a_new_password(client, places, db, delivered):
    user = factories.user()
    client.post("/password/forgot", data={"identifier": user.phone})
    body = delivered[0]["body"]
    path = body[body.index("/password/reset/"):].split()[0]
    assert body.split(path)[0].rstrip().endswith("http://127.0.0.1:5000")  # built from PUBLIC_BASE_URL, not the Host header
    response = client.post(path, data={"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert response.headers["Location"] == "/login"
    assert client.post("/login", data={"identifier": user.phone, "password": "brand-new-pass"}).status_code == 302
    again = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert "already been used" in again


def test_bad_reset_link_sends_the_person_to_ask_again(client, places):
    response = client.get("/password/reset/not-a-token", follow_redirects=True)
    assert "This reset link is not valid" in response.get_data(as_text=True)


def test_becoming_a_farmer_from_the_page(client, login, places, db):
    user = factories.user(village=places["villages"]["Mbeu"])
    login(user)
    form = client.get("/farm").get_data(as_text=True)
    assert f'<option value="{places["villages"]["Mbeu"].id}" selected>' in form  # defaults to the home village
    response = client.post("/farm", data={"farm_name": "", "village_id": str(places["villages"]["Mbeu"].id), "pickup_point": "Gate"})
    assert "This field is required." in response.get_data(as_text=True) and "Gate" in response.get_data(as_text=True)
    client.post("/farm", data={"farm_name": "Shamba", "village_id": str(places["villages"]["Mbeu"].id), "pickup_point": "Gate"})
    db.session.expire_all()
    assert db.session.get(User, user.id).has_role(Role.FARMER)
