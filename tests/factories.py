"""Test data built through the same services the product uses, so rules stay in one place."""
from __future__ import annotations

import itertools
from datetime import timedelta

from marketplace.accounts import services
from marketplace.accounts.models import Department, District, PresenceCheck, Region, Role, User, Village
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db

PASSWORD = "correct-horse-9"
_phones = itertools.count(100000)


def places() -> dict:
    """A small country: two regions, three districts, villages, two departments."""
    north = Region(code="N", name="Northland")
    south = Region(code="S", name="Southland")
    hill = District(code="N-HIL", name="Hill", region=north)
    lake = District(code="N-LAK", name="Lake", region=north)
    coast = District(code="S-COA", name="Coast", region=south)
    villages = {
        # positions as in the demo gazetteer: Mbeu and Kianjai 6.7 km apart, the others far
        "Mbeu": Village(name="Mbeu", district=hill, latitude=0.21, longitude=37.72),
        "Kianjai": Village(name="Kianjai", district=hill, latitude=0.21, longitude=37.78),
        "Ahero": Village(name="Ahero", district=lake, latitude=-0.174, longitude=34.919),
        "Tala": Village(name="Tala", district=coast),  # one village the gazetteer does not place
    }
    agriculture = Department(code="AGR", name="Agriculture")
    registry = Department(code="REG", name="Civil Registration")
    db.session.add_all([north, south, hill, lake, coast, *villages.values(), agriculture, registry])
    db.session.commit()
    return {"villages": villages, "departments": {"AGR": agriculture, "REG": registry}, "districts": {"Hill": hill, "Lake": lake, "Coast": coast}}


def next_phone() -> str:
    """Distinct, valid Kenyan mobile numbers in E.164."""
    return f"+254722{next(_phones):06d}"


def user(name: str = "Test Person", *, phone: str | None = None, email: str = "", locale: str = "en",
         village: Village | None = None, password: str = PASSWORD, phone_confirmed: bool = True) -> User:
    """A registered person; their phone is confirmed (as if they typed back the code) unless told not."""
    person = services.register_user(services.Registration(
        name=name, phone=phone if phone is not None else next_phone(), email=email, password=password,
        preferred_locale=locale, village_id=village.id if village else None,
    ))
    if phone_confirmed and person.phone:
        person.phone_confirmed_at = utcnow()
        db.session.commit()
    return person


def present(agent: User, person: User) -> None:
    """`person` has shown they are with `agent` (as the code texted to them would)."""
    now = utcnow()
    db.session.add(PresenceCheck(agent_id=agent.id, person_id=person.id, method="code", confirmed_at=now,
                                 expires_at=now + timedelta(hours=2)))
    db.session.commit()


def farmer(village: Village, name: str = "Farmer Wanjiru", **kwargs) -> User:
    person = user(name, village=village, **kwargs)
    services.become_farmer(person, f"{name}'s farm", village.id, "By the water tank")
    return person


def with_role(role: Role, department: Department | None = None, **kwargs) -> User:
    person = user(f"Test {role.value}", **kwargs)
    services.grant_role(None, person, role, "test", department.code if department else None)
    return person


# --- catalog ---------------------------------------------------------------------------

def categories() -> dict:
    from marketplace.catalog.models import Category
    from marketplace.catalog.seeding import ensure_categories

    ensure_categories(db.session.connection())
    db.session.commit()
    return {c.slug: c for c in db.session.scalars(db.select(Category))}


def listing_input(village: Village, category, **overrides):
    from marketplace.catalog.services import ListingInput

    values = dict(
        title="Ripe tomatoes", description="Grown on the hill, picked this morning.", category_id=category.id, unit="kg",
        price="120", stock="50", min_order="", village_id=village.id, pickup_point="Market square, stall 4",
    )
    values.update(overrides)
    return ListingInput(**values)


def listing(farmer: User, category, actor: User | None = None, **overrides):
    from marketplace.catalog.services import create_listing

    village = farmer.farmer_profile.village
    return create_listing(actor or farmer, farmer, listing_input(village, category, **overrides))


def photo_bytes(width: int = 1200, height: int = 900, fmt: str = "JPEG", exif=None, color=(200, 60, 40)) -> bytes:
    """A real image made in the test; `exif` is a PIL Exif object to embed."""
    import io

    from PIL import Image

    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 40):  # some detail, so compression has work to do
        for y in range(0, height, 40):
            image.putpixel((x, y), (x % 255, y % 255, 90))
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()
