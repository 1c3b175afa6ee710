"""Application fees through the payments domain (purpose "egov_fee", reference = the application's
reference). Paid by card, the application goes to the department; "pay at the office" skips this."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.egov.models import Submission, SubmissionStatus
from marketplace.egov.services import mark_fee_paid
from marketplace.extensions import db
from marketplace.payments import api as payments
from marketplace.payments.api import Payment

PURPOSE = "egov_fee"


def start_fee_payment(submission: Submission) -> tuple[Payment, str]:
    if submission.status is not SubmissionStatus.AWAITING_PAYMENT:
        raise DomainError(_l("No fee is waiting to be paid for this application."))
    return payments.start_card_payment(
        purpose=PURPOSE, reference=submission.reference, amount=Money(submission.currency, submission.fee_minor),
        payer_id=submission.applicant_id, description=f"Village Square {submission.reference}",
    )


def fee_payment(submission: Submission, refresh: bool = False) -> Payment | None:
    payment = payments.payment_for(PURPOSE, submission.reference) if submission.reference else None
    if payment is not None and refresh:
        payments.refresh(payment)
    return payment


class FeePayments:
    """Registered for PURPOSE; runs inside the payments transaction."""

    def on_paid(self, payment: Payment) -> None:
        submission = db.session.scalar(select(Submission).where(Submission.reference == payment.reference))
        if submission is not None:
            mark_fee_paid(submission)

    def on_failed(self, payment: Payment) -> None:
        """The application waits; the applicant may try another card."""

    def on_refunded(self, payment: Payment, amount_minor: int) -> None:
        """Refunds of fees are decided by the department outside the app; the payment keeps the record."""
