"""Demo listings for `flask seed-demo`, entered through the real service."""
from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.catalog.models import Category, Listing
from marketplace.catalog.services import ListingInput, create_listing, upload_photos
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
            photos = upload_photos(farmer, [demo_picture(slug, variant=index + 1)])
            create_listing(farmer, farmer, ListingInput(
                title=title, category_id=categories[slug], unit=unit, price=prices[index % len(prices)], stock=stock,
                village_id=farmer.farmer_profile.village_id, pickup_point=farmer.farmer_profile.pickup_point,
                price_confirmed=True, photo_ids=[photo.id for photo in photos],
            ))
            listed += 1
    return listed


# How each demo produce is drawn: background, the produce's colour, its shape (w, h in px), how many.
# Pictures drawn by the seed, not photographs: the repository ships no media, and a listing page or a
# dashboard without any picture is not what a farmer's phone would show.
DEMO_PICTURES = {
    "leafy-greens": ((196, 170, 120), (46, 125, 50), (150, 90), 14),
    "tomatoes-peppers": ((214, 186, 140), (200, 40, 30), (110, 100), 16),
    "mangoes-avocados": ((222, 205, 160), (60, 90, 40), (90, 120), 14),
    "maize": ((120, 90, 60), (235, 190, 60), (70, 170), 12),
    "eggs": ((190, 150, 90), (245, 235, 215), (80, 105), 15),
    "honey": ((110, 70, 40), (215, 140, 20), (150, 200), 4),
}


def demo_picture(slug: str, variant: int = 0) -> bytes:
    """A 800x600 JPEG of the produce, drawn (the same drawing for the same produce and variant)."""
    background, colour, (width, height), count = DEMO_PICTURES[slug]
    rng = random.Random(f"{slug}-{variant}")
    image = Image.new("RGB", (800, 600), background)
    draw = ImageDraw.Draw(image)
    for _ in range(count):
        x, y = rng.randint(40, 760 - width), rng.randint(40, 560 - height)
        shade = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in colour)
        draw.ellipse((x + 6, y + 8, x + width + 6, y + height + 8), fill=tuple(c // 2 for c in background))  # shadow
        draw.ellipse((x, y, x + width, y + height), fill=shade, outline=tuple(c // 2 for c in shade), width=3)
        draw.ellipse((x + width // 5, y + height // 6, x + width // 2, y + height // 3), fill=tuple(min(255, c + 60) for c in shade))
    out = io.BytesIO()
    image.filter(ImageFilter.SMOOTH).save(out, "JPEG", quality=82)
    return out.getvalue()


def seed_demo_listings(farmer: User) -> int:
    """A few listings for the demo farmer, through the real service (skipped when they already sell)."""
    if db.session.scalar(select(Listing.id).where(Listing.farmer_id == farmer.id).limit(1)):
        return 0
    categories = {c.slug: c.id for c in db.session.scalars(select(Category))}
    for title, slug, unit, price, stock, description in DEMO_LISTINGS:
        photos = upload_photos(farmer, [demo_picture(slug)])  # through the real pipeline: checked, sized by the job
        create_listing(farmer, farmer, ListingInput(
            title=title, description=description, category_id=categories[slug], unit=unit, price=price, stock=stock,
            village_id=farmer.farmer_profile.village_id, pickup_point=farmer.farmer_profile.pickup_point,
            photo_ids=[photo.id for photo in photos],
        ))
    return len(DEMO_LISTINGS)
