"""Open data of the low-carbon ways (issue 23, item 4): each month, per district of the farms, the
orders moved by collection points and shared trips, their km and CO₂ against the buyers' own trips
to the farms, published from three farmers, in the API (JSON, CSV, OpenAPI) and on /performance."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.core.timeutils import utcnow
from marketplace.extensions import db as _db
from marketplace.opendata.aggregate import aggregate
from marketplace.opendata.models import TradeMonth
from marketplace.orders import cart, collection_points
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import CollectionPoint
from tests import factories
from tests.support.great_circle import between_villages


@pytest.fixture
def collected(market):
    """A buyer of Kianjai has the orders of three Hill farmers (two in Mbeu, one in Kianjai) brought
    to the Kianjai point on one day."""
    v = market["places"]["villages"]
    _db.session.add(CollectionPoint(name="Kianjai Store", village=v["Kianjai"], manager=factories.user("Manager"), opening_days="0123456",
                                    opens_minute=480, closes_minute=1020, capacity_per_day=50))
    _db.session.commit()
    buyer = factories.user("Kianjai Buyer", village=v["Kianjai"])
    listings = market["listings"]
    for key in ("a100", "b120", "c150"):
        cart.add_to_cart(buyer, {}, listings[key].id, "2")
    key = collection_points.offers_for(v["Kianjai"])[0].key
    a, b, c, _d, _e = market["farmers"]
    checkout = place_checkout(buyer, {}, {farmer.id: FarmerChoice(fulfilment=key) for farmer in (a, b, c)})
    return {"buyer": buyer, "orders": checkout.orders, "v": v}


def test_a_month_of_collection_point_orders_is_published_with_its_savings(collected, db):
    aggregate(utcnow().date())
    (row,) = db.session.scalars(select(TradeMonth)).all()
    ride = 2 * between_villages(collected["v"]["Mbeu"], collected["v"]["Kianjai"])  # 13.4 km there and back
    assert (row.district.name, row.way, row.orders, row.farmers, row.month) == ("Hill", "collection_point", 3, 3, utcnow().date().replace(day=1))
    # Two farmers ride from Mbeu; the buyer's own trip would have been one drive to Mbeu (both farms there) and none in Kianjai.
    assert row.metres == pytest.approx(2 * ride * 1000, rel=0.005)
    assert row.baseline_metres == pytest.approx(ride * 1000, rel=0.005)
    assert row.km_saved == pytest.approx(-ride, rel=0.005)  # more kilometres, by motorbike...
    assert row.kg_co2_saved == pytest.approx(ride * 0.0800 * 2.2718 - 2 * ride * 0.025 * 2.2718, rel=0.005)  # ...and less CO₂
    assert row.kg_co2_saved > 0


def test_fewer_than_three_farmers_are_not_published(collected, db, app):
    app.config["OPENDATA_MIN_FARMERS"] = 4
    try:
        aggregate(utcnow().date())
    finally:
        app.config["OPENDATA_MIN_FARMERS"] = 3
    assert db.session.scalars(select(TradeMonth)).all() == []


def test_the_api_and_the_performance_page_show_the_month(collected, db, client):
    aggregate(utcnow().date())
    body = client.get("/api/v1/food-miles?district=N-HIL&way=collection_point").get_json()
    (record,) = body["data"]
    assert (record["district"], record["region"], record["way"], record["orders"], record["farmers"]) == ("N-HIL", "N", "collection_point", 3, 3)
    assert record["km_saved"] == pytest.approx(record["km_by_own_trips"] - record["km"], abs=0.11) and record["kg_co2_saved"] > 0
    assert client.get("/api/v1/food-miles?way=shared_trip").get_json()["data"] == []
    assert client.get("/api/v1/food-miles?district=NOWHERE").get_json()["data"] == []
    assert client.get("/api/v1/food-miles?way=bicycle").status_code == 400
    csv = client.get("/api/v1/food-miles.csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("month,region,district,way,orders,farmers,km,kg_co2") and "N-HIL" in csv
    page = client.get("/performance").get_data(as_text=True)
    assert "Low-carbon trade" in page and "collection points" in page and "Hill" in page
