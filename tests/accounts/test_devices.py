"""Device tokens for field apps: made by agents, shown once, stored as a hash, revoked one by one."""
from __future__ import annotations

import pytest

from marketplace.accounts import devices
from marketplace.accounts.models import DeviceToken, Role
from marketplace.core.errors import DomainError, NotFound, PermissionDenied
from marketplace.extensions import db
from tests import factories


@pytest.fixture
def agent(places):
    return factories.with_role(Role.AGENT, village=places["villages"]["Mbeu"])


def test_a_token_signs_its_agent_in_and_only_its_hash_is_kept(app, agent):
    token, secret = devices.create_device_token(agent, "Centre tablet")
    assert secret not in (token.token_hash, token.label)
    assert devices.user_for_device(agent.phone, secret).id == agent.id
    assert token.last_used_at is not None


def test_a_token_does_not_sign_in_with_another_persons_identifier(app, agent, places):
    other = factories.with_role(Role.AGENT, village=places["villages"]["Mbeu"])
    _token, secret = devices.create_device_token(agent, "Centre tablet")
    assert devices.user_for_device(other.phone, secret) is None
    assert devices.user_for_device(agent.phone, secret + "x") is None
    assert devices.user_for_device(agent.phone, "") is None


def test_a_revoked_token_signs_nobody_in_and_only_its_owner_revokes_it(app, agent, places):
    token, secret = devices.create_device_token(agent, "Lost phone")
    other = factories.with_role(Role.AGENT, village=places["villages"]["Mbeu"])
    with pytest.raises(NotFound):
        devices.revoke_device_token(other, token.id)
    devices.revoke_device_token(agent, token.id)
    assert devices.user_for_device(agent.phone, secret) is None
    assert devices.device_tokens(agent) == []


def test_only_agents_make_tokens_and_each_needs_a_name(app, places):
    resident = factories.user("Resident", village=places["villages"]["Mbeu"])
    with pytest.raises(PermissionDenied):
        devices.create_device_token(resident, "phone")
    agent = factories.with_role(Role.AGENT)
    with pytest.raises(DomainError):
        devices.create_device_token(agent, "  ")


def test_the_devices_page_shows_the_token_once(client, agent, login):
    login(agent)
    page = client.post("/profile/devices", data={"label": "Centre tablet"})
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    token = db.session.scalar(db.select(DeviceToken))
    assert b"/openrosa" in page.data and token.label.encode() in page.data
    again = client.get("/profile/devices")
    assert b'class="secret"' in page.data and b'class="secret"' not in again.data


def test_an_agent_has_at_most_ten_devices_and_is_told_to_revoke_one(app, agent):
    for number in range(devices.MAX_DEVICES):
        devices.create_device_token(agent, f"phone {number}")
    with pytest.raises(DomainError, match="Revoke one"):
        devices.create_device_token(agent, "one too many")
    devices.revoke_device_token(agent, devices.device_tokens(agent)[0].id)
    devices.create_device_token(agent, "the new phone")
