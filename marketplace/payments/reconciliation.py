"""Each day's mobile money held against the provider's own records, and the differences listed for an admin.

What the provider tells us it moved is written once per transaction, with its receipt, amount and
time, as a `MobileMoneyMovement` (append-only, like the ledger): an STK payment's result, each pay
bill transaction, each payout M-Pesa says it sent. Once a day has ended (in the provider's zone,
East Africa Time for M-Pesa) and its late callbacks have had time to come, the scheduled job:

- money in: pulls the provider's list of the day's transactions (Pull Transactions) and matches it
  by receipt with the day's movements. One the provider lists and we never recorded is a lost
  callback (NOT_HERE); one we recorded that it does not list, or with another amount, is listed too.
  A payment marked paid by the STK query (which names no receipt) is matched by its account and amount.
- money out: asks the provider what became of each payout of the day, and of each still unknown
  (Transaction Status). The answers come later, by callback, and are compared as they arrive: a
  payout we hold as sent that M-Pesa did not complete, or one we hold as unknown that it did pay.

Nothing here changes a payment, a payout or the ledger: an admin reads the differences, acts through
the usual doors (send again, a manual payout, a correcting entry), and says what they found.
"""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.core import jobs
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.money import Money
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import external_url
from marketplace.extensions import db
from marketplace.payments import providers, states
from marketplace.payments.models import (
    DifferenceKind,
    MobileMoneyMovement,
    MobilePayout,
    MobilePayoutStatus,
    MovementDirection,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Reconciliation,
    ReconciliationCheck,
    ReconciliationDifference,
)
from marketplace.payments.providers import ProviderTransaction, ProviderUnavailable

log = logging.getLogger(__name__)
OUT = MobilePayoutStatus
RECONCILE_JOB = "payments.reconcile"
#: A day is reconciled once its last callbacks have had time to arrive (Daraja retries for a while).
SETTLE_AFTER = timedelta(hours=2)
#: How many ended days the job looks back over, so a day missed while the provider was down is done later.
DAYS_BACK = 3


# --- what the provider said it moved ---------------------------------------------------------

def record_movement(direction: MovementDirection, receipt: str, amount: Money, account: str, *, occurred_at: datetime | None,
                    payment_id: int | None = None, payout_id: int | None = None) -> None:
    """Write the provider's transaction once (a repeated callback names the same receipt and adds nothing)."""
    if not receipt or db.session.scalar(select(MobileMoneyMovement.id).where(MobileMoneyMovement.receipt == receipt)) is not None:
        return
    db.session.add(MobileMoneyMovement(direction=direction, receipt=receipt, amount_minor=amount.minor_units, currency=amount.currency,
                                       account=account[:64], payment_id=payment_id, payout_id=payout_id,
                                       occurred_at=occurred_at or utcnow()))
    db.session.flush()


# --- the daily job ---------------------------------------------------------------------------

def reconcile_ended_days() -> int:
    """The scheduled job: every ended, settled day of the last DAYS_BACK not yet reconciled. Returns how many."""
    mobile = providers.provider(providers.MOBILE_MONEY)
    if not mobile.enabled():
        return 0
    done = 0
    for day in _days_due(mobile):
        try:
            reconcile_day(day)
        except ProviderUnavailable as error:
            raise jobs.RetryLater(f"reconciliation of {day}: {error.detail}") from None
        done += 1
    return done


def _days_due(mobile: providers.MobileMoneyProvider) -> list[date]:
    zone = mobile.day_zone()
    today = (utcnow() - SETTLE_AFTER).astimezone(zone).date()
    days = [today - timedelta(days=back) for back in range(DAYS_BACK, 0, -1)]
    done = set(db.session.scalars(select(Reconciliation.day).where(Reconciliation.provider == mobile.name, Reconciliation.day.in_(days))))
    return [day for day in days if day not in done]


def reconcile_day(day: date) -> Reconciliation:
    """Hold `day`'s money in against the provider's list, and ask about its payouts. Once per day:
    a second run returns the first one's result. ProviderUnavailable when the list cannot be had
    (nothing is recorded, so the job tries again)."""
    mobile = providers.provider(providers.MOBILE_MONEY)
    existing = _reconciliation_of(mobile.name, day)
    if existing is not None:
        return existing
    start = datetime.combine(day, time(), mobile.day_zone()).astimezone(UTC)
    end = start + timedelta(days=1)
    theirs = mobile.money_in(start, end)
    reconciliation = Reconciliation(provider=mobile.name, day=day, money_in_count=len(theirs))
    db.session.add(reconciliation)
    try:
        db.session.flush()
    except IntegrityError:  # another worker reconciled it meanwhile
        db.session.rollback()
        return _reconciliation_of(mobile.name, day) or reconciliation
    _compare_money_in(reconciliation, theirs, start, end)
    db.session.commit()  # the money-in findings stand even if the provider cannot be asked about payouts
    for payout in _payouts_to_ask(start, end):
        _ask_about(reconciliation, payout)
    db.session.commit()
    log.info("reconciled %s %s: %s of %s transactions in matched, %s differences, %s payouts asked", mobile.name, day,
             reconciliation.money_in_matched, reconciliation.money_in_count, len(reconciliation.differences), len(reconciliation.checks))
    return reconciliation


def _reconciliation_of(provider: str, day: date) -> Reconciliation | None:
    return db.session.scalar(select(Reconciliation).where(Reconciliation.provider == provider, Reconciliation.day == day))


def _compare_money_in(reconciliation: Reconciliation, theirs: list[ProviderTransaction], start: datetime, end: datetime) -> None:
    ours = {m.receipt: m for m in db.session.scalars(select(MobileMoneyMovement).where(
        MobileMoneyMovement.direction == MovementDirection.IN, MobileMoneyMovement.occurred_at >= start,
        MobileMoneyMovement.occurred_at < end))}
    without_receipt = _paid_without_receipt(start, end)
    matched = 0
    for transaction in theirs:
        movement = ours.pop(transaction.receipt, None) or _movement(transaction.receipt)  # ours may carry another day's time
        if movement is None:
            payment = next((p for p in without_receipt if p.reference == transaction.account
                            and p.amount_minor == transaction.amount_minor), None)
            if payment is not None:
                without_receipt.remove(payment)
                matched += 1
                continue
            _differ(reconciliation, DifferenceKind.NOT_HERE, transaction.receipt, transaction.account, None, transaction.amount_minor,
                    transaction.currency, "a callback was lost")
        elif movement.amount_minor != transaction.amount_minor or movement.currency != transaction.currency:
            _differ(reconciliation, DifferenceKind.AMOUNT, transaction.receipt, movement.account, movement.amount_minor,
                    transaction.amount_minor, transaction.currency, "M-Pesa's list differs from its callback")
        else:
            matched += 1
    for movement in ours.values():
        _differ(reconciliation, DifferenceKind.NOT_AT_PROVIDER, movement.receipt, movement.account, movement.amount_minor, None,
                movement.currency, "recorded from a callback")
    for payment in without_receipt:
        _differ(reconciliation, DifferenceKind.NOT_AT_PROVIDER, "", payment.reference, payment.amount_minor, None, payment.currency,
                "paid on the STK query's word")
    reconciliation.money_in_matched = matched


def _movement(receipt: str) -> MobileMoneyMovement | None:
    return db.session.scalar(select(MobileMoneyMovement).where(MobileMoneyMovement.receipt == receipt))


def _paid_without_receipt(start: datetime, end: datetime) -> list[Payment]:
    """Mobile payments marked paid in the window on the STK query's word, which names no receipt."""
    return list(db.session.scalars(
        select(Payment).join(PaymentEvent, PaymentEvent.payment_id == Payment.id)
        .where(Payment.way == providers.MOBILE_MONEY, Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED]),
               (Payment.provider_charge_id.is_(None)) | (Payment.provider_charge_id == ""),
               PaymentEvent.to_status == PaymentStatus.PAID.value, PaymentEvent.from_status != PaymentStatus.PAID.value,
               PaymentEvent.at >= start, PaymentEvent.at < end)
        .distinct()))


def _differ(reconciliation: Reconciliation, kind: DifferenceKind, receipt: str, account: str, ours: int | None, theirs: int | None,
            currency: str, detail: str) -> None:
    log.warning("reconciliation %s: %s %s %s (ours %s, M-Pesa %s)", reconciliation.day, kind.value, receipt, account, ours, theirs)
    reconciliation.differences.append(ReconciliationDifference(kind=kind, receipt=receipt, account=account[:64], ours_minor=ours,
                                                               theirs_minor=theirs, currency=currency, detail=detail[:300]))


# --- payouts: asked about now, compared when the provider answers -----------------------------

def _payouts_to_ask(start: datetime, end: datetime) -> list[MobilePayout]:
    """The day's sent payouts, and every payout whose fate we do not know and nobody is asking about yet."""
    sent = select(MobileMoneyMovement.payout_id).where(MobileMoneyMovement.direction == MovementDirection.OUT,
                                                      MobileMoneyMovement.occurred_at >= start, MobileMoneyMovement.occurred_at < end)
    asking = select(ReconciliationCheck.payout_id).where(ReconciliationCheck.answered_at.is_(None))
    return list(db.session.scalars(select(MobilePayout).where(
        (MobilePayout.id.in_(sent)) | ((MobilePayout.status.in_([OUT.SENDING, OUT.UNKNOWN])) & (MobilePayout.updated_at < end)),
        MobilePayout.id.not_in(asking)).order_by(MobilePayout.id)))


def _ask_about(reconciliation: Reconciliation, payout: MobilePayout) -> None:
    secret = current_app.config["MPESA_CALLBACK_SECRET"]
    try:
        question = providers.provider(providers.MOBILE_MONEY).ask_payout_status(
            receipt=payout.receipt, originator_id=payout.originator_id,
            result_url=external_url("payments.mpesa_status_result", secret=secret),
            timeout_url=external_url("payments.mpesa_status_timeout", secret=secret))
    except ProviderUnavailable as error:  # asked again by the next day's run (no unanswered check holds it)
        log.warning("reconciliation %s: could not ask about payout %s: %s", reconciliation.day, payout.id, error.detail)
        return
    reconciliation.checks.append(ReconciliationCheck(payout_id=payout.id, conversation_id=question))
    db.session.flush()


def apply_status_answer(payload: bytes, remote_addr: str | None, *, timed_out: bool = False) -> str:
    """The provider's answer about a payout: compared with what we hold, a difference listed where they
    disagree. Returns 'answered', 'timed out', 'duplicate' or 'not ours'."""
    answer = providers.provider(providers.MOBILE_MONEY).read_status_answer(payload, remote_addr)
    check = db.session.scalar(select(ReconciliationCheck).where(ReconciliationCheck.conversation_id == answer.question_id))
    if check is None:
        log.warning("M-Pesa status answer for %s, a question we never asked; ignored", answer.question_id)
        return "not ours"
    said = "M-Pesa's queue timed out" if timed_out else answer.detail or ("completed" if answer.completed else "not found")
    claimed = db.session.execute(db.update(ReconciliationCheck).where(ReconciliationCheck.id == check.id,
                                                                      ReconciliationCheck.answered_at.is_(None))
                                 .values(answered_at=utcnow(), answer=said[:200]).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        return "duplicate"
    db.session.refresh(check)
    if timed_out:
        db.session.commit()
        return "timed out"
    payout = db.session.get(MobilePayout, check.payout_id)
    reconciliation = db.session.get(Reconciliation, check.reconciliation_id)
    if payout is not None and reconciliation is not None:
        _compare_payout(reconciliation, payout, answer)
    db.session.commit()
    return "answered"


def _compare_payout(reconciliation: Reconciliation, payout: MobilePayout, answer: providers.PayoutStatusAnswer) -> None:
    paid_there = answer.found and answer.completed
    if payout.status is OUT.SENT:
        if not paid_there:
            _differ(reconciliation, DifferenceKind.NOT_PAID_THERE, payout.receipt, payout.reference, payout.amount_minor, None,
                    payout.currency, f"payout {payout.id} · M-Pesa: {answer.detail or 'no such payment'}")
        elif answer.amount_minor and answer.amount_minor != payout.amount_minor:
            _differ(reconciliation, DifferenceKind.AMOUNT, answer.receipt, payout.reference, payout.amount_minor, answer.amount_minor,
                    payout.currency, f"payout {payout.id}")
    elif paid_there:
        _differ(reconciliation, DifferenceKind.PAID_THERE, answer.receipt, payout.reference, None, answer.amount_minor or None,
                payout.currency, f"payout {payout.id} · {payout.status.value} · M-Pesa: {answer.detail}")
        states.record_payout(payout, f"reconciliation: M-Pesa paid it, receipt {answer.receipt}", party=states.PROVIDER)
    else:
        states.record_payout(payout, f"reconciliation: M-Pesa did not pay it ({answer.detail or 'no such payment'})",
                             party=states.PROVIDER)


# --- what the admin reads and says -----------------------------------------------------------

def recent(days: int = 7) -> list[Reconciliation]:
    return list(db.session.scalars(select(Reconciliation).order_by(Reconciliation.day.desc()).limit(days)))


def open_differences() -> list[ReconciliationDifference]:
    return list(db.session.scalars(select(ReconciliationDifference).where(ReconciliationDifference.explained_at.is_(None))
                                   .order_by(ReconciliationDifference.id)))


def unanswered_checks() -> list[ReconciliationCheck]:
    return list(db.session.scalars(select(ReconciliationCheck).where(ReconciliationCheck.answered_at.is_(None))
                                   .order_by(ReconciliationCheck.id)))


def explain(admin_id: int, difference_id: int, explanation: str) -> None:
    """An admin says what they found (and did) about a difference: who, when and what is kept; once."""
    explanation = explanation.strip()
    if not explanation:
        raise DomainError(_l("Say what you found before closing it."), field="explanation")
    if db.session.get(ReconciliationDifference, difference_id) is None:
        raise NotFound(_l("There is no such difference."))
    closed = db.session.execute(db.update(ReconciliationDifference).where(ReconciliationDifference.id == difference_id,
                                                                          ReconciliationDifference.explained_at.is_(None))
                                .values(explained_by=admin_id, explained_at=utcnow(), explanation=explanation[:300])
                                .execution_options(synchronize_session=False)).rowcount
    if not closed:
        raise DomainError(_l("Someone has already closed this difference."))
    db.session.commit()
