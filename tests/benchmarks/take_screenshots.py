"""`make screenshots`: every page of every role's journey on a fresh demo, at 390×844, in English and
Arabic, written to build/screenshots/<language>/<journey>-<nn>-<page>.png with an index.html to leaf
through them as a person would.

The journeys are walked, not just visited: the buyer fills a cart from two farmers and places the
order, the farmer marks it ready, the resident starts a form, the official opens a case. Every
page is also checked for what a person would call broken, and each problem is listed at the end
(the command then exits 1): an error status, a page wider than the phone, a step that could not be
taken. Figures and pictures for people, not a test: the suite's browser tests assert the journeys.
"""
from __future__ import annotations

import html
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.benchmarks.run_audit import DEMO_PASSWORD, prepare_database, serve
from tests.benchmarks.run_catalog_bench import BUILD, free_port
from tests.browser.pages import UNISOLATED_JS

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
OUT = BUILD / "screenshots"
#: English and Arabic by default (both directions); SCREENSHOT_LANGUAGES=en,sw,ar walks others too.
LANGUAGES = tuple(os.environ.get("SCREENSHOT_LANGUAGES", "en,ar").split(","))
PHONE = {"width": 390, "height": 844}
BUYER, FARMER, RESIDENT, AGENT, OFFICIAL, ADMIN = (f"+2547110000{n:02d}" for n in range(1, 7))


RIGHT_TO_LEFT = {"ar"}



@dataclass
class Walk:
    """One person's walk in one language: each page shot, each problem noted."""

    page: object
    language: str
    journey: str
    shots: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def go(self, path: str, name: str, bidi: bool = True) -> None:
        response = self.page.goto(f"{path}{'&' if '?' in path else '?'}lang={self.language}")
        if response is None or response.status >= 400:
            self.problems.append(f"{self.journey} {name}: {path} answered {response.status if response else 'nothing'}")
        self.shot(name, bidi)

    def shot(self, name: str, bidi: bool = True) -> None:
        if self.language in RIGHT_TO_LEFT and bidi:
            for text in self.page.evaluate(UNISOLATED_JS):
                self.problems.append(f"{self.journey} {name}: Latin text not isolated in a right-to-left sentence: {text!r}")
        width = self.page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            self.problems.append(f"{self.journey} {name}: {width} px wide on a {PHONE['width']} px phone ({self.page.url})")
        number = len(self.shots) + 1
        file = f"{self.language}/{self.journey}-{number:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        (OUT / file).parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(OUT / file), full_page=True)
        self.shots.append((name, file))

    def step(self, name: str, action: Callable[[], None]) -> None:
        """An action a person takes (a tap, a form sent); a failure is a dead end, noted, and the walk goes on."""
        try:
            action()
        except Exception as error:  # Playwright's timeouts and assertion errors alike
            self.problems.append(f"{self.journey} {name}: could not be done ({str(error).splitlines()[0][:160]})")
            return
        self.shot(name)


#: The page's own form, not the offer to keep a language that shows above it after a ?lang= switch.
MAIN_SUBMIT = "main form:not(.language-offer) button[type=submit]:not(.link-button)"


def sign_in(page, phone: str) -> None:
    page.goto("/login")
    page.fill("#identifier", phone)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")


def first_link(page, pattern: str) -> str:
    return page.eval_on_selector(f"main a[href^='{pattern}']", "a => a.getAttribute('href')")


def visitor(w: Walk) -> None:
    for path, name in (("/", "home"), ("/produce", "produce"), ("/produce?q=tomatoes", "search")):
        w.go(path, name)
    w.go(first_link(w.page, "/listing/"), "listing")
    for path, name in (("/services", "services"), ("/services/agricultural-input-subsidy", "service start"),
                       ("/prices", "prices"), ("/performance", "performance"), ("/reports", "reports"),
                       ("/verify", "verify"), ("/register", "register"), ("/login", "sign in")):
        w.go(path, name)
    # The API's documentation names parameters (from, per_page, Accept: text/csv) that a developer types as they are.
    w.go("/open-data", "open data", bidi=False)


def buyer(w: Walk) -> None:
    p = w.page
    w.go("/", "home signed in")
    w.step("menu open", lambda: p.click(".site-menu summary"))
    w.go("/produce", "produce")
    listings = list(dict.fromkeys(p.eval_on_selector_all("main a[href^='/listing/']", "links => links.map(a => a.getAttribute('href'))")))
    for href in (listings[0], listings[-1]):  # two farmers' produce (newest first: a neighbour's and the demo farmer's)
        w.go(href, "listing")

        def add() -> None:
            p.fill("input[name=quantity]", "1")
            p.click("form[action^='/cart/add'] button[type=submit]")
            p.wait_for_url("**/cart**")
        w.step("added to cart", add)
    w.go("/checkout", "checkout")

    def place() -> None:
        for group in p.query_selector_all("fieldset:has(input[name^='slot-'])"):
            group.query_selector("input[name^='slot-']").check()
        p.click("main form:has(input[name^='slot-']) button[type=submit]")
        p.wait_for_url("**/checkout/**")
    w.step("order placed", place)
    w.go("/orders", "my orders")
    w.go(first_link(p, "/orders/"), "order")
    for path, name in (("/activity", "my activity"), ("/inbox", "messages"), ("/profile", "my account")):
        w.go(path, name)


def farmer(w: Walk) -> None:
    p = w.page
    w.go("/", "farmer home")
    w.go("/sell", "my listings")
    w.step("more for a listing", lambda: p.click(".more-actions summary"))
    w.go(p.eval_on_selector("main a[href$='/edit']", "a => a.getAttribute('href')"), "edit listing")
    w.go("/sell/new", "new listing")
    w.go("/sell/orders", "orders to prepare")
    ready = "form:has(input[name=to][value=ready_for_pickup]) button[type=submit]"
    orders = list(dict.fromkeys(p.eval_on_selector_all("main a[href^='/orders/']", "links => links.map(a => a.getAttribute('href'))")))
    for order in orders:  # one still to get ready (the English walk readied the first)
        w.go(order, "order to prepare")
        if p.query_selector(ready):
            w.step("marked ready", lambda: (p.click(ready), p.wait_for_load_state()))
            break
    for path, name in (("/sell/packing", "packing list"), ("/sell/money", "my money"), ("/farm", "my farm"),
                       ("/activity", "my activity")):
        w.go(path, name)


def resident(w: Walk) -> None:
    p = w.page
    w.go("/applications", "my applications")
    decided = "main li:has-text('AGR-') a[href^='/applications/']"  # sent ones have a reference; drafts do not
    for key in list(dict.fromkeys(p.eval_on_selector_all(decided, "links => links.map(a => a.getAttribute('href'))")))[:2]:
        w.go(key, "decided application")
    w.go("/services/birth-certificate-copy", "service start")

    def start() -> None:
        p.click(MAIN_SUBMIT)
        p.wait_for_url("**/step/1**")
    w.step("form step 1", start)

    def empty_send() -> None:
        p.click(MAIN_SUBMIT)
        p.wait_for_load_state()
    w.step("form step 1 with errors", empty_send)
    w.go("/reports/new", "report a problem")


def agent(w: Walk) -> None:
    w.go("/agent/residents", "file for a resident")
    p = w.page

    def find() -> None:
        p.fill("input[name='find-phone']", RESIDENT)
        p.click("form:has(input[name='find-phone']) button[type=submit]")
        p.wait_for_load_state()
    w.step("resident found, presence asked", find)
    w.go("/sell/for-farmer", "list for a farmer")


def official(w: Walk) -> None:
    p = w.page
    w.go("/official/queue", "queue")
    w.go(first_link(p, "/official/applications/"), "case")
    w.go("/official/queue?status=approved", "decided")
    w.go("/official/reports", "residents' reports")


def admin(w: Walk) -> None:
    for path, name in (("/admin/users", "people"), ("/admin/services", "services"), ("/admin/payouts", "payouts"),
                       ("/admin/outbox", "outbox"), ("/admin/report-routing", "report routing"), ("/admin/reports", "listing reports"),
                       ("/phone/simulator", "phone simulator")):
        w.go(path, name)


JOURNEYS = [("visitor", None, visitor), ("buyer", BUYER, buyer), ("farmer", FARMER, farmer), ("resident", RESIDENT, resident),
            ("agent", AGENT, agent), ("official", OFFICIAL, official), ("admin", ADMIN, admin)]


def write_index(walks: list[Walk], problems: list[str]) -> None:
    rows = []
    for walk in walks:
        pictures = "".join(f'<figure><img src="{file}" loading="lazy" width="195"><figcaption>{html.escape(name)}</figcaption></figure>'
                           for name, file in walk.shots)
        rows.append(f"<h2>{walk.language} · {walk.journey}</h2><div class=row>{pictures}</div>")
    listed = "".join(f"<li>{html.escape(p)}</li>" for p in problems) or "<li>none</li>"
    (OUT / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>Village Square journeys</title><style>.row{display:flex;gap:8px;"
        "overflow-x:auto}figure{margin:0}img{border:1px solid #ccc}</style>"
        f"<h1>Every journey at 390×844</h1><h2>Problems</h2><ul>{listed}</ul>{''.join(rows)}", encoding="utf-8")


def main() -> int:
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = serve(prepare_database(), port)
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    walks: list[Walk] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for language in LANGUAGES:
                for journey, phone, walk_it in JOURNEYS:
                    context = browser.new_context(base_url=base, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
                    page = context.new_page()
                    page.set_default_timeout(8_000)
                    walk = Walk(page, language, journey)
                    if phone:
                        sign_in(page, phone)
                    try:
                        walk_it(walk)
                    except Exception as error:
                        walk.problems.append(f"{journey}: the walk stopped ({str(error).splitlines()[0][:160]})")
                    walks.append(walk)
                    context.close()
            browser.close()
    finally:
        os.killpg(server.pid, 15)
    problems = [f"{w.language} {p}" for w in walks for p in w.problems]
    write_index(walks, problems)
    print(f"{sum(len(w.shots) for w in walks)} screenshots of {len(JOURNEYS)} journeys in {', '.join(LANGUAGES)} in {OUT} "
          f"(index.html to leaf through them)")
    for problem in problems:
        print(f"PROBLEM {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
