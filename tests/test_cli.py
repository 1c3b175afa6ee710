"""`flask seed-demo` and `flask users grant|revoke`, through Click's runner."""
from __future__ import annotations

from sqlalchemy import func, select

from marketplace.accounts.demo_data import DEMO_PASSWORD
from marketplace.accounts.models import Region, Role, User, Village
from marketplace.accounts.services import authenticate


def test_seed_demo_loads_places_and_one_person_per_role_and_is_safe_to_rerun(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "+254711000006" in result.output
    villages = db.session.scalar(select(func.count()).select_from(Village))
    assert villages >= 30 and db.session.scalar(select(func.count()).select_from(Region)) == 6  # five counties and Nairobi
    admin = authenticate("+254711000006", DEMO_PASSWORD)
    assert admin.has_role(Role.ADMIN)
    assert authenticate("+254711000005", DEMO_PASSWORD).department_id is not None
    farmer = authenticate("+254711000002", DEMO_PASSWORD)
    assert farmer.farmer_profile is not None
    from marketplace.catalog.models import Listing

    on_sale = db.session.scalar(select(func.count()).select_from(Listing).where(Listing.farmer_id == farmer.id))
    assert on_sale == 6 and "15 demo listings" in result.output
    # Each of the demo farmer's listings has a picture, made by the real pipeline (both sizes, the original gone).
    for listing in db.session.scalars(select(Listing).where(Listing.farmer_id == farmer.id)):
        (shown,) = listing.photos
        assert shown.photo.ready and shown.photo.thumb_key and shown.photo.display_key, listing.title
    # A fresh install does not look empty (issue 20 item 11): neighbours sell the same produce, so the
    # price index publishes cells (three farmers each) from the start, and there is an order to prepare.
    from marketplace.opendata.models import PriceCell
    from marketplace.orders.models import Order

    assert db.session.scalar(select(func.count()).select_from(PriceCell)) >= 3
    (order,) = db.session.scalars(select(Order)).all()
    assert order.farmer_id == farmer.id and order.pickup_point and "order " + order.number in result.output

    # Applications in every state a resident and an official meet (issue 20 item 11): approved with its
    # certificate, rejected with its reason, one waiting in the demo official's queue; /performance has figures.
    from marketplace.egov.models import Submission, SubmissionStatus
    from marketplace.opendata.models import ServiceMonth

    resident = authenticate("+254711000003", DEMO_PASSWORD)
    mine = {s.status: s for s in db.session.scalars(select(Submission).where(Submission.applicant_id == resident.id))}
    assert set(mine) == {SubmissionStatus.APPROVED, SubmissionStatus.REJECTED}
    assert mine[SubmissionStatus.APPROVED].certificate.code and mine[SubmissionStatus.APPROVED].attachments
    assert "vaccinated" in mine[SubmissionStatus.REJECTED].decision_reason
    waiting = db.session.scalars(select(Submission).where(Submission.status == SubmissionStatus.SUBMITTED)).all()
    assert len(waiting) == 1 and waiting[0].department_id == authenticate("+254711000005", DEMO_PASSWORD).department_id
    assert db.session.scalar(select(func.count()).select_from(ServiceMonth)) >= 1

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Village)) == villages
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 15
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert "skipped" in runner.invoke(args=["seed-demo", "--if-empty"]).output


def test_users_grant_and_revoke_from_the_command_line(app, db, places):
    from tests import factories

    person = factories.user(phone="+254722777000")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "grant", "0722 777 000", "official", "--department", "REG"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, person.id).department_id == places["departments"]["REG"].id
    result = runner.invoke(args=["users", "revoke", "+254722777000", "official"])
    assert result.exit_code == 0
    db.session.expire_all()
    assert not db.session.get(User, person.id).has_role(Role.OFFICIAL)


def test_users_grant_explains_what_is_wrong(app, places):
    runner = app.test_cli_runner()
    assert "no account" in runner.invoke(args=["users", "grant", "0799000000", "agent"]).output
    from tests import factories

    factories.user(phone="+254722777001")
    result = runner.invoke(args=["users", "grant", "+254722777001", "official"])
    assert result.exit_code != 0 and "department" in result.output


def test_the_pay_bill_urls_are_registered_from_the_command_line(app, mpesa_on):
    result = app.test_cli_runner().invoke(args=["payments", "register-paybill"])
    assert result.exit_code == 0, result.output
    assert mpesa_on.paybill_urls["validation"].endswith("/payments/mpesa/paybill/validate/test-mpesa")
    assert mpesa_on.paybill_urls["confirmation"].endswith("/payments/mpesa/paybill/confirm/test-mpesa")
    assert "test-mpesa" not in result.output  # the secret is not printed
