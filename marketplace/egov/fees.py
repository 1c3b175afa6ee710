"""Application fees through the payments domain (purpose "egov_fee" by card, "egov_fee_mobile" by
M-Pesa; reference = the application's reference). Paid either way, the application goes to the
department; "pay at the office" skips this."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.core.phone import normalise_phone
from marketplace.egov.models import Submission, SubmissionStatus
from marketplace.egov.services import mark_fee_paid, require_applicant_or_their_agent
from marketplace.extensions import db
from marketplace.payments import api as payments
from marketplace.payments.api import Payment

PURPOSE = "egov_fee"
MOBILE_PURPOSE = "egov_fee_mobile"


def start_fee_payment(submission: Submission) -> tuple[Payment, str]:
    if submission.status is not SubmissionStatus.AWAITING_PAYMENT:
        raise DomainError(_l("No fee is waiting to be paid for this application."))
    return payments.start_card_payment(
        purpose=PURPOSE, reference=submission.reference, amount=Money(submission.currency, submission.fee_minor),
        payer_id=submission.applicant_id, description=f"Village Square {submission.reference}",
    )


def start_mobile_fee_payment(actor: User, submission: Submission, phone: str) -> Payment:
    """The M-Pesa PIN prompt for the fee, to the phone the applicant (or their agent, beside them) confirms."""
    require_applicant_or_their_agent(actor, submission)
    if submission.status is not SubmissionStatus.AWAITING_PAYMENT:
        raise DomainError(_l("No fee is waiting to be paid for this application."))
    return payments.start_mobile_payment(
        purpose=MOBILE_PURPOSE, reference=submission.reference, amount=Money(submission.currency, submission.fee_minor),
        payer_id=submission.applicant_id, phone=normalise_phone(phone), description=f"VS {submission.reference}"[:13],
    )


def fee_payment(submission: Submission, refresh: bool = False, purpose: str = PURPOSE) -> Payment | None:
    payment = payments.payment_for(purpose, submission.reference) if submission.reference else None
    if payment is not None and refresh:
        payments.refresh(payment)
    return payment


def expected_under(account: str) -> payments.PaybillDue | None:
    """Pay bill: an application's reference is the account number for its fee while the fee waits."""
    submission = db.session.scalar(select(Submission).where(Submission.reference == account.strip().upper()))
    if submission is None or submission.status is not SubmissionStatus.AWAITING_PAYMENT or not submission.fee_minor:
        return None
    return payments.PaybillDue(MOBILE_PURPOSE, submission.reference, Money(submission.currency, submission.fee_minor),
                               submission.applicant_id)


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
