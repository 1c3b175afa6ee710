"""The phone channel as an attacker sees it: the simulator, odd callbacks, who learns an
application's status (issue 17)."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Listing, ListingStatus
from marketplace.ussd.models import UssdSession
from marketplace.ussd.simulator import TEST_NUMBER
from tests import factories
from tests.ussd.conftest import SECRET


def _dial(client, **data) -> str:
    return client.post("/phone/simulator", data={"dial": "1", **data}).get_data(as_text=True)


def test_an_agent_cannot_simulate_a_farmers_phone(client, login, gateway, phones, db):
    agent = factories.with_role(Role.AGENT)
    login(agent)
    # The old hole: the number was a form field. It is ignored now: the agent calls as themselves.
    screen = _dial(client, phone=phones["wanjiru"].phone)
    assert "3 My farm" not in screen
    session_id = re.search(r'name="session_id" value="([^"]+)"', screen).group(1)
    assert db.session.get(UssdSession, session_id).phone == agent.phone
    # Even walking the farmer's menu keys changes nothing of the farmer's.
    for keys in ("3", "3*1", "3*1*1", "3*1*1*2"):
        client.post("/phone/simulator", data={"phone": phones["wanjiru"].phone, "session_id": session_id,
                                              "typed": keys.rsplit("*", 1)[0] if "*" in keys else "", "input": keys.rsplit("*", 1)[-1]})
    assert db.session.get(Listing, phones["tomatoes"].id).status is ListingStatus.ACTIVE


def test_an_agent_may_call_from_the_test_number_which_sees_what_a_stranger_sees(client, login, gateway, phones, db):
    login(factories.with_role(Role.AGENT))
    screen = _dial(client, **{"as": "test"})
    assert "1 Prices" in screen and "3 My farm" not in screen
    assert db.session.scalar(select(UssdSession.phone).order_by(UssdSession.started_at.desc())) == TEST_NUMBER
    # Nobody can ever register the test number.
    import pytest

    from marketplace.accounts import services
    from marketplace.core.errors import DomainError

    with pytest.raises(DomainError):
        services.register_user(services.Registration(name="Squatter", phone=TEST_NUMBER, password="long-enough-1",
                                                     preferred_locale="en", village_id=None))


def test_in_the_demo_a_buyer_simulates_only_their_own_phone(client, login, gateway, phones, app, monkeypatch):
    monkeypatch.setitem(app.config, "MODE", "development")
    login(phones["amina"])
    assert client.post("/phone/simulator", data={"dial": "1", "as": "test"}).status_code == 403
    assert "1 Prices" in _dial(client)


def test_a_callback_with_an_overlong_session_id_or_number_is_refused_not_stored(client, gateway, db):
    for data in ({"sessionId": "s" * 65, "phoneNumber": "+254733999000"},
                 {"sessionId": "s-1", "phoneNumber": "+2547" + "3" * 30},
                 {"sessionId": "s-2", "phoneNumber": "+254733999000", "text": "1*" * 600}):
        response = client.post(f"/phone/ussd/{SECRET}", data={"serviceCode": "*384*1#", "text": "", **data})
        assert response.status_code == 400, data
    assert db.session.scalar(select(db.func.count()).select_from(UssdSession)) == 0
    assert client.post(f"/phone/sms/{SECRET}", data={"from": "+2547" + "3" * 30, "text": "HELP"}).status_code == 400


def test_any_key_presses_get_a_screen_never_an_error(client, gateway, phones):
    counter = iter(range(10**6))

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(caller=st.sampled_from([phones["wanjiru"].phone, phones["stranger"], "²", "", "+999000000001"]),
           keys=st.lists(st.one_of(st.sampled_from(["1", "2", "3", "0", "98", "²", "٣", "9" * 30, "-1", ""]),
                                   st.text(max_size=8)), max_size=6))
    def press(caller, keys):
        response = client.post(f"/phone/ussd/{SECRET}", data={
            "sessionId": f"fuzz-{next(counter)}", "serviceCode": "*384*1#", "phoneNumber": caller, "text": "*".join(keys)})
        assert response.status_code in (200, 400, 429), (caller, keys, response.status_code)
        if response.status_code == 200:
            assert response.get_data(as_text=True).startswith(("CON ", "END "))

    press()


def test_any_keys_on_a_voice_call_get_a_valid_answer_never_an_error(app, client, gateway, phones, monkeypatch):
    """Issue 26: whatever a caller presses (or a recording address arrives where none was asked),
    each answer is XML the gateway accepts (tests.support.fake_voice checks the actions)."""
    from tests.support.fake_voice import VoiceCall, check_voice_xml

    monkeypatch.setitem(app.config, "VOICE_ESPEAK", False)  # the gateway's own speech: many examples, no audio to make
    counter = iter(range(10**6))

    @settings(max_examples=120, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(caller=st.sampled_from([phones["wanjiru"].phone, phones["resident"].phone, phones["stranger"], "²", "+999000000001"]),
           # (a NUL byte is a malformed request, answered 400 before any screen: tests/test_route_fuzzer.py)
           keys=st.lists(st.one_of(st.sampled_from(["1", "2", "3", "9", "0", "#", "2*5#", "²", "٣", "9" * 30, ""]),
                                   st.text(st.characters(blacklist_characters="\x00"), max_size=8)), max_size=6),
           recording=st.sampled_from([None, "", "file:///etc/passwd", "http://10.0.0.1/x.mp3"]))
    def call(caller, keys, recording):
        voice = VoiceCall(client, f"/phone/voice/{SECRET}", caller, session_id=f"fuzz-{next(counter)}")
        voice.ring()
        for key in keys:
            if voice.recording and recording is not None:
                voice.record(recording)
            elif voice.waiting:
                voice.press(key)
        response = client.post(f"/phone/voice/{SECRET}?step=0", data={"sessionId": voice.session_id, "isActive": "1",
                                                                        "callerNumber": caller, "dtmfDigits": "".join(keys)[:40]})
        assert response.status_code in (200, 400, 429), (caller, keys, response.status_code)
        if response.status_code == 200:
            check_voice_xml(response.get_data(as_text=True))

    call()
