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
