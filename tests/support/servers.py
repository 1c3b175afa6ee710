"""Real app servers for tests that go over HTTP: gunicorn on a free loopback port."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def in_thread(wsgi_app) -> Iterator[str]:
    """A WSGI app served by Werkzeug on a free loopback port, in a daemon thread of this process
    (so it shares the test's database); yields its base URL and stops it afterwards."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path, *, threads: int = 1) -> Iterator[str]:
    """A gunicorn app server (one process, `threads` threads) with `env`; yields its base URL once
    /healthz answers, and stops it afterwards. Its output goes to `log_path`."""
    port = free_port()
    worker = ["-k", "gthread", "--threads", str(threads)] if threads > 1 else []
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", *worker, "wsgi:app"],
                                  cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(base + "/healthz", timeout=5).status_code == 200:
                        break
                except requests.RequestException:  # not listening yet, or still importing the app
                    pass
                assert time.monotonic() < deadline and server.poll() is None, log_path.read_text()
                time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)


class OwnRedis:
    """A redis-server of the test's own, on a free loopback port: it can be stopped and started
    again without touching the shared one."""

    def __init__(self, tmp_path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.dir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
