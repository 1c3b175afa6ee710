"""Money sent to people's phones (M-Pesa's B2C), each once: farmers' shares (recorded in the ledger
when sent), and mobile-money payments given back to the phone that paid them (a refund).

A completed sale's share becomes a `MobilePayout` in REQUESTED and a job. The job claims it with
one conditional UPDATE (REQUESTED or FAILED -> SENDING, attempts + 1) committed *before* Daraja is
called, so of two workers only one sends. Daraja's answer comes later by callback: SENT (the
receipt; the ledger's MOBILE_PAYOUT entry lowers the farmer's balance), FAILED (the job is run again
with back-off by RQ while Daraja could not be reached; a refusal waits for an admin), or a queue
time-out. A worker killed after claiming leaves it SENDING with no Daraja id: it may or may not have
reached Daraja, so the sweeper marks it UNKNOWN and nothing sends it again until an admin has
checked (as the outbox does with an interrupted SMS). Our OriginatorConversationID is the payout's
own, so even a resend Daraja had received is one payout there.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.api import get_user
from marketplace.core import jobs
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.money import Money
from marketplace.core.states import SYSTEM
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import external_url, site_path
from marketplace.extensions import db
from marketplace.i18n import money
from marketplace.notifications.api import notify_user
from marketplace.payments import ledger, providers, reconciliation, states
from marketplace.payments.models import LedgerKind, MobilePayout, MobilePayoutEvent, MobilePayoutStatus, MovementDirection, Payment
from marketplace.payments.providers import SENT_OK, ProviderUnavailable

log = logging.getLogger(__name__)
OUT = MobilePayoutStatus
SEND_JOB = "payments.send_mobile_payout"


def enabled() -> bool:
    try:
        return bool(providers.provider(providers.MOBILE_MONEY).payouts_enabled())
    except DomainError:
        return False


def pay_to_phone(farmer_id: int, phone: str, amount: Money, *, reference: str) -> MobilePayout | None:
    """Owe `amount` to the farmer's phone for `reference` (an order), once; the job sends it after the
    commit. None when payouts to phones are off or nothing is owed (the balance then waits for an admin)."""
    if not enabled() or amount.minor_units <= 0 or not phone:
        return None
    return _owe(farmer_id, phone, amount, reference, None, f"share of {reference}")


def give_back(payment: Payment, amount_minor: int, *, key: str, reason: str) -> MobilePayout | None:
    """Send `amount_minor` of a mobile-money payment back to the phone that paid it, once per `key`.
    None when it cannot be: payouts to phones are off, or the phone is not known (pay bill masks it)."""
    if not enabled() or not payment.payer_phone or payment.payer_id is None or amount_minor <= 0:
        return None
    return _owe(payment.payer_id, payment.payer_phone, Money(payment.currency, amount_minor), key[:48], payment.id, reason)


def given_back(payment: Payment, key: str) -> MobilePayout | None:
    """The refund of `payment` already asked for under `key`, if any."""
    return db.session.scalar(select(MobilePayout).where(MobilePayout.payment_id == payment.id, MobilePayout.reference == key[:48]))


def _owe(payee_id: int, phone: str, amount: Money, reference: str, payment_id: int | None, why: str) -> MobilePayout:
    existing = db.session.scalar(select(MobilePayout).where(MobilePayout.payee_id == payee_id, MobilePayout.reference == reference))
    if existing is not None:
        return existing
    payout = MobilePayout(payee_id=payee_id, payment_id=payment_id, amount_minor=amount.minor_units, currency=amount.currency,
                          phone=phone, reference=reference, originator_id=f"VS-{reference}-{payee_id}"[:64], status=OUT.REQUESTED,
                          events=[MobilePayoutEvent(actor_role=SYSTEM, from_status=None, to_status=OUT.REQUESTED.value, reason=why[:500])])
    db.session.add(payout)
    db.session.flush()
    jobs.enqueue(SEND_JOB, payout.id)
    return payout


def send_mobile_payout(payout_id: int) -> None:
    """The job: claim, commit the claim, then ask Daraja. Safe to run twice (the second claims nothing)."""
    payout = db.session.get(MobilePayout, payout_id)
    if payout is None or not states.transition_payout(payout, OUT.SENDING, f"attempt {payout.attempts + 1}", party=SYSTEM,
                                                       attempts=MobilePayout.attempts + 1):
        return
    db.session.commit()  # claimed before Daraja is asked: a worker that dies from here on leaves it SENDING
    try:
        conversation = providers.provider(providers.MOBILE_MONEY).send_to_phone(
            payout.amount, phone=payout.phone, originator_id=payout.originator_id, remarks=f"Village Square {payout.reference}",
            result_url=_callback("payments.mpesa_payout_result"), timeout_url=_callback("payments.mpesa_payout_timeout"))
    except ProviderUnavailable as error:
        states.transition_payout(payout, OUT.FAILED, error.detail, party=SYSTEM, failure=error.detail[:200])
        db.session.commit()
        raise jobs.RetryLater(f"payout {payout.id}: {error.detail}") from None
    payout.conversation_id = conversation
    states.record_payout(payout, f"handed to M-Pesa as {conversation}", party=SYSTEM)
    db.session.commit()


def _callback(endpoint: str) -> str:
    return external_url(endpoint, secret=current_app.config["MPESA_CALLBACK_SECRET"])


def apply_payout_result(payload: bytes, remote_addr: str | None, *, timed_out: bool = False) -> str:
    """Daraja's result (or queue time-out) for a payout: 'sent', 'failed', 'unknown', 'duplicate' or
    'not ours'. InvalidSignature or MalformedEvent before anything changes."""
    result = providers.provider(providers.MOBILE_MONEY).read_payout_result(payload, remote_addr)
    payout = db.session.scalar(select(MobilePayout).where(MobilePayout.originator_id == result.originator_id))
    if payout is None:
        log.warning("M-Pesa payout result for %s, which we never sent; ignored", result.originator_id)
        return "not ours"
    if result.outcome == SENT_OK:
        if result.amount_minor and result.amount_minor != payout.amount_minor:
            log.error("payout %s: M-Pesa sent %s, we asked %s", payout.id, result.amount_minor, payout.amount_minor)
        if not states.transition_payout(payout, OUT.SENT, f"M-Pesa receipt {result.receipt}", party=states.PROVIDER,
                                         receipt=result.receipt, failure=""):
            db.session.rollback()
            return "duplicate"
        sent = Money(payout.currency, result.amount_minor or payout.amount_minor)
        reconciliation.record_movement(MovementDirection.OUT, result.receipt, sent, payout.reference, occurred_at=result.occurred_at,
                                       payout_id=payout.id)
        if payout.payment_id is None:  # a farmer's share: the ledger pays it out
            ledger.record(payout.payee_id, LedgerKind.MOBILE_PAYOUT, -payout.amount_minor, payout.currency, payout.reference,
                          external_id=result.receipt, note=f"M-Pesa {result.receipt}")
            _tell_farmer(payout)
        else:
            _gave_back(payout)
        outcome = "sent"
    elif timed_out:
        moved = states.transition_payout(payout, OUT.UNKNOWN, "M-Pesa's queue timed out", party=states.PROVIDER)
        outcome = "unknown" if moved else "duplicate"
    else:
        moved = states.transition_payout(payout, OUT.FAILED, result.detail, party=states.PROVIDER, failure=result.detail[:200])
        outcome = "failed" if moved else "duplicate"
    db.session.commit()
    return outcome


def _gave_back(payout: MobilePayout) -> None:
    """A refund reached the payer's phone: the payment's history says so, and the payer is texted the receipt."""
    payment = db.session.get(Payment, payout.payment_id)
    if payment is not None:
        states.record(payment, f"{payout.amount_minor} sent back to {payout.phone} by M-Pesa, receipt {payout.receipt}",
                      party=states.PROVIDER)
    payer = get_user(payout.payee_id)
    if payer is not None:
        notify_user(payer, "payment_sent_back_to_phone", lambda: (
            _("%(amount)s sent back to your M-Pesa", amount=money(payout.amount)),
            _("Village Square: %(amount)s is sent back to your M-Pesa. M-Pesa receipt %(receipt)s.",
              amount=money(payout.amount), receipt=payout.receipt),
        ))


def _tell_farmer(payout: MobilePayout) -> None:
    farmer = get_user(payout.payee_id)
    if farmer is not None:
        notify_user(farmer, "payout_sent_to_phone", lambda: (
            _("%(amount)s sent to your M-Pesa", amount=money(payout.amount)),
            _("Village Square: %(amount)s for order %(reference)s is sent to your M-Pesa. M-Pesa receipt %(receipt)s.",
              amount=money(payout.amount), reference=payout.reference, receipt=payout.receipt),
        ), link=site_path("payments.farmer_money"))


PAYOUT_LEASE = timedelta(minutes=10)


def sweep_payouts(older_than: timedelta) -> int:
    """The sweeper: a payout REQUESTED whose job was lost is queued again; one claimed by a worker that
    died before Daraja answered (SENDING, no Daraja id, past the lease) becomes UNKNOWN for an admin."""
    now = utcnow()
    queued = 0
    for payout in db.session.scalars(select(MobilePayout).where(MobilePayout.status == OUT.REQUESTED,
                                                                MobilePayout.updated_at < now - older_than)):
        jobs.enqueue(SEND_JOB, payout.id)
        queued += 1
    for payout in db.session.scalars(select(MobilePayout).where(MobilePayout.status == OUT.SENDING, MobilePayout.conversation_id == "",
                                                                MobilePayout.updated_at < now - PAYOUT_LEASE)):
        states.transition_payout(payout, OUT.UNKNOWN, "the worker stopped while sending: it may have reached M-Pesa",
                                 party=SYSTEM)
    db.session.commit()
    return queued


def payout(payout_id: int) -> MobilePayout:
    found = db.session.get(MobilePayout, payout_id)
    if found is None:
        raise NotFound(_l("There is no such payout."))
    return found


def payouts_to_check() -> list[MobilePayout]:
    """What an admin decides about: payouts M-Pesa refused, and those that may or may not have gone."""
    return list(db.session.scalars(select(MobilePayout).where(MobilePayout.status.in_([OUT.FAILED, OUT.UNKNOWN]))
                                   .order_by(MobilePayout.id)))


def send_again(admin_id: int, payout: MobilePayout, reason: str) -> None:
    """An admin checked (in M-Pesa's portal) that it was not paid: the job sends it again."""
    if not reason.strip():
        raise DomainError(_l("Say what you checked before sending it again."), field="reason")
    if payout.status is OUT.UNKNOWN:
        states.transition_payout(payout, OUT.FAILED, f"checked by an admin: {reason.strip()}", party=states.ADMIN, actor_id=admin_id)
    elif payout.status is not OUT.FAILED:
        raise DomainError(_l("This payout is not waiting for a decision."))
    else:
        states.record_payout(payout, f"sent again by an admin: {reason.strip()}", party=states.ADMIN, actor_id=admin_id)
    jobs.enqueue(SEND_JOB, payout.id)
    db.session.commit()
