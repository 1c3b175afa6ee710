"""Deterministic, realistic catalog data for the benchmark: 200 farmers, 100,000 listings.

Rows go in through SQLAlchemy Core in batches (the services would take an hour
for this many); the search index is then built set-wise by catalog.search.
"""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from marketplace.accounts.models import FarmerProfile, Role, RoleGrant, User, Village
from marketplace.accounts.seeding import seed_places
from marketplace.catalog.models import Category, Listing, ListingStatus
from marketplace.catalog.search import rebuild_index
from marketplace.catalog.seeding import ensure_categories
from marketplace.extensions import db

PRODUCE = {
    "leafy-greens": (["Sukuma wiki", "Spinach", "Cabbage", "Kale", "Amaranth leaves", "Lettuce"], "bunch", (2000, 6000)),
    "root-vegetables": (["Sweet potatoes", "Cassava", "Carrots", "Irish potatoes", "Beetroot"], "kg", (4000, 12000)),
    "tomatoes-peppers": (["Ripe tomatoes", "Plum tomatoes", "Green peppers", "Chillies"], "kg", (6000, 18000)),
    "bananas": (["Ripe bananas", "Cooking bananas (matoke)", "Sweet bananas"], "bunch", (15000, 60000)),
    "mangoes-avocados": (["Apple mangoes", "Hass avocados", "Fuerte avocados", "Ngowe mangoes"], "piece", (1000, 4000)),
    "citrus": (["Oranges", "Lemons", "Tangerines"], "kg", (8000, 20000)),
    "maize": (["Dry maize", "Green maize", "White maize flour"], "sack", (300000, 550000)),
    "beans-lentils": (["Rosecoco beans", "Green grams", "Cowpeas", "Red lentils"], "kg", (12000, 25000)),
    "rice-millet-sorghum": (["Finger millet", "Pishori rice", "Sorghum"], "kg", (10000, 30000)),
    "dairy": (["Fresh cow milk", "Goat milk", "Mala (sour milk)", "Ghee"], "litre", (5000, 20000)),
    "eggs": (["Kienyeji eggs", "Farm eggs", "Duck eggs"], "dozen", (15000, 40000)),
    "meat-fish": (["Tilapia", "Goat meat", "Kienyeji chicken"], "kg", (40000, 90000)),
    "honey": (["Acacia honey", "Wild forest honey", "Honeycomb"], "litre", (60000, 150000)),
    "herbs-spices": (["Coriander", "Ginger", "Garlic", "Rosemary"], "bunch", (1000, 5000)),
    "seedlings": (["Avocado seedlings", "Tree tomato seedlings", "Kale seedlings"], "piece", (5000, 20000)),
    "crafts": (["Woven basket", "Clay pot", "Sisal bag"], "piece", (50000, 300000)),
}
ADJECTIVES = ["fresh", "organic", "hand-picked", "sun-dried", "sweet", "large", "small", "grade 1", "clean", "local"]


def generate(listings: int = 100_000, farmers: int = 200, seed: int = 20261128) -> dict:
    rng = random.Random(seed)
    seed_places()
    ensure_categories(db.session.connection())
    db.session.commit()
    villages = list(db.session.scalars(select(Village)))
    categories = {c.slug: c.id for c in db.session.scalars(select(Category))}
    password = generate_password_hash("bench-password-1", method="scrypt")
    now = datetime.now(UTC)

    users = [{"name": f"Farmer {i:03d}", "phone": f"+25471{9000000 + i:07d}", "email": None, "password_hash": password,
              "preferred_locale": rng.choice(["en", "es"]), "village_id": rng.choice(villages).id, "active": True,
              "phone_confirmed_at": now,  # farmers sell only from a confirmed phone
              "created_at": now, "updated_at": now} for i in range(farmers)]
    db.session.execute(insert(User), users)
    farmer_rows = list(db.session.execute(select(User.id, User.village_id).where(User.name.like("Farmer %")).order_by(User.id)))
    db.session.execute(insert(RoleGrant), [{"user_id": uid, "role": Role.FARMER, "granted_at": now, "reason": "bench"} for uid, _ in farmer_rows])
    db.session.execute(insert(FarmerProfile), [
        {"user_id": uid, "farm_name": f"Shamba {uid}", "village_id": vid, "pickup_point": "Market square", "created_at": now, "updated_at": now}
        for uid, vid in farmer_rows
    ])
    village_district = {v.id: (v.district_id, v.district.region_id) for v in villages}
    statuses = [ListingStatus.ACTIVE] * 17 + [ListingStatus.PAUSED, ListingStatus.SOLD_OUT, ListingStatus.ARCHIVED]
    slugs = list(PRODUCE)
    batch: list[dict] = []
    for i in range(listings):
        uid, vid = rng.choice(farmer_rows)
        slug = rng.choice(slugs)
        names, unit, (low, high) = PRODUCE[slug]
        name = rng.choice(names)
        district_id, region_id = village_district[vid]
        created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 90))
        batch.append({
            "farmer_id": uid, "entered_by_id": uid, "title": f"{name}, {rng.choice(ADJECTIVES)}",
            "description": f"{rng.choice(ADJECTIVES).capitalize()} {name.lower()} from our farm. Lot {i}.",
            "category_id": categories[slug], "unit": unit, "price_minor": rng.randint(low, high) // 50 * 50, "currency": "KES",
            "stock_milli": rng.randint(1, 200) * 1000, "min_order_milli": 0,
            "harvest_date": (created - timedelta(days=rng.randint(0, 5))).date(),
            "available_until": date.today() + timedelta(days=rng.randint(1, 30)),
            "village_id": vid, "district_id": district_id, "region_id": region_id, "pickup_point": "Market square, stall 4",
            "delivery_available": rng.random() < 0.3, "delivery_fee_minor": rng.choice([0, 5000, 10000]),
            "is_organic": rng.random() < 0.15, "is_natural": rng.random() < 0.3, "status": rng.choice(statuses),
            "view_count": 0, "created_at": created, "updated_at": created,
        })
        if len(batch) == 5000:
            db.session.execute(insert(Listing), batch)
            batch.clear()
    if batch:
        db.session.execute(insert(Listing), batch)
    indexed = rebuild_index()
    db.session.commit()
    refresh_statistics()
    return {"listings": indexed, "farmers": farmers}


def refresh_statistics() -> None:
    """What an operator runs after a bulk import (autovacuum would, later): without statistics
    PostgreSQL's planner guesses a few hundred rows and picks bitmap scans over the whole table;
    the search index UPDATE also leaves a dead version of every row to vacuum."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE")
