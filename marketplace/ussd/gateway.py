"""The one interface between basic-phone channels and an SMS/USSD/voice provider.

Menus and commands speak in `UssdRequest`, `Screen`, `InboundSms`, `VoiceCall` and voice actions
(`Speak`, `Ask`, `Record`, `Reject`); a gateway turns its provider's callbacks into those, writes
the actions in its provider's language, sends SMS and places calls. Africa's Talking is the
provider shipped (its USSD callback, two-way SMS callback, voice callback with its XML actions,
messaging and voice APIs, over plain HTTP); another one (Twilio…) is one more class registered in
GATEWAYS, without touching the menus.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from xml.etree import ElementTree

import requests
from flask import current_app

from marketplace.core.errors import DomainError
from marketplace.core.phone import normalise_phone
from marketplace.notifications.api import OutboxRow

#: A USSD screen holds at most this many characters (GSM 03.38, most networks).
SCREEN_LIMIT = 182


@dataclass
class UssdRequest:
    session_id: str
    phone: str  # E.164
    service_code: str
    inputs: list[str]  # everything typed since the session began, one item per screen


@dataclass
class Screen:
    text: str
    end: bool = False


@dataclass
class InboundSms:
    phone: str
    text: str
    message_id: str = ""


@dataclass
class VoiceCall:
    """One voice callback: the call's id, the person on the line (the caller, or whom a call-back
    rang), the key presses since the last answer, the recording the caller just made."""

    session_id: str
    phone: str
    active: bool
    inbound: bool
    dialled: str = ""  # the number the caller rang (ours), for an inbound call
    digits: str | None = None
    recording_url: str | None = None  # after a Record: where the recording is ("" when nothing was recorded)


@dataclass
class Sound:
    """A sentence to say: played from `audio_url` when there is audio for it, else the gateway's
    own speech reads `text`."""

    text: str
    audio_url: str | None = None


@dataclass
class Speak:
    sounds: list[Sound]


@dataclass
class Ask:
    """Say `sounds` and wait for keys: `digits` of them, or until `finish_on` is pressed."""

    sounds: list[Sound]
    callback_url: str
    digits: int | None = None
    finish_on: str | None = None
    timeout_seconds: int = 15


@dataclass
class Record:
    """Say `sounds`, beep, and record until `finish_on` or `max_seconds`; the recording's address
    is posted to `callback_url`."""

    sounds: list[Sound]
    callback_url: str
    max_seconds: int = 60
    finish_on: str = "#"


@dataclass
class Redirect:
    url: str


@dataclass
class Reject:
    """Refuse an incoming call without answering it: the caller pays nothing."""


VoiceAction = Speak | Ask | Record | Redirect | Reject


@dataclass
class PlacedCall:
    session_id: str = ""
    errors: list[str] = field(default_factory=list)


class Gateway(Protocol):
    def ussd_request(self, form: Mapping[str, str]) -> UssdRequest: ...

    def ussd_reply(self, screen: Screen) -> str: ...

    def inbound_sms(self, form: Mapping[str, str]) -> InboundSms: ...

    def send_sms(self, phone: str, text: str) -> str: ...

    def voice_request(self, form: Mapping[str, str]) -> VoiceCall: ...

    def voice_reply(self, actions: Sequence[VoiceAction]) -> str: ...

    def place_call(self, from_number: str, to_phone: str) -> PlacedCall: ...


class AfricasTalking:
    """Africa's Talking: USSD callbacks are form posts with sessionId, serviceCode, phoneNumber,
    networkCode and text (every input so far joined by '*'); the answer is plain text starting
    with "CON " (the session goes on) or "END ". SMS arrive as form posts (from, to, text, id);
    SMS are sent by POSTing to the messaging API with the apiKey header."""

    def ussd_request(self, form: Mapping[str, str]) -> UssdRequest:
        text = _bounded(form, "text", 1000)
        session_id = _bounded(form, "sessionId", 64)
        if not session_id.isprintable() or not session_id.strip():
            raise BadCallback("sessionId")
        if not _bounded(form, "phoneNumber", 20).strip():
            raise BadCallback("phoneNumber")
        return UssdRequest(
            session_id=session_id, phone=_phone(_bounded(form, "phoneNumber", 20)),
            service_code=_bounded(form, "serviceCode", 32), inputs=text.split("*") if text else [],
        )

    def ussd_reply(self, screen: Screen) -> str:
        return ("END " if screen.end else "CON ") + screen.text

    def inbound_sms(self, form: Mapping[str, str]) -> InboundSms:
        return InboundSms(phone=_phone(_bounded(form, "from", 20)), text=_bounded(form, "text", 1600)[:480],
                          message_id=_bounded(form, "id", 64))

    def send_sms(self, phone: str, text: str) -> str:
        config = current_app.config
        data = {"username": config["AT_USERNAME"], "to": phone, "message": text}
        if config.get("AT_SENDER_ID"):
            data["from"] = config["AT_SENDER_ID"]
        response = requests.post(config["AT_SMS_URL"], data=data, timeout=10,
                                 headers={"apiKey": config.get("AT_API_KEY") or "", "Accept": "application/json"})
        response.raise_for_status()
        recipients = response.json().get("SMSMessageData", {}).get("Recipients", [])
        if not recipients or recipients[0].get("status") != "Success":
            raise RuntimeError(f"gateway refused the SMS: {response.text[:200]}")
        return recipients[0].get("messageId", "")


    # --- voice: https://developers.africastalking.com/docs/voice (callbacks and actions) ---

    def voice_request(self, form: Mapping[str, str]) -> VoiceCall:
        """isActive "1" while the call lasts ("0" once it ended); direction Inbound (the caller rang
        us: callerNumber) or Outbound (we rang them: destinationNumber is theirs)."""
        session_id = _bounded(form, "sessionId", 58)  # the menus keep it as "voice:<id>" in 64 characters, never cut
        if not session_id.isprintable() or not session_id.strip():
            raise BadCallback("sessionId")
        inbound = _bounded(form, "direction", 16).lower() != "outbound"
        number = _bounded(form, "callerNumber" if inbound else "destinationNumber", 20)
        if not number.strip():
            raise BadCallback("callerNumber")
        digits = _bounded(form, "dtmfDigits", 40) if "dtmfDigits" in form else None
        return VoiceCall(session_id=session_id, phone=_phone(number), active=_bounded(form, "isActive", 4) == "1", inbound=inbound,
                         dialled=_phone(_bounded(form, "destinationNumber", 20)) if inbound else "",
                         digits=digits, recording_url=_bounded(form, "recordingUrl", 500) if "recordingUrl" in form else None)

    def voice_reply(self, actions: Sequence[VoiceAction]) -> str:
        """The actions as Africa's Talking's XML: <Response> with Say, Play, GetDigits, Record,
        Redirect or Reject (alone), written by ElementTree so no text can break out of its element."""
        response = ElementTree.Element("Response")
        for action in actions:
            if isinstance(action, Reject):
                response = ElementTree.Element("Response")
                ElementTree.SubElement(response, "Reject")
                break
            if isinstance(action, Speak):
                _sounds(response, action.sounds)
            elif isinstance(action, Ask):
                attributes = {"timeout": str(action.timeout_seconds), "callbackUrl": action.callback_url}
                if action.digits is not None:
                    attributes["numDigits"] = str(action.digits)
                if action.finish_on:
                    attributes["finishOnKey"] = action.finish_on
                _sounds(ElementTree.SubElement(response, "GetDigits", attributes), action.sounds)
            elif isinstance(action, Record):
                _sounds(ElementTree.SubElement(response, "Record", {
                    "finishOnKey": action.finish_on, "maxLength": str(action.max_seconds), "trimSilence": "true",
                    "playBeep": "true", "callbackUrl": action.callback_url}), action.sounds)
            elif isinstance(action, Redirect):
                ElementTree.SubElement(response, "Redirect").text = action.url
        return '<?xml version="1.0" encoding="UTF-8"?>' + ElementTree.tostring(response, encoding="unicode")

    def place_call(self, from_number: str, to_phone: str) -> PlacedCall:
        config = current_app.config
        response = requests.post(config["AT_VOICE_URL"], data={"username": config["AT_USERNAME"], "from": from_number, "to": to_phone},
                                 timeout=10, headers={"apiKey": config.get("AT_API_KEY") or "", "Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
        entries = body.get("entries") or []
        if not entries or entries[0].get("status") != "Queued":
            return PlacedCall(errors=[str(body.get("errorMessage") or body)[:200]])
        return PlacedCall(session_id=str(entries[0].get("sessionId", "")))


def _sounds(parent: ElementTree.Element, sounds: Sequence[Sound]) -> None:
    for sound in sounds:
        if sound.audio_url:
            ElementTree.SubElement(parent, "Play", {"url": sound.audio_url})
        else:
            ElementTree.SubElement(parent, "Say").text = sound.text


class BadCallback(ValueError):
    """A callback no real gateway sends (a session id or number longer than any network's):
    refused with 400 rather than cut short, so two long ids can never become one session."""


def _bounded(form: Mapping[str, str], name: str, limit: int) -> str:
    value = form.get(name, "") or ""
    if len(value) > limit:
        raise BadCallback(name)
    return value


def _phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except DomainError:  # an odd caller id is treated later as an unknown number
        return raw.strip()[:20]


GATEWAYS: dict[str, Callable[[], Gateway]] = {"africastalking": AfricasTalking}


def get_gateway() -> Gateway:
    return GATEWAYS[current_app.config["PHONE_GATEWAY"]]()


class GatewaySmsBackend:
    """The outbox's SMS backend (NOTIFICATION_SMS_BACKEND=africastalking)."""

    def deliver(self, message: OutboxRow) -> str:
        return get_gateway().send_sms(message.recipient, message.body)  # bodies are whole sentences; subjects are for email
