"""Voice calls for people who read little: the USSD menus spoken, answered with the keypad.

No menu is written a second time: a call walks the same screens (ussd.screens) with the same
engine, which pages a long list three at a time ("9 for more", keys 1-3 on each page). This module
chooses the language (by key press on the first call, remembered for the number), words each turn
for the ear (ussd.prompts gives each sentence its audio), keeps a gateway's resent callback from
pressing a key twice, and answers a missed call by calling back.
"""
from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.accounts.api import User
from marketplace.core import jobs
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.i18n import LANGUAGE_NAMES, speaking
from marketplace.ussd import engine, prompts
from marketplace.ussd.engine import Turn
from marketplace.ussd.gateway import Ask, PlacedCall, Record, Redirect, Reject, Sound, Speak, VoiceAction, VoiceCall, get_gateway
from marketplace.ussd.models import CallBack, CallBackStatus, CallerLanguage, UssdSession
from marketplace.ussd.states import transition_call_back

CALL_BACK_JOB = "ussd.call_back"
RECORDING_SECONDS = 120  # a voice message: long enough to explain, short enough to listen to
LANGUAGE_STEP = "language"
#: A reference, an order number or a code said one character at a time ("K 7 P 2 Q X"), not as a
#: word: four or more capitals and digits with a letter among them (order numbers may have no digit).
_CODE = re.compile(r"\b(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{3,}\b")


def answer(call: VoiceCall, user: User | None, step: str | None, repeat: bool, secret: str) -> list[VoiceAction]:
    """What the gateway does next on this call."""
    if not call.active:  # the call ended: its place in the menus is forgotten
        db.session.execute(db.delete(UssdSession).where(UssdSession.session_id == _session_id(call)))
        db.session.commit()
        return []
    if call.inbound and call.dialled in current_app.config["VOICE_CALL_BACK_NUMBERS"]:
        ask_call_back(call.phone, call.dialled)
        return [Reject()]
    locale = remembered_language(call.phone, user)
    if step == LANGUAGE_STEP and call.digits is not None:
        locale = choose_language(call.phone, user, call.digits) or None
        if locale is None:
            return language_menu(call, secret, repeat=False)
    elif locale is None:
        return language_menu(call, secret, repeat)
    keys: list[str] = []
    if step == str(engine.voice_step(_session_id(call))):
        if call.recording_url is not None:  # a voice message was left: its address is the answer
            keys = [call.recording_url]
        elif call.digits is not None:
            keys = [_keys_as_typed(call.digits, locale)]
    with speaking():  # the screens' amounts come out as words are said: "240 Kenyan shillings"
        turn = engine.converse(_session_id(call), call.phone, user, keys, locale)
    locale = remembered_language(call.phone, user) or locale  # a language chosen just now says its own goodbye
    return speak(turn, locale, _callback_url(call, secret), repeat)


def _session_id(call: VoiceCall) -> str:
    return f"voice:{call.session_id}"  # 58 characters at most (gateway.voice_request), so never cut: two calls never share one


def _callback_url(call: VoiceCall, secret: str, **extra: str) -> str:
    step = LANGUAGE_STEP if extra.pop("language", None) else str(engine.voice_step(_session_id(call)))
    return url_for("ussd.voice_callback", secret=secret, step=step, _external=True, **extra)


def _keys_as_typed(digits: str, locale: str) -> str:
    """The keypad has no comma or point: "2*5" is 2.5, written with the language's decimal sign."""
    from babel.numbers import get_decimal_symbol

    return digits.rstrip("#").replace("*", get_decimal_symbol(locale))


# --- the language ------------------------------------------------------------------------------

def remembered_language(phone: str, user: User | None) -> str | None:
    chosen = db.session.get(CallerLanguage, phone)
    if chosen is not None:
        return chosen.locale
    return user.preferred_locale if user is not None and user.preferred_locale else None


def remember_language(phone: str, locale: str) -> None:
    chosen = db.session.get(CallerLanguage, phone)
    if chosen is None:
        db.session.add(CallerLanguage(phone=phone, locale=locale))
    else:
        chosen.locale, chosen.chosen_at = locale, utcnow()


def choose_language(phone: str, user: User | None, digits: str) -> str | None:
    languages = list(current_app.config["LANGUAGES"])
    key = digits.rstrip("#")
    if not key.isdecimal() or not 1 <= int(key) <= len(languages):
        return None
    locale = languages[int(key) - 1]
    remember_language(phone, locale)
    if user is not None:
        user.preferred_locale = locale
    db.session.commit()
    return locale


def language_menu(call: VoiceCall, secret: str, repeat: bool) -> list[VoiceAction]:
    """Each language named in itself, with its key said in it: "Kiswahili. Bonyeza 2."."""
    sounds: list[Sound] = []
    for number, code in enumerate(current_app.config["LANGUAGES"], start=1):
        with force_locale(code):
            sounds += [_sound(code, LANGUAGE_NAMES.get(code, code)), _sound(code, prompts.press(str(number)))]
    ask = Ask(sounds, _callback_url(call, secret, language="1"), digits=1)
    return [ask, *_after_silence(_callback_url(call, secret, language="1", repeat="1"), repeat, call_locale=None)]


# --- a turn, for the ear -------------------------------------------------------------------------

def speak(turn: Turn, locale: str, callback_url: str, repeat: bool) -> list[VoiceAction]:
    with force_locale(locale), speaking():
        sounds = [_sound(locale, speakable(text)) for text in turn.said]
        if turn.end:
            return [Speak([*sounds, _sound(locale, _("Goodbye."))])]
        if turn.asks == "choice":
            for key, label in turn.choices:
                sounds += [_sound(locale, speakable(label)), _sound(locale, prompts.press(key))]
            if turn.more:
                sounds.append(_sound(locale, _("For more, press 9.")))
            ask = Ask(sounds, callback_url, digits=1)
        elif turn.asks == "recording":
            sounds.append(_sound(locale, _("Speak after the beep. Press the hash key when you have finished.")))
            record = Record(sounds, callback_url, max_seconds=RECORDING_SECONDS)
            if turn.back:
                record.sounds.insert(-1, _sound(locale, _("To go back instead, hang up and call again.")))
            return [record]
        elif turn.asks in ("digits", "amount"):
            sounds.append(_sound(locale, _("Type it on the keypad, then press the hash key.")))
            if turn.asks == "amount":
                sounds.append(_sound(locale, _("For a decimal point, press the star key.")))
            ask = Ask(sounds, callback_url, finish_on="#", timeout_seconds=20)
        else:
            sounds.append(_sound(locale, _("This needs letters, which a call cannot take: send it by SMS or use the USSD menu.")))
            ask = Ask(sounds, callback_url, digits=1)
        if turn.back:
            ask.sounds.append(_sound(locale, _("To go back, press 0.")))
        return [ask, *_after_silence(f"{callback_url}&repeat=1", repeat, call_locale=locale)]


def _after_silence(again_url: str, repeat: bool, call_locale: str | None) -> list[VoiceAction]:
    """No key pressed: the gateway goes on to what follows the question. Once, it is asked again;
    the second time the call ends, saying why."""
    if not repeat:
        return [Redirect(again_url)]
    locale = call_locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        return [Speak([_sound(locale, _("We did not hear a key. Call again when you are ready. Goodbye."))])]


def speakable(text: str) -> str:
    """Screen text made for speech: codes spelled out, line breaks as pauses."""
    text = _CODE.sub(lambda found: " ".join(ch for ch in found.group(0) if ch != "-"), text)
    return re.sub(r"\s*\n\s*", ". ", text).strip()


def _sound(locale: str, text: str) -> Sound:
    return Sound(text=text, audio_url=prompts.audio_url(locale, text))


# --- missed calls ------------------------------------------------------------------------------

def ask_call_back(phone: str, our_number: str) -> CallBack | None:
    """A ring on a call-back number: rejected (free for the caller) and called back by a job, at
    most VOICE_CALL_BACKS_PER_DAY times a day to one number; None when that is used up or the
    caller's number is not one we can ring."""
    if not phone.startswith("+"):
        return None
    since = utcnow() - timedelta(days=1)
    today = db.session.scalar(select(func.count()).select_from(CallBack).where(CallBack.phone == phone, CallBack.asked_at >= since))
    if today >= current_app.config["VOICE_CALL_BACKS_PER_DAY"]:
        current_app.logger.info("no call-back: %d already today for this number", today)
        return None
    call_back = CallBack(phone=phone, called_number=our_number)
    db.session.add(call_back)
    db.session.flush()
    jobs.enqueue(CALL_BACK_JOB, call_back.id)
    db.session.commit()
    return call_back


def call_back_job(call_back_id: int) -> None:
    """Ring the person back from the number they rang; the answered call reaches the voice callback
    as an outbound call, and the menus start."""
    call_back = db.session.get(CallBack, call_back_id)
    if call_back is None or call_back.status is not CallBackStatus.ASKED:
        return
    try:
        placed = get_gateway().place_call(call_back.called_number, call_back.phone)
    except Exception as error:  # the gateway away: recorded, and the person can ring again
        placed = PlacedCall(errors=[f"{type(error).__name__}: {error}"])
    if placed.errors:
        transition_call_back(call_back, CallBackStatus.FAILED, error="; ".join(placed.errors))
    else:
        transition_call_back(call_back, CallBackStatus.PLACED, gateway_session=placed.session_id)
    db.session.commit()
