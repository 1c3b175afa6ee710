"""GET-only JSON (or CSV) over the open data. Each view parses its parameters, asks a domain's
reading service for one page and turns records into JSON or CSV with an ETag and cache headers."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from sqlalchemy import select

from marketplace.accounts.api import Department, District, Region
from marketplace.api import records
from marketplace.api.openapi import LICENCE, openapi_document
from marketplace.catalog.api import Category
from marketplace.core import csv_export
from marketplace.extensions import db, limiter
from marketplace.opendata import api as opendata
from marketplace.voice import api as voice

bp = Blueprint("api", __name__)
limiter.limit(lambda: current_app.config.get("API_RATE_LIMIT", "120 per minute"))(bp)

NOTHING = -1  # an id no row has: an unknown code filters everything out


class BadParameter(ValueError):
    pass


def _parameters(path: str) -> dict:
    """The query parameters, checked and converted against the operation's own description in
    openapi.py: the document the API publishes is the one rule book for what it accepts."""
    described = {p["name"]: p["schema"] for p in openapi_document("")["paths"][path]["get"]["parameters"]}
    values = {}
    for name, rule in described.items():
        raw = request.args.get(name)
        if raw is None:
            values[name] = rule.get("default")
            continue
        if rule.get("type") == "integer":
            try:
                value = int(raw)
            except ValueError:
                raise BadParameter(f"{name} must be a whole number") from None
            if not rule.get("minimum", value) <= value <= rule.get("maximum", value):
                raise BadParameter(f"{name} must be between {rule['minimum']} and {rule['maximum']}")
        elif rule.get("format") == "date":
            try:
                value = date.fromisoformat(raw)
            except ValueError:
                raise BadParameter(f"{name} must be a date written YYYY-MM-DD") from None
        else:
            value = raw
            # fullmatch: the patterns are anchored ^…$, and Python's $ also matches before a final
            # newline, so re.search let "\n" through as printable (found by schemathesis).
            if "pattern" in rule and not re.fullmatch(rule["pattern"], value):
                raise BadParameter(f"{name} must be printable text")
            if len(value) > rule.get("maxLength", len(value)):
                raise BadParameter(f"{name} is longer than {rule['maxLength']} characters")
            if "enum" in rule and value not in rule["enum"]:
                raise BadParameter(f"{name} must be one of: {', '.join(rule['enum'])}")
        values[name] = value
    return values


def _code(model, code: str | None):
    """The id of the row with this code; NOTHING for an unknown code; None when not asked."""
    if not code:
        return None
    column = model.slug if model is Category else model.code
    return db.session.scalar(select(model.id).where(column == code)) or NOTHING


def _wants_csv(asked: str | None) -> bool:
    if asked == "csv" or request.path.endswith(".csv"):
        return True
    if asked == "json":
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]


def _respond(rows: list[dict], fields: list[str], page: int, per_page: int, has_next: bool, name: str,
             asked_format: str | None) -> Response:
    if _wants_csv(asked_format):
        response = Response(csv_export.dicts_to_csv(fields, rows), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="village-square-{name}-page{page}.csv"'
    else:
        response = jsonify(data=rows, page=page, per_page=per_page, has_next=has_next, licence=LICENCE["name"])
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = f'<{LICENCE["url"]}>; rel="license"'
    response.add_etag()
    return response.make_conditional(request)


def _collection(path: str, name: str, fields: list[str], fetch: Callable[[dict, int, int], list[dict]]):
    try:
        params = _parameters(path)
    except BadParameter as error:
        return jsonify(error=str(error)), 400
    page, per_page = params["page"], params["per_page"]
    rows = fetch(params, per_page + 1, (page - 1) * per_page)
    return _respond(rows[:per_page], fields, page, per_page, len(rows) > per_page, name, params["format"])


@bp.get("/api/v1/prices")
@bp.get("/api/v1/prices.csv")
def prices():
    def fetch(params: dict, limit: int, offset: int) -> list[dict]:
        query = opendata.PriceQuery(
            category_id=_code(Category, params["category"]), region_id=_code(Region, params["region"]),
            district_id=_code(District, params["district"]), since=params["from"], until=params["to"],
            regions_only=params["level"] == "region")
        if NOTHING in (query.category_id, query.region_id, query.district_id):
            return []
        return [records.price_record(c) for c in opendata.price_cells(query, limit=limit, offset=offset)]

    return _collection("/api/v1/prices", "prices", records.PRICE_FIELDS, fetch)


@bp.get("/api/v1/performance")
@bp.get("/api/v1/performance.csv")
def performance():
    def fetch(params: dict, limit: int, offset: int) -> list[dict]:
        query = opendata.ServiceQuery(department_id=_code(Department, params["department"]),
                                      eservice_slug=params["service"] or "", since=params["from"], until=params["to"])
        if query.department_id == NOTHING:
            return []
        return [records.service_record(r) for r in opendata.service_months(query, limit=limit, offset=offset)]

    return _collection("/api/v1/performance", "performance", records.SERVICE_FIELDS, fetch)


@bp.get("/api/v1/food-miles")
@bp.get("/api/v1/food-miles.csv")
def food_miles():
    def fetch(params: dict, limit: int, offset: int) -> list[dict]:
        query = opendata.TradeQuery(region_id=_code(Region, params["region"]), district_id=_code(District, params["district"]),
                                    way=params["way"] or "", since=params["from"], until=params["to"])
        if NOTHING in (query.region_id, query.district_id):
            return []
        return [records.trade_record(row) for row in opendata.trade_months(query, limit=limit, offset=offset)]

    return _collection("/api/v1/food-miles", "food-miles", records.TRADE_FIELDS, fetch)


@bp.get("/api/v1/reports")
@bp.get("/api/v1/reports.csv")
def reports():
    def fetch(params: dict, limit: int, offset: int) -> list[dict]:
        filters = voice.ReportFilter(
            category=params["category"] or "", status=params["status"] or "", region_id=_code(Region, params["region"]),
            district_id=_code(District, params["district"]), since=params["from"], until=params["to"])
        if NOTHING in (filters.region_id, filters.district_id):
            return []
        return [records.report_record(r) for r in voice.public_reports_slice(filters, limit=limit, offset=offset)]

    return _collection("/api/v1/reports", "reports", records.REPORT_FIELDS, fetch)


@bp.get("/api/v1/")
def index():
    """What a client finds at the API's root: each collection, its CSV twin and the description."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    document = openapi_document(base)
    collections = [{"href": base + path, "csv": f"{base}{path}.csv", "summary": operation["get"]["summary"]}
                   for path, operation in document["paths"].items()]
    response = jsonify(collections=collections, openapi=base + url_for("api.openapi_json"),
                       documentation=base + url_for("api.documentation"), licence=LICENCE["name"])
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/api/v1/openapi.json")
def openapi_json():
    response = jsonify(openapi_document(current_app.config["PUBLIC_BASE_URL"].rstrip("/")))  # cached: never the Host header
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/open-data")
def documentation():
    return render_template("api/documentation.html", licence=LICENCE, spec_url=url_for("api.openapi_json"))
