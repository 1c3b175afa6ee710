"""Prometheus metrics (prometheus-flask-exporter): request latency and counts by endpoint, and the
business gauges operators watch: orders, applications and outbox messages by state. Served at
/metrics to the addresses in METRICS_ALLOWED_ADDRESSES only (loopback by default): the figures are
the business's own, not open data."""
from __future__ import annotations

from flask import Flask, abort, current_app, request
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import func, select

from marketplace.core import jobs
from marketplace.egov.api import Submission
from marketplace.extensions import db
from marketplace.notifications.api import OutboxMessage
from marketplace.orders.api import Order


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


JOB_COUNTS_KEY = "vs:metrics:jobs"  # a Redis hash "name|outcome" -> count, shared by every worker


def count_job(name: str, outcome: str, seconds: float) -> None:
    """Heard from the worker after each job: counted in Redis, so /metrics on any app server shows
    what every worker did (a worker serves no HTTP of its own)."""
    connection = jobs.redis_connection()
    with connection.pipeline() as pipe:
        pipe.hincrby(JOB_COUNTS_KEY, f"{name}|{outcome}", 1)
        pipe.hincrbyfloat(JOB_COUNTS_KEY, f"{name}|seconds", seconds)
        pipe.execute()


class JobMetrics:
    """Jobs run and failed by name, and RQ's queue and registries, read from Redis at each scrape."""

    def describe(self):
        yield CounterMetricFamily("village_jobs", "Jobs finished by name and outcome (ok, retry, failed)", labels=["job", "outcome"])
        yield GaugeMetricFamily("village_job_queue", "Jobs waiting, running, scheduled for a retry and failed for good",
                                labels=["state"])

    def collect(self):
        finished = CounterMetricFamily("village_jobs", "Jobs finished by name and outcome (ok, retry, failed)",
                                       labels=["job", "outcome"])
        waiting = GaugeMetricFamily("village_job_queue", "Jobs waiting, running, scheduled for a retry and failed for good",
                                    labels=["state"])
        if current_app.config.get("REDIS_URL"):
            try:
                for field, value in jobs.redis_connection().hgetall(JOB_COUNTS_KEY).items():
                    name, outcome = field.decode().rsplit("|", 1)
                    if outcome != "seconds":
                        finished.add_metric([name, outcome], float(value))
                queue = jobs.queue()
                waiting.add_metric(["queued"], queue.count)
                waiting.add_metric(["started"], queue.started_job_registry.count)
                waiting.add_metric(["scheduled"], queue.scheduled_job_registry.count)
                waiting.add_metric(["failed"], queue.failed_job_registry.count)
            except Exception as error:  # Redis away: the scrape still answers, without the job figures
                current_app.logger.warning("job metrics unavailable: %s", error)
        yield finished
        yield waiting


def init_app(app: Flask) -> None:
    # One registry per app: the test suite builds many apps in one process.
    registry = CollectorRegistry(auto_describe=True)
    registry.register(StateGauges())
    registry.register(JobMetrics())
    jobs.on_job_done(app, count_job)
    PrometheusMetrics(app, registry=registry, group_by="endpoint", path="/metrics",
                      excluded_paths=["/healthz", "/readyz", "/static", "/media"])

    @app.before_request
    def _metrics_for_operators_only():
        if request.path == "/metrics" and request.remote_addr not in app.config["METRICS_ALLOWED_ADDRESSES"]:
            abort(404)
