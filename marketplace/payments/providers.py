"""The seam between payments and whoever moves the money: one `PaymentProvider` protocol.

Payments' services speak only this protocol and its plain values (`ProviderIntent`, `ProviderEvent`);
Stripe is the first implementation (`stripe_provider.py`, the only module that imports `stripe`), and
a mobile-money provider is one more class registered here. The registry is filled by
`payments.init_app` from the app's config, never by an import.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import DomainError
from marketplace.core.money import Money


class CardPaymentsOff(DomainError):
    """The provider is not configured: the site works, that way to pay is simply not offered."""


class MobileMoneyOff(DomainError):
    """Mobile money has no keys here: it is not offered."""

    def __init__(self) -> None:
        super().__init__(_l("Mobile money payment is not available yet."))


class ProviderUnavailable(DomainError):
    """The provider refused or could not be reached; nothing was changed on our side. What the
    payer is told is the same whichever provider it was; `detail` is for the log."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(_l("Card payment cannot be reached just now. Please try again in a minute."))
        self.detail = detail


class InvalidSignature(Exception):
    """A callback was not signed by the provider with our secret (or is not an event at all)."""


class MalformedEvent(Exception):
    """Signed by the provider, but missing what an event of its type carries."""


# What a payment at the provider is, in our words (not the provider's status names).
PENDING, PAID, FAILED, CANCELLED = "pending", "paid", "failed", "cancelled"


@dataclass(frozen=True)
class ProviderIntent:
    """One payment as the provider holds it."""

    id: str
    state: str  # PENDING, PAID, FAILED or CANCELLED
    amount_minor: int
    currency: str  # ISO 4217, upper case
    client_secret: str | None = None  # what the payer's browser confirms it with, where there is one
    charge_id: str | None = None  # the provider's id of the money actually taken (refunds, transfers; M-Pesa's receipt)
    failure_code: str = ""
    payer_phone: str | None = None  # mobile money: the phone that paid (E.164), where the provider says
    occurred_at: datetime | None = None  # mobile money: when the provider says the money moved (UTC)


@dataclass(frozen=True)
class ProviderEvent:
    """A verified callback. `kind`: "intent" (a payment moved), "refund" (money given back, perhaps
    from the provider's dashboard), "account" (a payee's account changed), or "other" (ignored)."""

    id: str
    kind: str
    type: str = ""  # the provider's own name of the event, kept with its id
    intent: ProviderIntent | None = None
    intent_id: str | None = None  # for a refund: the payment it belongs to
    refunded_minor: int = 0  # for a refund: the total given back so far
    account: dict[str, Any] = field(default_factory=dict)  # for an account: id, payouts_enabled, details_submitted


class PaymentProvider(Protocol):
    """What payments needs of a provider. Every call is safe to retry with the same idempotency key;
    a refusal or an unreachable provider raises ProviderUnavailable."""

    name: str

    def enabled(self) -> bool: ...

    # Collecting money.
    def create_intent(self, amount: Money, *, description: str, metadata: dict[str, str], idempotency_key: str,
                      transfer_group: str | None = None) -> ProviderIntent: ...

    def retrieve_intent(self, intent_id: str) -> ProviderIntent: ...

    def change_amount(self, intent_id: str, amount_minor: int) -> ProviderIntent: ...

    def cancel_intent(self, intent_id: str) -> None: ...

    def refund(self, intent_id: str, amount_minor: int, *, metadata: dict[str, str], idempotency_key: str) -> str: ...

    def verify_event(self, payload: bytes, signature: str | None) -> ProviderEvent: ...

    # Paying farmers out.
    def payouts_enabled(self) -> bool: ...

    def create_payee(self, *, payee_id: int, email: str | None, idempotency_key: str) -> str: ...

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str: ...

    def retrieve_payee(self, account_id: str) -> dict[str, Any]: ...

    def transfer(self, amount: Money, *, account_id: str, transfer_group: str, source_charge: str | None,
                 metadata: dict[str, str], idempotency_key: str) -> str: ...

    def reverse_transfer(self, transfer_id: str, amount_minor: int, *, metadata: dict[str, str],
                         idempotency_key: str) -> str: ...


class MobileMoneyProvider(Protocol):
    """What payments needs of a mobile-money provider (M-Pesa first): a PIN prompt on the payer's phone,
    asking how it stands, and reading the provider's result callback."""

    name: str

    def enabled(self) -> bool: ...

    def request_payment(self, amount: Money, *, phone: str, account: str, description: str,
                        callback_url: str) -> ProviderIntent: ...

    def retrieve_intent(self, intent_id: str) -> ProviderIntent: ...

    def cancel_intent(self, intent_id: str) -> None: ...

    def read_callback(self, payload: bytes, remote_addr: str | None) -> ProviderEvent: ...

    # Paying farmers out to their phones.
    def payouts_enabled(self) -> bool: ...

    def send_to_phone(self, amount: Money, *, phone: str, originator_id: str, remarks: str, result_url: str,
                      timeout_url: str) -> str: ...

    def read_payout_result(self, payload: bytes, remote_addr: str | None) -> PayoutResult: ...

    # Paid from the phone's own menu (pay bill), with our reference as the account number.
    def read_paybill(self, payload: bytes, remote_addr: str | None) -> PaybillPayment: ...

    # Reconciliation: the provider's own records.
    def day_zone(self) -> Any: ...  # the zone the provider's days are counted in (a tzinfo)

    def money_in(self, start: datetime, end: datetime) -> list[ProviderTransaction]: ...

    def ask_payout_status(self, *, receipt: str, originator_id: str, result_url: str, timeout_url: str) -> str: ...

    def read_status_answer(self, payload: bytes, remote_addr: str | None) -> PayoutStatusAnswer: ...


@dataclass(frozen=True)
class PayoutResult:
    """What a mobile-money provider says of a payout we sent: `outcome` is SENT_OK, REFUSED or TIMED_OUT."""

    originator_id: str
    outcome: str
    receipt: str = ""
    amount_minor: int = 0
    detail: str = ""
    occurred_at: datetime | None = None  # when the provider says it was paid (UTC)


SENT_OK, REFUSED, TIMED_OUT = "sent", "refused", "timed out"


@dataclass(frozen=True)
class PaybillPayment:
    """Money a payer sent from their phone's menu to our pay bill, naming an account (our reference)."""

    transaction_id: str
    account: str
    amount_minor: int
    currency: str
    phone: str  # as the provider gives it (M-Pesa masks part of it)
    occurred_at: datetime | None = None  # when the provider says the money moved (UTC)


@dataclass(frozen=True)
class ProviderTransaction:
    """One transaction in the provider's own records (money into our account)."""

    receipt: str
    amount_minor: int
    currency: str
    account: str  # the account number the payer gave (our reference), where there is one
    occurred_at: datetime  # UTC


@dataclass(frozen=True)
class PayoutStatusAnswer:
    """The provider's answer to "what became of this payout?": `question_id` is the id it gave the
    question; `completed` whether the money went; `found` False when it knows no such transaction."""

    question_id: str
    found: bool
    completed: bool = False
    receipt: str = ""
    amount_minor: int = 0
    detail: str = ""


CARD = "card"  # the way to pay by card; Stripe provides it
MOBILE_MONEY = "mobile_money"  # the way to pay from a phone's wallet; M-Pesa provides it


def register(app: Any, way: str, made: PaymentProvider | MobileMoneyProvider) -> None:
    """Called by `payments.init_app`: `way` (CARD, later "mobile_money") is paid through `made`."""
    app.extensions.setdefault("payment_providers", {})[way] = made


def provider(way: str = CARD) -> Any:
    """The provider of `way` in the current app (a PaymentProvider for CARD, a MobileMoneyProvider for
    MOBILE_MONEY). Its calls raise CardPaymentsOff or MobileMoneyOff while it lacks its keys."""
    try:
        return current_app.extensions["payment_providers"][way]
    except KeyError:
        raise (MobileMoneyOff() if way == MOBILE_MONEY else CardPaymentsOff(_l("Card payment is not available yet."))) from None


def enabled(way: str = CARD) -> bool:
    """Whether `way` is offered to people (its keys are configured)."""
    try:
        return bool(provider(way).enabled())
    except (CardPaymentsOff, MobileMoneyOff):
        return False
