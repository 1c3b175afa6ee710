"""Payments' public face: what other domains may use. Nothing outside payments imports its models,
services or providers directly.

Payments knows no orders or forms: an owner domain asks for money by (purpose, reference), hears
paid / failed / refunded through the `PaymentOwner` it registered (`owners.register` in its
init_app), and records its farmers' money in the ledger by kind.
"""
from __future__ import annotations

from marketplace.payments.ledger import balance, balances, entries, entry_for, platform_fee, record
from marketplace.payments.mobile_payouts import pay_to_phone
from marketplace.payments.models import LedgerEntry, LedgerKind, Payment, PaymentStatus
from marketplace.payments.owners import MoneyInHand, PaybillDue, PaymentOwner, money_in_hand, register_money_in_hand, register_paybill
from marketplace.payments.owners import register as register_owner
from marketplace.payments.payouts import reverse_transfer, transfer_to_farmer
from marketplace.payments.providers import CARD, MOBILE_MONEY, CardPaymentsOff, MobileMoneyOff, ProviderUnavailable, enabled, provider
from marketplace.payments.reconciliation import reconcile_day, reconcile_ended_days
from marketplace.payments.services import RefundByHand, cancel, payment_for, refresh, refund, start_card_payment, start_mobile_payment

#: Ledger kinds that are money paid out to a farmer.
PAYOUT_KINDS = (LedgerKind.TRANSFER, LedgerKind.MANUAL_PAYOUT, LedgerKind.MOBILE_PAYOUT)


def card_payments_enabled() -> bool:
    """Whether paying by card is offered (the card provider has its keys)."""
    return enabled(CARD)


def mobile_money_enabled() -> bool:
    """Whether paying by mobile money (M-Pesa) is offered (its keys are configured)."""
    return enabled(MOBILE_MONEY)


def paid_out(farmer_id: int, limit: int = 3) -> list[LedgerEntry]:
    """The farmer's latest payouts, newest first."""
    return [e for e in entries(farmer_id, limit=50) if e.kind in PAYOUT_KINDS][:limit]


__all__ = [
    "balance", "balances", "cancel", "CARD", "card_payments_enabled", "CardPaymentsOff", "enabled", "entries",
    "entry_for", "LedgerEntry", "LedgerKind", "MOBILE_MONEY", "mobile_money_enabled", "MobileMoneyOff", "MoneyInHand",
    "money_in_hand", "paid_out", "pay_to_phone", "PaybillDue", "Payment", "payment_for", "PaymentOwner", "PaymentStatus",
    "PAYOUT_KINDS", "platform_fee", "provider", "ProviderUnavailable", "reconcile_day", "reconcile_ended_days", "record",
    "refresh", "refund", "RefundByHand",
    "register_money_in_hand", "register_owner", "register_paybill", "reverse_transfer", "start_card_payment",
    "start_mobile_payment", "transfer_to_farmer",
]
