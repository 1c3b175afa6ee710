"""Public pages of the open data: prices by category and district with their trend, service performance."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from sqlalchemy import select

from marketplace.accounts.api import District, Region
from marketplace.catalog.api import Category, Unit
from marketplace.core import params
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.opendata import services
from marketplace.opendata.chart import trend_chart
from marketplace.opendata.presentation import price_preview, typical_price_hint

UNIT_VALUES = frozenset(unit.value for unit in Unit)

bp = Blueprint("opendata", __name__)


@bp.get("/prices")
def prices():
    query = services.PriceQuery(category_id=params.id_arg("category"), district_id=params.id_arg("district"))
    categories = list(db.session.scalars(select(Category).order_by(Category.parent_id.is_not(None), Category.position)))
    return render_template("opendata/prices.html", cells=services.price_cells(query), query=query, day=services.latest_day(),
                           categories=categories, districts=services.districts_with_regions())


@bp.get("/prices/trend")
def price_trend():
    category = db.session.get(Category, params.id_arg("category") or 0)
    unit = request.args.get("unit", "")
    district = db.session.get(District, params.id_arg("district") or 0)
    region = db.session.get(Region, params.id_arg("region") or 0) if district is None else district.region
    if category is None or region is None or unit not in UNIT_VALUES:  # "kg", not any text (the scan sent URLs)
        abort(404)
    cells = services.trend(category.id, unit, district.id if district else None, region.id)
    chart = trend_chart(cells, utcnow().date(), services.TREND_DAYS)
    return render_template("opendata/trend.html", category=category, unit=unit, district=district, region=region,
                           cells=cells, chart=chart, days=services.TREND_DAYS)


@bp.get("/prices/hint")
def price_hint():
    """What the listing form shows under the price while the farmer types (progressive enhancement)."""
    currency, typed, unit = current_app.config["DEFAULT_CURRENCY"], request.args.get("price", "")[:16], request.args.get("unit", "")
    hint = typical_price_hint(params.id_arg("category"), unit, params.id_arg("village"), currency, typed)
    response = jsonify(hint=hint, preview=price_preview(typed, unit if unit in {u.value for u in Unit} else "", currency))
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.get("/performance")
def performance():
    return render_template("opendata/performance.html", rows=services.service_months(services.ServiceQuery(), limit=120),
                           trade=services.trade_months(services.TradeQuery(), limit=60))
