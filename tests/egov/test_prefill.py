"""Tell us once: profile facts fill government forms only with the applicant's consent."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.egov import consent
from marketplace.egov.models import AuditEvent, PrefillConsent, Submission
from marketplace.egov.prefill import PREFILL_SOURCES, facts_needing_consent, prefill_answers
from marketplace.orders import cart
from marketplace.orders import services as orders
from marketplace.orders.checkout import place_checkout
from marketplace.orders.models import OrderStatus
from tests import factories

SUBSIDY = "agricultural-input-subsidy"


@pytest.fixture
def selling_farmer(egov, places):
    """A farmer who sold 3 sacks of maize (one completed order) and lists honey too."""
    cats = factories.categories()
    farmer = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    maize = factories.listing(farmer, cats["maize"], title="Dry maize", unit="sack", price="4200", stock="10")
    factories.listing(farmer, cats["honey"], title="Acacia honey", unit="litre", price="800", stock="5")
    buyer = factories.user("Buyer")
    cart.add_to_cart(buyer, {}, maize.id, "3")
    order = place_checkout(buyer, {}, {}).orders[0]
    for status in (OrderStatus.READY_FOR_PICKUP, OrderStatus.COLLECTED, OrderStatus.COMPLETED):
        orders.move(farmer, order, status, pickup_code=order.pickup_code or "")
    return farmer


def test_every_prefill_source_reads_the_farmers_own_facts(app, selling_farmer):
    farmer = selling_farmer
    read = {key: source.read(farmer) for key, source in PREFILL_SOURCES.items()}
    assert read["person.name"] == "Wanjiru" and read["person.phone"] == farmer.phone and read["person.village"] == farmer.village_id
    assert read["farm.name"] == "Wanjiru's farm" and read["farm.village"] == farmer.farmer_profile.village_id
    assert read["farm.pickup_point"] == "By the water tank"
    assert read["farm.categories"] == "Honey, Maize"
    assert read["sales.completed_orders"] == 1 and read["sales.value_12m"] == 3 * 4200_00
    assert read["sales.by_category_12m"] == "Maize: 3 sacks, Ksh\xa012,600"
    # Someone who does not farm has nothing to share beyond contact details.
    resident = factories.user("Achieng")
    assert PREFILL_SOURCES["farm.name"].read(resident) is None and PREFILL_SOURCES["sales.value_12m"].read(resident) is None


def test_without_consent_only_contact_details_are_copied(egov, selling_farmer):
    definition = egov["services"][SUBSIDY].published_version.definition
    assert set(prefill_answers(definition, selling_farmer)) == {"full_name", "phone", "home_village"}
    assert "your farm's name" in facts_needing_consent(definition) and "your name" not in facts_needing_consent(definition)
    full = prefill_answers(definition, selling_farmer, with_consent=True)
    assert full["farm_name"] == "Wanjiru's farm" and full["sales_value"] == 1_260_000 and full["completed_orders"] == "1"


def _start(client):
    response = client.post(f"/services/{SUBSIDY}/start")
    return re.search(r"/applications/([^/]+)/step/", response.headers["Location"]).group(1)


def test_the_applicant_sees_the_facts_agrees_and_the_form_fills_then_an_edit_is_marked(client, login, egov, selling_farmer, db):
    login(selling_farmer)
    key = _start(client)
    page = client.get(f"/applications/{key}/step/1").get_data(as_text=True)
    assert "Fill in from your Village Square profile?" in page and "your farm&#39;s name" in page
    assert "the value of your sales in the last 12 months" in page
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.key == key))
    assert "farm_name" not in submission.answers  # nothing beyond contact details before agreeing
    client.post(f"/applications/{key}/prefill", data={"agree": "yes", "step": "1"})
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.key == key))
    assert submission.answers["farm_name"] == "Wanjiru's farm" and submission.answers["sales_value"] == 1_260_000
    assert submission.prefilled["produce_listed"] == "Honey, Maize"
    assert "Fill in from your Village Square profile?" not in client.get(f"/applications/{key}/step/1").get_data(as_text=True)
    # The farmer corrects the farm's name: an ordinary answer, marked as edited for the official.
    client.post(f"/applications/{key}/step/1", data={"full_name": "Wanjiru", "national_id": "12345678",
                                                      "phone": selling_farmer.phone, "home_village": str(selling_farmer.village_id)})
    client.post(f"/applications/{key}/step/2", data={"farm_name": "Wanjiru Hill Farm", "farm_size": "2", "crops": ["maize"], "irrigated": "no"})
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.key == key))
    assert submission.answers["farm_name"] == "Wanjiru Hill Farm" and submission.prefilled["farm_name"] == "Wanjiru's farm"
    client.post("/logout")
    submission.status = submission.status.SUBMITTED  # straight to the office for the official's view
    submission.reference = "AGR-2026-000777"
    db.session.commit()
    login(egov["official"])
    response = client.get("/official/applications/AGR-2026-000777")
    view = response.get_data(as_text=True)
    assert response.status_code == 200, view[view.find("<main"):][:500]
    marks = re.findall(r'<span class="hint">([^<]*)</span>', view)
    assert "edited by the applicant" in marks and "from the applicant's Village Square profile" in marks
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.submission_id == submission.id))]
    assert "prefill_agreed" in actions


def test_consent_is_remembered_per_service_and_can_be_withdrawn(client, login, egov, selling_farmer, db):
    login(selling_farmer)
    first = _start(client)
    client.post(f"/applications/{first}/prefill", data={"agree": "yes"})
    second = _start(client)
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.key == second))
    assert submission.answers["farm_name"] == "Wanjiru's farm"  # not asked again
    page = client.get("/applications").get_data(as_text=True)
    assert "What your profile shares with forms" in page and "Agricultural input subsidy" in page
    assert "<title>My applications · Village Square</title>" in page
    assert page.count("What your profile shares with forms") == 1  # listed once, in the page body
    consent_id = db.session.scalar(select(PrefillConsent.id))
    client.post(f"/applications/consents/{consent_id}/revoke")
    third = _start(client)
    db.session.expire_all()
    assert "farm_name" not in db.session.scalar(select(Submission).where(Submission.key == third)).answers
    assert "Fill in from your Village Square profile?" in client.get(f"/applications/{third}/step/1").get_data(as_text=True)


def test_declining_copies_nothing_and_is_not_asked_again_on_that_draft(client, login, egov, selling_farmer, db):
    login(selling_farmer)
    key = _start(client)
    client.post(f"/applications/{key}/prefill", data={"agree": "no"})
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.key == key))
    assert "farm_name" not in submission.answers and submission.prefill_decided
    assert db.session.scalar(select(PrefillConsent)) is None
    assert "Fill in from your Village Square profile?" not in client.get(f"/applications/{key}/step/1").get_data(as_text=True)


def test_an_agent_cannot_agree_for_the_resident_and_others_cannot_revoke(client, login, egov, selling_farmer, db):
    login(egov["agent"])
    # Not even a draft without the farmer beside the agent.
    assert client.post(f"/services/{SUBSIDY}/start", data={"for": str(selling_farmer.id)}).headers["Location"].endswith(
        f"/agent/residents?person={selling_farmer.id}")
    assert db.session.scalar(select(Submission)) is None
    factories.present(egov["agent"], selling_farmer)
    response = client.post(f"/services/{SUBSIDY}/start", data={"for": str(selling_farmer.id)})
    key = re.search(r"/applications/([^/]+)/step/", response.headers["Location"]).group(1)
    assert "Fill in from your Village Square profile?" not in client.get(f"/applications/{key}/step/1").get_data(as_text=True)
    assert client.post(f"/applications/{key}/prefill", data={"agree": "yes"}).status_code == 403
    client.post("/logout")
    db.session.add(PrefillConsent(user_id=selling_farmer.id, eservice_id=egov["services"][SUBSIDY].id))
    db.session.commit()
    with pytest.raises(consent.DomainError):
        consent.revoke(egov["resident"], db.session.scalar(select(PrefillConsent.id)))


def test_the_official_sees_shared_facts_only_with_consent_and_never_orders(client, login, egov, selling_farmer, db):
    login(selling_farmer)
    key = _start(client)
    client.post("/logout")
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.key == key))
    submission.status, submission.reference = submission.status.SUBMITTED, "AGR-2026-000555"
    db.session.commit()
    login(egov["official"])
    page = client.get("/official/applications/AGR-2026-000555").get_data(as_text=True)
    assert "What the applicant shares from Village Square" not in page  # no consent yet
    client.post("/logout")
    db.session.add(PrefillConsent(user_id=selling_farmer.id, eservice_id=submission.eservice_id))
    db.session.commit()
    login(egov["official"])
    page = client.get("/official/applications/AGR-2026-000555").get_data(as_text=True)
    panel = page.split("What the applicant shares from Village Square")[1].split("</aside>")[0]
    assert "Wanjiru&#39;s farm" in panel and "Mbeu (Hill)" in panel and "Honey, Maize" in panel
    assert "Maize: 3 sacks" in panel
    assert "Buyer" not in panel  # the farmer's customers and orders are not shared


def test_where_a_person_lives_and_their_language(app, places):
    resident = factories.user("Achieng", village=places["villages"]["Mbeu"], locale="sw")
    read = {key: PREFILL_SOURCES[key].read(resident) for key in ("person.district", "person.region", "person.language")}
    assert read == {"person.district": "Hill", "person.region": "Northland", "person.language": "Kiswahili"}
    assert PREFILL_SOURCES["person.district"].contact and not PREFILL_SOURCES["person.language"].contact  # language needs consent
    nowhere = factories.user("No village")
    assert PREFILL_SOURCES["person.district"].read(nowhere) is None
