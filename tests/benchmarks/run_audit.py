"""`make audit`: Lighthouse (npm, mobile emulation, Debian's chromium) on the key pages.

Serves the demo data with gunicorn on a loopback port, signs in as the demo people for the pages
that need it, runs Lighthouse once per page and prints performance, accessibility, best-practices
and SEO scores; writes them to build/audit.json. Targets: performance ≥ 95, accessibility 100,
best practices ≥ 95. Figures, not tests: the machine is shared, so performance varies by a few points.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from tests.benchmarks.run_catalog_bench import BUILD, ROOT, free_port
from tests.benchmarks.run_catalog_bench import serve as serve_app

LIGHTHOUSE = BUILD / "lh" / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
DEMO_PASSWORD = "village-demo-2026"


def prepare_database() -> str:
    folder = BUILD / "audit"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder / 'audit.sqlite3'}"
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="wsgi", APP_MODE="development")
    flask = str(Path(sys.executable).with_name("flask"))
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    return url


def serve(url: str, port: int):
    """The real app (wsgi.py) with its page cache on, as in production."""
    return serve_app(url, port, cache_seconds=30, app="wsgi:app", ready_path="/")


class Visitor:
    """A signed-in person, through the real forms (CSRF tokens included)."""

    def __init__(self, base: str, phone: str | None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        if phone:
            self.post("/login", {"identifier": phone, "password": DEMO_PASSWORD})

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path) as response:
            return response.geturl(), response.read().decode()

    def post(self, path: str, data: dict, token_from: str | None = None) -> str:
        _, page = self.get(token_from or path)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        body = urllib.parse.urlencode({**data, **({"csrf_token": token.group(1)} if token else {})}).encode()
        with self.opener.open(self.base + path, body) as response:
            return response.geturl()

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def pages(base: str) -> dict[str, tuple[str, str]]:
    """name -> (path, Cookie header)."""
    anonymous = Visitor(base, None)
    _, produce = anonymous.get("/produce")
    listing = re.search(r'href="(/listing/\d+)"', produce).group(1)
    buyer = Visitor(base, "+254711000001")
    buyer.opener.open(base + f"/cart/add/{listing.rsplit('/', 1)[1]}", urllib.parse.urlencode({"quantity": "1"}).encode())
    farmer = Visitor(base, "+254711000002")
    resident = Visitor(base, "+254711000003")
    step = resident.post("/services/agricultural-input-subsidy/start", {}, token_from="/services/agricultural-input-subsidy")
    return {
        "home": ("/", ""),
        "listing detail": (listing, ""),
        "listing form": ("/sell/new", farmer.cookie),
        "checkout": ("/checkout", buyer.cookie),
        "form step": (urllib.parse.urlsplit(step).path, resident.cookie),
    }


def lighthouse(url: str, cookie: str) -> dict[str, int]:
    command = ["node", str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
               "--only-categories=" + ",".join(CATEGORIES),
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking"]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    result = subprocess.run(command, env=dict(os.environ, CHROME_PATH=CHROME), capture_output=True, text=True, timeout=240)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    report = json.loads(result.stdout)
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    # The page Lighthouse ended on: a lost session would show as /login here, not as a good score.
    scores["audited"] = urllib.parse.urlsplit(report.get("finalDisplayedUrl") or report.get("finalUrl", "")).path
    return scores


def main() -> int:
    if not LIGHTHOUSE.exists():
        print(f"lighthouse is not installed at {LIGHTHOUSE} (make audit installs it)", file=sys.stderr)
        return 2
    port = free_port()
    server = serve(prepare_database(), port)
    base = f"http://127.0.0.1:{port}"
    try:
        results = {name: lighthouse(base + path, cookie) for name, (path, cookie) in pages(base).items()}
    finally:
        os.killpg(server.pid, 15)
    print(f"{'page':<16}" + "".join(f"{c:>16}" for c in CATEGORIES) + "  audited path")
    for name, scores in results.items():
        print(f"{name:<16}" + "".join(f"{scores[c]:>16}" for c in CATEGORIES) + f"  {scores['audited']}")
    (BUILD / "audit.json").write_text(json.dumps({"lighthouse": "12.2.3, mobile emulation", "pages": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
