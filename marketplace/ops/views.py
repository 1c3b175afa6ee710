"""`/healthz` says the process answers; `/readyz` says it can serve: the database and media storage
are reachable. Redis, when configured, is reported but does not make the server unready: it is an
accelerator (caches are skipped, limits count in-process, jobs wait in the database for the sweep),
so a Redis outage must not make a balancer take every app server out. Both are outside rate limits
and cheap enough for a load balancer to call every few seconds."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from marketplace.core.storage import get_storage
from marketplace.extensions import db, limiter

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status="ok")


def _database() -> None:
    db.session.execute(text("SELECT 1"))


def _redis() -> None:
    import redis

    redis.Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2).ping()


def _storage() -> None:
    get_storage().check()


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = {"database": _database, "storage": _storage}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis
    results = {}
    degrading = {"redis"}  # reported, but the server still serves without it
    for name, check in checks.items():
        try:
            check()
        except Exception as error:  # noqa: BLE001  (any failure means "not ready", with its reason)
            current_app.logger.warning("readiness: %s is not reachable: %s", name, error)
            results[name] = f"{'degraded' if name in degrading else 'unreachable'}: {type(error).__name__}"
        else:
            results[name] = "ok"
    ready = all(value == "ok" for name, value in results.items() if name not in degrading)
    degraded = any(results.get(name, "ok") != "ok" for name in degrading)
    status = ("degraded" if degraded else "ready") if ready else "not ready"
    return jsonify(status=status, checks=results), 200 if ready else 503
