"""Who the phone simulator may call as.

The simulator relays key presses to the real USSD callback, which recognises a caller by number
alone: so the number is never typed. A person simulates only their own phone; an agent or admin
training someone may also use the test number, which belongs to nobody and never can (+999 is
not assigned to any country, so no registration accepts it) and so sees what a stranger sees.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.accounts.api import Role, User
from marketplace.core.errors import PermissionDenied

#: A number no account can hold: phonenumbers refuses +999 as unassigned, so registration does.
TEST_NUMBER = "+999000000001"
OWN, TEST = "own", "test"


def may_simulate(actor: User) -> bool:
    return actor.has_role(Role.ADMIN, Role.AGENT) or current_app.config.get("MODE") == "development"


def may_use_test_number(actor: User) -> bool:
    return actor.has_role(Role.ADMIN, Role.AGENT)


def caller_number(actor: User, which: str) -> str | None:
    """The number the simulated phone calls from: the actor's own, or (agents and admins) the test
    number. None when the actor has no phone of their own."""
    if not may_simulate(actor):
        raise PermissionDenied(_l("Only agents and admins can use the phone simulator."))
    if which == TEST:
        if not may_use_test_number(actor):
            raise PermissionDenied(_l("Only agents and admins can call from the test number."))
        return TEST_NUMBER
    return actor.phone


def heard(xml: str) -> dict:
    """What the simulated caller hears in a voice answer: each sentence (its words, and its audio
    when there is a file), whether keys are awaited (one, or several ended by `finish_on`), and the
    step to name when they are pressed."""
    from urllib.parse import parse_qs, urlsplit
    from xml.etree import ElementTree

    from marketplace.ussd.prompts import text_of

    root = ElementTree.fromstring(xml)
    sounds: list[dict] = []
    step, end, rejected, finish_on = None, True, root.find("Reject") is not None, ""
    for element in root.iter():
        if element.tag == "Say":
            sounds.append({"text": element.text or "", "audio": None})
        elif element.tag == "Play":
            url = urlsplit(element.get("url", ""))
            sounds.append({"text": text_of(element.get("url", "")), "audio": url.path})
        elif element.tag == "GetDigits" and step is None:
            step, end = parse_qs(urlsplit(element.get("callbackUrl", "")).query).get("step", [None])[0], False
            finish_on = element.get("finishOnKey", "")
    # A voice message is recorded by the gateway; the simulator says where the caller would speak.
    return {"sounds": sounds, "step": step, "end": end, "rejected": rejected, "finish_on": finish_on,
            "records": root.find("Record") is not None}
