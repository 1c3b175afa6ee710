"""Light on 3G: every key page is at most 50 KB of HTML + CSS + JS as transferred (compressed),
photos aside, in at most 10 requests; static files are fingerprinted and cached for a year."""
from __future__ import annotations

import gzip
import json

from tests.browser.pages import key_pages, sign_in
from tests.browser.test_accessibility import PHONE

BUDGET_BYTES = 50 * 1024
MAX_REQUESTS = 10


_asset_weights: dict[str, int] = {}


def _asset_weight(page, url: str) -> int:
    if url not in _asset_weights:
        _asset_weights[url] = len(gzip.compress(page.request.get(url).body(), 6))
    return _asset_weights[url]


def test_key_pages_fit_the_3g_budget(browser, live_server, audited_world):
    report, over = {}, {}
    for person, urls in key_pages(audited_world).items():
        context = browser.new_context(base_url=live_server, **PHONE)
        page = context.new_page()
        if person is not None:
            sign_in(page, audited_world[person])
        for name, url in urls(audited_world, page):
            seen = []

            def record(request, seen=seen):
                seen.append(request)

            page.on("requestfinished", record)
            response = page.goto(url, wait_until="networkidle")
            page.remove_listener("requestfinished", record)
            # The gzip weight of what a first visit downloads (a stylesheet cached since still counts).
            weight = len(gzip.compress(response.body(), 6)) + sum(
                _asset_weight(page, r.url) for r in seen if r.resource_type in ("stylesheet", "script"))
            report[name] = {"requests": len(seen), "kb": round(weight / 1024, 1)}
            if weight > BUDGET_BYTES or len(seen) > MAX_REQUESTS:
                over[name] = report[name]
            document = next(r for r in seen if r.resource_type == "document")
            assert document.response().headers.get("content-encoding") in ("br", "gzip"), name
            for asset in (r for r in seen if r.resource_type in ("stylesheet", "script") and "/static/" in r.url):
                assert "?v=" in asset.url and "max-age=31536000" in asset.response().headers.get("cache-control", ""), asset.url
        context.close()
    print(json.dumps(report, indent=1))
    assert not over, json.dumps(over, indent=1)
