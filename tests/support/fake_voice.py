"""A stand-in for Africa's Talking's voice service, on the app's side of the wire: it posts the
callbacks the gateway posts (sessionId, isActive, direction, callerNumber, destinationNumber,
dtmfDigits), checks every XML answer against the actions Africa's Talking documents, and follows
the answer as the gateway would: it "hears" each Say and Play (a Play by the prompt's words), sends
key presses to the GetDigits callbackUrl, and follows a Redirect when the caller stays silent.

What it does not imitate: real audio playback (a Play's file is fetched and checked to be a WAV or
a recording's kind, not listened to), the gateway's own text-to-speech, timing (GetDigits' timeout
is read, not waited), Dial, queues and conferences, and the billing the gateway does.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree

#: The actions and their attributes, as Africa's Talking documents them (developers.africastalking.com/docs/voice/actions).
ACTIONS = {
    "Say": {"voice", "playBeep"},
    "Play": {"url"},
    "GetDigits": {"callbackUrl", "numDigits", "timeout", "finishOnKey"},
    "Dial": {"phoneNumbers", "record", "sequential", "callerId", "ringBackTone", "maxDuration"},
    "Record": {"finishOnKey", "maxLength", "timeout", "trimSilence", "playBeep", "callbackUrl"},
    "Enqueue": {"holdMusic", "name"},
    "Dequeue": {"phoneNumber", "name"},
    "Conference": set(),
    "Redirect": set(),
    "Reject": set(),
}
#: What may sit inside an action: GetDigits and Record say something first.
CHILDREN = {"GetDigits": {"Say", "Play"}, "Record": {"Say", "Play"}}
_ids = itertools.count(1)


def check_voice_xml(xml: str) -> ElementTree.Element:
    """The answer as the gateway parses it, or AssertionError naming what it would refuse."""
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>'), xml[:80]
    root = ElementTree.fromstring(xml)
    assert root.tag == "Response", root.tag
    if root.find("Reject") is not None:
        assert len(root) == 1, "Reject must be the only action"
    for action in root:
        assert action.tag in ACTIONS, f"unknown action {action.tag}"
        assert set(action.attrib) <= ACTIONS[action.tag], f"{action.tag}: {set(action.attrib) - ACTIONS[action.tag]}"
        allowed = CHILDREN.get(action.tag, set())
        for child in action:
            assert child.tag in allowed, f"{child.tag} inside {action.tag}"
            _check_leaf(child)
        if action.tag not in CHILDREN:
            assert len(action) == 0, f"{action.tag} holds elements"
            _check_leaf(action)
        if action.tag == "GetDigits":
            assert action.get("numDigits", "1").isdigit() and action.get("timeout", "30").isdigit()
            assert action.get("finishOnKey", "#") in set("0123456789*#")
        if action.tag == "Redirect":
            assert (action.text or "").startswith(("http://", "https://")), action.text
    return root


def _check_leaf(element: ElementTree.Element) -> None:
    if element.tag == "Say":
        assert (element.text or "").strip(), "an empty Say"
    if element.tag == "Play":
        assert element.get("url", "").startswith(("http://", "https://")), element.attrib


@dataclass
class VoiceCall:
    """One call walked through the app by the test client."""

    client: object
    path: str
    phone: str
    direction: str = "Inbound"
    dialled: str = "+254711082000"
    session_id: str = field(default_factory=lambda: f"ATVId_fake{next(_ids):06d}")
    last: ElementTree.Element | None = None
    heard: list[str] = field(default_factory=list)  # what the last answer said, sentence by sentence
    audio: list[str] = field(default_factory=list)  # the addresses of its Play files

    def _post(self, path_and_query: str, **extra: str) -> ElementTree.Element:
        number = {"callerNumber": self.phone, "destinationNumber": self.dialled} if self.direction == "Inbound" else \
            {"callerNumber": self.dialled, "destinationNumber": self.phone}
        response = self.client.post(path_and_query, data={"sessionId": self.session_id, "isActive": "1", "direction": self.direction,
                                                          **number, **extra})
        assert response.status_code == 200 and response.mimetype == "application/xml", (response.status_code, response.data[:300])
        self.last = check_voice_xml(response.get_data(as_text=True))
        self.heard, self.audio = self._hear(self.last), [p.get("url") for p in self.last.iter("Play")]
        return self.last

    def ring(self) -> list[str]:
        self._post(self.path)
        return self.heard

    def press(self, keys: str) -> list[str]:
        asking = self.last.find("GetDigits") if self.last is not None else None
        assert asking is not None, "nothing is waiting for keys"
        self._post(_local(asking.get("callbackUrl")), dtmfDigits=keys)
        return self.heard

    def record(self, recording_url: str) -> list[str]:
        """The caller speaks after the beep and presses #: the gateway posts where the recording is."""
        recording = self.last.find("Record") if self.last is not None else None
        assert recording is not None, "nothing is recording"
        self._post(_local(recording.get("callbackUrl")), recordingUrl=recording_url, dtmfDigits="#")
        return self.heard

    @property
    def recording(self) -> bool:
        return self.last is not None and self.last.find("Record") is not None

    def stay_silent(self) -> list[str]:
        """GetDigits times out: the gateway goes on to the next action (a Redirect, followed)."""
        redirect = self.last.find("Redirect") if self.last is not None else None
        if redirect is None:
            return []
        self._post(_local(redirect.text))
        return self.heard

    def hang_up(self) -> None:
        response = self.client.post(self.path, data={"sessionId": self.session_id, "isActive": "0", "direction": self.direction,
                                                     "callerNumber": self.phone, "destinationNumber": self.dialled,
                                                     "durationInSeconds": "42", "currencyCode": "KES", "amount": "1.5"})
        assert response.status_code == 200

    @property
    def waiting(self) -> bool:
        return self.last is not None and self.last.find("GetDigits") is not None

    @property
    def rejected(self) -> bool:
        return self.last is not None and self.last.find("Reject") is not None

    def _hear(self, root: ElementTree.Element) -> list[str]:
        from marketplace.ussd.prompts import text_of

        said = []
        for element in root.iter():
            if element.tag == "Say":
                said.append(element.text or "")
            elif element.tag == "Play":
                fetched = self.client.get(_local(element.get("url")))
                assert fetched.status_code == 200 and fetched.data[:4] in (b"RIFF", b"OggS", b"ID3\x03", b"ID3\x04"), element.get("url")
                said.append(text_of(element.get("url")))
        return said


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
