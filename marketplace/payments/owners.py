"""Which domain owns payments of which purpose, and how it is told what happened.

The orders domain registers "checkout" and egov its fees, each in its own `init_app`: a purpose is
owned because create_app said so, not because a module happened to be imported.
Callbacks run inside the payments transaction and must not commit.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from flask import current_app

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
