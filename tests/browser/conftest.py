"""A real browser (Debian's chromium through Playwright) against the app on a real WSGI server.

The server is Werkzeug's threaded WSGI server on a random loopback port, in a
thread, with CSRF on as in production. Screenshots go to artifacts/screenshots/.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from marketplace import create_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


#: What the live server's messages delivered (SMS and email), as the people's phones received them.
PHONE_INBOX: list[dict] = []


class _PhoneInbox:
    def deliver(self, message) -> None:
        PHONE_INBOX.append({"kind": message.kind, "recipient": message.recipient, "body": message.body})


@pytest.fixture
def phone_inbox():
    """The SMS the live server sent during this test (a person reads their code from here)."""
    PHONE_INBOX.clear()
    return PHONE_INBOX


@pytest.fixture(scope="session")
def live_server(database_url):
    from marketplace.notifications import channels

    channels.register_backend("browser-phone", _PhoneInbox)
    app = create_app({
        "TESTING": False, "SECRET_KEY": "live-test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False, "NOTIFICATION_CHANNEL_BACKEND": "browser-phone",
    })
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no chromium at {CHROMIUM}: install Debian's chromium (make test does, as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A fresh phone-sized browser session (no cookies shared between tests)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    def _take(page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _take


@pytest.fixture
def audited_world(places):
    """The data behind every key page: two farmers' produce, a placed order, a buyer with a cart,
    an official; the shipped government forms (used by the accessibility and page-budget tests)."""
    from marketplace.accounts.models import Role
    from marketplace.egov.versions import ensure_seeded_services
    from marketplace.orders import cart
    from marketplace.orders.checkout import place_checkout
    from tests import factories
    from tests.browser.pages import two_farmers_market

    ensure_seeded_services()
    market = two_farmers_market(places)
    official = factories.with_role(Role.OFFICIAL, places["departments"]["AGR"])
    # the buyer lives in Kianjai, 7 km from Wanjiru's Mbeu: the pages carry food miles ("7 km from you", the order's trip)
    market["buyer"].village_id = places["villages"]["Kianjai"].id
    cart.add_to_cart(market["buyer"], {}, market["eggs"].id, "1")
    checkout = place_checkout(market["buyer"], {}, {})
    cart.add_to_cart(market["buyer"], {}, market["maize"].id, "1")  # something in the cart again for its page
    return {**market, "official": official, "order": checkout.orders[0]}
