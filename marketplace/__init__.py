"""Village Square: create_app() builds the whole application; nothing happens at import time."""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import HTTPException

from marketplace.config import load_config
from marketplace.extensions import babel, compress, cors, csrf, db, limiter, login_manager, migrate, talisman

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: What User.get_id() writes into sessions and remember-me cookies; ASCII digits only.
SESSION_TOKEN = re.compile(r"(?P<id>[0-9]{1,18}):(?P<generation>[0-9]{1,9})")

#: Content-Security-Policy: no inline script, nothing from other sites except
#: what a later feature names (Stripe.js is added to script-src when configured).
CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "script-src": "'self'",
    "style-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_relative_config=True,
    )
    app.config.update(load_config())
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "village.sqlite3")
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # A file on this machine never drops a connection: a ping before each transaction only costs
        # (a checkout's request and its deliveries begin five). A server's connections are still pinged.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            name: value for name, value in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if name != "pool_pre_ping"}
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_ROOT / "translations")
    from marketplace.core import logs

    logs.configure(app)  # JSON lines with the request id, outside debug and tests

    _init_extensions(app)
    from marketplace.core import params

    params.init_app(app)  # bounded <int:…> in every route, before the blueprints add theirs
    from marketplace.core import proxies

    proxies.init_app(app)  # the client's address behind TRUSTED_PROXIES, and nobody else's word for it
    _init_domains(app)
    _register_error_pages(app)
    app.before_request(_refuse_nul_bytes)
    _register_template_helpers(app)

    from marketplace.cli import register_commands

    register_commands(app)
    return app


def _tune_sqlite(app: Flask) -> None:
    """The embedded default serves several gunicorn workers: WAL lets readers and a writer work
    at once, and SQLite only enforces foreign keys when asked, on every connection."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        if ":memory:" not in str(engine.url):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def _import_models() -> None:
    """Every domain's tables must be known before Alembic compares them with the database."""
    from marketplace.accounts import models as _accounts  # noqa: F401
    from marketplace.catalog import models as _catalog  # noqa: F401
    from marketplace.catalog import search as _search  # noqa: F401  (its table events create the search index)
    from marketplace.core import idempotency as _idempotency  # noqa: F401  (form_submissions)
    from marketplace.egov import models as _egov  # noqa: F401
    from marketplace.notifications import models as _notifications  # noqa: F401
    from marketplace.opendata import models as _opendata  # noqa: F401
    from marketplace.orders import models as _orders  # noqa: F401
    from marketplace.payments import models as _payments  # noqa: F401
    from marketplace.ussd import models as _ussd  # noqa: F401
    from marketplace.voice import models as _voice  # noqa: F401


def _init_extensions(app: Flask) -> None:
    from marketplace import i18n
    from marketplace.accounts.models import User
    from marketplace.core import cache as page_cache
    from marketplace.core import frame, header, signed_in, storage

    _import_models()

    db.init_app(app)
    with app.app_context():
        _tune_sqlite(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    storage.init_app(app)
    page_cache.init_app(app)
    signed_in.init_app(app)
    frame.init_app(app)
    compress.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    cors.init_app(app, resources={r"/api/v1/*": {"origins": "*", "methods": ["GET", "HEAD", "OPTIONS"]}},
                  supports_credentials=False, send_wildcard=True)
    csp = dict(CSP)
    if app.config.get("STRIPE_PUBLISHABLE_KEY"):
        # Stripe.js runs from its own origin, draws the card field in its frames and calls Stripe's API.
        script_origin = "/".join(app.config["STRIPE_JS_URL"].split("/", 3)[:3])
        api_origin = "/".join((app.config.get("STRIPE_API_BASE") or "https://api.stripe.com").split("/", 3)[:3])
        csp["script-src"] += " " + script_origin
        csp["frame-src"] = f"{script_origin} https://hooks.stripe.com"
        csp["connect-src"] = f"'self' {api_origin}"
    if app.config.get("MAP_TILE_URL"):
        # the report form's map draws its tiles from the tile server's origin (pictures only)
        csp["img-src"] += " " + "/".join(app.config["MAP_TILE_URL"].split("/", 3)[:3]).replace("{s}", "*")
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=csp,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        strict_transport_security=app.config["FORCE_HTTPS"],
    )

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = _l("Please sign in to see this page.")

    # Roles come in the same query: nearly every page asks what the person may do. Built once, with
    # the id as its parameter: building the options for every request cost a third of the load (60 µs).
    # On a GET the header's counts and the page's figures come in it too (core.header.with_counts).
    signed_in_person = select(User).options(joinedload(User.role_grants)).where(User.id == bindparam(header.PERSON))

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        # "<id>:<generation>" (User.get_id): a session or remember-me cookie of an earlier generation
        # was ended by sign-out, a new password or an admin, and opens nothing.
        match = SESSION_TOKEN.fullmatch(session_token or "")
        if match is None:
            return None
        statement, person_id = header.with_counts(signed_in_person), int(match["id"])
        found = signed_in.load(statement, person_id, db.session,
                               lambda: db.session.execute(statement, {header.PERSON: person_id}).unique().first())
        if found is None or found[0].session_generation != int(match["generation"]):
            return None
        header.keep(*found)
        return found[0]  # type: ignore[no-any-return]


#: The domains, in the order their blueprints are registered. Each one's `init_app` adds its
#: blueprint and fills the registries (jobs, payment owners and providers, channels).
DOMAINS = ("public", "accounts", "catalog", "notifications", "orders", "payments", "egov", "activity", "voice",
           "opendata", "api", "ussd", "ops")


def _init_domains(app: Flask) -> None:
    from importlib import import_module

    from marketplace.core import jobs

    jobs.init_app(app)
    for name in DOMAINS:
        import_module(f"marketplace.{name}").init_app(app)
    _check_wiring(app)


def _check_wiring(app: Flask) -> None:
    """What a deployment names must exist, or the app does not start (not a silent skip at run time)."""
    from marketplace.core import jobs

    unknown = sorted(set(app.config.get("JOB_SCHEDULE_SECONDS") or {}) - set(jobs.registry(app).jobs))
    if unknown:
        raise RuntimeError(f"JOB_SCHEDULE_SECONDS names jobs nobody registered: {unknown}")


def _refuse_nul_bytes() -> None:
    """No text a person types contains a NUL byte, and PostgreSQL refuses one in any text column
    or parameter: such a request is malformed (400), never a server error."""
    from flask import abort, request

    values = [v for _k, vs in request.args.lists() for v in vs]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [v for _k, vs in request.form.lists() for v in vs]
    if any("\x00" in value for value in values) or "\x00" in request.path:
        abort(400)


def _register_error_pages(app: Flask) -> None:
    from marketplace.core.images import MAX_UPLOAD_BYTES

    def render_error(error: HTTPException):
        code = error.code or 500
        template = code if code in (400, 403, 404, 413, 429) else 500
        # A 405 must say which methods would work (RFC 9110); the friendly page keeps that header.
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        if request.path.startswith("/api/"):  # the API answers its clients in JSON, as its description says
            return jsonify(error=error.name), code, headers
        return render_template(f"errors/{template}.html", error=error, photo_limit=MAX_UPLOAD_BYTES), code, headers

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, render_error)

    from flask import flash, redirect
    from werkzeug.exceptions import Forbidden
    from werkzeug.exceptions import NotFound as PageNotFound

    from marketplace.accounts.presence import PresenceRequired
    from marketplace.core.errors import NotFound, PermissionDenied

    # A service's refusal needs no try/except in the view: "not yours" is the 403 page, "no such
    # thing (that you may know of)" the 404 page, whatever the blueprint.
    @app.errorhandler(PermissionDenied)
    def refused(error: PermissionDenied):
        db.session.rollback()
        return render_error(Forbidden())

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        db.session.rollback()
        return render_error(PageNotFound())

    @app.errorhandler(PresenceRequired)
    def prove_presence(error: PresenceRequired):
        """An agent acting for someone not (or no longer) proved beside them: to the page where
        the person shows they are here, then back to work."""
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("egov.agent_residents", person=error.person_id))

    @app.errorhandler(500)
    def internal_error(error):
        """Rendered without the database, which may be what failed: the page is drawn for an
        anonymous visitor (no user to load), and if even that fails, a plain page still answers."""
        from flask import g
        from flask_login import AnonymousUserMixin

        with contextlib.suppress(Exception):  # the connection itself may be gone
            db.session.rollback()
        g._login_user = AnonymousUserMixin()
        try:
            return render_template("errors/500.html", error=error), 500
        except Exception:  # noqa: BLE001
            app.logger.exception("the error page itself failed")
            return ("<!doctype html><title>Village Square</title><h1>Something went wrong</h1>"
                    "<p>Please try again in a moment.</p>"), 500


def _register_template_helpers(app: Flask) -> None:
    static_hashes: dict[str, str] = {}

    def asset_url(filename: str) -> str:
        """Static URL with a content hash, so files can be cached for a year and still update."""
        if filename not in static_hashes or app.debug:
            path = Path(app.static_folder) / filename
            static_hashes[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else "0"
        return url_for("static", filename=filename, v=static_hashes[filename])

    from marketplace.accounts.labels import department_name, role_name
    from marketplace.catalog import presentation
    from marketplace.core.phone import display_phone
    from marketplace.core.storage import get_storage
    from marketplace.core.urls import public_url
    from marketplace.egov.labels import actor_role_name, audit_action_name, submission_status_name
    from marketplace.notifications.labels import channel_name, status_name, topic_name
    from marketplace.opendata import presentation as opendata_presentation
    from marketplace.orders import presentation as orders_presentation
    from marketplace.orders.labels import order_status_name
    from marketplace.payments.labels import difference_name, failure_reason, ledger_kind_name, mobile_payout_status_name, payment_status_name
    from marketplace.voice.labels import category_name as report_category_name
    from marketplace.voice.labels import report_status_name

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        asset_url=asset_url, role_name=role_name, topic_name=topic_name, channel_name=channel_name, department_name=department_name,
        status_name=status_name, order_status_name=order_status_name,
        ledger_kind_name=ledger_kind_name, payment_status_name=payment_status_name, failure_reason=failure_reason,
        mobile_payout_status_name=mobile_payout_status_name, difference_name=difference_name,
        submission_status_name=submission_status_name, audit_action_name=audit_action_name, actor_role_name=actor_role_name,
        report_category_name=report_category_name, report_status_name=report_status_name,
        media_url=lambda key: get_storage().url(key), public_url=public_url, **presentation.TEMPLATE_GLOBALS,
        **opendata_presentation.TEMPLATE_GLOBALS, **orders_presentation.TEMPLATE_GLOBALS,
    )
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.filters["with_distances"] = presentation.with_distances
