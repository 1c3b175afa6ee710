"""One timeline over orders, listings, applications, payments and payouts.

This domain only reads: it sits above orders, catalog, egov and payments and nothing
imports it. The page is one UNION ALL of (kind, id, when) over the person's rows,
ordered and cut to a page in the database, then one query per kind present on that
page loads what the page shows. So the cost of a page does not grow with the number
of entries a person has (a test pins the query count).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.api import User
from marketplace.catalog.api import Listing, ListingStatus
from marketplace.egov.api import FEE_PURPOSE, Submission
from marketplace.extensions import db
from marketplace.orders.api import Order
from marketplace.payments.api import LedgerEntry, LedgerKind, Payment

PAGE_SIZE = 25

BOUGHT, SOLD, LISTING, APPLICATION, PAYMENT, PAYOUT = "bought", "sold", "listing", "application", "payment", "payout"
#: Ledger movements that are money leaving the platform for the farmer.
PAYOUT_KINDS = (LedgerKind.TRANSFER, LedgerKind.MANUAL_PAYOUT)


@dataclass
class Entry:
    kind: str
    at: datetime
    subject: Any  # the Order, Listing, Submission, Payment or LedgerEntry
    extra: Any = None  # for a fee payment: the Submission it pays for


@dataclass
class ActivityPage:
    entries: list[Entry]
    page: int
    has_next: bool


def _timeline(person: User):
    uid = person.id
    return union_all(
        select(literal(BOUGHT).label("kind"), Order.id.label("id"), Order.updated_at.label("at")).where(Order.buyer_id == uid),
        select(literal(SOLD), Order.id, Order.updated_at).where(Order.farmer_id == uid),
        # Only listings that need the farmer: sold out, or hidden by moderation.
        select(literal(LISTING), Listing.id, Listing.updated_at).where(
            Listing.farmer_id == uid, or_(Listing.status == ListingStatus.SOLD_OUT, Listing.hidden_at.is_not(None))),
        select(literal(APPLICATION), Submission.id, Submission.updated_at).where(
            or_(Submission.applicant_id == uid, Submission.agent_id == uid)),
        select(literal(PAYMENT), Payment.id, Payment.updated_at).where(Payment.payer_id == uid),
        select(literal(PAYOUT), LedgerEntry.id, LedgerEntry.created_at).where(
            LedgerEntry.farmer_id == uid, LedgerEntry.kind.in_(PAYOUT_KINDS)),
    ).subquery()


def activity_page(person: User, page: int = 1) -> ActivityPage:
    page = max(page, 1)
    timeline = _timeline(person)
    rows = db.session.execute(
        select(timeline.c.kind, timeline.c.id, timeline.c.at)
        .order_by(timeline.c.at.desc(), timeline.c.kind, timeline.c.id.desc())
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    wanted: dict[str, list[int]] = {}
    for kind, id_, _at in rows:
        wanted.setdefault(_LOADER_OF.get(kind, kind), []).append(id_)
    loaded = {loader: _load(loader, ids) for loader, ids in wanted.items()}
    fee_submissions = _submissions_paid_by(loaded.get(PAYMENT, {}).values())
    entries = []
    for kind, id_, at in rows:
        subject = loaded[_LOADER_OF.get(kind, kind)][id_]
        extra = fee_submissions.get(subject.reference) if kind == PAYMENT else None
        entries.append(Entry(kind=kind, at=at, subject=subject, extra=extra))
    return ActivityPage(entries=entries, page=page, has_next=has_next)


#: Orders bought and sold come from one table: one query loads both.
_LOADER_OF = {BOUGHT: "order", SOLD: "order"}


def _load(loader: str, ids: list[int]) -> dict[int, Any]:
    if loader == "order":
        model = Order
        query = select(Order).options(joinedload(Order.buyer), joinedload(Order.farmer).joinedload(User.farmer_profile),
                                      selectinload(Order.items))
    elif loader == LISTING:
        query, model = select(Listing), Listing
    elif loader == APPLICATION:
        query, model = select(Submission).options(joinedload(Submission.version)), Submission
    elif loader == PAYMENT:
        query, model = select(Payment), Payment
    else:
        query, model = select(LedgerEntry), LedgerEntry
    return {row.id: row for row in db.session.scalars(query.where(model.id.in_(ids))).unique()}


def _submissions_paid_by(payments) -> dict[str, Submission]:
    """A fee payment's reference is its application's reference; the page links to the application."""
    references = [p.reference for p in payments if p.purpose == FEE_PURPOSE]
    if not references:
        return {}
    return {s.reference: s for s in db.session.scalars(select(Submission).where(Submission.reference.in_(references)))}
