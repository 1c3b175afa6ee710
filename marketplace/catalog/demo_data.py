"""Demo listings for `flask seed-demo`, entered through the real service."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.catalog.models import Category, Listing
from marketplace.catalog.services import ListingInput, create_listing
from marketplace.extensions import db

DEMO_LISTINGS = [
    # (title, category slug, unit, price, stock, description)
    ("Sukuma wiki", "leafy-greens", "bunch", "30", "40", "Picked this morning, tender leaves."),
    ("Ripe tomatoes", "tomatoes-peppers", "kg", "120", "50", "Red and firm, good for stew and salad."),
    ("Hass avocados", "mangoes-avocados", "piece", "25", "200", "Ready to eat in two days."),
    ("Dry maize", "maize", "sack", "4200", "12", "90 kg sacks, sun-dried, clean."),
    ("Kienyeji eggs", "eggs", "dozen", "240", "15", "Free-range hens."),
    ("Acacia honey", "honey", "litre", "900", "6", "Raw honey from our hives by the river."),
]


# What the neighbours sell: the same produce at nearby prices, so the price index has cells.
NEIGHBOUR_LISTINGS = [
    # (title, category slug, unit, prices per neighbour, stock)
    ("Tomatoes", "tomatoes-peppers", "kg", ("110", "130", "100"), "40"),
    ("Sukuma wiki", "leafy-greens", "bunch", ("25", "35", "30"), "60"),
    ("Eggs", "eggs", "dozen", ("230", "250", "260"), "20"),
]


def seed_neighbour_listings(neighbours: list[User]) -> int:
    categories = {c.slug: c.id for c in db.session.scalars(select(Category))}
    listed = 0
    for index, farmer in enumerate(neighbours):
        if db.session.scalar(select(Listing.id).where(Listing.farmer_id == farmer.id).limit(1)):
            continue
        for title, slug, unit, prices, stock in NEIGHBOUR_LISTINGS:
            create_listing(farmer, farmer, ListingInput(
                title=title, category_id=categories[slug], unit=unit, price=prices[index % len(prices)], stock=stock,
                village_id=farmer.farmer_profile.village_id, pickup_point=farmer.farmer_profile.pickup_point,
                price_confirmed=True,
            ))
            listed += 1
    return listed


def seed_demo_listings(farmer: User) -> int:
    """A few listings for the demo farmer, through the real service (skipped when they already sell)."""
    if db.session.scalar(select(Listing.id).where(Listing.farmer_id == farmer.id).limit(1)):
        return 0
    categories = {c.slug: c.id for c in db.session.scalars(select(Category))}
    for title, slug, unit, price, stock, description in DEMO_LISTINGS:
        create_listing(farmer, farmer, ListingInput(
            title=title, description=description, category_id=categories[slug], unit=unit, price=price, stock=stock,
            village_id=farmer.farmer_profile.village_id, pickup_point=farmer.farmer_profile.pickup_point,
        ))
    return len(DEMO_LISTINGS)
