"""A stand-in for Africa's Talking on loopback: it receives outbound SMS exactly as the messaging
API is called (form fields, apiKey header) and outbound calls as the voice API is (POST /call),
and answers as the APIs do; it also writes the callbacks the real gateway would send to the app
(USSD and two-way SMS form posts; voice calls are walked by tests.support.fake_voice)."""
from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class SentSms:
    to: str
    message: str
    username: str
    api_key: str
    sender: str = ""


@dataclass
class PlacedCall:
    to: str
    from_number: str
    username: str
    api_key: str


@dataclass
class FakeGateway:
    url: str = ""
    voice_url: str = ""
    sent: list[SentSms] = field(default_factory=list)
    calls: list[PlacedCall] = field(default_factory=list)
    recordings: dict[str, bytes] = field(default_factory=dict)  # what callers said, served at /recordings/<name>

    def keep_recording(self, name: str, data: bytes) -> str:
        """A voice message the gateway recorded: the address it gives in `recordingUrl`."""
        self.recordings[name] = data
        return self.url.replace("/version1/messaging", f"/recordings/{name}")
    refuse: bool = False  # answer like the API does when a message is rejected
    refusals_left: int = 0  # refuse only the next N messages (a gateway's bad minute)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _sessions: itertools.count = field(default_factory=lambda: itertools.count(1))

    def messages_to(self, phone: str) -> list[str]:
        return [s.message for s in self.sent if s.to == phone]

    # --- callbacks, as the gateway sends them to the app --------------------------------------
    def new_session(self) -> str:
        return f"ATUid_fake{next(self._sessions):06d}"

    @staticmethod
    def ussd_form(session_id: str, phone: str, inputs: list[str], service_code: str = "*384*1#") -> dict:
        return {"sessionId": session_id, "serviceCode": service_code, "phoneNumber": phone, "networkCode": "63902",
                "text": "*".join(inputs)}

    def sms_form(self, phone: str, text: str) -> dict:
        return {"from": phone, "to": "20880", "text": text, "date": "2026-11-28 10:00:00", "id": f"sms{next(self._ids)}",
                "linkId": ""}


def start_fake_gateway() -> tuple[FakeGateway, ThreadingHTTPServer]:
    gateway = FakeGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (the http.server API)
            data = gateway.recordings.get(self.path.removeprefix("/recordings/"))
            self.send_response(200 if data is not None else 404)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def do_POST(self):  # noqa: N802  (the http.server API)
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path == "/call":
                gateway.calls.append(PlacedCall(to=form.get("to", ""), from_number=form.get("from", ""),
                                                username=form.get("username", ""), api_key=self.headers.get("apiKey", "")))
                self._json(200, {"entries": [{"status": "Queued", "phoneNumber": form.get("to", ""),
                                              "sessionId": f"ATVId_{next(gateway._ids)}"}], "errorMessage": "None"})
                return
            if self.path != "/version1/messaging":
                self.send_response(404)
                self.end_headers()
                return
            refuse = gateway.refuse or gateway.refusals_left > 0
            if gateway.refusals_left > 0:  # a refused message is recorded only under `refuse`, as before
                gateway.refusals_left -= 1
            else:
                gateway.sent.append(SentSms(to=form.get("to", ""), message=form.get("message", ""), username=form.get("username", ""),
                                            api_key=self.headers.get("apiKey", ""), sender=form.get("from", "")))
            status = "InvalidPhoneNumber" if refuse else "Success"
            body = {"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: KES 0.8000", "Recipients": [
                {"statusCode": 403 if refuse else 101, "number": form.get("to", ""), "status": status,
                 "cost": "KES 0.8000", "messageId": f"ATXid_{next(gateway._ids)}"}]}}
            self._json(201, body)

        def _json(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/version1/messaging"
    gateway.voice_url = f"http://127.0.0.1:{server.server_address[1]}/call"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return gateway, server
