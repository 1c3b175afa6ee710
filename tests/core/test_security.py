"""Headers, CSRF, rate limits and production settings, on apps built for each case."""
from __future__ import annotations

import re
import uuid

import pytest

from marketplace import create_app
from marketplace.config import ConfigError, load_config
from tests import factories


@pytest.fixture
def strict_app(database_url):
    """The app as production runs it: CSRF on, rate limits on (in memory)."""
    return create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_LOGIN": "3 per minute",
    })


def test_security_headers_are_set_on_every_page(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_script(client):
    for path in ("/", "/register", "/login", "/password/forgot"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path


def test_session_cookie_is_http_only_and_same_site(client, places):
    user = factories.user()
    response = client.post("/login", data={"identifier": user.phone, "password": factories.PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure():
    settings = load_config({"APP_MODE": "production", "SECRET_KEY": "s" * 32})
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"] and settings["FORCE_HTTPS"]


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigError):
        load_config({"APP_MODE": "production"})
    with pytest.raises(ConfigError):
        load_config({"FLASK_ENV": "production"})


def test_configuration_comes_from_the_environment():
    settings = load_config({
        "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/x", "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DEFAULT_LOCALE": "es", "DEFAULT_PHONE_REGION": "tz", "DEFAULT_CURRENCY": "tzs",
    })
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"  # rate limits shared through Redis
    assert (settings["BABEL_DEFAULT_LOCALE"], settings["DEFAULT_PHONE_REGION"], settings["DEFAULT_CURRENCY"]) == ("es", "TZ", "TZS")
    assert load_config({})["RATELIMIT_STORAGE_URI"] == "memory://"


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError):
        load_config({"APP_MODE": "staging-ish"})


def test_forms_without_a_csrf_token_are_refused(strict_app, places):
    client = strict_app.test_client()
    response = client.post("/register", data={"name": "x", "phone": "0722000999", "password": "long-enough-1", "preferred_locale": "en"})
    assert response.status_code == 400
    assert "Something in the request was not right" in response.get_data(as_text=True)


def test_login_is_rate_limited(strict_app, places):
    client = strict_app.test_client()
    statuses = []
    for _ in range(5):
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        statuses.append(client.post("/login", data={"identifier": "0722000999", "password": "wrong", "csrf_token": token}).status_code)
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    assert client.get("/login").status_code == 200  # reading the form is never limited


def test_rate_limits_can_live_in_redis(database_url, redis_url):
    """Several app servers share limits through Redis. Skips, with the reason, where Redis is absent."""
    settings = {
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_RESET": "2 per minute",
        # Counters of their own (Redis is shared with parallel tests, so it is never emptied).
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex[:10]}",
    }
    first, second = create_app(settings).test_client(), create_app(settings).test_client()
    assert first.post("/password/forgot", data={"identifier": "0722000999"}).status_code == 302
    assert second.post("/password/forgot", data={"identifier": "0722000999"}).status_code == 302
    assert first.post("/password/forgot", data={"identifier": "0722000999"}).status_code == 429  # the other server's tries count


def test_an_unexpected_error_shows_the_friendly_page_in_the_users_language(database_url):
    app = create_app({"TESTING": False, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})

    @app.get("/boom")
    def boom():
        raise RuntimeError("broken on purpose")

    response = app.test_client().get("/boom", headers={"Accept-Language": "es"})
    assert response.status_code == 500 and "Algo ha fallado por nuestra parte" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_request_is_refused_not_a_server_error(client):
    assert client.get("/produce?q=%00").status_code == 400
    assert client.get("/api/v1/prices?category=%00").status_code == 400
    assert client.post("/login", data={"identifier": "\x00", "password": "x"}).status_code == 400
