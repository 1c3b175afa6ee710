"""Issue 26: the phone menus spoken on a voice call and answered with the keypad, walked by a fake
voice gateway (tests.support.fake_voice) that checks every XML answer against Africa's Talking's
actions: the language chosen and remembered, lists three at a time with "9 for more", a farmer's
stock and orders, money behind the PIN, what USSD shows for the same screen, a resent callback,
missed calls called back, and the audio of every prompt in every language."""
from __future__ import annotations

import io
import re
import shutil

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Listing
from marketplace.core.timeutils import utcnow
from marketplace.i18n import format_day, speaking
from marketplace.orders import cart
from marketplace.orders.checkout import place_checkout
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import ledger
from marketplace.payments.models import LedgerKind
from marketplace.ussd import prompts
from marketplace.ussd.calls import speakable
from marketplace.ussd.models import CallBack, CallBackStatus, CallerLanguage, PromptSource, VoicePrompt
from tests import factories
from tests.support.fake_voice import VoiceCall, check_voice_xml
from tests.ussd.conftest import SECRET

OUR_NUMBER = "+254711082000"
CALL_BACK_NUMBER = "+254711082999"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (make voice-deps installs it)")


@pytest.fixture
def voice(app, client, gateway, monkeypatch):
    """Calls to the voice callback; the gateway's own speech (<Say>) unless a test turns espeak-ng on."""
    monkeypatch.setitem(app.config, "VOICE_ESPEAK", False)
    monkeypatch.setitem(app.config, "AT_VOICE_URL", gateway.voice_url)
    monkeypatch.setitem(app.config, "VOICE_CALL_BACK_NUMBERS", (CALL_BACK_NUMBER,))

    def call(phone: str, **options) -> VoiceCall:
        return VoiceCall(client, f"/phone/voice/{SECRET}", phone, **options)

    return call


def _choose(call: VoiceCall, language: str, app) -> list[str]:
    key = str(list(app.config["LANGUAGES"]).index(language) + 1)
    return call.press(key)


def test_the_first_call_asks_the_language_in_each_language_and_remembers_it(voice, phones, app, db):
    call = voice(phones["stranger"])
    heard = call.ring()
    # Each language named in itself, with its key said in it.
    assert "العربية" in heard and heard[heard.index("English") + 1] == "Press 1."
    swahili_key = str(list(app.config["LANGUAGES"]).index("sw") + 1)
    assert heard[heard.index("Kiswahili") + 1] == f"Bonyeza {swahili_key}."
    assert call.last.find("GetDigits").get("numDigits") == "1"
    main = _choose(call, "sw", app)
    assert "Bei" in main and "Bonyeza 1." in main  # "Prices", "press 1"
    assert db.session.get(CallerLanguage, phones["stranger"]).locale == "sw"
    call.hang_up()
    again = voice(phones["stranger"])
    assert "Bei" in again.ring()  # no language question the second time


def test_a_registered_caller_hears_their_accounts_language_without_being_asked(voice, phones):
    heard = voice(phones["wanjiru"].phone).ring()
    assert heard[0] == "Village Square" and "Prices" in heard and "My farm" in heard and "Press 1." in heard


def test_voice_speaks_what_the_ussd_screen_shows_for_the_same_place(voice, dial, phones):
    """The same screens: the farm menu's title and choices, in USSD and spoken."""
    press = dial(phones["wanjiru"].phone)
    press()
    ussd_farm = press("3")
    call = voice(phones["wanjiru"].phone)
    call.ring()
    spoken = call.press("3")
    for line in ussd_farm.removeprefix("CON ").splitlines():
        label = line.split(" ", 1)[1] if line[0].isdigit() else line
        if label != "Back":
            assert label in spoken, (label, spoken)
    assert spoken[spoken.index("My listings") + 1] == "Press 1." and "To go back, press 0." in spoken


def test_a_long_list_is_read_three_at_a_time_with_9_for_more(voice, phones, app):
    call = voice(phones["stranger"])
    call.ring()
    _choose(call, "en", app)
    districts = call.press("1")  # Prices: a stranger is asked the district
    assert districts[0] == "Your district?"
    hill = next(i for i, said in enumerate(districts) if said.endswith("Hill"))
    categories = call.press(districts[hill + 1].removeprefix("Press ").rstrip("."))
    assert categories[0] == "Which produce?"
    presses = [said for said in categories if said.startswith("Press ")]
    assert presses == ["Press 1.", "Press 2.", "Press 3."] and "For more, press 9." in categories
    first_page = [categories[i - 1] for i, said in enumerate(categories) if said.startswith("Press ")]
    second = call.press("9")
    second_page = [second[i - 1] for i, said in enumerate(second) if said.startswith("Press ")]
    assert second_page and not set(second_page) & set(first_page)
    assert [said for said in second if said.startswith("Press ")][0] == "Press 1."  # keys name what was just heard
    answer = call.press("1")
    assert answer[0].startswith(second_page[0]) and not call.waiting  # the prices of the fourth produce, then goodbye
    assert answer[-1] == "Goodbye."


def test_a_farmer_updates_stock_by_keypad_with_star_for_the_decimal_point(voice, phones, db):
    call = voice(phones["wanjiru"].phone)
    call.ring()
    call.press("3")  # My farm
    listings = call.press("1")  # My listings
    tomatoes = next(i for i, said in enumerate(listings) if said.startswith("Tomatoes"))
    listing = call.press(listings[tomatoes + 1].removeprefix("Press ").rstrip("."))
    assert listing[listing.index("Update stock") + 1] == "Press 1."  # "press 1 to update stock"
    asked = call.press("1")
    assert "How much Tomatoes do you have now? (kilogram)" in asked and "For a decimal point, press the star key." in asked
    assert call.last.find("GetDigits").get("finishOnKey") == "#"
    done = call.press("2*5#")
    assert done[0] == "Tomatoes: 2.5 kilograms in stock." and done[-1] == "Goodbye."  # as it is said, not "k g"
    db.session.expire_all()
    assert db.session.get(Listing, phones["tomatoes"].id).stock_milli == 2500


def test_bad_keys_keep_the_caller_on_the_same_question_with_the_reason(voice, phones, db):
    call = voice(phones["wanjiru"].phone)
    call.ring()
    call.press("3"), call.press("1")
    call.press("1"), call.press("1")  # the first listing, update stock
    again = call.press("#")  # nothing typed
    assert call.waiting and any("How much" in said for said in again) and again[0] != again[1]
    menu = voice(phones["wanjiru"].phone)
    menu.ring()
    wrong = menu.press("7")
    assert wrong[0] == "Choose one of the numbers shown." and menu.waiting


def test_orders_to_prepare_press_1_when_it_is_ready(voice, phones, db):
    cart.add_to_cart(phones["amina"], {}, phones["tomatoes"].id, "2")
    order = place_checkout(phones["amina"], {}, {}).orders[0]
    call = voice(phones["wanjiru"].phone)
    call.ring()
    call.press("3")
    orders = call.press("2")
    assert any(" ".join(order.number) in said for said in orders)  # the order number spelled out, one character at a time
    detail = call.press("1")
    assert detail[detail.index("Mark ready for pickup") + 1] == "Press 1."
    assert "240 Kenyan shillings" in detail[0]  # money as it is said, not "Ksh 240"
    done = call.press("1")
    assert done[0] == f"Order {' '.join(order.number)} is ready. The buyer has been told."
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.READY_FOR_PICKUP


def test_a_resent_callback_does_not_press_the_key_twice(voice, phones, db, client):
    cart.add_to_cart(phones["amina"], {}, phones["tomatoes"].id, "2")
    place_checkout(phones["amina"], {}, {})
    call = voice(phones["wanjiru"].phone)
    call.ring()
    farm_url = call.last.find("GetDigits").get("callbackUrl")
    farm = call.press("3")
    # The gateway sends the same key press again (a retry after a lost answer): the farm menu again, not its 3rd choice (money).
    again = client.post(farm_url.split("localhost", 1)[1], data={"sessionId": call.session_id, "isActive": "1", "direction": "Inbound",
                                                                "callerNumber": call.phone, "dtmfDigits": "3"})
    root = check_voice_xml(again.get_data(as_text=True))
    assert [say.text for say in root.iter("Say")][:2] == farm[:2] and "Enter your PIN" not in "".join(say.text for say in root.iter("Say"))


def test_money_is_behind_the_pin(voice, phones, db, app):
    farmer = phones["wanjiru"]
    ledger.record(farmer.id, LedgerKind.SALE, 800_00, "KES", "ORDER1")
    ledger.record(farmer.id, LedgerKind.MANUAL_PAYOUT, -300_00, "KES", "PAY-1", note="M-Pesa")
    db.session.commit()
    call = voice(farmer.phone)
    call.ring()
    call.press("3")
    asked = call.press("3")
    assert "Enter your PIN" in asked and call.last.find("GetDigits").get("finishOnKey") == "#"
    wrong = call.press("1111#")
    assert call.waiting and "500" not in " ".join(wrong)
    money = call.press("2580#")
    assert money[0].startswith("Owed to you: 500 Kenyan shillings")
    # The payout's day in words (USSD writes "04/12"), its amount as it is said.
    with app.test_request_context(), speaking():
        day = format_day(utcnow(), "dd/MM")  # in the farmer's time zone, as the screen's
    assert f"{day} 300 Kenyan shillings" in money[0] and "/" not in money[0]


def test_a_silent_caller_is_asked_once_more_then_told_goodbye(voice, phones):
    call = voice(phones["wanjiru"].phone)
    first = call.ring()
    assert call.last.find("Redirect") is not None
    assert call.stay_silent()[:-1] == first
    assert call.last.find("Redirect") is None and "We did not hear a key" in call.last.findall("Say")[-1].text


def test_a_reference_is_typed_by_its_digits_and_a_question_needing_letters_says_so(voice, phones, app):
    from marketplace.ussd.calls import speak
    from marketplace.ussd.engine import Turn

    call = voice(phones["stranger"])
    call.ring()
    call.press("1")  # English
    asked = call.press("2")  # Applications: a stranger is asked the reference; its ten digits are enough
    assert asked[0].startswith("Reference number? e.g. A G R 2 0 2 6") and "Type it on the keypad, then press the hash key." in asked
    assert call.press("2026000999#")[0] == "No application has this reference." and call.waiting
    # An order number has letters, which a keypad cannot give: the call says so and offers the way back.
    with app.test_request_context():
        actions = speak(Turn(["Order number? e.g. K7P2QX"], back="0", asks="text"), "en", "https://x.example/cb?step=1", repeat=False)
    said = [sound.text for sound in actions[0].sounds]
    assert said[0] == "Order number? e.g. K 7 P 2 Q X" and any("needs letters" in text for text in said) and "To go back, press 0." in said


def test_a_ring_on_the_call_back_number_is_rejected_free_and_called_back(voice, phones, gateway, db):
    call = voice(phones["amina"].phone, dialled=CALL_BACK_NUMBER)
    call.ring()
    assert call.rejected  # nothing answered: the caller pays nothing
    placed = db.session.scalar(select(CallBack).where(CallBack.phone == phones["amina"].phone))
    assert placed.status is CallBackStatus.PLACED and placed.gateway_session.startswith("ATVId_")
    assert [(c.to, c.from_number, c.api_key) for c in gateway.calls] == [(phones["amina"].phone, CALL_BACK_NUMBER, "test-key")]
    answered = voice(phones["amina"].phone, direction="Outbound", dialled=CALL_BACK_NUMBER)
    assert "Prices" in answered.ring()  # the call-back, answered: the menus, for the person rung


def test_call_backs_to_one_number_are_limited_per_day(voice, phones, gateway, app, db):
    for _ in range(app.config["VOICE_CALL_BACKS_PER_DAY"] + 2):
        call = voice(phones["stranger"], dialled=CALL_BACK_NUMBER)
        call.ring()
        assert call.rejected
    assert len(gateway.calls) == app.config["VOICE_CALL_BACKS_PER_DAY"]
    assert db.session.scalar(select(func.count()).select_from(CallBack)) == app.config["VOICE_CALL_BACKS_PER_DAY"]


def test_a_call_back_the_gateway_refuses_is_recorded_failed(voice, phones, app, monkeypatch, db):
    monkeypatch.setitem(app.config, "AT_VOICE_URL", "http://127.0.0.1:9/call")  # nothing listens there
    voice(phones["amina"].phone, dialled=CALL_BACK_NUMBER).ring()
    failed = db.session.scalar(select(CallBack))
    assert failed.status is CallBackStatus.FAILED and "ConnectionError" in failed.error


def test_only_the_gateway_reaches_the_voice_callback(client, gateway, phones):
    assert client.post("/phone/voice/wrong-secret", data={"sessionId": "x", "callerNumber": "+254700000001", "isActive": "1"}).status_code == 404
    assert client.post(f"/phone/voice/{SECRET}", data={"sessionId": "x" * 59, "callerNumber": "+254700000001", "isActive": "1"}).status_code == 400
    assert client.post(f"/phone/voice/{SECRET}", data={"sessionId": "x", "isActive": "1"}).status_code == 400


def test_a_listing_title_with_markup_is_spoken_as_words(voice, phones, db):
    listing = db.session.get(Listing, phones["eggs"].id)
    listing.title = 'Eggs <Reject/> & "fresh"'
    db.session.commit()
    call = voice(phones["wanjiru"].phone)
    call.ring()
    call.press("3")
    heard = call.press("1")  # check_voice_xml ran on the answer: still one Response, nothing rejected
    assert any('Eggs <Reject/> & "fresh"' in said for said in heard) and not call.rejected


@needs_espeak
def test_with_espeak_each_sentence_is_played_and_figures_are_private(voice, phones, app, monkeypatch, db, client):
    monkeypatch.setitem(app.config, "VOICE_ESPEAK", True)
    ledger.record(phones["wanjiru"].id, LedgerKind.SALE, 500_00, "KES", "ORDER1")
    db.session.commit()
    call = voice(phones["wanjiru"].phone)
    heard = call.ring()
    assert call.last.find("GetDigits").find("Say") is None and "My farm" in heard  # every sentence is a Play of our audio
    assert all("/media/" in url for url in call.audio)  # the menus' fixed sentences are public files
    call.press("3")
    call.press("3")
    money = call.press("2580#")
    assert money[0].startswith("Owed to you: 500 Kenyan shillings")
    private = call.audio[0]
    assert "/phone/voice/audio/" in private  # a balance is never a public file
    token = private.rsplit("/", 1)[1]
    assert client.get(f"/phone/voice/audio/{token[:-2]}xx").status_code == 404
    assert client.get(f"/phone/voice/audio/{token}").headers["Cache-Control"] == "private, no-store"


@needs_espeak
def test_every_prompt_of_every_language_has_audio_after_generation(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["phone", "prompts"])
    assert result.exit_code == 0, result.output
    for locale in app.config["LANGUAGES"]:
        wanted = prompts.fixed_prompts(locale)
        assert len(wanted) > 40
        have = set(db.session.scalars(select(VoicePrompt.text).where(VoicePrompt.locale == locale, VoicePrompt.source == PromptSource.GENERATED,
                                                                     VoicePrompt.private.is_(False))))
        assert set(wanted) <= have, (locale, sorted(set(wanted) - have)[:5])
    again = runner.invoke(args=["phone", "prompts"])
    assert " 0 prompt(s) generated" in " " + again.output and "0 removed" in again.output
    # A translation that changes is a new prompt: the old words' file goes.
    stale = VoicePrompt(locale="sw", text_sha="0" * 64, text="Maneno ya zamani", source=PromptSource.GENERATED, private=False,
                        media_key=db.session.scalar(select(VoicePrompt.media_key).limit(1)))
    db.session.add(stale)
    db.session.commit()
    assert "1 removed" in runner.invoke(args=["phone", "prompts"]).output


@needs_espeak
def test_an_admins_recording_replaces_the_generated_voice(app, client, db, phones, voice, monkeypatch, login):
    monkeypatch.setitem(app.config, "VOICE_ESPEAK", True)
    admin = factories.with_role(Role.ADMIN)
    db.session.commit()
    login(admin)
    page = client.get("/admin/voice-prompts?lang=en")
    assert page.status_code == 200 and "My farm" in page.get_data(as_text=True)
    wav = b"RIFF" + b"\x00" * 40
    refused = client.post("/admin/voice-prompts?lang=en", data={"text": "My farm", "recording": (io.BytesIO(b"not a sound"), "a.txt")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert "not a WAV, MP3 or Ogg sound" in refused.get_data(as_text=True)
    done = client.post("/admin/voice-prompts?lang=en", data={"text": "My farm", "recording": (io.BytesIO(wav), "farm.wav")},
                       content_type="multipart/form-data")
    assert done.status_code == 303
    recorded = db.session.scalar(select(VoicePrompt).where(VoicePrompt.source == PromptSource.RECORDED))
    assert recorded.text == "My farm" and recorded.recorded_by_id == admin.id
    client.post("/logout")
    call = voice(phones["wanjiru"].phone)
    call.ring()
    assert any(recorded.media_key in url for url in call.audio)


def test_only_admins_manage_the_prompts(client, phones, db, login):
    login(phones["wanjiru"])
    assert client.get("/admin/voice-prompts").status_code == 403


def test_the_simulator_calls_the_voice_line_and_sends_keys(app, client, phones, gateway, monkeypatch, db, login):
    monkeypatch.setitem(app.config, "VOICE_ESPEAK", False)
    agent = factories.with_role(Role.AGENT)
    db.session.commit()
    login(agent)
    page = client.post("/phone/simulator", data={"mode": "voice", "dial": "1", "as": "own"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Prices" in text and 'name="step"' in text
    step = text.split('name="step" value="', 1)[1].split('"', 1)[0]
    session_id = text.split('name="session_id" value="', 1)[1].split('"', 1)[0]
    districts = client.post("/phone/simulator", data={"mode": "voice", "as": "own", "session_id": session_id, "step": step, "key": "1"})
    assert "Your district?" in districts.get_data(as_text=True) or "Which produce?" in districts.get_data(as_text=True)


def test_a_language_chosen_in_the_menu_speaks_from_its_own_goodbye_on(voice, phones, app, db):
    call = voice(phones["wanjiru"].phone)
    call.ring()
    call.press("9")  # the main menu's second page: Report a problem, Language
    languages = call.press("2")
    while "العربية" not in languages:
        languages = call.press("9")
    done = call.press(languages[languages.index("العربية") + 1].removeprefix("Press ").rstrip("."))
    assert done == ["ستخاطبك Village Square باللغة العربية.", "مع السلامة."]
    assert db.session.get(CallerLanguage, phones["wanjiru"].phone).locale == "ar"
    assert "مزرعتي" in voice(phones["wanjiru"].phone).ring()  # "My farm": the next call is in Arabic


@pytest.mark.parametrize("path", [[], ["3"], ["3", "1"], ["3", "1", "1"], ["3", "2"]], ids=["main", "farm", "listings", "a listing", "orders"])
def test_each_spoken_screen_is_the_ussd_screen_for_the_same_place(voice, dial, phones, path):
    """Walked by the same keys (every menu here fits three to a page), a call says the USSD screen's
    title and the same choices, each followed by its key."""
    cart.add_to_cart(phones["amina"], {}, phones["tomatoes"].id, "2")
    place_checkout(phones["amina"], {}, {})
    press = dial(phones["wanjiru"].phone)
    screen = press()
    call = voice(phones["wanjiru"].phone)
    heard = call.ring()
    for key in path:
        screen, heard = press(key), call.press(key)
    lines = screen.removeprefix("CON ").splitlines()
    choices = [line.split(" ", 1)[1] for line in lines[1:] if line.split(" ", 1)[0].isdigit() and line.split(" ", 1)[0] not in ("0", "98")]
    spoken = [heard[i - 1] for i, said in enumerate(heard) if said.startswith("Press ")]
    assert _as_said(lines[0]) == heard[0]
    assert spoken == [_as_said(choice) for choice in choices[:3]]


def _as_said(written: str) -> str:
    """A USSD line as a call says it: amounts and kilograms in words, codes spelled."""
    written = re.sub(r"Ksh\xa0([\d,]+)", lambda found: f"{found.group(1).replace(',', '')} Kenyan shillings", written)
    written = re.sub(r"(\d+(?:\.\d+)?) kg\b", lambda found: f"{found.group(1)} kilogram{'' if found.group(1) == '1' else 's'}", written)
    return speakable(written)


@needs_espeak
def test_two_calls_saying_a_new_sentence_at_once_share_one_prompt(app, db):
    from tests.support.races import at_once

    def say() -> str:
        with app.test_request_context():
            return prompts.audio_url("sw", "Bei ya mahindi leo") or "none"

    urls = at_once(app, [say, say, say])
    assert len(set(urls)) == 1 and "/phone/voice/audio/" in urls[0], urls  # a private sentence: one link, no error
    assert db.session.scalar(select(func.count()).select_from(VoicePrompt).where(VoicePrompt.text == "Bei ya mahindi leo")) == 1


def test_the_simulator_says_where_a_caller_would_leave_a_voice_message(app, client, phones, gateway, monkeypatch, db, login):
    monkeypatch.setitem(app.config, "VOICE_ESPEAK", False)
    agent = factories.with_role(Role.AGENT, village=phones["places"]["villages"]["Mbeu"])
    db.session.commit()
    login(agent)

    def send(page: str, key: str) -> str:
        step = page.split('name="step" value="', 1)[1].split('"', 1)[0]
        session_id = page.split('name="session_id" value="', 1)[1].split('"', 1)[0]
        return client.post("/phone/simulator", data={"mode": "voice", "as": "own", "session_id": session_id, "step": step,
                                                     "key": key}).get_data(as_text=True)

    page = client.post("/phone/simulator", data={"mode": "voice", "dial": "1", "as": "own"}).get_data(as_text=True)
    page = send(page, "3")  # Prices, Applications, Report a problem
    assert "What is the problem about?" in page
    page = send(page, "2")  # Water
    assert "The simulator does not record." in page and "The call has ended." not in page and 'name="key"' not in page


@needs_espeak
def test_a_private_sentences_link_expires(app, client, db, monkeypatch):
    with app.test_request_context():
        url = prompts.audio_url("en", "Owed to you: 500 Kenyan shillings")
    path = url.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    monkeypatch.setattr(prompts, "PRIVATE_LINK_SECONDS", -1)  # as if the ten minutes were over
    assert client.get(path).status_code == 404


def test_an_admin_records_only_the_menus_own_sentences_and_small_sound_files(app, client, db, login):
    admin = factories.with_role(Role.ADMIN)
    db.session.commit()
    login(admin)
    wav = b"RIFF" + b"\x00" * 40
    not_a_prompt = client.post("/admin/voice-prompts?lang=en", data={"text": "Send me your M-Pesa PIN", "recording": (io.BytesIO(wav), "a.wav")},
                               content_type="multipart/form-data", follow_redirects=True)
    assert "This is not one of the phone menus&#39; sentences." in not_a_prompt.get_data(as_text=True)
    large = wav + b"\x00" * prompts.MAX_RECORDING_BYTES
    too_big = client.post("/admin/voice-prompts?lang=en", data={"text": "My farm", "recording": (io.BytesIO(large), "a.wav")},
                          content_type="multipart/form-data")
    assert too_big.status_code == 422 and "Choose a sound file of at most 2 MB." in too_big.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VoicePrompt).where(VoicePrompt.source == PromptSource.RECORDED)) == 0


def test_a_ring_from_a_number_we_cannot_ring_back_is_rejected_without_a_call_back(voice, gateway, db):
    call = voice("²", dialled=CALL_BACK_NUMBER)
    call.ring()
    assert call.rejected and gateway.calls == [] and db.session.scalar(select(func.count()).select_from(CallBack)) == 0
