"""Prometheus metrics (prometheus-flask-exporter): request latency and counts by endpoint, and the
business gauges operators watch: orders, applications and outbox messages by state. Served at
/metrics to the addresses in METRICS_ALLOWED_ADDRESSES only (loopback by default): the figures are
the business's own, not open data."""
from __future__ import annotations

from flask import Flask, abort, request
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import func, select

from marketplace.egov.models import Submission
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage
from marketplace.orders.models import Order


class StateGauges:
    """Counted in the database when Prometheus scrapes, never kept in the process."""

    GAUGES = (
        ("village_orders", "Orders by state", Order),
        ("village_applications", "Applications to e-services by state", Submission),
        ("village_outbox_messages", "Outbox messages by state", OutboxMessage),
    )

    def describe(self):  # names only: registering must not need a database
        for name, help_text, _model in self.GAUGES:
            yield GaugeMetricFamily(name, help_text, labels=["state"])

    def collect(self):
        for name, help_text, model in self.GAUGES:
            family = GaugeMetricFamily(name, help_text, labels=["state"])
            for state, count in db.session.execute(select(model.status, func.count()).group_by(model.status)):
                family.add_metric([getattr(state, "value", str(state))], count)
            yield family


def init_app(app: Flask) -> None:
    # One registry per app: the test suite builds many apps in one process.
    registry = CollectorRegistry(auto_describe=True)
    registry.register(StateGauges())
    PrometheusMetrics(app, registry=registry, group_by="endpoint", path="/metrics",
                      excluded_paths=["/healthz", "/readyz", "/static", "/media"])

    @app.before_request
    def _metrics_for_operators_only():
        if request.path == "/metrics" and request.remote_addr not in app.config["METRICS_ALLOWED_ADDRESSES"]:
            abort(404)
