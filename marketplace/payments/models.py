"""Payments, the Stripe events already handled, the append-only ledger, farmers' payout accounts, and
the mobile-money movements with their daily reconciliation."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.db import StatusHistoryMixin, TimestampMixin, string_enum
from marketplace.core.money import Money
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class PaymentStatus(str, enum.Enum):
    PENDING = "pending"  # an intent exists; nothing paid yet
    FAILED = "failed"  # the last attempt failed; the payer may try another card
    PAID = "paid"
    REFUNDED = "refunded"  # fully refunded (partial refunds keep PAID and count refunded_minor)
    CANCELLED = "cancelled"  # nothing will be paid any more (the purchase expired)
    # Stripe says "succeeded" for another amount or currency than we asked: nothing is marked paid
    # until an admin looks (/admin/payouts lists these), whatever arrives next.
    FLAGGED = "flagged"


class Payment(TimestampMixin, db.Model):
    """One payment for one (purpose, reference), by one way (card, mobile money): a checkout, a fee."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("purpose", "reference"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(64))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    amount_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(string_enum(PaymentStatus))
    refunded_minor: Mapped[int] = mapped_column(default=0)
    way: Mapped[str] = mapped_column(String(20), default="card", server_default="card")  # providers.CARD, MOBILE_MONEY
    # The provider's id of the request for money (Stripe's PaymentIntent, M-Pesa's CheckoutRequestID) and
    # of the money actually taken (Stripe's charge; M-Pesa's receipt number, which the payer's SMS shows too).
    provider_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_charge_id: Mapped[str | None] = mapped_column(String(255))
    payer_phone: Mapped[str] = mapped_column(String(20), default="", server_default="")  # mobile money: the phone asked
    # Pay bill (C2B): what arrived so far, in as many payments as the payer made (less: the rest is asked for).
    received_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    failure_code: Mapped[str] = mapped_column(String(64), default="")

    events: Mapped[list[PaymentEvent]] = relationship(order_by="PaymentEvent.id", cascade="all, delete-orphan")

    @property
    def amount(self) -> Money:
        return Money(self.currency, self.amount_minor)

    @property
    def prompt_is_out(self) -> bool:
        """A PIN prompt was sent and not yet answered: the payer's page waits for it."""
        return self.status is PaymentStatus.PENDING and bool(self.provider_intent_id)

    @property
    def left_to_pay(self) -> Money:
        """What a PIN prompt asks for: the amount less what already came by pay bill."""
        return Money(self.currency, max(self.amount_minor - self.received_minor, 0))


class PaymentEvent(StatusHistoryMixin, db.Model):
    """Append-only history of a payment (who or which Stripe event moved it, and why)."""

    __tablename__ = "payment_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)


class StripeEvent(db.Model):
    """Each Stripe event id is handled once: a redelivered event finds its row and does nothing."""

    __tablename__ = "stripe_events"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerKind(str, enum.Enum):
    SALE = "sale"  # the buyer's card payment for this farmer's order: owed to the farmer
    PLATFORM_FEE = "platform_fee"  # the platform's share, kept from the sale
    TRANSFER = "transfer"  # sent to the farmer's Stripe account
    REFUND = "refund"  # given back to the buyer
    FEE_RETURNED = "fee_returned"  # the platform's share of a refunded sale, no longer kept
    REVERSAL = "reversal"  # a transfer taken back from the farmer's Stripe account
    MANUAL_PAYOUT = "manual_payout"  # paid by an admin through mobile money or a bank
    MOBILE_PAYOUT = "mobile_payout"  # sent to the farmer's M-Pesa by the provider (B2C)


class LedgerEntry(db.Model):
    """One money movement for one farmer. Rows are never changed or deleted; a correction is a
    new entry. The farmer's balance (what the platform still owes them) is the sum of amounts."""

    __tablename__ = "ledger_entries"
    __table_args__ = (UniqueConstraint("farmer_id", "kind", "reference"),)  # each movement is recorded once
    id: Mapped[int] = mapped_column(primary_key=True)
    farmer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[LedgerKind] = mapped_column(string_enum(LedgerKind, 20))
    amount_minor: Mapped[int] = mapped_column()  # positive: owed to the farmer; negative: paid or taken back
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(64))  # the order number, or the payout's reference
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    external_id: Mapped[str] = mapped_column(String(255), default="")  # Stripe's id (ch_, tr_, re_, trr_)
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def amount(self) -> Money:
        return Money(self.currency, self.amount_minor)


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _ledger_is_append_only(_mapper, _connection, entry: LedgerEntry) -> None:
    raise RuntimeError(f"ledger entry {entry.id} is append-only: record a correcting entry instead")


class MobilePayoutStatus(str, enum.Enum):
    REQUESTED = "requested"  # owed and to be sent: a job sends it
    SENDING = "sending"  # handed to the provider; its result comes by callback
    SENT = "sent"  # the provider paid it (its receipt is kept)
    FAILED = "failed"  # refused by the provider, or it could not be reached: sent again by the job, or by an admin
    # A worker stopped while sending, or the provider's queue timed out: it may have been paid, so
    # nothing sends it again until an admin has looked (as the outbox does with an interrupted SMS).
    UNKNOWN = "unknown"


class MobilePayout(TimestampMixin, db.Model):
    """Money sent to a person's M-Pesa (Daraja's B2C): a farmer's share of one completed sale, or money
    given back to the phone that paid (`payment_id` set: a refund of that payment). Sent once: the job
    claims it with a conditional UPDATE, and the provider is given our originator id."""

    __tablename__ = "mobile_payouts"
    __table_args__ = (UniqueConstraint("payee_id", "reference"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    payee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the farmer, or the payer given money back
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))  # a refund: the payment it gives back
    amount_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    phone: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(64))  # the order number (a share), or the refund's own key
    originator_id: Mapped[str] = mapped_column(String(64), unique=True)  # ours, given to the provider
    conversation_id: Mapped[str] = mapped_column(String(64), default="", index=True)  # the provider's
    status: Mapped[MobilePayoutStatus] = mapped_column(string_enum(MobilePayoutStatus))
    attempts: Mapped[int] = mapped_column(default=0)
    receipt: Mapped[str] = mapped_column(String(32), default="")
    failure: Mapped[str] = mapped_column(String(200), default="")

    events: Mapped[list[MobilePayoutEvent]] = relationship(order_by="MobilePayoutEvent.id", cascade="all, delete-orphan")

    @property
    def amount(self) -> Money:
        return Money(self.currency, self.amount_minor)


class MobilePayoutEvent(StatusHistoryMixin, db.Model):
    """Append-only history of a payout (the job, the provider's word, or an admin, and why)."""

    __tablename__ = "mobile_payout_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("mobile_payouts.id", ondelete="CASCADE"), index=True)


class PayoutAccount(TimestampMixin, db.Model):
    """A farmer's Stripe Connect Express account; `account.updated` keeps the flags in sync."""

    __tablename__ = "payout_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    farmer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    stripe_account_id: Mapped[str] = mapped_column(String(255), unique=True)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)


class MovementDirection(str, enum.Enum):
    IN = "in"  # into our short code: an STK payment or a pay-bill transaction
    OUT = "out"  # out of it: a payout to a farmer's phone


class MobileMoneyMovement(db.Model):
    """Money the mobile-money provider said it moved, one row per provider transaction (its receipt),
    with the provider's own amount and time: what the daily reconciliation holds against the
    provider's list. Rows are never changed or deleted, like the ledger's."""

    __tablename__ = "mobile_money_movements"
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[MovementDirection] = mapped_column(string_enum(MovementDirection, 3))
    receipt: Mapped[str] = mapped_column(String(32), unique=True)  # M-Pesa's transaction id
    amount_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    account: Mapped[str] = mapped_column(String(64))  # our reference the money was for (a purchase, a fee, an order's payout)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_payouts.id"))
    occurred_at: Mapped[datetime] = mapped_column(index=True)  # the provider's time of the transaction (UTC)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def amount(self) -> Money:
        return Money(self.currency, self.amount_minor)


@event.listens_for(MobileMoneyMovement, "before_update")
@event.listens_for(MobileMoneyMovement, "before_delete")
def _movements_are_append_only(_mapper, _connection, movement: MobileMoneyMovement) -> None:
    raise RuntimeError(f"mobile-money movement {movement.id} is append-only")


class DifferenceKind(str, enum.Enum):
    NOT_AT_PROVIDER = "not_at_provider"  # we recorded money the provider does not list
    NOT_HERE = "not_here"  # the provider moved money we never recorded (a callback lost)
    AMOUNT = "amount"  # both have it, with other amounts
    PAID_THERE = "paid_there"  # the provider paid a payout we hold as not sent (do not send it again)
    NOT_PAID_THERE = "not_paid_there"  # we hold a payout as sent and the provider did not complete it


class Reconciliation(db.Model):
    """One day of one mobile-money provider held against its own records (Africa/Nairobi days for
    M-Pesa). The day's money in is compared at once (the provider's list); each payout is asked
    about and compared when the provider answers (`ReconciliationCheck`)."""

    __tablename__ = "reconciliations"
    __table_args__ = (UniqueConstraint("provider", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column()
    ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    money_in_count: Mapped[int] = mapped_column(default=0)  # the provider's transactions of the day
    money_in_matched: Mapped[int] = mapped_column(default=0)

    differences: Mapped[list[ReconciliationDifference]] = relationship(order_by="ReconciliationDifference.id",
                                                                       cascade="all, delete-orphan")
    checks: Mapped[list[ReconciliationCheck]] = relationship(order_by="ReconciliationCheck.id", cascade="all, delete-orphan")


class ReconciliationDifference(db.Model):
    """One thing the provider and we hold differently. Never changed except to say who looked at it,
    when, and what they found (nothing here corrects the ledger: a correction is a new entry)."""

    __tablename__ = "reconciliation_differences"
    id: Mapped[int] = mapped_column(primary_key=True)
    reconciliation_id: Mapped[int] = mapped_column(ForeignKey("reconciliations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DifferenceKind] = mapped_column(string_enum(DifferenceKind, 20))
    receipt: Mapped[str] = mapped_column(String(32), default="")  # the provider's transaction id, where known
    account: Mapped[str] = mapped_column(String(64), default="")  # our reference
    ours_minor: Mapped[int | None] = mapped_column()
    theirs_minor: Mapped[int | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    detail: Mapped[str] = mapped_column(String(300), default="")  # the provider's own words and our ids, for the log
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    explained_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    explained_at: Mapped[datetime | None] = mapped_column()
    explanation: Mapped[str] = mapped_column(String(300), default="")


class ReconciliationCheck(db.Model):
    """A payout asked about (the provider answers later, by callback): answered_at stays empty until then."""

    __tablename__ = "reconciliation_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    reconciliation_id: Mapped[int] = mapped_column(ForeignKey("reconciliations.id", ondelete="CASCADE"), index=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("mobile_payouts.id"))
    conversation_id: Mapped[str] = mapped_column(String(64), unique=True)  # the provider's id of the question
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()
    answer: Mapped[str] = mapped_column(String(200), default="")
