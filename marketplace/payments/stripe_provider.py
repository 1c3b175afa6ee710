"""Stripe, the card provider: the one module that imports `stripe` (stripe-python's StripeClient).

It turns our calls into Stripe's (PaymentIntents, refunds, Connect Express accounts, transfers,
signed webhooks) and Stripe's answers into `providers`' plain values, so payments' services never
read a Stripe status name or object shape. STRIPE_API_BASE points the client at another server
(localstripe in tests); tests that must see the exact requests (Connect, which localstripe lacks)
set `app.extensions["stripe_http_client"]` to a stripe.HTTPClient of their own.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.core.money import Money
from marketplace.payments.providers import (
    CANCELLED,
    FAILED,
    PAID,
    PENDING,
    CardPaymentsOff,
    InvalidSignature,
    MalformedEvent,
    ProviderEvent,
    ProviderIntent,
    ProviderUnavailable,
)

log = logging.getLogger(__name__)

#: Stripe's verifier refuses signatures older than its tolerance (300 s) but not ones dated ahead;
#: a clock may drift a little, an hour ahead is a replay prepared in advance.
FUTURE_TOLERANCE_SECONDS = 300


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
    """stripe-python's objects are not dicts (since v15)."""
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def object_id(value: Any) -> str | None:
    """Stripe returns a related object as its id, or expanded as an object (localstripe expands)."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id") if isinstance(value, dict) else getattr(value, "id", None)


def intent_of(intent: Any) -> ProviderIntent:
    """A PaymentIntent in our words: succeeded is paid; a declined card (requires_payment_method with
    an error) failed; canceled is cancelled; every other status is still pending."""
    intent = as_dict(intent)
    status, error = intent["status"], intent.get("last_payment_error")
    if status == "succeeded":
        state = PAID
    elif status == "requires_payment_method" and error:
        state = FAILED
    elif status == "canceled":
        state = CANCELLED
    else:
        state = PENDING
    failure = str(error.get("decline_code") or error.get("code") or "card_error")[:64] if state == FAILED else ""
    return ProviderIntent(id=str(intent["id"]), state=state, amount_minor=int(intent["amount"]),
                          currency=str(intent["currency"]).upper(), client_secret=intent.get("client_secret"),
                          charge_id=object_id(intent.get("latest_charge")), failure_code=failure)


def _field(value: Any, name: str) -> Any:
    try:
        return value[name]
    except (KeyError, TypeError, AttributeError, IndexError):
        return None


def event_of(event: Any) -> ProviderEvent:
    """A verified Stripe event in our words; MalformedEvent when it lacks what its type carries."""
    if not all(isinstance(_field(event, name), str) for name in ("id", "type")) or _field(_field(event, "data"), "object") is None:
        raise MalformedEvent(repr(_field(event, "id")))
    obj = as_dict(event["data"]["object"])
    try:
        if event["type"] in ("payment_intent.succeeded", "payment_intent.payment_failed"):
            return ProviderEvent(id=event["id"], type=event["type"], kind="intent", intent=intent_of(obj))
        if event["type"] == "charge.refunded":
            # Events may arrive in any order: a refunded charge had succeeded, whatever came first.
            paid = ProviderIntent(id=str(object_id(obj.get("payment_intent")) or ""), state=PAID, amount_minor=int(obj["amount"]),
                                  currency=str(obj["currency"]).upper(), charge_id=str(obj["id"]))
            return ProviderEvent(id=event["id"], type=event["type"], kind="refund", intent=paid, intent_id=paid.id or None,
                                 refunded_minor=int(obj.get("amount_refunded") or 0))
        if event["type"] == "account.updated":
            return ProviderEvent(id=event["id"], type=event["type"], kind="account", account={
                "id": str(obj["id"]), "payouts_enabled": bool(obj.get("payouts_enabled")),
                "details_submitted": bool(obj.get("details_submitted"))})
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # Signed, but not the shape Stripe sends: nothing is applied, and the view answers 400.
        log.error("Stripe event %s (%s) is malformed: %r", event["id"], event["type"], error)
        raise MalformedEvent(event["id"]) from error
    return ProviderEvent(id=event["id"], type=event["type"], kind="other")


class StripeProvider:
    """Cards, refunds and Connect payouts through Stripe. Every Stripe error is ProviderUnavailable."""

    name = "stripe"

    def enabled(self) -> bool:
        config = current_app.config
        return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_PUBLISHABLE_KEY"))

    def _call(self, what: str, call):
        try:
            return call(client())
        except stripe.StripeError as error:
            log.warning("Stripe %s failed: %s", what, error)
            raise ProviderUnavailable(f"Stripe {what}: {error}") from error

    # --- collecting -----------------------------------------------------------------------------
    def create_intent(self, amount: Money, *, description: str, metadata: dict[str, str], idempotency_key: str,
                      transfer_group: str | None = None) -> ProviderIntent:
        params = {"amount": amount.minor_units, "currency": amount.currency.lower(), "description": description,
                  "metadata": metadata, **({"transfer_group": transfer_group} if transfer_group else {})}
        return intent_of(self._call("payment intent", lambda c: c.v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key})))

    def retrieve_intent(self, intent_id: str) -> ProviderIntent:
        return intent_of(self._call("intent retrieval", lambda c: c.v1.payment_intents.retrieve(intent_id)))

    def change_amount(self, intent_id: str, amount_minor: int) -> ProviderIntent:
        return intent_of(self._call("intent update", lambda c: c.v1.payment_intents.update(
            intent_id, params={"amount": amount_minor})))

    def cancel_intent(self, intent_id: str) -> None:
        self._call("intent cancel", lambda c: c.v1.payment_intents.cancel(intent_id))

    def refund(self, intent_id: str, amount_minor: int, *, metadata: dict[str, str], idempotency_key: str) -> str:
        return self._call("refund", lambda c: c.v1.refunds.create(
            params={"payment_intent": intent_id, "amount": amount_minor, "metadata": metadata},
            options={"idempotency_key": idempotency_key})).id

    def verify_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """Stripe's own verifier, plus a refusal of signatures dated ahead of our clock."""
        secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
        try:
            if not secret:
                raise stripe.SignatureVerificationError("no webhook secret configured", signature)
            event = stripe.Webhook.construct_event(payload, signature, secret)
            stamps = [part[2:] for part in (signature or "").split(",") if part.startswith("t=")]
            if not stamps or not stamps[0].isascii() or not stamps[0].isdigit() \
                    or int(stamps[0]) > time.time() + FUTURE_TOLERANCE_SECONDS:
                raise stripe.SignatureVerificationError("signature timestamp is in the future", signature)
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise InvalidSignature(str(error)) from error
        except (KeyError, TypeError, AttributeError) as error:  # signed JSON that is not an event at all
            raise MalformedEvent(str(error)) from error
        return event_of(event)

    # --- paying out (Connect Express) -----------------------------------------------------------
    def payouts_enabled(self) -> bool:
        return self.enabled()

    def create_payee(self, *, payee_id: int, email: str | None, idempotency_key: str) -> str:
        params = {"type": "express", "country": current_app.config["STRIPE_CONNECT_COUNTRY"],
                  **({"email": email} if email else {}), "capabilities": {"transfers": {"requested": True}},
                  "business_type": "individual", "metadata": {"user_id": str(payee_id)}}
        return self._call("account", lambda c: c.v1.accounts.create(params=params, options={"idempotency_key": idempotency_key})).id

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        return self._call("account link", lambda c: c.v1.account_links.create(params={
            "account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"})).url

    def retrieve_payee(self, account_id: str) -> dict[str, Any]:
        remote = as_dict(self._call("account retrieval", lambda c: c.v1.accounts.retrieve(account_id)))
        return {"id": str(remote["id"]), "payouts_enabled": bool(remote.get("payouts_enabled")),
                "details_submitted": bool(remote.get("details_submitted"))}

    def transfer(self, amount: Money, *, account_id: str, transfer_group: str, source_charge: str | None,
                 metadata: dict[str, str], idempotency_key: str) -> str:
        params: dict[str, Any] = {"amount": amount.minor_units, "currency": amount.currency.lower(), "destination": account_id,
                                  "transfer_group": transfer_group, "metadata": metadata}
        if source_charge:
            params["source_transaction"] = source_charge  # paid from the buyer's charge, not the platform's balance
        return self._call("transfer", lambda c: c.v1.transfers.create(params=params, options={"idempotency_key": idempotency_key})).id

    def reverse_transfer(self, transfer_id: str, amount_minor: int, *, metadata: dict[str, str], idempotency_key: str) -> str:
        return self._call("transfer reversal", lambda c: c.v1.transfers.reversals.create(
            transfer_id, params={"amount": amount_minor, "metadata": metadata}, options={"idempotency_key": idempotency_key})).id
