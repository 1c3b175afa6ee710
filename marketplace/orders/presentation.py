"""How an order reads for the people in it: where and when to collect, from whom, with a map link.

One wording for the order page, "Order placed", "My orders" and the SMS, so the buyer is told
the same thing everywhere (issue 20: "Pickup at the farmer's pickup point" told nobody anything).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from marketplace.i18n import clock, format_day
from marketplace.orders import food_miles, shared_trips
from marketplace.orders.labels import trip_status_name
from marketplace.orders.models import Fulfilment, Order

MAP_SEARCH = "https://www.openstreetmap.org/search?"  # a search by place name needs no coordinates we do not have


def farm_name(order: Order) -> str:
    profile = order.farmer.farmer_profile
    return profile.farm_name if profile and profile.farm_name else order.farmer.name


def where_to_collect(order: Order) -> str:
    """'Market square, stall 4, Mbeu (Hill)'; "" for a delivery."""
    if order.fulfilment is Fulfilment.DELIVERY:
        return ""
    village = order.pickup_village
    parts = [order.pickup_point.strip(), f"{village.name} ({village.district.name})" if village else ""]
    return ", ".join(part for part in parts if part)


def when_to_collect(order: Order) -> str:
    """'Saturday 5 December 2026, 08:00–12:00', or "" when the farmer keeps no hours."""
    if order.pickup_on is None or order.pickup_opens_minute is None or order.pickup_closes_minute is None:
        return ""
    return pickup_window(order.pickup_on, order.pickup_opens_minute, order.pickup_closes_minute)


def pickup_window(day, opens_minute: int, closes_minute: int) -> str:
    """One wording for a pickup window, on the checkout's choices and on the order alike."""
    return _("%(day)s, %(from)s–%(until)s", day=format_day(day, "full"),
             **{"from": clock(opens_minute), "until": clock(closes_minute)})


def map_link(order: Order) -> str:
    where = where_to_collect(order)
    return MAP_SEARCH + urlencode({"query": where}) if where else ""


def collection_sentence(order: Order) -> str:
    """The SMS's line: where, when, from whom, and the farm's phone."""
    if order.fulfilment is Fulfilment.DELIVERY:
        return _("Delivery to: %(address)s", address=order.delivery_address)
    when = when_to_collect(order)
    where = where_to_collect(order)
    if order.fulfilment is Fulfilment.COLLECTION_POINT:
        # From the point's manager, not the farmer: with the buyer's other orders there that day.
        sentence = _("Collect at the collection point %(where)s.", where=where)
        return sentence + (" " + _("When: %(when)s.", when=when) if when else "")
    sentence = _("Collect from %(farm)s at %(where)s.", farm=farm_name(order), where=where) if where else \
        _("Collect from %(farm)s.", farm=farm_name(order))
    if when:
        sentence += " " + _("When: %(when)s.", when=when)
    if order.farmer.phone:
        sentence += " " + _("Farmer's phone: %(phone)s.", phone=order.farmer.phone)
    return sentence


def _about(value: float) -> str:
    """A rounded figure for a reader: whole units from 10 up, one decimal below, two under a tenth
    (an order's share of a lorry is a few hundredths of a kilogram of CO₂, not "about 0")."""
    return format_decimal(round(value) if value >= 10 else round(value, 1) if value >= 0.1 else round(value, 2))


def food_miles_sentence(order: Order) -> str:
    """The order's trip in words, or "" when the gazetteer cannot place both ends."""
    found = food_miles.order_trip(order)
    if found is None or found.km < 1:  # within the village: a walk, nothing to weigh
        return ""
    if found.way is food_miles.Way.BUYERS_OWN_TRIP:
        return _("About %(km)s km there and back, by the buyer's own trip to the farm: about %(kg)s kg of CO₂.",
                 km=_about(found.km), kg=_about(found.kg_co2))
    if found.way is food_miles.Way.SHARED_TRIP:
        return _("About %(km)s km there and back, by a shared trip to town: this order's share of the lorry is about %(kg)s kg of CO₂.",
                 km=_about(found.km), kg=_about(found.kg_co2))
    if found.way is food_miles.Way.COLLECTION_POINT:
        return _("About %(km)s km there and back, by the farmer's ride to the collection point and the buyer's trip there, "
                 "shared with the other orders there that day: about %(kg)s kg of CO₂.", km=_about(found.km), kg=_about(found.kg_co2))
    return _("About %(km)s km there and back, by the farmer's delivery: about %(kg)s kg of CO₂.",
             km=_about(found.km), kg=_about(found.kg_co2))


def food_miles_totals_sentence(buyer_id: int) -> str:
    totals = food_miles.buyer_totals(buyer_id)
    if not totals.orders:
        return ""
    return ngettext("Your orders travelled about %(km)s km, in %(num)d trip: about %(kg)s kg of CO₂.",
                    "Your orders travelled about %(km)s km, in %(num)d trips: about %(kg)s kg of CO₂.",
                    totals.trips, km=_about(totals.km), kg=_about(totals.kg_co2))


TEMPLATE_GLOBALS = {
    "food_miles_sentence": food_miles_sentence, "food_miles_totals_sentence": food_miles_totals_sentence,
    "order_farm_name": farm_name, "where_to_collect": where_to_collect, "when_to_collect": when_to_collect,
    "order_map_link": map_link, "pickup_window": pickup_window,
    "trip_sentence": shared_trips.trip_sentence, "trip_weight": shared_trips.weight_text, "trip_price_per_kg": shared_trips.price_per_kg,
    "trip_status_name": trip_status_name, "may_ride_a_trip": shared_trips.may_ride,
}
