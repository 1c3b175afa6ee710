"""Which domain owns payments of which purpose, and how it is told what happened.

The orders domain registers "checkout"; government fees will register their own.
Callbacks run inside the payments transaction and must not commit.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from marketplace.payments.models import Payment


class PaymentOwner(Protocol):
    def on_paid(self, payment: "Payment") -> None: ...

    def on_failed(self, payment: "Payment") -> None: ...

    def on_refunded(self, payment: "Payment", amount_minor: int) -> None:
        """A refund this platform did not ask for (made in Stripe's dashboard)."""


_OWNERS: dict[str, PaymentOwner] = {}


def register(purpose: str, owner: PaymentOwner) -> None:
    _OWNERS[purpose] = owner


def owner_of(purpose: str) -> PaymentOwner | None:
    return _OWNERS.get(purpose)
