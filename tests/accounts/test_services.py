"""Accounts rules, tested without HTTP."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.accounts import services
from marketplace.accounts.models import Role, RoleChange
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.notifications.models import OutboxMessage
from tests import factories


def registration(**overrides) -> services.Registration:
    data = dict(name="Achieng Otieno", phone="0712 345 678", email="", password="long-enough-1",
                preferred_locale="en", village_id=None)
    data.update(overrides)
    return services.Registration(**data)


def test_registration_normalises_a_local_phone_number_to_e164(places):
    user = services.register_user(registration(phone="0712 345 678"))
    assert user.phone == "+254712345678"


def test_new_people_can_buy_and_use_government_services(places):
    user = services.register_user(registration())
    assert user.roles == {Role.BUYER, Role.RESIDENT}


def test_registration_records_who_granted_each_role(places):
    user = services.register_user(registration())
    changes = list(get_changes(user))
    assert {(c.role, c.action, c.actor_id) for c in changes} == {("buyer", "grant", user.id), ("resident", "grant", user.id)}


def get_changes(user):
    from marketplace.extensions import db

    return db.session.scalars(select(RoleChange).where(RoleChange.user_id == user.id))


@pytest.mark.parametrize("phone", ["12", "not a phone", "+254 12"])
def test_invalid_phone_numbers_are_refused_with_a_field_error(places, phone):
    with pytest.raises(DomainError) as caught:
        services.register_user(registration(phone=phone))
    assert caught.value.field == "phone"


def test_phone_error_is_translated_into_the_users_language(places):
    with force_locale("es"), pytest.raises(DomainError) as caught:
        services.register_user(registration(phone="12"))
    with force_locale("es"):
        assert "teléfono" in str(caught.value.message)


def test_phone_or_email_is_required(places):
    with pytest.raises(DomainError) as caught:
        services.register_user(registration(phone="", email=""))
    assert caught.value.field == "phone"


def test_email_only_registration_lowercases_the_address(places):
    user = services.register_user(registration(phone="", email="Mama.Mboga@Example.ORG"))
    assert user.email == "mama.mboga@example.org" and user.phone is None


def test_short_password_is_refused(places):
    with pytest.raises(DomainError) as caught:
        services.register_user(registration(password="short"))
    assert caught.value.field == "password"


def test_duplicate_phone_is_refused_even_when_typed_differently(places):
    services.register_user(registration(phone="0712345678"))
    with pytest.raises(DomainError) as caught:
        services.register_user(registration(phone="+254 712 345 678", name="Someone else"))
    assert caught.value.field == "phone"


def test_unknown_language_and_village_are_refused(places):
    with pytest.raises(DomainError) as caught:
        services.register_user(registration(preferred_locale="xx"))
    assert caught.value.field == "preferred_locale"
    with pytest.raises(DomainError) as caught:
        services.register_user(registration(village_id=999999))
    assert caught.value.field == "village_id"


def test_password_is_stored_hashed(places):
    user = services.register_user(registration(password="long-enough-1"))
    assert "long-enough-1" not in user.password_hash and user.password_hash.startswith("scrypt:")


def test_sign_in_with_phone_in_local_form_or_email(places):
    user = services.register_user(registration(phone="0712345678", email="a@b.example"))
    assert services.authenticate("0712 345 678", "long-enough-1").id == user.id
    assert services.authenticate("A@B.example", "long-enough-1").id == user.id


def test_sign_in_refuses_a_wrong_password_and_an_unknown_account_alike(places):
    services.register_user(registration(phone="0712345678"))
    with pytest.raises(DomainError) as wrong_password:
        services.authenticate("0712345678", "wrong-password")
    with pytest.raises(DomainError) as unknown:
        services.authenticate("0799999999", "long-enough-1")
    assert str(wrong_password.value) == str(unknown.value)


def test_closed_accounts_cannot_sign_in(places, db):
    user = services.register_user(registration())
    user.active = False
    db.session.commit()
    with pytest.raises(DomainError):
        services.authenticate(user.phone, "long-enough-1")


def test_password_reset_sends_a_link_through_the_outbox_in_the_users_language(places, db, delivered):
    user = factories.user(locale="es")
    services.request_password_reset(user.phone)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert message.kind == "password_reset" and message.channel.value == "sms" and message.recipient == user.phone
    assert message.status.value == "sent" and message.holds_secret and message.body == ""  # the link lives on the phone only
    (sms,) = delivered
    assert sms["recipient"] == user.phone and sms["locale"] == "es"
    assert "contraseña" in sms["body"] and "/password/reset/" in sms["body"]


def test_password_reset_for_an_unknown_account_sends_nothing(places, db):
    services.request_password_reset("0799999999")
    assert db.session.scalar(select(OutboxMessage)) is None


def test_reset_token_changes_the_password_and_then_stops_working(places):
    user = factories.user()
    token = services.make_reset_token(user)
    services.reset_password(token, "a-new-password")
    assert services.authenticate(user.phone, "a-new-password").id == user.id
    with pytest.raises(DomainError):
        services.reset_password(token, "another-password")


def test_reset_token_expires(places, app):
    user = factories.user()
    token = services.make_reset_token(user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        with pytest.raises(DomainError) as caught:
            services.user_for_reset_token(token)
        assert "expired" in str(caught.value)
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_tampered_reset_token_is_refused(places):
    user = factories.user()
    token = services.make_reset_token(user)
    payload, signature = token.rsplit(".", 1)
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    assert flipped != signature
    with pytest.raises(DomainError):
        services.user_for_reset_token(f"{payload}.{flipped}")


def test_becoming_a_farmer_is_self_service_and_keeps_other_roles(places):
    village = places["villages"]["Mbeu"]
    user = factories.user(village=village)
    profile = services.become_farmer(user, "Shamba Bora", village.id, "Mbeu market, stall 4")
    assert profile.farm_name == "Shamba Bora"
    assert user.roles == {Role.BUYER, Role.RESIDENT, Role.FARMER}


def test_farm_needs_a_name_a_village_and_a_pickup_point(places):
    user = factories.user()
    village = places["villages"]["Mbeu"]
    for args, field in [(("", village.id, "x"), "farm_name"), (("Farm", None, "x"), "village_id"), (("Farm", village.id, " "), "pickup_point")]:
        with pytest.raises(DomainError) as caught:
            services.become_farmer(user, *args)
        assert caught.value.field == field
    assert not user.has_role(Role.FARMER)


def test_admin_grants_an_official_to_a_department_and_it_is_recorded(places, db):
    admin = factories.with_role(Role.ADMIN)
    person = factories.user()
    services.grant_role(admin, person, Role.OFFICIAL, "new extension officer", "agr")
    assert person.has_role(Role.OFFICIAL) and person.department_id == places["departments"]["AGR"].id
    change = db.session.scalar(select(RoleChange).where(RoleChange.user_id == person.id, RoleChange.role == "official"))
    assert change.actor_id == admin.id and change.reason == "new extension officer"


def test_an_official_needs_a_real_department(places):
    admin = factories.with_role(Role.ADMIN)
    person = factories.user()
    with pytest.raises(DomainError):
        services.grant_role(admin, person, Role.OFFICIAL, "x")
    with pytest.raises(DomainError):
        services.grant_role(admin, person, Role.OFFICIAL, "x", "NOPE")


@pytest.mark.parametrize("role", [Role.BUYER, Role.FARMER, Role.RESIDENT, Role.AGENT, Role.OFFICIAL])
def test_only_admins_grant_roles(places, role):
    actor = factories.with_role(role, places["departments"]["AGR"] if role is Role.OFFICIAL else None) \
        if role in (Role.AGENT, Role.OFFICIAL) else factories.user()
    if role is Role.FARMER:
        services.become_farmer(actor, "F", places["villages"]["Mbeu"].id, "here")
    person = factories.user()
    with pytest.raises(PermissionDenied):
        services.grant_role(actor, person, Role.AGENT, "x")
    with pytest.raises(PermissionDenied):
        services.revoke_role(actor, person, Role.AGENT, "x")
    assert not person.has_role(Role.AGENT)


def test_self_service_roles_are_not_granted_by_admins(places):
    admin = factories.with_role(Role.ADMIN)
    with pytest.raises(DomainError):
        services.grant_role(admin, factories.user(), Role.FARMER, "x")


def test_revoking_a_role_is_recorded_and_admins_cannot_remove_their_own(places, db):
    admin = factories.with_role(Role.ADMIN)
    agent = factories.with_role(Role.AGENT)
    services.revoke_role(admin, agent, Role.AGENT, "left the service centre")
    assert not agent.has_role(Role.AGENT)
    assert db.session.scalar(select(RoleChange).where(RoleChange.user_id == agent.id,
                                                      RoleChange.action == "revoke")).reason == "left the service centre"
    with pytest.raises(DomainError):
        services.revoke_role(admin, admin, Role.ADMIN, "oops")


def test_profile_update_validates_language(places):
    user = factories.user()
    with pytest.raises(DomainError):
        services.update_profile(user, "Name", "xx", None)
    services.update_profile(user, "New Name", "es", places["villages"]["Tala"].id)
    assert (user.name, user.preferred_locale, user.village.name) == ("New Name", "es", "Tala")


def test_village_choices_group_villages_by_region_and_district(places):
    groups = dict(services.village_choices())
    assert [name for _, name in groups["Northland — Hill"]] == ["Kianjai", "Mbeu"]
    assert "Southland — Coast" in groups


def test_admin_search_finds_people_by_name_or_phone(places):
    admin = factories.with_role(Role.ADMIN)
    person = factories.user("Kamau Njoroge", phone="+254733111222")
    assert person in services.search_users(admin, "kamau")
    assert person in services.search_users(admin, "733111")
    with pytest.raises(PermissionDenied):
        services.search_users(person, "")


def test_an_officials_jurisdiction_is_one_rule_in_python_and_in_sql(places):
    """Applications and residents' reports both ask `serves` (one case) and `jurisdiction` (a query)."""
    from sqlalchemy import Integer, literal, union_all

    from marketplace.extensions import db

    agriculture, registry = places["departments"]["AGR"], places["departments"]["REG"]
    hill, lake = places["districts"]["Hill"], places["districts"]["Lake"]
    whole = factories.user("Whole department")
    services.grant_role(None, whole, Role.OFFICIAL, "test", agriculture.code)
    district = factories.user("Hill only")
    services.grant_role(None, district, Role.OFFICIAL, "test", agriculture.code, hill.code)
    buyer = factories.user("Not an official")
    cases = [(agriculture.id, hill.id), (agriculture.id, lake.id), (registry.id, hill.id), (None, hill.id)]
    expected = {
        whole.id: [True, True, False, False],
        district.id: [True, False, False, False],
        buyer.id: [False, False, False, False],
    }
    for person in (whole, district, buyer):
        assert [person.serves(*case) for case in cases] == expected[person.id]
    cases_table = union_all(*(select(literal(department, Integer).label("department_id"), literal(district_id, Integer).label("district_id"))
                              for department, district_id in cases)).subquery("cases")
    for person in (whole, district, buyer):  # the SQL form picks the same cases
        picked = db.session.execute(select(cases_table.c.department_id, cases_table.c.district_id)
                                    .where(person.jurisdiction(cases_table.c.department_id, cases_table.c.district_id))).all()
        assert sorted(map(tuple, picked)) == sorted(case for case, served in zip(cases, expected[person.id], strict=True) if served)
