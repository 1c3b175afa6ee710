"""The food miles of an order: how far its produce travels to the buyer, and the CO₂ of that trip.

Kilometres are the geodesic between the farm's village and the buyer's place (the gazetteer,
accounts.places), there and back, because the vehicle that moves the order returns: for a pickup the
buyer drives from their place to the farm and home, for a delivery the farmer rides to the buyer and
back. Roads are longer than the geodesic, so the figures are a floor, and they are shown as "about".

CO₂ is kilometres × the factor of the vehicle, in kg of CO₂ per vehicle-km: the litres it burns per km
times the CO₂ that a litre of its fuel gives when burnt. The CO₂ per litre comes from the IPCC 2006
Guidelines for National Greenhouse Gas Inventories, volume 2 (Energy): the default CO₂ emission
factors of chapter 3, table 3.2.1 (motor gasoline 69,300 kg/TJ; gas/diesel oil 74,100 kg/TJ) and the
net calorific values of chapter 1, table 1.2 (44.3 and 43.0 TJ/Gg), with the usual densities of the
fuels (0.74 and 0.84 kg/L). The litres per km are our assumptions for the vehicles these trips use,
named here so anyone can change them: a car of 8 L of petrol per 100 km, a motorbike of 2.5 L per
100 km. docs/food-miles.md says the same for readers outside the code.

The trips of one day to one village count once in a buyer's totals: whoever collects three orders
from the same village that day drives there once.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from marketplace.accounts.api import Village, distance_km, km_between_villages
from marketplace.extensions import db
from marketplace.orders.models import Fulfilment, Order, OrderStatus


def kg_co2_per_litre(kg_co2_per_tj: float, tj_per_gg: float, kg_per_litre: float) -> float:
    # kg CO₂/TJ × TJ/Gg = kg CO₂ per Gg of fuel; ÷ 10⁶ = kg CO₂ per kg of fuel; × kg/L
    return kg_co2_per_tj * tj_per_gg / 1_000_000 * kg_per_litre


PETROL_KG_CO2_PER_LITRE = kg_co2_per_litre(69_300, 44.3, 0.74)  # 2.27
DIESEL_KG_CO2_PER_LITRE = kg_co2_per_litre(74_100, 43.0, 0.84)  # 2.68 (the shared trips' vans and lorries)


class Way(str, enum.Enum):
    """How an order moves, and the vehicle that moves it."""

    BUYERS_OWN_TRIP = "buyers_trip"  # a pickup: the buyer's car, from their place and back
    FARMERS_DELIVERY = "delivery"  # a delivery: the farmer's motorbike, to the buyer and back


#: kg CO₂ per vehicle-km: litres per km × kg CO₂ per litre.
KG_CO2_PER_KM = {
    Way.BUYERS_OWN_TRIP: 8.0 / 100 * PETROL_KG_CO2_PER_LITRE,  # 0.18
    Way.FARMERS_DELIVERY: 2.5 / 100 * PETROL_KG_CO2_PER_LITRE,  # 0.057
}


@dataclass(frozen=True)
class Trip:
    km: float  # there and back
    kg_co2: float
    way: Way


def trip(origin_village_id: int | None, buyer_village_id: int | None, fulfilment: Fulfilment) -> Trip | None:
    """None when the gazetteer does not place both ends: no figure rather than a wrong one."""
    return _trip(km_between_villages(origin_village_id, buyer_village_id), fulfilment)


def _trip(one_way_km: float | None, fulfilment: Fulfilment) -> Trip | None:
    if one_way_km is None:
        return None
    way = Way.BUYERS_OWN_TRIP if fulfilment is Fulfilment.PICKUP else Way.FARMERS_DELIVERY
    km = 2 * one_way_km
    return Trip(km=km, kg_co2=km * KG_CO2_PER_KM[way], way=way)


def order_trip(order: Order) -> Trip | None:
    return trip(order.origin_village_id, order.buyer_village_id, order.fulfilment)


@dataclass(frozen=True)
class Totals:
    km: float
    kg_co2: float
    trips: int
    orders: int  # the orders counted: placed ones whose two ends the gazetteer places


def buyer_totals(buyer_id: int) -> Totals:
    """The food miles of everything a buyer ordered and did not cancel; one trip per day and village.
    One query: the two ends' positions come with the orders."""
    origin, home = aliased(Village), aliased(Village)
    rows = db.session.execute(
        select(Order.fulfilment, Order.pickup_on, Order.created_at, origin.id, origin.latitude, origin.longitude,
               home.id, home.latitude, home.longitude)
        .join(origin, origin.id == Order.origin_village_id).join(home, home.id == Order.buyer_village_id)
        .where(Order.buyer_id == buyer_id, Order.status != OrderStatus.CANCELLED,
               origin.latitude.is_not(None), home.latitude.is_not(None)))
    trips: dict[tuple, Trip] = {}
    orders = 0
    for fulfilment, pickup_on, created_at, origin_id, origin_lat, origin_lon, home_id, home_lat, home_lon in rows:
        found = _trip(distance_km(origin_lat, origin_lon, home_lat, home_lon), fulfilment)
        orders += 1
        day = pickup_on or created_at.date()
        trips.setdefault((day, origin_id, home_id, found.way), found)  # type: ignore[union-attr]
    return Totals(km=sum(t.km for t in trips.values()), kg_co2=sum(t.kg_co2 for t in trips.values()), trips=len(trips),
                  orders=orders)
