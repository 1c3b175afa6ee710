"""`make keepalive-race`: issue 18's item 8 under a magnifying glass. Requests closed without an
answer come from a connection reused by haproxy at the moment gunicorn closes it as idle. Here
clients pause just about gunicorn's old keep-alive (1.9-2.1 s) between requests, so the race is
met often, first with the settings of before (gunicorn's 2 s keep-alive, haproxy's defaults),
then with today's (gunicorn 75 s, haproxy gives idle connections up after 5 s, retries only what
never reached a server), in one run, with one CPU burner per core. Prints failures of each.

    python -m tests.loadtest.keepalive      # KEEPALIVE_CLIENTS=40 KEEPALIVE_SECONDS=90
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from tests.loadtest.prod_local import HAPROXY, PROJECT_ROOT, gunicorn_command, haproxy_config
from tests.support.servers import free_port

CLIENTS = int(os.environ.get("KEEPALIVE_CLIENTS", "40"))
SECONDS = int(os.environ.get("KEEPALIVE_SECONDS", "90"))
BUSY = int(os.environ.get("LOADTEST_BUSY", str(os.cpu_count() or 1)))


def _ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} never answered")


def _client(url: str, until: float, outcomes: Counter, lock: threading.Lock) -> None:
    session = requests.Session()  # keeps its connection to haproxy, as a browser does
    while time.monotonic() < until:
        try:
            response = session.get(url + "/healthz", timeout=10)
            outcome = "ok" if response.status_code == 200 else f"HTTP {response.status_code}"
        except requests.RequestException as error:
            outcome = type(error).__name__
        with lock:
            outcomes[outcome] += 1
        time.sleep(random.uniform(1.9, 2.1))


def measure(connections: str, workdir: Path) -> Counter:
    app_ports, proxy_port = (free_port(), free_port()), free_port()
    env = {**os.environ, "APP_MODE": "testing", "SECRET_KEY": "keepalive", "DATABASE_URL": f"sqlite:///{workdir}/ka.sqlite3"}
    processes = [subprocess.Popen(gunicorn_command(port, connections), cwd=PROJECT_ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT) for port in app_ports]
    config = workdir / f"haproxy-{connections}.cfg"
    config.write_text(haproxy_config(proxy_port, app_ports, connections))
    processes.append(subprocess.Popen([HAPROXY, "-f", str(config), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(BUSY)]
    try:
        for port in app_ports:
            _ready(f"http://127.0.0.1:{port}")
        url = f"http://127.0.0.1:{proxy_port}"
        _ready(url)
        outcomes, lock, until = Counter(), threading.Lock(), time.monotonic() + SECONDS
        threads = [threading.Thread(target=_client, args=(url, until, outcomes, lock)) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
            time.sleep(2.0 / CLIENTS)  # spread over one pause
        for thread in threads:
            thread.join()
        return outcomes
    finally:
        for process in burners + processes:
            process.kill()
            process.wait()


def main() -> int:
    if HAPROXY is None:
        print("haproxy is not installed (make proxy-deps)")
        return 2
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        for connections in ("before", "after"):
            results[connections] = measure(connections, Path(workdir))
    print(f"{CLIENTS} clients for {SECONDS} s each, pausing 1.9-2.1 s, {BUSY} CPU burner(s)")
    for connections, outcomes in results.items():
        total = sum(outcomes.values())
        failed = total - outcomes["ok"]
        print(f"{connections:<7} {total:>6} requests {failed:>5} failed  {dict(outcomes)}")
    return 0 if sum(results["after"].values()) == results["after"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
