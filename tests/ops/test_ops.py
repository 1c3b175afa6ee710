"""Probes, metrics and request ids: what a load balancer and an operator read."""
from __future__ import annotations

import logging

from marketplace import create_app
from marketplace.core.logs import RequestIdFilter


def test_liveness_and_readiness(client, app, monkeypatch, tmp_path):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": "ok", "storage": "ok"}
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    degraded = client.get("/readyz")  # Redis only accelerates: the server still serves, and says so
    assert degraded.status_code == 200 and degraded.get_json()["status"] == "degraded"
    assert degraded.get_json()["checks"]["redis"].startswith("degraded")
    monkeypatch.setattr("marketplace.ops.views._database", lambda: (_ for _ in ()).throw(ConnectionError("db down")))
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.get_json()["checks"]["database"].startswith("unreachable")


def test_readiness_sees_redis_when_it_is_configured(client, app, monkeypatch, redis_url):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    assert client.get("/readyz").get_json()["checks"]["redis"] == "ok"


def test_probes_are_never_rate_limited(database_url):
    limited = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                          "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "2 per minute"})
    client = limited.test_client()
    assert {client.get("/healthz").status_code for _ in range(5)} == {200}


def test_metrics_for_operators_only_with_business_gauges(client, places):
    from tests import factories

    factories.user("Someone")  # so the database is not empty
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    client.get("/produce")
    text = client.get("/metrics").get_data(as_text=True)  # the test client calls from 127.0.0.1
    assert 'flask_http_request_duration_seconds_count{endpoint="catalog.browse_listings",method="GET",status="200"}' in text
    assert "# TYPE village_orders gauge" in text and "# TYPE village_applications gauge" in text


def test_every_response_carries_a_request_id_and_logs_have_it(client, app):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-42"})
    assert response.headers["X-Request-ID"] == "lb-42"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; drop table"}).headers["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()
    with app.test_request_context("/"):
        from flask import g

        g.request_id = "abc123"
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        assert RequestIdFilter().filter(record) and record.request_id == "abc123"


def test_production_logs_are_json_lines(database_url, capsys):
    import json

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    app = create_app({"TESTING": False, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "LOG_FORMAT": "json"})
    with app.test_request_context("/"):
        from flask import g

        g.request_id = "req-7"
        logging.getLogger("marketplace.test").info("an order was placed")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "an order was placed" and line["request_id"] == "req-7" and line["level"] == "INFO"
    root.handlers, root.level = saved[0], saved[1]  # leave the test run's logging as it was
