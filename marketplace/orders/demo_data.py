"""A demo order for `flask seed-demo`, placed through the real checkout: the demo buyer collects
from the demo farmer, so the farmer's home shows an order to get ready and the buyer's orders say
where and when to collect."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.catalog.api import Listing
from marketplace.extensions import db
from marketplace.orders import cart
from marketplace.orders.checkout import FarmerChoice, pickup_slots_of, place_checkout
from marketplace.orders.models import Order


def seed_demo_order(buyer: User, farmer: User) -> str | None:
    """The order's number, or None when the buyer already has orders."""
    if db.session.scalar(select(Order.id).where(Order.buyer_id == buyer.id).limit(1)):
        return None
    listing = db.session.scalar(select(Listing).where(Listing.farmer_id == farmer.id, Listing.unit == "kg").order_by(Listing.id))
    if listing is None:
        return None
    cart.add_to_cart(buyer, {}, listing.id, "2")
    slots = pickup_slots_of(farmer)
    choice = FarmerChoice(fulfilment="pickup", delivery_address="", payment_method="on_pickup",
                          pickup_slot=slots[0].key if slots else "")
    return place_checkout(buyer, {}, {farmer.id: choice}).orders[0].number


DEMO_POINT = ("Njoro Farmers' Cooperative Store", "Lare market, next to the cattle dip", "Lare")


def seed_demo_collection_point(manager: User) -> str | None:
    """A collection point of the demo farmer's district, run by the demo agent: its name, or None
    when there is one already."""
    from marketplace.accounts.api import Village
    from marketplace.orders.models import CollectionPoint

    name, place, village_name = DEMO_POINT
    if db.session.scalar(select(CollectionPoint.id).where(CollectionPoint.name == name)):
        return None
    village = db.session.scalar(select(Village).where(Village.name == village_name))
    if village is None:
        return None
    db.session.add(CollectionPoint(name=name, place=place, village=village, manager=manager, opening_days="012345",
                                   opens_minute=8 * 60, closes_minute=17 * 60, capacity_per_day=40))
    db.session.commit()
    return name
