"""axe-core (from the npm registry, installed by `make node-deps`) on every key page, at 390×844:
no serious or critical violation, in each shipped language among English and Arabic."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.pages import key_pages, sign_in

AXE = Path(__file__).resolve().parents[2] / "build" / "node" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
AUDITED_LANGUAGES = ("en", "ar")


def _violations(page) -> list[dict]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_key_pages_have_no_serious_accessibility_violations(browser, live_server, audited_world):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE}: run `make node-deps` (make test does)")
    from flask import current_app

    shipped = [code for code in AUDITED_LANGUAGES if code in current_app.config["LANGUAGES"]]
    failures = {}
    for language in shipped:
        for person, urls in key_pages(audited_world).items():
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
