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
