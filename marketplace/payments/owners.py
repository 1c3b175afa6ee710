"""Which domain owns payments of which purpose, and how it is told what happened.

The orders domain registers "checkout" and egov its fees, each in its own `init_app`: a purpose is
owned because create_app said so, not because a module happened to be imported.
Callbacks run inside the payments transaction and must not commit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from flask import current_app

from marketplace.core.money import Money

if TYPE_CHECKING:
    from marketplace.payments.models import Payment


class PaymentOwner(Protocol):
    def on_paid(self, payment: Payment) -> None: ...

    def on_failed(self, payment: Payment) -> None: ...

    def on_refunded(self, payment: Payment, amount_minor: int) -> None:
        """A refund this platform did not ask for (made in the provider's dashboard)."""


def register(app: Any, purpose: str, owner: PaymentOwner) -> None:
    owned = app.extensions.setdefault("payment_owners", {})
    if purpose in owned and type(owned[purpose]) is not type(owner):
        raise RuntimeError(f"two owners of payments for {purpose!r}")
    owned[purpose] = owner


def owner_of(purpose: str) -> PaymentOwner | None:
    return current_app.extensions.get("payment_owners", {}).get(purpose)


@dataclass(frozen=True)
class MoneyInHand:
    """Money a farmer takes directly (cash or mobile money at pickup) that never passes through
    payments, as the domain that knows of it reports it, so "My money" shows every sale."""

    label: str       # translated: "Taken at pickup", "Still to collect at pickup"
    orders: int
    amount: Money


@dataclass(frozen=True)
class PaybillDue:
    """What an owner domain expects under a pay bill account number: a purchase or a fee waiting for its money."""

    purpose: str
    reference: str
    amount: Money
    payer_id: int | None


def register_paybill(app: Any, resolver: Callable[[str], PaybillDue | None]) -> None:
    """An owner domain says which account numbers (its references) it expects money under (from its init_app)."""
    app.extensions.setdefault("paybill_resolvers", []).append(resolver)


def paybill_due(account: str) -> PaybillDue | None:
    for resolver in current_app.extensions.get("paybill_resolvers", []):
        due = resolver(account)
        if due is not None:
            return due
    return None


def register_money_in_hand(app: Any, source: Callable[[int], list[MoneyInHand]]) -> None:
    """An owner domain says how to count what its farmers took in hand (called from its init_app)."""
    app.extensions.setdefault("money_in_hand", []).append(source)


def money_in_hand(farmer_id: int) -> list[MoneyInHand]:
    return [row for source in current_app.extensions.get("money_in_hand", []) for row in source(farmer_id)]
