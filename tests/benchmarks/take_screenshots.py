"""`make screenshots`: phone-sized (390×844) PNGs of the key pages in English and Arabic, written to
build/screenshots/ for people to review (layout, right-to-left, wording). Uses the demo data."""
from __future__ import annotations

import os
import sys

from tests.benchmarks.run_audit import DEMO_PASSWORD, prepare_database, serve
from tests.benchmarks.run_catalog_bench import BUILD, free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
OUT = BUILD / "screenshots"
LANGUAGES = ("en", "ar")


def main() -> int:
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = serve(prepare_database(), port)
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    people = {None: ["/", "/produce", "/services", "/services/agricultural-input-subsidy", "/login"],
              "+254711000001": ["/cart", "/checkout", "/orders"],
              "+254711000002": ["/sell/new", "/sell", "/farm", "/sell/money"],
              "+254711000003": ["/applications"],
              "+254711000005": ["/official/queue"]}
    written = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            for language in LANGUAGES:
                for phone, paths in people.items():
                    context = browser.new_context(base_url=base, viewport={"width": 390, "height": 844}, device_scale_factor=2)
                    page = context.new_page()
                    if phone:
                        page.goto("/login")
                        page.fill("#identifier", phone)
                        page.fill("#password", DEMO_PASSWORD)
                        page.click("button[type=submit]")
                    if phone == "+254711000001":  # something in the cart
                        page.goto("/produce")
                        page.click("a[href^='/listing/']")
                        page.fill("input[name=quantity]", "1")
                        page.click("form[action^='/cart/add'] button[type=submit]")
                    for path in paths:
                        page.goto(f"{path}?lang={language}")
                        name = (path.strip("/").replace("/", "-") or "home")
                        page.screenshot(path=str(OUT / f"{language}-{name}.png"), full_page=True)
                        written += 1
                    context.close()
            browser.close()
    finally:
        os.killpg(server.pid, 15)
    print(f"{written} screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
