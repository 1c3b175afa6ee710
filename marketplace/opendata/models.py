from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.api import Department, District, Region
from marketplace.catalog.api import Category
from marketplace.core.money import Money
from marketplace.core.timeutils import utcnow
from marketplace.egov.api import EService
from marketplace.extensions import db


class PriceCell(db.Model):
    """One day's prices for one kind of produce, sold by one unit, in one district (or a whole
    region when `district_id` is empty). Only cells with at least OPENDATA_MIN_FARMERS distinct
    farmers are stored: a cell of one or two farmers would reveal what a person charges."""

    __tablename__ = "price_cells"
    __table_args__ = (
        Index("ix_price_cells_lookup", "category_id", "unit", "district_id", "day"),
        Index("ix_price_cells_day", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    unit: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    # Asking prices of listings on sale that day; empty when fewer than the minimum of farmers list it.
    listings: Mapped[int] = mapped_column(default=0)
    listing_farmers: Mapped[int] = mapped_column(default=0)
    ask_p10_minor: Mapped[int | None] = mapped_column()
    ask_median_minor: Mapped[int | None] = mapped_column()
    ask_p90_minor: Mapped[int | None] = mapped_column()
    # Prices paid in orders completed that day; empty below the minimum of farmers.
    paid_orders: Mapped[int] = mapped_column(default=0)
    paid_farmers: Mapped[int] = mapped_column(default=0)
    paid_median_minor: Mapped[int | None] = mapped_column()
    paid_quantity_milli: Mapped[int | None] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[Category] = relationship()
    region: Mapped[Region] = relationship()
    district: Mapped[District | None] = relationship()

    def money(self, minor: int | None) -> Money | None:
        return None if minor is None else Money(self.currency, minor)


class ServiceMonth(db.Model):
    """One month of one e-service: what came in, what was decided, how fast, how people rated it."""

    __tablename__ = "service_months"
    __table_args__ = (Index("ix_service_months_month", "month", "eservice_id", "department_id", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    eservice_id: Mapped[int] = mapped_column(ForeignKey("eservices.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    received: Mapped[int] = mapped_column(default=0)
    decided: Mapped[int] = mapped_column(default=0)
    approved: Mapped[int] = mapped_column(default=0)
    within_target: Mapped[int] = mapped_column(default=0)  # decided within the form's target_days
    median_hours: Mapped[int | None] = mapped_column()  # hours from filing to decision
    p90_hours: Mapped[int | None] = mapped_column()
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)  # mean = sum / count, computed when shown
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    eservice: Mapped[EService] = relationship()
    department: Mapped[Department] = relationship()

    @property
    def mean_rating_x10(self) -> int | None:
        """The mean rating in tenths (4.3 → 43), rounded half up: integers stored, never floats."""
        return (self.rating_sum * 20 + self.rating_count) // (2 * self.rating_count) if self.rating_count else None


class TradeMonth(db.Model):
    """One month of the collective, low-carbon ways (collection points, shared trips) for the farms
    of one district: the orders moved, the kilometres and CO₂ attributed to them, and what the
    buyers' own trips to the farms would have been (orders.food_miles.collective_savings). Kept only
    with at least OPENDATA_MIN_FARMERS distinct farmers, as the price cells are."""

    __tablename__ = "trade_months"
    __table_args__ = (Index("ix_trade_months_month", "month", "district_id", "way", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    way: Mapped[str] = mapped_column(String(16))  # "collection_point" or "shared_trip"
    orders: Mapped[int] = mapped_column()
    farmers: Mapped[int] = mapped_column()
    # Metres and grams: whole numbers that keep a short ride's few hundred grams of CO₂.
    metres: Mapped[int] = mapped_column()
    baseline_metres: Mapped[int] = mapped_column()
    co2_grams: Mapped[int] = mapped_column()
    baseline_co2_grams: Mapped[int] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship()
    district: Mapped[District] = relationship()

    @property
    def km_saved(self) -> float:
        return (self.baseline_metres - self.metres) / 1000

    @property
    def kg_co2_saved(self) -> float:
        return (self.baseline_co2_grams - self.co2_grams) / 1000
