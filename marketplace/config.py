"""Settings, read from the environment here and nowhere else.

One class per mode. Production refuses to start without a SECRET_KEY, because
a guessable key lets anyone forge sessions and password-reset links.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any


class ConfigError(RuntimeError):
    """The environment does not describe a runnable application."""


def _env(name: str, default: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    value = (environ if environ is not None else os.environ).get(name)
    return value if value not in (None, "") else default


class BaseConfig:
    MODE = "development"
    TESTING = False
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    CACHE_KEY_PREFIX = "vs:"
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_PUBLISHABLE_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE: str | None = None
    STRIPE_JS_URL = "https://js.stripe.com/v3/"
    # The report form's map: tiles in the {z}/{x}/{y} scheme, loaded only when someone opens the map.
    # OpenStreetMap's own servers suit light use (their tile policy); a busy deployment names its own.
    # Empty: no map is offered, and "where I am" and the village still place a report.
    MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
    OPEN311_MEDIA_ALLOW_LOOPBACK = False  # only tests turn it on, for their picture server on 127.0.0.1
    STRIPE_CONNECT_COUNTRY = "KE"  # country of farmers' Express accounts (must be one Connect supports)
    # M-Pesa (Safaricom's Daraja API): without the keys, mobile money is not offered, as cards without Stripe's.
    MPESA_CONSUMER_KEY: str | None = None
    MPESA_CONSUMER_SECRET: str | None = None
    MPESA_SHORTCODE: str | None = None  # the paybill or till that receives the money
    MPESA_PASSKEY: str | None = None  # Lipa na M-Pesa Online's passkey for that short code
    MPESA_ENVIRONMENT = "sandbox"  # or "production": which Daraja answers
    MPESA_API_BASE: str | None = None  # another Daraja-compatible server (the fake in tests)
    MPESA_CALLBACK_SECRET: str | None = None  # the last part of the result URL Daraja calls back
    MPESA_CALLBACK_ADDRESSES: tuple[str, ...] = ()  # if set, only these addresses may call back
    MPESA_PROMPT_RATE_LIMIT = "5 per minute;20 per hour"  # PIN prompts one person may make phones receive
    # Payouts to farmers' phones (B2C): without these, farmers' shares stay owed for an admin's manual payout.
    MPESA_B2C_SHORTCODE: str | None = None  # the short code money is sent from (MPESA_SHORTCODE if unset)
    MPESA_INITIATOR_NAME: str | None = None
    MPESA_SECURITY_CREDENTIAL: str | None = None  # the initiator's password, encrypted with Safaricom's certificate
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
    REMEMBER_COOKIE_SECURE = False
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
    AT_VOICE_URL = "https://voice.africastalking.com/call"
    #: Our numbers that answer a ring by hanging up and calling back (a missed call costs the caller nothing).
    VOICE_CALL_BACK_NUMBERS: tuple[str, ...] = ()
    VOICE_CALL_BACKS_PER_DAY = 5  # to one number: a stranger cannot make the service ring someone all day
    ESPEAK_RATE = 130  # words a minute: slower than espeak-ng's 175, for people new to the service
    VOICE_RECORDING_ALLOW_LOOPBACK = False  # tests: the fake gateway keeps its recordings on loopback
    VOICE_ESPEAK = True  # False: sentences without a person's recording are read by the gateway's own speech (<Say>)
    USSD_RATE_LIMIT = "30 per minute"  # per phone number
    SEND_FILE_MAX_AGE_DEFAULT = 31536000  # static files are fingerprinted by the asset url helper
    # The whole request's cap, above every single file's own limit (photos 15 MB, documents 10 MB),
    # so that a photo over its limit comes back on the form with a message and everything typed;
    # only a request above this is refused as a whole (the translated 413 page).
    MAX_CONTENT_LENGTH = 48 * 1024 * 1024
    OPENROSA_MAX_BYTES = 40 * 1024 * 1024  # what a device is told it may send at once (under MAX_CONTENT_LENGTH)
    OPENROSA_RATE_LIMIT = "60 per minute"
    DFC_COUNTRY = "KEN"  # the catalogue's addresses, as the EU country authority list names the country (ISO 3166 alpha-3)
    PUBLIC_PAGE_CACHE_SECONDS = 30  # anonymous browse pages; 0 turns the cache off
    FRAGMENT_CACHE_SECONDS = 300  # home page listings, price hints (invalidated on change); 0 turns it off
    # A signed-in person's load on a GET, kept in Redis while nothing it was read from changes (core.signed_in);
    # 0 turns it off, and without REDIS_URL it is off.
    SIGNED_IN_KEEP_SECONDS = 5
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
    SIGNED_IN_KEEP_SECONDS = 0  # parallel test workers share one Redis: tests that check it turn it on with their own prefix
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


def _text(value: str | None, default: Any) -> Any:
    return default if value is None else value


def _upper(value: str | None, default: Any) -> Any:
    return (_text(value, default) or "").upper()


def _whole(value: str | None, default: Any) -> Any:
    return default if value is None else int(value)


def _flag(value: str | None, default: Any) -> Any:
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _addresses(value: str | None, default: Any) -> Any:
    """"10.0.0.1, 10.0.0.2" -> a tuple; unset or blank keeps the mode's default."""
    addresses = tuple(a.strip() for a in (value or "").split(",") if a.strip())
    return addresses or default


def _schedule(value: str | None, default: Any) -> Any:
    """"jobs.sweep=60,orders.expire_unpaid=300" -> {job name: seconds}."""
    if value is None:
        return default
    return {name.strip(): int(seconds) for name, _, seconds in (part.partition("=") for part in value.split(",") if "=" in part)}


# Setting -> (environment variable, how it is read). Unset or empty keeps the mode's class value.
FROM_ENVIRONMENT: dict[str, tuple[str, Callable[[str | None, Any], Any]]] = {
    "SQLALCHEMY_DATABASE_URI": ("DATABASE_URL", _text),
    "REDIS_URL": ("REDIS_URL", _text),
    "JOB_QUEUE": ("JOB_QUEUE", _text),
    "CACHE_KEY_PREFIX": ("CACHE_KEY_PREFIX", _text),  # several deployments may share one Redis
    "PUBLIC_BASE_URL": ("PUBLIC_BASE_URL", _text),
    **{key: (key, _text) for key in (
        "MEDIA_ROOT", "PRIVATE_MEDIA_ROOT", "MEDIA_STORAGE", "S3_REGION", "S3_MEDIA_BUCKET", "S3_PRIVATE_BUCKET",
        "S3_ENDPOINT_URL", "S3_PUBLIC_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY",
        "NOTIFICATION_SMS_BACKEND", "AT_API_KEY", "AT_SENDER_ID", "AT_USERNAME", "AT_SMS_URL", "AT_VOICE_URL", "PHONE_CALLBACK_SECRET",
        "LOG_FORMAT", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE",
        "MAP_TILE_URL", "MAP_TILE_ATTRIBUTION",
        "STRIPE_JS_URL", "RATELIMIT_LOGIN", "RATELIMIT_LOGIN_ACCOUNT", "MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET",
        "MPESA_SHORTCODE", "MPESA_PASSKEY", "MPESA_ENVIRONMENT", "MPESA_API_BASE", "MPESA_CALLBACK_SECRET",
        "MPESA_B2C_SHORTCODE", "MPESA_INITIATOR_NAME", "MPESA_SECURITY_CREDENTIAL")},
    "MPESA_CALLBACK_ADDRESSES": ("MPESA_CALLBACK_ADDRESSES", _addresses),
    "SWEEP_AFTER_SECONDS": ("SWEEP_AFTER_SECONDS", _whole),
    "PLATFORM_FEE_BASIS_POINTS": ("PLATFORM_FEE_BASIS_POINTS", _whole),
    "FRAGMENT_CACHE_SECONDS": ("FRAGMENT_CACHE_SECONDS", _whole),
    "PUBLIC_PAGE_CACHE_SECONDS": ("PUBLIC_PAGE_CACHE_SECONDS", _whole),
    "SIGNED_IN_KEEP_SECONDS": ("SIGNED_IN_KEEP_SECONDS", _whole),
    "JOB_SCHEDULE_SECONDS": ("JOB_SCHEDULE_SECONDS", _schedule),
    "METRICS_ALLOWED_ADDRESSES": ("METRICS_ALLOWED_ADDRESSES", _addresses),
    "PHONE_GATEWAY_ADDRESSES": ("PHONE_GATEWAY_ADDRESSES", _addresses),
    "VOICE_CALL_BACK_NUMBERS": ("VOICE_CALL_BACK_NUMBERS", _addresses),  # a comma-separated list, read as addresses are
    "TRUSTED_PROXIES": ("TRUSTED_PROXIES", _addresses),
    "STRIPE_CONNECT_COUNTRY": ("STRIPE_CONNECT_COUNTRY", _upper),
    "DEFAULT_PHONE_REGION": ("DEFAULT_PHONE_REGION", _upper),
    "DEFAULT_CURRENCY": ("DEFAULT_CURRENCY", _upper),
    "BABEL_DEFAULT_LOCALE": ("DEFAULT_LOCALE", _text),
    "RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _flag),
    "FORCE_HTTPS": ("FORCE_HTTPS", _flag),
    "VOICE_ESPEAK": ("VOICE_ESPEAK", _flag),
    # Behind a proxy that terminates TLS the cookies stay Secure; only a plain-HTTP rehearsal on one
    # machine (make prod-local) turns this off.
    "SESSION_COOKIE_SECURE": ("COOKIE_SECURE", _flag),
    "REMEMBER_COOKIE_SECURE": ("COOKIE_SECURE", _flag),
}


def load_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the settings dict for the mode named by APP_MODE (or FLASK_ENV)."""
    environ = os.environ if environ is None else environ
    mode = (_env("APP_MODE", None, environ) or _env("FLASK_ENV", "development", environ) or "development").lower()
    if mode not in CONFIGS:
        raise ConfigError(f"APP_MODE must be one of {sorted(CONFIGS)}, not {mode!r}")
    cls = CONFIGS[mode]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    for key, (variable, read) in FROM_ENVIRONMENT.items():
        settings[key] = read(_env(variable, None, environ), getattr(cls, key, None))

    secret = _env("SECRET_KEY", None, environ)
    if secret is None and mode == "production":
        raise ConfigError("SECRET_KEY must be set in production: sessions and reset links are signed with it.")
    # Outside production a random key is fine: sessions just do not survive a restart.
    settings["SECRET_KEY"] = secret or secrets.token_hex(32)
    settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"] or "memory://"
    return settings
