"""People and produce for the load test, through the same services the site uses.

Farmers each list two *scarce* listings (20 kg, which buyers fight over and farmers leave alone, so
stock is conserved and can be checked exactly) and two *plentiful* ones (farmers set their stock
during the run). Writes the accounts and the scarce listings' starting stock to build/loadtest/seed.json.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from sqlalchemy import select

from marketplace import create_app
from marketplace.accounts import services as accounts
from marketplace.accounts.models import Village
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Category
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db

PASSWORD = "load-test-password"
SCARCE_STOCK = "20"


def seed(path: Path, farmers: int = 12, buyers: int = 40, residents: int = 20) -> dict:
    villages = list(db.session.scalars(select(Village).order_by(Village.id)))
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    produce = [("tomatoes-peppers", "Tomatoes", "120"), ("maize", "Dry maize", "60")]
    plenty = [("tomatoes-peppers", "Sweet peppers", "150"), ("maize", "Green maize", "45")]
    people: dict = {"password": PASSWORD, "farmers": [], "buyers": [], "residents": [], "scarce": {}, "plentiful": {}}

    def person(kind: str, number: int):
        village = villages[number % len(villages)]
        phone = f"+2547{ {'farmers': 1, 'buyers': 2, 'residents': 3}[kind] }{number:07d}"
        user = accounts.register_user(accounts.Registration(
            name=f"Load {kind[:-1]} {number}", phone=phone, password=PASSWORD, preferred_locale="en", village_id=village.id))
        user.phone_confirmed_at = utcnow()  # as if each typed back the code texted at registration
        return user, village

    for number in range(farmers):
        user, village = person("farmers", number)
        accounts.become_farmer(user, f"Load farm {number}", village.id, "By the market gate")
        for slug, title, price in produce:
            listing = catalog.create_listing(user, user, catalog.ListingInput(
                title=f"{title} from farm {number}", description="Picked this week.", category_id=categories[slug].id,
                unit="kg", price=price, stock=SCARCE_STOCK, village_id=village.id, pickup_point="By the market gate"))
            people["scarce"][str(listing.id)] = int(SCARCE_STOCK) * 1000
        for slug, title, price in plenty:
            listing = catalog.create_listing(user, user, catalog.ListingInput(
                title=f"{title} from farm {number}", description="Plenty this week.", category_id=categories[slug].id,
                unit="kg", price=price, stock="500", village_id=village.id, pickup_point="By the market gate"))
            people["plentiful"].setdefault(user.phone, []).append(listing.id)
        people["farmers"].append(user.phone)
    for number in range(buyers):
        people["buyers"].append(person("buyers", number)[0].phone)
    for number in range(residents):
        user, village = person("residents", number)
        people["residents"].append({"phone": user.phone, "village_id": village.id, "name": user.name})
    db.session.commit()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(people, indent=1))
    return people


if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        people = seed(Path(sys.argv[1]))
    print(f"seeded {len(people['farmers'])} farmers, {len(people['buyers'])} buyers, {len(people['residents'])} residents")
