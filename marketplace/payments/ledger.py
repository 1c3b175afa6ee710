"""The ledger: every money movement for a farmer, append-only; balances and reports are sums of it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from marketplace.accounts.api import User
from marketplace.core import csv_export
from marketplace.core.money import Money
from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry, LedgerKind


def platform_fee(amount_minor: int) -> int:
    """The platform's share, in basis points of the sale (PLATFORM_FEE_BASIS_POINTS), rounded half up."""
    basis_points = int(current_app.config.get("PLATFORM_FEE_BASIS_POINTS", 0))
    return (amount_minor * basis_points + 5_000) // 10_000


def record(farmer_id: int, kind: LedgerKind, amount_minor: int, currency: str, reference: str, *,
           payment_id: int | None = None, external_id: str = "", note: str = "", actor_id: int | None = None) -> LedgerEntry:
    """Add an entry unless this (farmer, kind, reference) is already recorded: retries record nothing twice."""
    existing = entry_for(farmer_id, kind, reference)
    if existing is not None:
        return existing
    entry = LedgerEntry(farmer_id=farmer_id, kind=kind, amount_minor=amount_minor, currency=currency, reference=reference,
                        payment_id=payment_id, external_id=external_id or "", note=note[:500], actor_id=actor_id)
    db.session.add(entry)
    db.session.flush()
    return entry


def entry_for(farmer_id: int, kind: LedgerKind, reference: str) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.farmer_id == farmer_id, LedgerEntry.kind == kind, LedgerEntry.reference == reference))


def balances(farmer_id: int) -> list[Money]:
    """What the platform owes the farmer, per currency (usually one)."""
    rows = db.session.execute(select(LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
                              .where(LedgerEntry.farmer_id == farmer_id).group_by(LedgerEntry.currency).order_by(LedgerEntry.currency))
    return [Money(currency, int(total)) for currency, total in rows]


def balance(farmer_id: int, currency: str) -> Money:
    total = db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0))
                              .where(LedgerEntry.farmer_id == farmer_id, LedgerEntry.currency == currency))
    return Money(currency, int(total))


def entries(farmer_id: int, limit: int = 200) -> list[LedgerEntry]:
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.farmer_id == farmer_id)
                                   .order_by(LedgerEntry.id.desc()).limit(limit)))


@dataclass
class ReportRow:
    farmer: User
    currency: str
    by_kind: dict[LedgerKind, int] = field(default_factory=dict)  # movements within the period
    balance_minor: int = 0  # owed at the end of the period

    @property
    def period_total_minor(self) -> int:
        return sum(self.by_kind.values())


def report(start: datetime, end: datetime) -> list[ReportRow]:
    """Per farmer and currency: the period's sums per kind, and the balance at `end` (exclusive)."""
    in_period = (LedgerEntry.created_at >= start) & (LedgerEntry.created_at < end)
    rows: dict[tuple[int, str], ReportRow] = {}
    farmers: dict[int, User] = {}

    def row(farmer_id: int, currency: str) -> ReportRow:
        if farmer_id not in farmers:
            farmers[farmer_id] = db.session.get(User, farmer_id)
        return rows.setdefault((farmer_id, currency), ReportRow(farmers[farmer_id], currency))

    for farmer_id, currency, kind, total in db.session.execute(
        select(LedgerEntry.farmer_id, LedgerEntry.currency, LedgerEntry.kind, func.sum(LedgerEntry.amount_minor))
        .where(in_period).group_by(LedgerEntry.farmer_id, LedgerEntry.currency, LedgerEntry.kind)
    ):
        row(farmer_id, currency).by_kind[LedgerKind(kind)] = int(total)
    for farmer_id, currency, total in db.session.execute(
        select(LedgerEntry.farmer_id, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
        .where(LedgerEntry.created_at < end).group_by(LedgerEntry.farmer_id, LedgerEntry.currency)
    ):
        row(farmer_id, currency).balance_minor = int(total)
    return sorted(rows.values(), key=lambda r: (r.farmer.name.lower(), r.currency))


def report_csv(rows: list[ReportRow]) -> str:
    """One line per farmer and currency; amounts in minor units so spreadsheets never round."""
    kinds = list(LedgerKind)
    header = ["farmer_id", "farmer_name", "phone", "currency", *[f"{k.value}_minor" for k in kinds],
              "period_total_minor", "balance_minor"]
    return csv_export.rows_to_csv(header, ([r.farmer.id, r.farmer.name, r.farmer.phone or "", r.currency,
                                            *[r.by_kind.get(k, 0) for k in kinds], r.period_total_minor, r.balance_minor]
                                           for r in rows))
