"""The API's records: plain dicts of integers and strings (money in minor units with a currency),
the same for JSON and CSV. Nothing here can name a person: reports carry no reporter, no text."""
from __future__ import annotations

from marketplace.opendata.api import PriceCell, ServiceMonth, TradeMonth
from marketplace.voice.api import Report

PRICE_FIELDS = ["day", "category", "unit", "currency", "region", "district", "listings", "listing_farmers",
                "ask_p10_minor", "ask_median_minor", "ask_p90_minor", "paid_orders", "paid_farmers",
                "paid_median_minor", "paid_quantity_milli"]

SERVICE_FIELDS = ["month", "service", "department", "received", "decided", "approved", "decided_within_target",
                  "median_hours_to_decision", "p90_hours_to_decision", "rating_count", "rating_sum"]

TRADE_FIELDS = ["month", "region", "district", "way", "orders", "farmers", "km", "kg_co2", "km_by_own_trips", "kg_co2_by_own_trips",
                "km_saved", "kg_co2_saved"]

REPORT_FIELDS = ["id", "category", "region", "district", "village", "department", "status", "reported_on",
                 "resolved_on", "days_to_resolution", "supporters"]


def price_record(cell: PriceCell) -> dict:
    return {
        "day": cell.day.isoformat(), "category": cell.category.slug, "unit": cell.unit, "currency": cell.currency,
        "region": cell.region.code, "district": cell.district.code if cell.district else None,
        "listings": cell.listings, "listing_farmers": cell.listing_farmers,
        "ask_p10_minor": cell.ask_p10_minor, "ask_median_minor": cell.ask_median_minor, "ask_p90_minor": cell.ask_p90_minor,
        "paid_orders": cell.paid_orders, "paid_farmers": cell.paid_farmers,
        "paid_median_minor": cell.paid_median_minor, "paid_quantity_milli": cell.paid_quantity_milli,
    }


def service_record(row: ServiceMonth) -> dict:
    return {
        "month": row.month.strftime("%Y-%m"), "service": row.eservice.slug, "department": row.department.code,
        "received": row.received, "decided": row.decided, "approved": row.approved,
        "decided_within_target": row.within_target, "median_hours_to_decision": row.median_hours,
        "p90_hours_to_decision": row.p90_hours, "rating_count": row.rating_count, "rating_sum": row.rating_sum,
    }


def trade_record(row: TradeMonth) -> dict:
    """Kilometres and kg with a decimal for a reader; the saved figures are the own trips' less the way's."""
    return {
        "month": row.month.strftime("%Y-%m"), "region": row.region.code, "district": row.district.code, "way": row.way,
        "orders": row.orders, "farmers": row.farmers, "km": round(row.metres / 1000, 1), "kg_co2": round(row.co2_grams / 1000, 1),
        "km_by_own_trips": round(row.baseline_metres / 1000, 1), "kg_co2_by_own_trips": round(row.baseline_co2_grams / 1000, 1),
        "km_saved": round(row.km_saved, 1), "kg_co2_saved": round(row.kg_co2_saved, 1),
    }


def report_record(report: Report) -> dict:
    resolved = report.resolved_at.date() if report.resolved_at else None
    return {
        "id": report.id, "category": report.category.value, "region": report.district.region.code,
        "district": report.district.code, "village": report.village.name,
        "department": report.department.code if report.department else None, "status": report.status.value,
        "reported_on": report.created_at.date().isoformat(), "resolved_on": resolved.isoformat() if resolved else None,
        "days_to_resolution": (resolved - report.created_at.date()).days if resolved else None,
        "supporters": report.people_who_care,  # the same count as the report's page
    }
