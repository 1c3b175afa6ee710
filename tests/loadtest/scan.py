"""`make security-scan`: wapiti (a black-box web scanner) and sqlmap against the production topology
on this machine (`make prod-local`), anonymous and signed in, on loopback only.

wapiti crawls the site and attacks every form and parameter it finds (SQL and blind SQL injection,
XSS, stored XSS, command execution, file disclosure, open redirects, CRLF, CSRF); sqlmap then tries
every parameter of the search, filter and API URLs, and the sign-in form, at level 2 (cookies too).
Rate limits are off for the scan only (they would answer most attacks with 429 and hide what the
code does; the suite tests the limits themselves). Figures go to build/scan/summary.json.

The scanners run from their own virtual environment (build/scan-venv) so their pinned
dependencies never meet the application's.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import requests

from tests.loadtest.prod_local import PROJECT_ROOT, ProdLocal

OUT = PROJECT_ROOT / "build" / "scan"
VENV = PROJECT_ROOT / "build" / "scan-venv" / "bin"
WAPITI_MODULES = "sql,timesql,exec,file,xss,permanentxss,redirect,crlf,csrf,ssrf"
WAPITI_SECONDS = 420
#: Demo people (flask seed-demo): every signed-in surface the scanners see.
DEMO_PASSWORD = "village-demo-2026"


def sign_in(base: str, phone: str) -> str:
    """The session cookie of a demo person, signed in through the real form (with its CSRF token)."""
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.post(f"{base}/login", data={"identifier": phone, "password": DEMO_PASSWORD, "csrf_token": token},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, f"demo sign-in as {phone} failed: {response.status_code}"
    return browser.cookies["session"]


def wapiti(base: str, name: str, cookie: str | None) -> dict:
    report = OUT / f"wapiti-{name}.json"
    command = [str(VENV / "wapiti"), "-u", f"{base}/", "--scope", "folder", "-m", WAPITI_MODULES, "-l", "1",
               "--max-scan-time", str(WAPITI_SECONDS), "--max-attack-time", "60", "--flush-session", "-f", "json",
               "-o", str(report), "-x", f"{base}/logout", "-x", f"{base}/phone/*", "--no-bugreport", "-v", "0"]
    if cookie:
        command += ["-C", f"session={cookie}", "--drop-set-cookie"]
    started = time.monotonic()
    subprocess.run(command, cwd=OUT, stdout=(OUT / f"wapiti-{name}.log").open("w"), stderr=subprocess.STDOUT, check=False)
    data = json.loads(report.read_text()) if report.exists() else {}
    found = {kind: len(items) for kind, items in (data.get("vulnerabilities") or {}).items() if items}
    anomalies = {kind: len(items) for kind, items in (data.get("anomalies") or {}).items() if items}
    crawled = len((data.get("infos") or {}).get("crawled_pages") or []) if isinstance((data.get("infos") or {}).get("crawled_pages"), list) \
        else (data.get("infos") or {}).get("crawled_pages_nbr")
    return {"seconds": round(time.monotonic() - started), "pages_crawled": crawled, "vulnerabilities": found,
            "anomalies": anomalies, "report": str(report.relative_to(PROJECT_ROOT))}


def sqlmap_targets(base: str) -> list[tuple[str, str | None]]:
    """(url, POST data or None): every parameter of the search, filter and API pages, and sign-in."""
    gets = ["/produce?q=maize&category=vegetables&region=1&district=1&min_price=10&max_price=900&sort=price&page=1",
            "/prices?category=1&district=1", "/prices/trend?category=1&unit=kg&district=1&region=1",
            "/prices/hint?category=1&unit=kg&village=1&price=100", "/services?q=subsidy&department=AGR",
            "/reports?category=roads&status=received&district=1&page=1&from=2026-01-01&to=2026-12-31",
            "/api/v1/prices?category=1&district=1&region=1&unit=kg&page=1&per_page=10",
            "/api/v1/performance?service=x&month=2026-11&page=1", "/api/v1/reports?category=roads&district=1&status=received&page=1",
            "/verify?code=ABCDEFGHJK"]
    return [(base + path, None) for path in gets] + [(f"{base}/login", "identifier=0711000001&password=x")]


def sqlmap(base: str, cookie: str | None) -> dict:
    tested, injectable, per_target = 0, 0, []
    for number, (url, data) in enumerate(sqlmap_targets(base)):
        command = [str(VENV / "sqlmap"), "-u", url, "--batch", "--level", "2", "--risk", "1", "--time-sec", "2",
                   "--output-dir", str(OUT / "sqlmap"), "--flush-session", "--disable-coloring", "--smart"]
        if data:
            command += ["--data", data]
        if cookie:
            command += ["--cookie", f"session={cookie}"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        (OUT / f"sqlmap-{number}.log").write_text(result.stdout + result.stderr)
        parameters = set(re.findall(r"(?:GET|POST|Cookie) parameter '([^']+)'", result.stdout))
        vulnerable = set(re.findall(r"(?:GET|POST|Cookie) parameter '([^']+)' is vulnerable", result.stdout))
        tested += len(parameters)
        injectable += len(vulnerable)
        per_target.append({"url": url.replace(base, ""), "parameters": sorted(parameters), "injectable": sorted(vulnerable)})
    return {"parameters_tested": tested, "injectable": injectable, "targets": per_target}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if not (VENV / "wapiti").exists() or not (VENV / "sqlmap").exists():
        sys.exit("the scanners are missing: make scan-deps")
    with ProdLocal(extra_env={"RATELIMIT_ENABLED": "0"}) as topology:
        base = topology.proxy_url or topology.app_urls[0]
        farmer = sign_in(base, "+254711000002")  # the demo farmer: the selling forms too
        summary = {"target": "make prod-local: gunicorn, APP_MODE=production, PostgreSQL, Redis" +
                   (", behind haproxy" if topology.proxy_url else ""),
                   "wapiti_anonymous": wapiti(base, "anonymous", None),
                   "wapiti_signed_in": wapiti(base, "signed-in", farmer),
                   "sqlmap_anonymous": sqlmap(base, None),
                   "sqlmap_signed_in": sqlmap(base, sign_in(base, "+254711000001"))}  # the demo buyer, cookie tested too
        # Every unhandled exception is logged by Flask as "Exception on <path>": a server error a scanner caused.
        logs = [path.read_text(errors="replace") for path in (PROJECT_ROOT / "build" / "prodlocal").glob("app-*.log")]
        summary["server_errors_logged"] = sum(log.count("Exception on ") for log in logs)
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2))
    for name in ("wapiti_anonymous", "wapiti_signed_in"):
        part = summary[name]
        print(f"{name}: {part['pages_crawled']} pages, {part['seconds']} s, vulnerabilities {part['vulnerabilities'] or 'none'}, "
              f"anomalies {part['anomalies'] or 'none'}")
    for name in ("sqlmap_anonymous", "sqlmap_signed_in"):
        part = summary[name]
        print(f"{name}: {part['parameters_tested']} parameters tested, {part['injectable']} injectable")
    print(f"server errors logged by the app servers during the scans: {summary['server_errors_logged']}")
    print(f"written to {OUT / 'summary.json'}")


if __name__ == "__main__":
    main()
