"""`flask opendata aggregate`: the day's price index and the month's service performance.

Everything is computed by the database, by SQL that runs the same on SQLite and PostgreSQL:
percentiles with window functions (row_number and count over each cell, then the two
neighbouring rows and integer interpolation, as PostgreSQL's percentile_cont does), so no
listing, order or application is ever loaded into Python. A day (or month) is replaced as a
whole in one transaction: running the command again for the same day gives the same rows.

Privacy: a price cell is kept only when at least OPENDATA_MIN_FARMERS distinct farmers are in
it (k-anonymity); the asking and the paid halves are suppressed separately.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import DateTime, bindparam, delete, select, text

from marketplace.accounts.api import District
from marketplace.catalog import api as catalog
from marketplace.core.cache import invalidate
from marketplace.core.timeutils import utcnow
from marketplace.egov import api as egov
from marketplace.extensions import db
from marketplace.opendata.models import PriceCell, ServiceMonth, TradeMonth
from marketplace.orders import api as orders

PRICES = "prices"  # the cache namespace of price-index fragments (opendata.services), invalidated by each aggregation

#: The percentiles published, in hundredths.
P10, P50, P90 = 10, 50, 90


def _percentile_columns(value: str, name: str, k: int) -> str:
    """Aggregates over `ranked` (rn from 0, n rows in the cell) that give the k-th percentile's
    two neighbours and the interpolation weight, in integers."""
    position = f"((n - 1) * {k})"
    return (
        f"MAX(CASE WHEN rn = {position} / 100 THEN {value} END) AS {name}_low, "
        f"MAX(CASE WHEN rn = {position} / 100 + (CASE WHEN {position} % 100 > 0 THEN 1 ELSE 0 END) THEN {value} END) AS {name}_high, "
        f"MAX({position} % 100) AS {name}_weight"
    )


def _interpolated(name: str) -> str:
    # Rounded half up to a whole minor unit (or hour): integers in, an integer out, on both databases.
    return f"({name}_low * 100 + ({name}_high - {name}_low) * {name}_weight + 50) / 100"


def percentile_cells_sql(source: str, value: str, area: str, sums: str = "") -> str:
    """Percentiles 10/50/90 of `value` per (category, unit, currency, area) over the rows of `source`,
    with the row and farmer counts (and any `sums`), for cells with enough distinct farmers."""
    keys = f"category_id, unit, currency, {area}"
    return f"""
        SELECT cells.*, {_interpolated('p10')} AS p10, {_interpolated('p50')} AS p50, {_interpolated('p90')} AS p90
        FROM (
            SELECT {keys}, COUNT(*) AS cnt, COUNT(DISTINCT farmer_id) AS farmers, {sums}
                   {_percentile_columns(value, 'p10', P10)}, {_percentile_columns(value, 'p50', P50)},
                   {_percentile_columns(value, 'p90', P90)}
            FROM (
                SELECT src.*,
                       ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY {value}) - 1 AS rn,
                       COUNT(*) OVER (PARTITION BY {keys}) AS n
                FROM ({source}) AS src
            ) AS ranked
            GROUP BY {keys}
            HAVING COUNT(DISTINCT farmer_id) >= :min_farmers
        ) AS cells
    """


@dataclass
class AggregateResult:
    day: date
    price_cells: int
    service_months: int


def _day_bounds(day: date) -> dict:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return {"day_start": start, "day_end": start + timedelta(days=1)}


def run_sql(sql: str, params: dict):
    statement = text(sql)
    names = set(statement._bindparams)  # only the parameters this statement uses
    statement = statement.bindparams(*[bindparam(n, type_=DateTime(timezone=True)) for n in ("day_start", "day_end", "month_start",
                                                                                             "month_end") if n in names])
    return db.session.execute(statement, {k: v for k, v in params.items() if k in names}).mappings().all()


def aggregate_prices(day: date) -> int:
    """Replace the day's price cells. Returns how many cells were published."""
    asking, asking_params = catalog.asking_prices_source()
    paid, paid_params = orders.completed_sales_source()
    params = {**_day_bounds(day), "min_farmers": current_app.config.get("OPENDATA_MIN_FARMERS", 3), **asking_params, **paid_params}
    cells: dict[tuple, PriceCell] = {}
    for area in ("region_id, district_id", "region_id"):
        level_district = "district_id" in area
        for row in run_sql(percentile_cells_sql(asking, "price_minor", area, ""), params):
            cell = _cell(cells, day, row, level_district)
            cell.listings, cell.listing_farmers = row["cnt"], row["farmers"]
            cell.ask_p10_minor, cell.ask_median_minor, cell.ask_p90_minor = row["p10"], row["p50"], row["p90"]
        for row in run_sql(percentile_cells_sql(paid, "price_minor", area, "SUM(quantity_milli) AS quantity_sum,"), params):
            cell = _cell(cells, day, row, level_district)
            cell.paid_orders, cell.paid_farmers = row["cnt"], row["farmers"]
            cell.paid_median_minor, cell.paid_quantity_milli = row["p50"], row["quantity_sum"]
    db.session.execute(delete(PriceCell).where(PriceCell.day == day))
    db.session.add_all(cells.values())
    return len(cells)


def _cell(cells: dict, day: date, row, level_district: bool) -> PriceCell:
    district_id = row["district_id"] if level_district else None
    key = (row["category_id"], row["unit"], row["currency"], row["region_id"], district_id)
    if key not in cells:
        cells[key] = PriceCell(day=day, category_id=row["category_id"], unit=row["unit"], currency=row["currency"],
                               region_id=row["region_id"], district_id=district_id)
    return cells[key]


def _hours_between(later: str, earlier: str) -> str:
    """Whole hours, truncated the same way on both databases (no float on either side)."""
    if db.engine.dialect.name == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM ({later} - {earlier})) / 3600) AS INTEGER)"
    return f"((CAST(strftime('%s', {later}) AS INTEGER) - CAST(strftime('%s', {earlier}) AS INTEGER)) / 3600)"


def aggregate_services(month_start: date) -> int:
    """Replace the month's rows of service performance. Returns how many services had activity."""
    month_end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    params = {"month_start": datetime.combine(month_start, time.min, tzinfo=UTC),
              "month_end": datetime.combine(month_end, time.min, tzinfo=UTC)}
    received_sql, received_params = egov.received_source()
    decided_source, decided_params = egov.decided_source(_hours_between)
    params.update(received_params, **decided_params)
    received = {(r["eservice_id"], r["department_id"]): r for r in run_sql(received_sql, params)}
    decided = {(r["eservice_id"], r["department_id"]): r for r in run_sql(f"""
        SELECT agg.*, {_interpolated('p50')} AS median_hours, {_interpolated('p90')} AS p90_hours
        FROM (
            SELECT eservice_id, department_id, COUNT(*) AS decided,
                   SUM(CASE WHEN status = :approved THEN 1 ELSE 0 END) AS approved,
                   SUM(CASE WHEN target_days IS NOT NULL AND hours <= target_days * 24 THEN 1 ELSE 0 END) AS within_target,
                   COUNT(rating) AS rating_count, COALESCE(SUM(rating), 0) AS rating_sum,
                   {_percentile_columns('hours', 'p50', P50)}, {_percentile_columns('hours', 'p90', P90)}
            FROM (
                SELECT d.*, ROW_NUMBER() OVER (PARTITION BY eservice_id, department_id ORDER BY hours) - 1 AS rn,
                       COUNT(*) OVER (PARTITION BY eservice_id, department_id) AS n
                FROM ({decided_source}) AS d
            ) AS ranked
            GROUP BY eservice_id, department_id
        ) AS agg
    """, params)}
    db.session.execute(delete(ServiceMonth).where(ServiceMonth.month == month_start))
    for eservice_id, department_id in sorted(set(received) | set(decided)):
        r, d = received.get((eservice_id, department_id), {}), decided.get((eservice_id, department_id), {})
        db.session.add(ServiceMonth(
            month=month_start, eservice_id=eservice_id, department_id=department_id,
            received=r.get("received", 0), decided=d.get("decided", 0), approved=d.get("approved", 0),
            within_target=d.get("within_target", 0), median_hours=d.get("median_hours"), p90_hours=d.get("p90_hours"),
            rating_count=d.get("rating_count", 0), rating_sum=d.get("rating_sum", 0),
        ))
    return len(set(received) | set(decided))


def aggregate_trade(month_start: date) -> int:
    """Replace the month's figures of the collective ways per farm district (orders.food_miles
    computes the kilometres; opendata keeps the cells of enough farmers). Returns how many were kept."""
    month_end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    minimum = current_app.config.get("OPENDATA_MIN_FARMERS", 3)
    savings = orders.collective_savings(datetime.combine(month_start, time.min, tzinfo=UTC), datetime.combine(month_end, time.min, tzinfo=UTC))
    regions = dict(db.session.execute(select(District.id, District.region_id).where(District.id.in_([s.district_id for s in savings]))).all()) \
        if savings else {}
    db.session.execute(delete(TradeMonth).where(TradeMonth.month == month_start))
    kept = [TradeMonth(month=month_start, region_id=regions[s.district_id], district_id=s.district_id, way=s.way.value, orders=s.orders,
                       farmers=len(s.farmers), metres=round(s.km * 1000), baseline_metres=round(s.baseline_km * 1000),
                       co2_grams=round(s.kg_co2 * 1000), baseline_co2_grams=round(s.baseline_kg_co2 * 1000))
            for s in savings if len(s.farmers) >= minimum]
    db.session.add_all(kept)
    return len(kept)


def aggregate(day: date) -> AggregateResult:
    """The day's price cells and its month's service and trade figures, committed together."""
    cells = aggregate_prices(day)
    months = aggregate_services(day.replace(day=1))
    aggregate_trade(day.replace(day=1))
    db.session.commit()
    invalidate(PRICES)  # every app server's price hints now read the new cells
    return AggregateResult(day=day, price_cells=cells, service_months=months)


AGGREGATE_JOB = "opendata.aggregate"


def aggregate_today() -> None:
    """The scheduler's form of `flask opendata aggregate`: today so far, replaced each hour."""
    aggregate(utcnow().date())

