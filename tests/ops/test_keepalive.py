"""Issue 18, item 8: requests closed without an answer. The mechanism, shown on one connection
rather than hoped for under load: a peer (haproxy's pool of server connections, or any client)
that sends a request on a connection the app server has kept open for a while. With gunicorn's
default 2 s keep-alive, gunicorn has already closed that connection and the request meets a
closed socket: no status line, nothing to tell the buyer whether the order was placed. With the
production setting (75 s, longer than haproxy keeps an idle server connection) it is answered.

http.client is used on purpose: unlike requests/urllib3 it does not look whether the connection
died before reusing it, which is what a balancer does when the close and the request cross."""
from __future__ import annotations

import http.client
import os
import subprocess
import time

import pytest
import requests

from tests.loadtest.prod_local import PROJECT_ROOT, gunicorn_command
from tests.support.servers import free_port

IDLE_SECONDS = 3.5  # past gunicorn's old 2 s keep-alive and its once-a-second idle sweep


def _app_server(tmp_path, connections: str):
    port = free_port()
    env = {**os.environ, "APP_MODE": "testing", "SECRET_KEY": "keepalive-test",
           "DATABASE_URL": f"sqlite:///{tmp_path}/ka-{connections}.sqlite3"}
    env.pop("REDIS_URL", None)
    log = (tmp_path / f"gunicorn-{connections}.log").open("w")
    server = subprocess.Popen(gunicorn_command(port, connections), cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return server, port
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline and server.poll() is None, (tmp_path / f"gunicorn-{connections}.log").read_text()
        time.sleep(0.2)


def _second_request_after_idle(port: int) -> str:
    """Two requests on one kept-alive connection with an idle pause between them; what the second got."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        first.read()
        assert first.status == 200 and not first.will_close  # the server offered to keep it open
        time.sleep(IDLE_SECONDS)
        connection.request("GET", "/healthz")
        second = connection.getresponse()
        second.read()
        return f"HTTP {second.status}"
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
        return type(error).__name__
    finally:
        connection.close()


@pytest.mark.parametrize("connections, expected", [
    ("before", "RemoteDisconnected"),  # the cause: the idle connection was closed under the request
    ("after", "HTTP 200"),             # the fix: kept open longer than any peer keeps it idle
])
def test_a_request_on_a_connection_idle_past_the_keep_alive(tmp_path, connections, expected):
    server, port = _app_server(tmp_path, connections)
    try:
        outcome = _second_request_after_idle(port)
    finally:
        server.terminate()
        server.wait(timeout=10)
    if connections == "before" and outcome == "ConnectionResetError":
        outcome = "RemoteDisconnected"  # the same close, seen as a reset when the request landed first
    assert outcome == expected
