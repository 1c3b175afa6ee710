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

At a collection point an order moves in two legs: the farmer's motorbike from the farm's village to
the point and back, and the buyer's car from their place to the point and back. In a buyer's totals
the buyer's leg counts once per point and day (one trip collects every order there), and each
farmer's once per point and day (one ride brings all their orders): so collecting
three farmers' orders at one point near home is counted as the short trips it is.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from marketplace.accounts.api import Village, distance_km, km_between_villages
from marketplace.extensions import db
from marketplace.orders.models import Fulfilment, Order, OrderStatus, SharedTrip, TripBooking


def kg_co2_per_litre(kg_co2_per_tj: float, tj_per_gg: float, kg_per_litre: float) -> float:
    # kg CO₂/TJ × TJ/Gg = kg CO₂ per Gg of fuel; ÷ 10⁶ = kg CO₂ per kg of fuel; × kg/L
    return kg_co2_per_tj * tj_per_gg / 1_000_000 * kg_per_litre


PETROL_KG_CO2_PER_LITRE = kg_co2_per_litre(69_300, 44.3, 0.74)  # 2.27
DIESEL_KG_CO2_PER_LITRE = kg_co2_per_litre(74_100, 43.0, 0.84)  # 2.68 (the shared trips' vans and lorries)


class Way(str, enum.Enum):
    """How an order moves, and the vehicle that moves it."""

    BUYERS_OWN_TRIP = "buyers_trip"  # a pickup: the buyer's car, from their place and back
    FARMERS_DELIVERY = "delivery"  # a delivery: the farmer's motorbike, to the buyer and back
    COLLECTION_POINT = "collection_point"  # the farmer's motorbike to the point, the buyer's car to it
    SHARED_TRIP = "shared_trip"  # a lorry to town, its CO₂ shared by the weight each order books of it


#: kg CO₂ per vehicle-km: litres per km × kg CO₂ per litre.
KG_CO2_PER_KM = {
    Way.BUYERS_OWN_TRIP: 8.0 / 100 * PETROL_KG_CO2_PER_LITRE,  # 0.18
    Way.FARMERS_DELIVERY: 2.5 / 100 * PETROL_KG_CO2_PER_LITRE,  # 0.057
    Way.SHARED_TRIP: 25.0 / 100 * DIESEL_KG_CO2_PER_LITRE,  # 0.67: a small diesel lorry, 25 L per 100 km, whole
}


@dataclass(frozen=True)
class Trip:
    km: float  # there and back
    kg_co2: float
    way: Way


def trip(origin_village_id: int | None, buyer_village_id: int | None, fulfilment: Fulfilment,
         point_village_id: int | None = None) -> Trip | None:
    """None when the gazetteer does not place both ends (and the point, for a collection point): no
    figure rather than a wrong one."""
    if fulfilment is Fulfilment.COLLECTION_POINT:
        return _point_trip(km_between_villages(origin_village_id, point_village_id), km_between_villages(buyer_village_id, point_village_id))
    return _trip(km_between_villages(origin_village_id, buyer_village_id), fulfilment)


def _point_trip(farm_to_point_km: float | None, home_to_point_km: float | None) -> Trip | None:
    if farm_to_point_km is None or home_to_point_km is None:
        return None
    farmers_leg, buyers_leg = 2 * farm_to_point_km, 2 * home_to_point_km
    return Trip(km=farmers_leg + buyers_leg, way=Way.COLLECTION_POINT,
                kg_co2=farmers_leg * KG_CO2_PER_KM[Way.FARMERS_DELIVERY] + buyers_leg * KG_CO2_PER_KM[Way.BUYERS_OWN_TRIP])


def _trip(one_way_km: float | None, fulfilment: Fulfilment) -> Trip | None:
    if one_way_km is None:
        return None
    way = Way.BUYERS_OWN_TRIP if fulfilment is Fulfilment.PICKUP else Way.FARMERS_DELIVERY
    km = 2 * one_way_km
    return Trip(km=km, kg_co2=km * KG_CO2_PER_KM[way], way=way)


def order_trip(order: Order) -> Trip | None:
    booking = order.trip_booking if order.fulfilment is Fulfilment.DELIVERY else None
    if booking is not None:
        return _shared_trip(km_between_villages(order.origin_village_id, order.buyer_village_id), booking.grams, booking.trip.capacity_grams)
    return trip(order.origin_village_id, order.buyer_village_id, order.fulfilment, order.pickup_village_id)


def _shared_trip(one_way_km: float | None, grams: int, capacity_grams: int) -> Trip | None:
    """The lorry's trip there and back, its CO₂ shared by the part of its capacity the order booked."""
    if one_way_km is None:
        return None
    km = 2 * one_way_km
    return Trip(km=km, kg_co2=km * KG_CO2_PER_KM[Way.SHARED_TRIP] * grams / capacity_grams, way=Way.SHARED_TRIP)


@dataclass(frozen=True)
class Totals:
    km: float
    kg_co2: float
    trips: int
    orders: int  # the orders counted: placed ones whose two ends the gazetteer places


def buyer_totals(buyer_id: int) -> Totals:
    """The food miles of everything a buyer ordered and did not cancel; one trip per day and village
    (at a collection point, one leg per day for the buyer and one for each farmer).
    One query: the ends' positions come with the orders."""
    origin, home, point = aliased(Village), aliased(Village), aliased(Village)
    rows = db.session.execute(
        select(Order.fulfilment, Order.pickup_on, Order.created_at, Order.farmer_id, origin.id, origin.latitude, origin.longitude,
               home.id, home.latitude, home.longitude, point.id, point.latitude, point.longitude,
               Order.id, TripBooking.grams, SharedTrip.capacity_grams)
        .join(origin, origin.id == Order.origin_village_id).join(home, home.id == Order.buyer_village_id)
        .outerjoin(point, point.id == Order.pickup_village_id)
        .outerjoin(TripBooking, TripBooking.order_id == Order.id).outerjoin(SharedTrip, SharedTrip.id == TripBooking.trip_id)
        .where(Order.buyer_id == buyer_id, Order.status != OrderStatus.CANCELLED,
               origin.latitude.is_not(None), home.latitude.is_not(None)))
    legs: dict[tuple, tuple[float, float]] = {}  # (day, what the leg joins, who drives) -> (km, kg CO₂)
    orders = 0
    for fulfilment, pickup_on, created_at, farmer_id, origin_id, origin_lat, origin_lon, home_id, home_lat, home_lon, \
            point_id, point_lat, point_lon, order_id, trip_grams, trip_capacity in rows:
        day = pickup_on or created_at.date()
        if trip_grams is not None:  # on a shared trip: this order's share of the lorry, its own leg
            shared = _shared_trip(distance_km(origin_lat, origin_lon, home_lat, home_lon), trip_grams, trip_capacity)
            legs[(day, order_id, Way.SHARED_TRIP)] = (shared.km, shared.kg_co2)  # type: ignore[union-attr]
        elif fulfilment is Fulfilment.COLLECTION_POINT:
            if point_lat is None:
                continue  # a point the gazetteer does not place: no figure rather than a wrong one
            farmers = 2 * distance_km(origin_lat, origin_lon, point_lat, point_lon)
            buyers = 2 * distance_km(home_lat, home_lon, point_lat, point_lon)
            legs.setdefault((day, farmer_id, point_id, Way.FARMERS_DELIVERY), (farmers, farmers * KG_CO2_PER_KM[Way.FARMERS_DELIVERY]))
            legs.setdefault((day, home_id, point_id, Way.BUYERS_OWN_TRIP), (buyers, buyers * KG_CO2_PER_KM[Way.BUYERS_OWN_TRIP]))
        else:
            found = _trip(distance_km(origin_lat, origin_lon, home_lat, home_lon), fulfilment)
            legs.setdefault((day, origin_id, home_id, found.way), (found.km, found.kg_co2))  # type: ignore[union-attr]
        orders += 1
    return Totals(km=sum(km for km, _kg in legs.values()), kg_co2=sum(kg for _km, kg in legs.values()), trips=len(legs),
                  orders=orders)


@dataclass
class Saving:
    """A month's orders moved one collective way from one district's farms: what they travelled
    (vehicle-km and CO₂ attributed to them) against what the buyers' own trips to the farms would
    have been. The legs several orders share are divided among them equally (or by weight, on a trip)."""

    district_id: int
    way: Way
    orders: int = 0
    farmers: set[int] = field(default_factory=set)
    km: float = 0.0
    kg_co2: float = 0.0
    baseline_km: float = 0.0
    baseline_kg_co2: float = 0.0


def collective_savings(since: datetime, until: datetime) -> list[Saving]:
    """The collection-point and shared-trip orders placed in [since, until) and not cancelled, per
    farm district and way (opendata publishes them monthly). Read as rows, never ORM objects; orders
    whose places the gazetteer does not know are left out, as everywhere in the food miles."""
    origin, home, point = aliased(Village), aliased(Village), aliased(Village)
    rows = db.session.execute(
        select(Order.id, Order.farmer_id, Order.buyer_id, Order.fulfilment, Order.pickup_on, Order.created_at, origin.id, origin.district_id,
               origin.latitude, origin.longitude, home.id, home.latitude, home.longitude, point.id, point.latitude, point.longitude,
               TripBooking.grams, SharedTrip.capacity_grams)
        .join(origin, origin.id == Order.origin_village_id).join(home, home.id == Order.buyer_village_id)
        .outerjoin(point, point.id == Order.pickup_village_id)
        .outerjoin(TripBooking, TripBooking.order_id == Order.id).outerjoin(SharedTrip, SharedTrip.id == TripBooking.trip_id)
        .where(Order.created_at >= since, Order.created_at < until, Order.status != OrderStatus.CANCELLED,
               origin.latitude.is_not(None), home.latitude.is_not(None),
               (Order.fulfilment == Fulfilment.COLLECTION_POINT) | TripBooking.id.is_not(None))).all()
    # Who shares each leg: the buyer's trip to a point, a farmer's ride to it, a buyer's avoided trip to a farm village.
    sharing: dict[tuple, int] = {}
    for (_id, farmer_id, buyer_id, fulfilment, pickup_on, created_at, origin_id, _district, *_rest, point_id, _plat, _plon,
         _grams, _capacity) in rows:
        day = pickup_on or created_at.date()
        sharing[("avoided", day, buyer_id, origin_id)] = sharing.get(("avoided", day, buyer_id, origin_id), 0) + 1
        if fulfilment is Fulfilment.COLLECTION_POINT:
            for key in (("buyer", day, buyer_id, point_id), ("farmer", day, farmer_id, point_id)):
                sharing[key] = sharing.get(key, 0) + 1
    savings: dict[tuple[int, Way], Saving] = {}
    car, bike, lorry = KG_CO2_PER_KM[Way.BUYERS_OWN_TRIP], KG_CO2_PER_KM[Way.FARMERS_DELIVERY], KG_CO2_PER_KM[Way.SHARED_TRIP]
    for (_id, farmer_id, buyer_id, _fulfilment, pickup_on, created_at, origin_id, district_id, origin_lat, origin_lon, _home_id,
         home_lat, home_lon, point_id, point_lat, point_lon, grams, capacity) in rows:
        day = pickup_on or created_at.date()
        way = Way.SHARED_TRIP if grams is not None else Way.COLLECTION_POINT
        if way is Way.COLLECTION_POINT and point_lat is None:
            continue
        saving = savings.setdefault((district_id, way), Saving(district_id, way))
        saving.orders += 1
        saving.farmers.add(farmer_id)
        avoided = 2 * distance_km(origin_lat, origin_lon, home_lat, home_lon) / sharing[("avoided", day, buyer_id, origin_id)]
        saving.baseline_km += avoided
        saving.baseline_kg_co2 += avoided * car
        if way is Way.SHARED_TRIP:
            km = 2 * distance_km(origin_lat, origin_lon, home_lat, home_lon) * grams / capacity
            saving.km += km
            saving.kg_co2 += km * lorry
        else:
            buyers = 2 * distance_km(home_lat, home_lon, point_lat, point_lon) / sharing[("buyer", day, buyer_id, point_id)]
            farmers = 2 * distance_km(origin_lat, origin_lon, point_lat, point_lon) / sharing[("farmer", day, farmer_id, point_id)]
            saving.km += buyers + farmers
            saving.kg_co2 += buyers * car + farmers * bike
    return list(savings.values())
