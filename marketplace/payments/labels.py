"""Translated names of ledger entry kinds and payment states."""
from flask_babel import lazy_gettext as _l

from marketplace.payments.models import LedgerKind, PaymentStatus

LEDGER_KIND_LABELS = {
    LedgerKind.SALE: _l("sale paid by card"),
    LedgerKind.PLATFORM_FEE: _l("platform fee"),
    LedgerKind.TRANSFER: _l("sent to your Stripe account"),
    LedgerKind.REFUND: _l("refund to the buyer"),
    LedgerKind.FEE_RETURNED: _l("platform fee returned"),
    LedgerKind.REVERSAL: _l("transfer taken back"),
    LedgerKind.MANUAL_PAYOUT: _l("paid out (mobile money or bank)"),
}

PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING: _l("waiting for payment"),
    PaymentStatus.FAILED: _l("payment failed"),
    PaymentStatus.PAID: _l("paid"),
    PaymentStatus.REFUNDED: _l("refunded"),
    PaymentStatus.CANCELLED: _l("payment cancelled"),
    PaymentStatus.FLAGGED: _l("held for a check: the amount paid differs"),
}


def ledger_kind_name(kind: LedgerKind | str) -> str:
    return str(LEDGER_KIND_LABELS[LedgerKind(kind)])


def payment_status_name(status: PaymentStatus | str) -> str:
    return str(PAYMENT_STATUS_LABELS[PaymentStatus(status)])
