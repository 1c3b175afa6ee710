"""Loading the demo country and one demo person per role. Safe to run twice."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts import services
from marketplace.accounts.demo_data import (
    DEMO_HOMES,
    DEMO_NEIGHBOURS,
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    DEPARTMENTS,
    REGIONS,
    TOWNS,
)
from marketplace.accounts.models import Department, District, Region, Role, User, Village
from marketplace.core.cache import invalidate
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


def seed_places() -> None:
    for (region_code, region_name), districts in (*REGIONS.items(), *TOWNS.items()):
        region = db.session.scalar(select(Region).where(Region.code == region_code)) or Region(code=region_code, name=region_name)
        db.session.add(region)
        for (district_code, district_name), villages in districts.items():
            district = db.session.scalar(select(District).where(District.code == district_code))
            if district is None:
                district = District(code=district_code, name=district_name, region=region)
                db.session.add(district)
            known = {v.name: v for v in district.villages}
            for name, latitude, longitude in villages:
                village = known.get(name) or Village(name=name, district=district)
                db.session.add(village)
                if village.latitude is None:  # a position set since (flask places import) is kept
                    village.latitude, village.longitude = latitude, longitude
    for code, name in DEPARTMENTS:
        if not db.session.scalar(select(Department).where(Department.code == code)):
            db.session.add(Department(code=code, name=name))
    db.session.commit()
    invalidate("places")


def seed_demo_people() -> list[tuple[str, str, str]]:
    """Returns (role, phone, email) of each demo person, for the console."""
    village = db.session.scalar(select(Village).order_by(Village.id))
    created = []
    for role, name, phone, email in DEMO_PEOPLE:
        user = db.session.scalar(select(User).where(User.phone == phone))
        if user is None:
            home = db.session.scalar(select(Village).where(Village.name == DEMO_HOMES[role])) if role in DEMO_HOMES else village
            user = services.register_user(services.Registration(
                name=name, phone=phone, email=email, password=DEMO_PASSWORD, preferred_locale="en",
                village_id=home.id,
            ))
            user.phone_confirmed_at = utcnow()  # the demo's phones are the demo's own
            db.session.commit()
        if role == "farmer":
            services.become_farmer(user, "Green Valley Farm", village.id, "Market square, by the water tank",
                                   pickup_hours=[(day, 8 * 60, 17 * 60) for day in range(6)])
        elif role in ("agent", "official", "admin"):
            services.grant_role(None, user, Role(role), "demo data", "AGR" if role == "official" else None)
        created.append((role, phone, email))
    return created


def seed_demo_neighbours() -> list[User]:
    """The demo farmer's neighbours (accounts.demo_data.DEMO_NEIGHBOURS), farmers with weekly pickup hours."""
    neighbours = []
    for name, phone, farm, village_name, pickup in DEMO_NEIGHBOURS:
        user = db.session.scalar(select(User).where(User.phone == phone))
        if user is None:
            village = db.session.scalar(select(Village).where(Village.name == village_name))
            user = services.register_user(services.Registration(
                name=name, phone=phone, email="", password=DEMO_PASSWORD, preferred_locale="en", village_id=village.id))
            user.phone_confirmed_at = utcnow()
            db.session.commit()
            services.become_farmer(user, farm, village.id, pickup, pickup_hours=[(day, 7 * 60, 13 * 60) for day in range(6)])
        neighbours.append(user)
    return neighbours


def database_is_empty() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is None and db.session.scalar(select(Region.id).limit(1)) is None
