import pytest

from marketplace.accounts.models import Department, Role
from marketplace.extensions import db
from marketplace.voice.seeding import ensure_default_routing
from tests import factories


@pytest.fixture
def voice(places):
    """Public works handles roads and water everywhere; Hill has its own rule for water (Lands)."""
    for code, name in (("PWK", "Public Works, Water and Energy"), ("LND", "Lands"), ("SWF", "Social Welfare")):
        db.session.add(Department(code=code, name=name))
    db.session.commit()
    ensure_default_routing()
    departments = {d.code: d for d in db.session.scalars(db.select(Department))}
    village = places["villages"]["Mbeu"]
    return {
        "departments": departments, "village": village, "hill": places["districts"]["Hill"],
        "resident": factories.user("Wanjiku Mwangi", village=village, locale="sw"),
        "neighbour": factories.user("Neighbour Otieno", village=village, locale="fr"),
        "agent": factories.with_role(Role.AGENT, village=village),
        "works": factories.with_role(Role.OFFICIAL, departments["PWK"]),
        "lands": factories.with_role(Role.OFFICIAL, departments["LND"]),
        "admin": factories.with_role(Role.ADMIN),
    }


@pytest.fixture
def partner(voice):
    """A partner app's account and the api_key an admin issued it (Open311)."""
    from marketplace.voice import open311

    account = factories.user("Kisumu 311 app", village=voice["village"])
    _key, secret = open311.issue_key(None, "Kisumu 311 app", account.phone)
    return {"account": account, "api_key": secret}
