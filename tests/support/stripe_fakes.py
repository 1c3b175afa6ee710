"""Helpers for the Stripe tests: start localstripe, act as Stripe.js, sign events, record requests."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

SERVER = Path(__file__).with_name("localstripe_server.py")
PUBLISHABLE_KEY = "pk_test_village"
SECRET_KEY = "sk_test_village"
WEBHOOK_SECRET = "whsec_test_village"
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"  # attaches, then is declined when charged


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def localstripe() -> Iterator[str]:
    """localstripe (with this project's small extensions) on a loopback port; yields its base URL."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, str(SERVER), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url + "/js.stripe.com/v3/", timeout=1).read()
            break
        except (urllib.error.URLError, ConnectionError) as error:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe did not start: " + process.stderr.read().decode(errors="replace")[-2000:]) from error
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def confirm_card_as_browser(base_url: str, client_secret: str, number: str) -> tuple[int, dict]:
    """What Stripe.js's confirmCardPayment sends from the buyer's browser (publishable key only)."""
    intent_id = client_secret.split("_secret_")[0]
    return post_json(f"{base_url}/v1/payment_intents/{intent_id}/confirm", {
        "key": PUBLISHABLE_KEY, "client_secret": client_secret,
        "payment_method_data": {"type": "card", "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}},
    })


def register_webhook(base_url: str, target: str) -> None:
    status, _ = post_json(f"{base_url}/_config/webhooks/village", {"url": target, "secret": WEBHOOK_SECRET})
    assert status == 200


def signed_event(event_type: str, obj: dict, *, event_id: str, secret: str = WEBHOOK_SECRET,
                 at: int | None = None) -> tuple[bytes, str]:
    """An event body and its Stripe-Signature header, by Stripe's scheme (HMAC-SHA256 of 't.payload')."""
    at = int(time.time()) if at is None else at
    payload = json.dumps({"id": event_id, "object": "event", "type": event_type, "created": at,
                          "api_version": "2024-06-20", "data": {"object": obj}}).encode()
    signature = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={at},v1={signature}"


class RecordingHTTPClient(stripe.HTTPClient):
    """Stands in for the network: records every request stripe-python makes and answers from `routes`,
    a map of (method, path) to the JSON Stripe would return (or a callable taking the params)."""

    name = "recording"

    def __init__(self, routes: dict[tuple[str, str], Any]):
        super().__init__()
        self.routes = routes
        self.requests: list[dict[str, Any]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        params = dict(parse_qsl(post_data.decode() if isinstance(post_data, bytes) else (post_data or "")))
        self.requests.append({"method": method.upper(), "path": path, "params": params,
                              "idempotency_key": (headers or {}).get("Idempotency-Key")})
        answer = self.routes.get((method.upper(), path))
        if answer is None:
            return json.dumps({"error": {"message": f"no route for {method} {path}"}}), 404, {}
        body = answer(params) if callable(answer) else answer
        return json.dumps(body), 200, {}

    def request_stream(self, *args, **kwargs):
        raise NotImplementedError

    def close(self):
        pass

    def sent(self, method: str, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"] == path]
