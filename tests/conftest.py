"""Every test builds its own app with its own config.

The database is SQLite (a file per test session, so a live server thread shares
it) unless TEST_DATABASE_URL points at PostgreSQL. The schema is created once;
after each test every table is emptied, which isolates tests even when a real
server thread or a second connection wrote to the database.
"""
from __future__ import annotations

import os

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from marketplace import create_app
from marketplace.extensions import db as _db
from tests import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
# Every app the tests build starts from TestingConfig; each test's own overrides go on top.
os.environ["APP_MODE"] = "testing"


def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker process gets its own PostgreSQL database (village_test_gw0…),
    created here when missing; a run without workers uses the database named in the URL."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker or not url.startswith("postgresql"):
        return url
    from sqlalchemy import create_engine

    base, name = url.rsplit("/", 1)
    own = f"{name}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own}).scalar():
            connection.execute(text(f'CREATE DATABASE "{own}"'))
    admin.dispose()
    return f"{base}/{own}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        return _worker_database(TEST_DATABASE_URL)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        # Media of its own: parallel test processes must not remove each other's files.
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
        "PRIVATE_MEDIA_ROOT": str(tmp_path_factory.mktemp("private")),
        # Still scrypt, at 1/32 of the production cost: each test user would otherwise cost 0.2 s to create.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    })
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        if is_postgres():  # the SQLite file is the session's temporary file; it goes with it
            _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app):
    # Flask-Limiter keeps `enabled` on its one shared instance: a test that built a rate-limited app
    # must not leave limits on for the tests after it.
    from marketplace.extensions import limiter

    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    with app.app_context():
        yield
        _db.session.rollback()
        _db.session.remove()
        _empty_all_tables()


def _empty_all_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as connection:
        if is_postgres():
            # DELETE is ~30 times faster than TRUNCATE on mostly empty tables (6 ms against 170 ms a
            # test here). Keys are not checked while emptying (the test user is a superuser, as in CI),
            # and the id sequences of tables that had rows start again at 1, as TRUNCATE … RESTART would.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in tables:
                if connection.execute(table.delete()).rowcount:
                    for column in table.primary_key.columns:
                        connection.execute(text("SELECT setval(pg_get_serial_sequence(:table, :column), 1, false)"),
                                           {"table": table.name, "column": column.name})
        else:
            # eservices and form_versions point at each other: check the keys once, at commit.
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis (TEST_REDIS_URL, else the local one), or a skip that says why. Tests share it
    across parallel workers: each uses its own queue name or key prefix, and none empties it."""
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {url} (CI starts it)")
    return url


@pytest.fixture(scope="session")
def localstripe_url():
    """localstripe on a loopback port for the whole session (no webhooks registered: tests that
    need Stripe's events sign their own, or start their own localstripe with a webhook)."""
    pytest.importorskip("localstripe", reason="localstripe is not installed (pip install -e '.[dev]')")
    from tests.support.stripe_fakes import localstripe

    with localstripe() as url:
        yield url


@pytest.fixture
def stripe_on(app, localstripe_url, monkeypatch):
    """Card payments configured against localstripe for this test."""
    from tests.support import stripe_fakes

    for key, value in {"STRIPE_SECRET_KEY": stripe_fakes.SECRET_KEY, "STRIPE_PUBLISHABLE_KEY": stripe_fakes.PUBLISHABLE_KEY,
                       "STRIPE_WEBHOOK_SECRET": stripe_fakes.WEBHOOK_SECRET, "STRIPE_API_BASE": localstripe_url}.items():
        monkeypatch.setitem(app.config, key, value)
    return localstripe_url


@pytest.fixture(scope="session")
def fake_daraja_server():
    from tests.support.fake_daraja import start_fake_daraja

    daraja, server = start_fake_daraja()
    yield daraja
    server.shutdown()


@pytest.fixture
def mpesa_on(app, fake_daraja_server, monkeypatch):
    """M-Pesa configured against the fake Daraja for this test; its prompts are this test's only."""
    from tests.support import fake_daraja

    fake_daraja_server.prompts.clear()
    fake_daraja_server.payouts.clear()
    fake_daraja_server.paybill_urls = {}
    fake_daraja_server.transactions.clear()
    fake_daraja_server.questions.clear()
    fake_daraja_server.pull_page, fake_daraja_server.pull_calls = 100, 0
    fake_daraja_server.hold_payouts = None
    fake_daraja_server.refuse_next, fake_daraja_server.payouts_down = "", 0
    app.extensions.pop("mpesa_token", None)
    for key, value in {"MPESA_CONSUMER_KEY": fake_daraja.KEY, "MPESA_CONSUMER_SECRET": fake_daraja.SECRET,
                       "MPESA_SHORTCODE": fake_daraja.SHORTCODE, "MPESA_PASSKEY": fake_daraja.PASSKEY,
                       "MPESA_CALLBACK_SECRET": "test-mpesa", "MPESA_API_BASE": fake_daraja_server.url,
                       "MPESA_INITIATOR_NAME": fake_daraja.INITIATOR, "MPESA_SECURITY_CREDENTIAL": fake_daraja.CREDENTIAL}.items():
        monkeypatch.setitem(app.config, key, value)
    return fake_daraja_server


@pytest.fixture
def stripe_recorder(app, stripe_on, monkeypatch):
    """stripe-python's requests go to a recorder instead (for Connect, which localstripe lacks)."""
    from tests.support.stripe_fakes import RecordingHTTPClient

    recorder = RecordingHTTPClient({})
    monkeypatch.setitem(app.extensions, "stripe_http_client", recorder)
    return recorder


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as on a real server.

    Without this, a request reuses the test's app context and its `g`, where
    Flask-Babel caches the locale and Flask-Login the user: requests would leak
    into each other and tests would pass that should fail.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def places(app):
    return factories.places()


@pytest.fixture
def login(client):
    """Sign `user` in through the real login form; returns the client."""

    def _login(user, password: str = factories.PASSWORD):
        identifier = user.phone or user.email
        response = client.post("/login", data={"identifier": identifier, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counted:` ... `counted.n` is the number of SQL statements sent."""
    from contextlib import contextmanager

    from sqlalchemy import event

    class Counter:
        n = 0
        statements: list[str] = []

    @contextmanager
    def _count():
        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, *args):
            counter.n += 1
            counter.statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(_db.engine, "before_cursor_execute", before)

    return _count


@pytest.fixture
def delivered(app, monkeypatch):
    """What the channel backend was handed, as the person's phone or mailbox would receive it
    (the outbox keeps no secret once delivered, so tests read reset links and codes here)."""
    from marketplace.notifications import channels

    received: list[dict] = []

    class Capture:
        def deliver(self, message) -> None:
            received.append({"kind": message.kind, "recipient": message.recipient, "subject": message.subject,
                             "body": message.body, "locale": message.locale})

    monkeypatch.setitem(channels.BACKENDS, "capture", Capture)
    monkeypatch.setitem(app.config, "NOTIFICATION_CHANNEL_BACKEND", "capture")
    monkeypatch.setitem(app.config, "NOTIFICATION_SMS_BACKEND", None)
    return received


@pytest.fixture
def own_redis(tmp_path):
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian's redis-server; CI's machine has it)")
    from tests.support.servers import OwnRedis

    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()
