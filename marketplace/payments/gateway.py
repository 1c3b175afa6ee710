"""The one place that talks to Stripe (stripe-python's StripeClient, configured from the app).

STRIPE_API_BASE points the client at another server (localstripe in tests).
Tests that must see the exact requests (Connect, which localstripe lacks) set
`app.extensions["stripe_http_client"]` to a stripe.HTTPClient of their own.
"""
from __future__ import annotations

import time

from typing import Any

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import DomainError


class CardPaymentsOff(DomainError):
    """Stripe keys are not configured: the site works, card payment is simply not offered."""


def enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY") and current_app.config.get("STRIPE_PUBLISHABLE_KEY"))


def client() -> stripe.StripeClient:
    config = current_app.config
    if not config.get("STRIPE_SECRET_KEY"):
        raise CardPaymentsOff(_l("Card payment is not available yet."))
    options: dict[str, Any] = {"max_network_retries": 2}  # retried with the same idempotency key
    if config.get("STRIPE_API_BASE"):
        options["base_addresses"] = {"api": config["STRIPE_API_BASE"]}
    if current_app.extensions.get("stripe_http_client") is not None:
        options["http_client"] = current_app.extensions["stripe_http_client"]
    return stripe.StripeClient(config["STRIPE_SECRET_KEY"], **options)


def as_dict(value: Any) -> dict:
    """stripe-python's objects are not dicts (since v15); the handlers read plain dicts."""
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def object_id(value: Any) -> str | None:
    """Stripe returns a related object as its id, or expanded as an object (localstripe expands)."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id") if isinstance(value, dict) else getattr(value, "id", None)


#: Stripe's verifier refuses signatures older than its tolerance (300 s) but not ones dated ahead;
#: a clock may drift a little, an hour ahead is a replay prepared in advance.
FUTURE_TOLERANCE_SECONDS = 300


def verify_event(payload: bytes, signature: str | None) -> stripe.Event:
    """Stripe's own verifier: raises stripe.SignatureVerificationError or ValueError."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise stripe.SignatureVerificationError("no webhook secret configured", signature)
    event = stripe.Webhook.construct_event(payload, signature, secret)
    stamps = [part[2:] for part in (signature or "").split(",") if part.startswith("t=")]
    if not stamps or not stamps[0].isascii() or not stamps[0].isdigit() \
            or int(stamps[0]) > time.time() + FUTURE_TOLERANCE_SECONDS:
        raise stripe.SignatureVerificationError("signature timestamp is in the future", signature)
    return event
