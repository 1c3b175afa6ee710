"""Reading the open data: price cells and their trend, typical prices for a listing, service figures.

Pages, the listing hint and the public API all read through these functions. They never touch
listings, orders or people: only the aggregate tables, where no person can be identified.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.api import District, Region
from marketplace.catalog.api import Category
from marketplace.core.cache import fragment
from marketplace.core.money import Money
from marketplace.core.timeutils import utcnow
from marketplace.egov.api import EService
from marketplace.extensions import db
from marketplace.opendata.aggregate import PRICES
from marketplace.opendata.models import PriceCell, ServiceMonth, TradeMonth

#: A typical price older than this is not shown beside a listing: prices of fresh produce move.
TYPICAL_PRICE_MAX_AGE_DAYS = 14
TREND_DAYS = 90


@dataclass
class PriceQuery:
    category_id: int | None = None  # the category and its children
    district_id: int | None = None
    region_id: int | None = None
    unit: str = ""
    since: date | None = None
    until: date | None = None  # inclusive
    regions_only: bool = False  # the whole-region cells instead of districts


def latest_day() -> date | None:
    return db.session.scalar(select(func.max(PriceCell.day)))


def _category_ids(category_id: int) -> list[int]:
    children = db.session.scalars(select(Category.id).where(Category.parent_id == category_id))
    return [category_id, *children]


def price_cells(query: PriceQuery, limit: int = 200, offset: int = 0) -> list[PriceCell]:
    """Cells matching the query, newest day first. Without dates: the latest day only."""
    statement = select(PriceCell).options(
        selectinload(PriceCell.category), selectinload(PriceCell.region), selectinload(PriceCell.district))
    if query.category_id:
        statement = statement.where(PriceCell.category_id.in_(_category_ids(query.category_id)))
    if query.unit:
        statement = statement.where(PriceCell.unit == query.unit)
    if query.district_id:
        statement = statement.where(PriceCell.district_id == query.district_id)
    elif query.regions_only:
        statement = statement.where(PriceCell.district_id.is_(None))
    else:
        statement = statement.where(PriceCell.district_id.is_not(None))
    if query.region_id:
        statement = statement.where(PriceCell.region_id == query.region_id)
    if query.since or query.until:
        if query.since:
            statement = statement.where(PriceCell.day >= query.since)
        if query.until:
            statement = statement.where(PriceCell.day <= query.until)
    else:
        day = latest_day()
        if day is None:
            return []
        statement = statement.where(PriceCell.day == day)
    statement = statement.order_by(PriceCell.day.desc(), PriceCell.category_id, PriceCell.unit, PriceCell.region_id,
                                   PriceCell.district_id, PriceCell.id)
    return list(db.session.scalars(statement.limit(limit).offset(offset)))


def trend(category_id: int, unit: str, district_id: int | None, region_id: int | None, days: int = TREND_DAYS) -> list[PriceCell]:
    """The daily cells of one category and unit in one district (or region), oldest first."""
    since = utcnow().date() - timedelta(days=days - 1)
    statement = select(PriceCell).where(PriceCell.category_id == category_id, PriceCell.unit == unit, PriceCell.day >= since)
    if district_id:
        statement = statement.where(PriceCell.district_id == district_id)
    else:
        statement = statement.where(PriceCell.district_id.is_(None), PriceCell.region_id == region_id)
    return list(db.session.scalars(statement.order_by(PriceCell.day)))


@dataclass
class TypicalPrice:
    median: Money
    low: Money  # 10th percentile
    high: Money  # 90th percentile
    area: str  # the district's (or region's) name
    day: date


def typical_price(category_id: int, unit: str, currency: str, district_id: int, region_id: int) -> TypicalPrice | None:
    """The latest asking prices for this produce and unit in the district, else in its region: one query,
    cached until the next aggregation (shown on every listing page and asked at each key press)."""
    return fragment(PRICES, f"typical:{utcnow().date()}:{category_id}:{unit}:{currency}:{district_id}:{region_id}",
                    lambda: _typical_price(category_id, unit, currency, district_id, region_id))


def _typical_price(category_id: int, unit: str, currency: str, district_id: int, region_id: int) -> TypicalPrice | None:
    since = utcnow().date() - timedelta(days=TYPICAL_PRICE_MAX_AGE_DAYS)
    row = db.session.execute(
        select(PriceCell, District.name, Region.name)
        .join(Region, Region.id == PriceCell.region_id).outerjoin(District, District.id == PriceCell.district_id)
        .where(PriceCell.category_id == category_id, PriceCell.unit == unit, PriceCell.currency == currency,
               PriceCell.day >= since, PriceCell.ask_median_minor.is_not(None),
               or_(PriceCell.district_id == district_id, and_(PriceCell.district_id.is_(None), PriceCell.region_id == region_id)))
        .order_by(PriceCell.district_id.is_(None), PriceCell.day.desc()).limit(1)
    ).first()
    if row is None:
        return None
    cell, district_name, region_name = row
    return TypicalPrice(median=Money(currency, cell.ask_median_minor), low=Money(currency, cell.ask_p10_minor),
                        high=Money(currency, cell.ask_p90_minor), area=district_name or region_name, day=cell.day)


@dataclass
class ServiceQuery:
    department_id: int | None = None
    eservice_slug: str = ""
    since: date | None = None  # months from this one
    until: date | None = None


def service_months(query: ServiceQuery, limit: int = 200, offset: int = 0) -> list[ServiceMonth]:
    statement = select(ServiceMonth).options(
        selectinload(ServiceMonth.eservice).selectinload(EService.published_version), selectinload(ServiceMonth.department))
    if query.department_id:
        statement = statement.where(ServiceMonth.department_id == query.department_id)
    if query.eservice_slug:
        statement = statement.where(ServiceMonth.eservice_id == select(EService.id).where(EService.slug == query.eservice_slug).scalar_subquery())
    if query.since:
        statement = statement.where(ServiceMonth.month >= query.since.replace(day=1))
    if query.until:
        statement = statement.where(ServiceMonth.month <= query.until)
    statement = statement.order_by(ServiceMonth.month.desc(), ServiceMonth.eservice_id, ServiceMonth.id)
    return list(db.session.scalars(statement.limit(limit).offset(offset)))


def districts_with_regions() -> list[District]:
    return list(db.session.scalars(select(District).options(selectinload(District.region)).order_by(District.name)))


def regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def typical_prices_in(category_id: int, district_id: int, region_id: int, currency: str) -> list[tuple[str, Money, Money, Money]]:
    """(unit, median, 10th, 90th percentile) of asking prices for a produce in a district: from the
    price index when it has recent cells there, else live from the listings on sale now (public
    prices anyway, so no minimum of farmers). For a basic phone's prices screen."""
    since = utcnow().date() - timedelta(days=TYPICAL_PRICE_MAX_AGE_DAYS)
    cells = db.session.scalars(
        select(PriceCell).where(PriceCell.category_id == category_id, PriceCell.currency == currency,
                                PriceCell.day >= since, PriceCell.ask_median_minor.is_not(None),
                                PriceCell.district_id == district_id)
        .order_by(PriceCell.unit, PriceCell.day.desc()))
    latest: dict[str, PriceCell] = {}
    for cell in cells:
        latest.setdefault(cell.unit, cell)
    if latest:
        return [(unit, Money(currency, c.ask_median_minor), Money(currency, c.ask_p10_minor), Money(currency, c.ask_p90_minor))
                for unit, c in sorted(latest.items())]
    from marketplace.catalog.api import asking_prices_source
    from marketplace.opendata.aggregate import percentile_cells_sql, run_sql

    asking, asking_params = asking_prices_source()
    source = asking + " AND category_id = :category_id AND district_id = :district_id AND currency = :currency"
    tomorrow = datetime.combine(utcnow().date() + timedelta(days=1), time.min, tzinfo=UTC)
    rows = run_sql(percentile_cells_sql(source, "price_minor", "region_id, district_id"),
                   {"day_end": tomorrow, "min_farmers": 1, "category_id": category_id, "district_id": district_id,
                    "currency": currency, **asking_params})
    return [(r["unit"], Money(currency, r["p50"]), Money(currency, r["p10"]), Money(currency, r["p90"]))
            for r in sorted(rows, key=lambda r: r["unit"])]


@dataclass
class TradeQuery:
    region_id: int | None = None
    district_id: int | None = None
    way: str = ""
    since: date | None = None  # months from this one
    until: date | None = None


def trade_months(query: TradeQuery, limit: int = 200, offset: int = 0) -> list[TradeMonth]:
    """The published months of the collective ways, newest first."""
    statement = select(TradeMonth).options(selectinload(TradeMonth.district), selectinload(TradeMonth.region))
    if query.region_id:
        statement = statement.where(TradeMonth.region_id == query.region_id)
    if query.district_id:
        statement = statement.where(TradeMonth.district_id == query.district_id)
    if query.way:
        statement = statement.where(TradeMonth.way == query.way)
    if query.since:
        statement = statement.where(TradeMonth.month >= query.since.replace(day=1))
    if query.until:
        statement = statement.where(TradeMonth.month <= query.until)
    statement = statement.order_by(TradeMonth.month.desc(), TradeMonth.district_id, TradeMonth.way, TradeMonth.id)
    return list(db.session.scalars(statement.limit(limit).offset(offset)))
