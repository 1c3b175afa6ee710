"""The OpenAPI 3.1 description of /api/v1, written by hand: three read-only collections are
shorter to describe than to generate, and the test suite checks every response against it
(schemathesis), so the description cannot drift from the code."""
from __future__ import annotations

LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}


#: Codes and slugs are printable text: no control characters (PostgreSQL refuses NUL outright).
PRINTABLE = r"^[^\u0000-\u001f\u007f]*$"


def _text(max_length: int) -> dict:
    return {"type": "string", "maxLength": max_length, "pattern": PRINTABLE}


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _int(**extra) -> dict:
    return {"type": "integer", **extra}


DATE_PARAMS = [
    {"name": "from", "in": "query", "required": False, "description": "First day included (YYYY-MM-DD).",
     "schema": {"type": "string", "format": "date"}},
    {"name": "to", "in": "query", "required": False, "description": "Last day included (YYYY-MM-DD).",
     "schema": {"type": "string", "format": "date"}},
]
AREA_PARAMS = [
    {"name": "region", "in": "query", "required": False, "description": "A region's code, e.g. N.",
     "schema": _text(16)},
    {"name": "district", "in": "query", "required": False, "description": "A district's code, e.g. N-HIL.",
     "schema": _text(24)},
]
PAGE_PARAMS = [
    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
    {"name": "per_page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
    {"name": "format", "in": "query", "required": False, "description": "`csv` for CSV (as does `Accept: text/csv`).",
     "schema": {"type": "string", "enum": ["json", "csv"]}},
]

PRICE = {
    "type": "object", "additionalProperties": False,
    "required": ["day", "category", "unit", "currency", "region", "district", "listings", "listing_farmers", "ask_p10_minor",
                 "ask_median_minor", "ask_p90_minor", "paid_orders", "paid_farmers", "paid_median_minor", "paid_quantity_milli"],
    "properties": {
        "day": {"type": "string", "format": "date"}, "category": {"type": "string"}, "unit": {"type": "string"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}, "region": {"type": "string"},
        "district": _nullable("string", description="Empty for the cell of the whole region."),
        "listings": _int(minimum=0), "listing_farmers": _int(minimum=0),
        "ask_p10_minor": _nullable("integer", description="10th percentile of asking prices, in minor units."),
        "ask_median_minor": _nullable("integer"), "ask_p90_minor": _nullable("integer"),
        "paid_orders": _int(minimum=0), "paid_farmers": _int(minimum=0),
        "paid_median_minor": _nullable("integer"),
        "paid_quantity_milli": _nullable("integer", description="Quantity sold, in thousandths of the unit."),
    },
}
SERVICE = {
    "type": "object", "additionalProperties": False,
    "required": ["month", "service", "department", "received", "decided", "approved", "decided_within_target",
                 "median_hours_to_decision", "p90_hours_to_decision", "rating_count", "rating_sum"],
    "properties": {
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "service": {"type": "string"},
        "department": {"type": "string"}, "received": _int(minimum=0), "decided": _int(minimum=0),
        "approved": _int(minimum=0), "decided_within_target": _int(minimum=0),
        "median_hours_to_decision": _nullable("integer"), "p90_hours_to_decision": _nullable("integer"),
        "rating_count": _int(minimum=0), "rating_sum": _int(minimum=0, description="Mean rating = rating_sum / rating_count (1 to 5)."),
    },
}
REPORT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "category", "region", "district", "village", "department", "status", "reported_on", "resolved_on",
                 "days_to_resolution", "supporters"],
    "properties": {
        "id": _int(minimum=1),
        "category": {"type": "string", "enum": ["roads", "water", "electricity", "market", "health", "school", "other"]},
        "region": {"type": "string"}, "district": {"type": "string"}, "village": {"type": "string"},
        "department": _nullable("string"),
        "status": {"type": "string", "enum": ["received", "in_progress", "fixed", "wont_fix"]},
        "reported_on": {"type": "string", "format": "date"}, "resolved_on": _nullable("string", format="date"),
        "days_to_resolution": _nullable("integer", minimum=0),
        "supporters": {**_int(minimum=1), "description": "People who say this matters: the reporter and each 'me too'."},
    },
}
TRADE = {
    "type": "object", "additionalProperties": False,
    "required": ["month", "region", "district", "way", "orders", "farmers", "km", "kg_co2", "km_by_own_trips", "kg_co2_by_own_trips",
                 "km_saved", "kg_co2_saved"],
    "properties": {
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "region": {"type": "string"},
        "district": {"type": "string", "description": "The district of the farms the orders came from."},
        "way": {"type": "string", "enum": ["collection_point", "shared_trip"]},
        "orders": _int(minimum=0), "farmers": _int(minimum=0, description="Distinct farmers (a month is published from three)."),
        "km": {"type": "number", "description": "Vehicle-km attributed to the orders, legs shared by several divided among them."},
        "kg_co2": {"type": "number"},
        "km_by_own_trips": {"type": "number", "description": "The buyers' own trips to the farms, there and back, that these replace."},
        "kg_co2_by_own_trips": {"type": "number"},
        "km_saved": {"type": "number", "description": "km_by_own_trips less km (negative when the collective way was longer)."},
        "kg_co2_saved": {"type": "number"},
    },
}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


def _page_of(item_ref: str) -> dict:
    return {
        "type": "object", "additionalProperties": False,
        "required": ["data", "page", "per_page", "has_next", "licence"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": item_ref}}, "page": _int(minimum=1),
            "per_page": _int(minimum=1), "has_next": {"type": "boolean"}, "licence": {"type": "string"},
        },
    }


def _operation(operation_id: str, summary: str, schema_name: str, extra_params: list) -> dict:
    return {"get": {
        "operationId": operation_id, "summary": summary,
        "parameters": [*DATE_PARAMS, *extra_params, *PAGE_PARAMS],
        "responses": {
            "200": {"description": "One page of records, newest first.",
                    "headers": {"ETag": {"schema": {"type": "string"}}, "Cache-Control": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}Page"}},
                                "text/csv": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified since the ETag given in If-None-Match."},
            "400": {"description": "A parameter is malformed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "405": {"description": "Only GET (and HEAD, OPTIONS) are answered.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "429": {"description": "Too many requests: wait a minute."},
        },
    }}


def openapi_document(server_url: str) -> dict:
    category = {"name": "category", "in": "query", "required": False,
                "description": "A produce category's slug (e.g. tomatoes-peppers); its subcategories are included.",
                "schema": _text(40)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Village Square open data", "version": "1.0.0", "license": LICENCE,
            "description": "Produce prices (only cells of at least three farmers), the performance of government "
                           "e-services, the kilometres and CO₂ saved by collection points and shared trips, and residents' "
                           "reports, without personal data. Read-only; rate-limited; "
                           "every collection also comes as CSV.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/v1/prices": _operation("listPrices", "Daily price index per produce, unit and district (or region)", "Price",
                                         [category, *AREA_PARAMS, {"name": "level", "in": "query", "required": False,
                                                                   "schema": {"type": "string", "enum": ["district", "region"]}}]),
            "/api/v1/performance": _operation("listServicePerformance", "Monthly figures per government e-service", "Service",
                                              [{"name": "department", "in": "query", "required": False, "schema": _text(16)},
                                               {"name": "service", "in": "query", "required": False, "schema": _text(80)}]),
            "/api/v1/food-miles": _operation("listCollectiveTradeMonths",
                                             "Monthly km and CO₂ of collection points and shared trips per farm district, and what they saved",
                                             "Trade", [*AREA_PARAMS, {"name": "way", "in": "query", "required": False,
                                                                      "schema": TRADE["properties"]["way"]}]),
            "/api/v1/reports": _operation("listReports", "Residents' reports (no reporter, no text)", "Report",
                                          [{"name": "category", "in": "query", "required": False, "schema": REPORT["properties"]["category"]},
                                           {"name": "status", "in": "query", "required": False, "schema": REPORT["properties"]["status"]},
                                           *AREA_PARAMS]),
        },
        "components": {"schemas": {
            "Price": PRICE, "PricePage": _page_of("#/components/schemas/Price"),
            "Service": SERVICE, "ServicePage": _page_of("#/components/schemas/Service"),
            "Trade": TRADE, "TradePage": _page_of("#/components/schemas/Trade"),
            "Report": REPORT, "ReportPage": _page_of("#/components/schemas/Report"),
            "Error": ERROR,
        }},
    }
