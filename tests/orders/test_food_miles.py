"""The food miles of an order: where it travels from and to is kept when it is placed, the trip's
kilometres agree with the great circle worked out here, the CO₂ follows the documented factors, and a
buyer's totals count one trip per day and village and leave out what cannot be placed or was cancelled."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.orders import cart, food_miles, services
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import OrderStatus
from tests import factories
from tests.support.great_circle import between_villages


@pytest.fixture
def market(places):
    cats = factories.categories()
    v = places["villages"]
    ahero = factories.farmer(v["Ahero"], "Achieng")
    mbeu = factories.farmer(v["Mbeu"], "Wanjiru")
    tala = factories.farmer(v["Tala"], "Mutua")
    return {
        "villages": v,
        "rice": factories.listing(ahero, cats["vegetables"], title="Ahero rice", unit="kg", price="150", stock="100",
                                  delivery_available=True, delivery_fee="300"),
        "greens": factories.listing(mbeu, cats["vegetables"], title="Sukuma wiki", unit="kg", price="60", stock="100"),
        "beans": factories.listing(tala, cats["vegetables"], title="Beans", unit="kg", price="200", stock="100"),
        "buyer": factories.user("Njeri", village=v["Kianjai"]),
    }


def _buy(market, listing, choice=None):
    cart.add_to_cart(market["buyer"], {}, market[listing].id, "1")
    checkout = place_checkout(market["buyer"], {}, choice or {})
    return checkout.orders[0]


def test_the_factors_follow_from_the_ipcc_defaults_and_the_stated_fuel_use():
    assert round(food_miles.PETROL_KG_CO2_PER_LITRE, 2) == 2.27  # 69,300 kg/TJ × 44.3 TJ/Gg × 0.74 kg/L
    assert round(food_miles.DIESEL_KG_CO2_PER_LITRE, 2) == 2.68  # 74,100 kg/TJ × 43.0 TJ/Gg × 0.84 kg/L
    assert round(food_miles.KG_CO2_PER_KM[food_miles.Way.BUYERS_OWN_TRIP], 3) == 0.182  # 8 L/100 km
    assert round(food_miles.KG_CO2_PER_KM[food_miles.Way.FARMERS_DELIVERY], 3) == 0.057  # 2.5 L/100 km


def test_an_order_keeps_where_it_travels_and_its_page_says_how_far_and_how_much_co2(client, login, market):
    order = _buy(market, "rice")
    v = market["villages"]
    assert (order.origin_village_id, order.buyer_village_id) == (v["Ahero"].id, v["Kianjai"].id)
    trip = food_miles.order_trip(order)
    by_hand = 2 * between_villages(v["Ahero"], v["Kianjai"])
    assert abs(trip.km - by_hand) / by_hand < 0.005 and round(trip.km) == 643
    assert trip.way is food_miles.Way.BUYERS_OWN_TRIP and trip.kg_co2 == pytest.approx(trip.km * 0.08 * 2.2718, rel=1e-3)
    market["buyer"].village_id = v["Mbeu"].id  # moving house later does not rewrite where an order went
    db.session.commit()
    assert food_miles.order_trip(order).km == trip.km
    login(market["buyer"])
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "About 643 km there and back, by the buyer&#39;s own trip to the farm: about 117 kg of CO₂." in page


def test_a_delivery_is_the_farmers_trip_and_an_unplaced_village_gives_no_figure(market):
    delivered = _buy(market, "rice", {market["rice"].farmer_id: FarmerChoice(fulfilment="delivery", delivery_address="Kianjai market")})
    trip = food_miles.order_trip(delivered)
    assert trip.way is food_miles.Way.FARMERS_DELIVERY and round(trip.kg_co2) == round(trip.km * 0.025 * 2.2718)
    unplaced = _buy(market, "beans")
    assert food_miles.order_trip(unplaced) is None  # Tala has no position


def test_a_buyers_totals_count_one_trip_per_day_and_village_and_leave_out_cancelled_and_unplaced(client, login, market):
    first = _buy(market, "greens")
    second = _buy(market, "greens")  # the same village, the same day: collected on the same trip
    _buy(market, "beans")
    cancelled = _buy(market, "rice")
    services.move(market["buyer"], cancelled, OrderStatus.CANCELLED, "changed my mind")
    totals = food_miles.buyer_totals(market["buyer"].id)
    one_trip = food_miles.order_trip(first)
    assert (totals.orders, totals.trips) == (2, 1) and totals.km == pytest.approx(one_trip.km)
    assert food_miles.order_trip(second).km == one_trip.km and round(one_trip.km, 1) == 13.4
    login(market["buyer"])
    page = client.get("/activity").get_data(as_text=True)
    assert "Your orders travelled about 13 km, in 1 trip: about 2.4 kg of CO₂." in page


def test_an_order_from_the_buyers_own_village_says_nothing_of_a_trip(app, market):
    from marketplace.orders.presentation import food_miles_sentence

    neighbour = factories.farmer(market["villages"]["Kianjai"], "Kendi")
    market["eggs"] = factories.listing(neighbour, factories.categories()["vegetables"], title="Eggs", unit="kg", price="20", stock="9")
    order = _buy(market, "eggs")
    assert food_miles.order_trip(order).km == 0
    with app.test_request_context("/"):
        assert food_miles_sentence(order) == ""  # a walk within the village: nothing to weigh
