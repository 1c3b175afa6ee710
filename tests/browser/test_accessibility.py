"""axe-core (from the npm registry, installed by `make node-deps`) on every key page, at 390×844:
no serious or critical violation, in each shipped language among English and Arabic."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketplace.accounts.models import Role
from marketplace.egov.versions import ensure_seeded_services
from marketplace.orders import cart
from marketplace.orders.checkout import place_checkout
from tests import factories
from tests.browser.pages import sign_in, two_farmers_market

AXE = Path(__file__).resolve().parents[2] / "build" / "node" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
AUDITED_LANGUAGES = ("en", "ar")


def _violations(page) -> list[dict]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def audited_world(places):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE}: run `make node-deps` (make test does)")
    ensure_seeded_services()
    market = two_farmers_market(places)
    official = factories.with_role(Role.OFFICIAL, places["departments"]["AGR"])
    cart.add_to_cart(market["buyer"], {}, market["eggs"].id, "1")
    checkout = place_checkout(market["buyer"], {}, {})
    cart.add_to_cart(market["buyer"], {}, market["maize"].id, "1")  # something in the cart again for its page
    return {**market, "official": official, "order": checkout.orders[0]}


def test_key_pages_have_no_serious_accessibility_violations(browser, live_server, audited_world):
    from flask import current_app

    shipped = [code for code in AUDITED_LANGUAGES if code in current_app.config["LANGUAGES"]]
    failures = {}
    for language in shipped:
        for person, urls in _journeys(audited_world).items():
            context = browser.new_context(base_url=live_server, bypass_csp=True, **PHONE)
            page = context.new_page()
            if person is not None:
                sign_in(page, audited_world[person])
            for name, url in urls(audited_world, page):
                separator = "&" if "?" in url else "?"
                page.goto(f"{url}{separator}lang={language}")
                found = _violations(page)
                if found:
                    failures[f"{language} {name}"] = found
            context.close()
    assert not failures, json.dumps(failures, indent=1)


def _journeys(world):
    def anonymous(w, page):
        return [("home", "/"), ("search", "/produce?q=eggs"), ("listing detail", f"/listing/{w['eggs'].id}"),
                ("form catalogue", "/services"), ("service start page", "/services/agricultural-input-subsidy"),
                ("verify", "/verify"), ("sign in", "/login"), ("register", "/register")]

    def buyer(w, page):
        pages = [("cart", "/cart"), ("checkout", "/checkout"), ("order page", f"/orders/{w['order'].number}")]
        page.goto("/services/agricultural-input-subsidy")
        page.get_by_role("button", name="Start now").click()
        step = "/" + page.url.split("/", 3)[3]  # /applications/<key>/step/1
        key = step.split("/")[2]
        return pages + [("form step", step), ("check answers", f"/applications/{key}/check"),
                        ("my applications", "/applications")]

    def farmer(w, page):
        return [("listing form", "/sell/new"), ("my listings", "/sell"), ("incoming orders", "/sell/orders"),
                ("my farm", "/farm"), ("my money", "/sell/money"), ("packing list", "/sell/packing")]

    def official(w, page):
        return [("official queue", "/official/queue")]

    return {None: anonymous, "buyer": buyer, "wanjiru": farmer, "official": official}
