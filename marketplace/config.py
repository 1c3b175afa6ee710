"""Settings, read from the environment here and nowhere else.

One class per mode. Production refuses to start without a SECRET_KEY, because
a guessable key lets anyone forge sessions and password-reset links.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any


class ConfigError(RuntimeError):
    """The environment does not describe a runnable application."""


def _env(name: str, default: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    value = (environ if environ is not None else os.environ).get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool, environ: Mapping[str, str]) -> bool:
    value = _env(name, None, environ)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class BaseConfig:
    MODE = "development"
    TESTING = False
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_PUBLISHABLE_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE: str | None = None
    STRIPE_JS_URL = "https://js.stripe.com/v3/"
    STRIPE_CONNECT_COUNTRY = "KE"  # country of farmers' Express accounts (must be one Connect supports)
    PLATFORM_FEE_BASIS_POINTS = 500  # the platform keeps 5% of card sales; 0 keeps nothing
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "es", "fr", "pt", "sw", "zh", "ar")  # every one has a complete catalog (make i18n-check)
    DEFAULT_PHONE_REGION = "KE"
    DEFAULT_CURRENCY = "KES"
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a reset link stays valid
    PRESENCE_MINUTES = 120  # how long a person's code or PIN lets an agent beside them act for them
    PASSWORD_HASH_METHOD = "scrypt"  # Werkzeug's default cost (n=2**15); tests lower it
    RATELIMIT_LOGIN = "10 per minute;50 per hour"  # per address (behind TRUSTED_PROXIES, the client's)
    # Per account, failed tries only, in widening windows: 5 a minute, 10 an hour, 20 a day.
    RATELIMIT_LOGIN_ACCOUNT = "5 per minute;10 per hour;20 per day"
    RATELIMIT_RESET = "5 per minute;20 per hour"
    RATELIMIT_RESET_ACCOUNT = "3 per hour;6 per day"  # reset SMS to one number
    RATELIMIT_REGISTER = "5 per hour;20 per day"  # per address: every registration texts a code, SMS cost money
    # Addresses of the proxies in front (haproxy, a load balancer): only their X-Forwarded-For and
    # X-Forwarded-Proto are believed, one hop each (werkzeug's ProxyFix). Empty: no proxy is trusted.
    TRUSTED_PROXIES: tuple[str, ...] = ()
    RATELIMIT_ENABLED = True
    # With Redis away, limits are counted in each process instead (Flask-Limiter's fallback), and a
    # limit check that cannot reach Redis is given up quickly.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # "keep me signed in" on a phone; Flask-Login's default is a year
    FORCE_HTTPS = False
    NOTIFICATION_CHANNEL_BACKEND = "log"
    NOTIFICATION_LOG_SECRETS = False  # reset links and one-time codes never reach a log
    LOG_FORMAT = "json"  # one JSON object per line with the request id; "text" for people reading a terminal
    METRICS_ALLOWED_ADDRESSES: tuple[str, ...] = ("127.0.0.1", "::1")  # who may read /metrics
    NOTIFICATION_SMS_BACKEND: str | None = None  # "africastalking" sends SMS through the gateway below
    # Basic phones (USSD and two-way SMS) through Africa's Talking, or any gateway speaking its protocol.
    PHONE_GATEWAY = "africastalking"
    AT_USERNAME = "sandbox"
    AT_API_KEY: str | None = None
    AT_SMS_URL = "https://api.africastalking.com/version1/messaging"
    AT_SENDER_ID: str | None = None  # a registered short code or alphanumeric sender, if any
    PHONE_CALLBACK_SECRET: str | None = None  # the last part of the callback URLs the gateway calls
    PHONE_GATEWAY_ADDRESSES: tuple[str, ...] = ()  # if set, only these addresses may call back
    USSD_SESSION_SECONDS = 180  # networks end a USSD session after about this long
    USSD_RATE_LIMIT = "30 per minute"  # per phone number
    SEND_FILE_MAX_AGE_DEFAULT = 31536000  # static files are fingerprinted by the asset url helper
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    PUBLIC_PAGE_CACHE_SECONDS = 30  # anonymous browse pages; 0 turns the cache off
    FRAGMENT_CACHE_SECONDS = 300  # home page listings, price hints (invalidated on change); 0 turns it off
    COMPRESS_MIMETYPES = ["text/html", "text/css", "application/javascript", "text/javascript", "application/json",
                          "image/svg+xml", "text/csv"]
    COMPRESS_ALGORITHM = ["br", "gzip"]  # brotli where the phone's browser takes it, gzip otherwise
    COMPRESS_MIN_SIZE = 500
    VIEW_COUNT_FLUSH_SECONDS = 5  # listing views are written in batches (catalog.view_counts)
    # Media (core.storage): "local" (instance folder) or "s3" (two buckets of an S3-compatible store).
    MEDIA_STORAGE = "local"
    S3_ENDPOINT_URL: str | None = None  # None: AWS itself
    S3_REGION = "us-east-1"
    S3_MEDIA_BUCKET = "village-media"
    S3_PRIVATE_BUCKET = "village-private"
    S3_PUBLIC_URL: str | None = None  # a CDN or public bucket address for photos; None: served by /media
    PRIVATE_URL_SECONDS = 60
    # Background jobs (core.jobs): RQ on REDIS_URL, inline after the commit without it.
    JOB_QUEUE = "village"
    JOB_RETRY_INTERVALS: tuple[int, ...] = (30, 120, 600, 1800)  # seconds before each new try of a failed job
    JOB_TIMEOUT_SECONDS = 120
    OUTBOX_LEASE_SECONDS = 300  # a message claimed longer ago than this was abandoned by a dead worker
    SWEEP_AFTER_SECONDS = 120  # work waiting longer than this for its job is queued again by the sweep
    JOB_SCHEDULE_SECONDS: dict[str, int] = {}  # job name -> seconds, overriding core.jobs.SCHEDULE


class DevelopmentConfig(BaseConfig):
    MODE = "development"
    NOTIFICATION_LOG_SECRETS = True  # `make run`: the terminal is the demo's phone (reset links, codes)
    PHONE_CALLBACK_SECRET = "demo-phone"  # the simulator's relay in `make run`; production sets its own


class TestingConfig(BaseConfig):
    MODE = "testing"
    TESTING = True
    PHONE_CALLBACK_SECRET = "test-phone"
    PUBLIC_PAGE_CACHE_SECONDS = 0
    FRAGMENT_CACHE_SECONDS = 0  # tests that check the cache turn it on
    VIEW_COUNT_FLUSH_SECONDS = 0
    JOB_RETRY_INTERVALS = (0, 0, 0)  # a test's worker retries at once
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False


class ProductionConfig(BaseConfig):
    MODE = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the settings dict for the mode named by APP_MODE (or FLASK_ENV)."""
    environ = os.environ if environ is None else environ
    mode = (_env("APP_MODE", None, environ) or _env("FLASK_ENV", "development", environ) or "development").lower()
    if mode not in CONFIGS:
        raise ConfigError(f"APP_MODE must be one of {sorted(CONFIGS)}, not {mode!r}")
    cls = CONFIGS[mode]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}

    secret = _env("SECRET_KEY", None, environ)
    if secret is None and mode == "production":
        raise ConfigError("SECRET_KEY must be set in production: sessions and reset links are signed with it.")
    # Outside production a random key is fine: sessions just do not survive a restart.
    settings["SECRET_KEY"] = secret or secrets.token_hex(32)

    settings["SQLALCHEMY_DATABASE_URI"] = _env("DATABASE_URL", None, environ)
    settings["REDIS_URL"] = _env("REDIS_URL", None, environ)
    settings["JOB_QUEUE"] = _env("JOB_QUEUE", cls.JOB_QUEUE, environ)
    settings["CACHE_KEY_PREFIX"] = _env("CACHE_KEY_PREFIX", "vs:", environ)  # several deployments may share one Redis
    settings["PUBLIC_BASE_URL"] = _env("PUBLIC_BASE_URL", cls.PUBLIC_BASE_URL, environ)
    settings["MEDIA_ROOT"] = _env("MEDIA_ROOT", None, environ)
    settings["PRIVATE_MEDIA_ROOT"] = _env("PRIVATE_MEDIA_ROOT", None, environ)
    for key in ("MEDIA_STORAGE", "S3_REGION", "S3_MEDIA_BUCKET", "S3_PRIVATE_BUCKET"):
        settings[key] = _env(key, getattr(cls, key), environ)
    for key in ("S3_ENDPOINT_URL", "S3_PUBLIC_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        settings[key] = _env(key, None, environ)
    for key in ("NOTIFICATION_SMS_BACKEND", "AT_API_KEY", "AT_SENDER_ID", "PHONE_CALLBACK_SECRET"):
        settings[key] = _env(key, getattr(cls, key), environ)
    settings["AT_USERNAME"] = _env("AT_USERNAME", cls.AT_USERNAME, environ)
    settings["LOG_FORMAT"] = _env("LOG_FORMAT", cls.LOG_FORMAT, environ)
    settings["SWEEP_AFTER_SECONDS"] = int(_env("SWEEP_AFTER_SECONDS", str(cls.SWEEP_AFTER_SECONDS), environ))
    # "jobs.sweep=60,orders.expire_unpaid=300"
    settings["JOB_SCHEDULE_SECONDS"] = {name.strip(): int(seconds) for name, _, seconds in (
        part.partition("=") for part in (_env("JOB_SCHEDULE_SECONDS", "", environ) or "").split(",") if "=" in part)}
    metrics_from = _env("METRICS_ALLOWED_ADDRESSES", "", environ) or ""
    if metrics_from:
        settings["METRICS_ALLOWED_ADDRESSES"] = tuple(a.strip() for a in metrics_from.split(",") if a.strip())
    settings["AT_SMS_URL"] = _env("AT_SMS_URL", cls.AT_SMS_URL, environ)
    settings["PHONE_GATEWAY_ADDRESSES"] = tuple(a.strip() for a in (_env("PHONE_GATEWAY_ADDRESSES", "", environ) or "").split(",") if a.strip())
    for key in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"):
        settings[key] = _env(key, None, environ)
    settings["STRIPE_JS_URL"] = _env("STRIPE_JS_URL", cls.STRIPE_JS_URL, environ)
    settings["STRIPE_CONNECT_COUNTRY"] = (_env("STRIPE_CONNECT_COUNTRY", cls.STRIPE_CONNECT_COUNTRY, environ) or "").upper()
    settings["PLATFORM_FEE_BASIS_POINTS"] = int(_env("PLATFORM_FEE_BASIS_POINTS", str(cls.PLATFORM_FEE_BASIS_POINTS), environ))
    settings["BABEL_DEFAULT_LOCALE"] = _env("DEFAULT_LOCALE", cls.BABEL_DEFAULT_LOCALE, environ)
    settings["DEFAULT_PHONE_REGION"] = (_env("DEFAULT_PHONE_REGION", cls.DEFAULT_PHONE_REGION, environ) or "").upper()
    settings["DEFAULT_CURRENCY"] = (_env("DEFAULT_CURRENCY", cls.DEFAULT_CURRENCY, environ) or "").upper()
    settings["RATELIMIT_ENABLED"] = _env_bool("RATELIMIT_ENABLED", cls.RATELIMIT_ENABLED, environ)
    settings["FORCE_HTTPS"] = _env_bool("FORCE_HTTPS", cls.FORCE_HTTPS, environ)
    # Behind a proxy that terminates TLS the cookies stay Secure; only a plain-HTTP rehearsal on one
    # machine (make prod-local) turns this off.
    secure_cookies = _env_bool("COOKIE_SECURE", cls.SESSION_COOKIE_SECURE, environ)
    settings["SESSION_COOKIE_SECURE"] = secure_cookies
    settings["REMEMBER_COOKIE_SECURE"] = secure_cookies
    settings["RATELIMIT_LOGIN"] = _env("RATELIMIT_LOGIN", cls.RATELIMIT_LOGIN, environ)
    settings["RATELIMIT_LOGIN_ACCOUNT"] = _env("RATELIMIT_LOGIN_ACCOUNT", cls.RATELIMIT_LOGIN_ACCOUNT, environ)
    settings["TRUSTED_PROXIES"] = tuple(a.strip() for a in (_env("TRUSTED_PROXIES", "", environ) or "").split(",") if a.strip())
    settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"] or "memory://"
    settings["FRAGMENT_CACHE_SECONDS"] = int(_env("FRAGMENT_CACHE_SECONDS", str(cls.FRAGMENT_CACHE_SECONDS), environ))
    settings["PUBLIC_PAGE_CACHE_SECONDS"] = int(_env("PUBLIC_PAGE_CACHE_SECONDS", str(cls.PUBLIC_PAGE_CACHE_SECONDS), environ))
    return settings
