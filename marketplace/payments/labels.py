"""Translated names of ledger entry kinds, payment states and reconciliation differences."""
from flask_babel import lazy_gettext as _l

from marketplace.payments.models import DifferenceKind, LedgerKind, MobilePayoutStatus, PaymentStatus

LEDGER_KIND_LABELS = {
    LedgerKind.SALE: _l("sale paid by card or M-Pesa"),
    LedgerKind.PLATFORM_FEE: _l("platform fee"),
    LedgerKind.TRANSFER: _l("sent to your Stripe account"),
    LedgerKind.REFUND: _l("refund to the buyer"),
    LedgerKind.FEE_RETURNED: _l("platform fee returned"),
    LedgerKind.REVERSAL: _l("transfer taken back"),
    LedgerKind.MANUAL_PAYOUT: _l("paid out (mobile money or bank)"),
    LedgerKind.MOBILE_PAYOUT: _l("sent to your M-Pesa"),
}

PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING: _l("waiting for payment"),
    PaymentStatus.FAILED: _l("payment failed"),
    PaymentStatus.PAID: _l("paid"),
    PaymentStatus.REFUNDED: _l("refunded"),
    PaymentStatus.CANCELLED: _l("payment cancelled"),
    PaymentStatus.FLAGGED: _l("held for a check: the amount paid differs"),
}


#: Why a mobile-money payment did not go through, as the payer can act on it (M-Pesa's result codes).
FAILURE_LABELS = {
    "mpesa:1": _l("There is not enough money in your M-Pesa for this payment."),
    "mpesa:1032": _l("The M-Pesa request was cancelled on the phone."),
    "mpesa:1037": _l("The phone did not answer the M-Pesa request in time. Check that it is on and has signal."),
    "mpesa:2001": _l("The M-Pesa PIN was wrong."),
    "mpesa:1019": _l("The M-Pesa request expired before it was answered."),
}


MOBILE_PAYOUT_STATUS_LABELS = {
    MobilePayoutStatus.REQUESTED: _l("to send"),
    MobilePayoutStatus.SENDING: _l("sending"),
    MobilePayoutStatus.SENT: _l("sent"),
    MobilePayoutStatus.FAILED: _l("refused by M-Pesa"),
    MobilePayoutStatus.UNKNOWN: _l("not known whether it went"),
}


#: What a reconciliation difference means, for the admin who checks it.
DIFFERENCE_LABELS = {
    DifferenceKind.NOT_HERE: _l("M-Pesa received money we never recorded"),
    DifferenceKind.NOT_AT_PROVIDER: _l("we recorded money M-Pesa does not list"),
    DifferenceKind.AMOUNT: _l("M-Pesa has another amount"),
    DifferenceKind.PAID_THERE: _l("M-Pesa paid a payout we hold as not sent: do not send it again"),
    DifferenceKind.NOT_PAID_THERE: _l("a payout we hold as sent is not completed at M-Pesa"),
}


def difference_name(kind: DifferenceKind | str) -> str:
    return str(DIFFERENCE_LABELS[DifferenceKind(kind)])


def mobile_payout_status_name(status: MobilePayoutStatus | str) -> str:
    return str(MOBILE_PAYOUT_STATUS_LABELS[MobilePayoutStatus(status)])


def failure_reason(code: str) -> str:
    return str(FAILURE_LABELS.get(code, _l("M-Pesa did not accept the payment.")))


def ledger_kind_name(kind: LedgerKind | str) -> str:
    return str(LEDGER_KIND_LABELS[LedgerKind(kind)])


def payment_status_name(status: PaymentStatus | str) -> str:
    return str(PAYMENT_STATUS_LABELS[PaymentStatus(status)])
