"""The one interface between basic-phone channels and an SMS/USSD provider.

Menus and commands speak in `UssdRequest`, `Screen` and `InboundSms`; a gateway turns its
provider's callbacks into those and sends SMS. Africa's Talking is the provider shipped (its USSD
callback, two-way SMS callback and messaging API, over plain HTTP); another one (Twilio…) is one
more class registered in GATEWAYS, without touching the menus.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

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


class Gateway(Protocol):
    def ussd_request(self, form: Mapping[str, str]) -> UssdRequest: ...

    def ussd_reply(self, screen: Screen) -> str: ...

    def inbound_sms(self, form: Mapping[str, str]) -> InboundSms: ...

    def send_sms(self, phone: str, text: str) -> str: ...


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
