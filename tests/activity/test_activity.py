"""My activity: the person's orders, listings needing attention, applications, payments and payouts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from marketplace.accounts.models import Role
from marketplace.activity import services as activity
from marketplace.catalog.models import Listing
from marketplace.catalog.moderation import hide_listing
from marketplace.catalog.services import set_stock
from marketplace.core.timeutils import utcnow
from marketplace.egov.services import start_application
from marketplace.orders import cart
from marketplace.orders.checkout import place_checkout
from marketplace.orders.models import Order
from marketplace.payments import ledger
from marketplace.payments.models import LedgerKind, Payment, PaymentStatus
from tests import factories

SUBSIDY = "agricultural-input-subsidy"


@pytest.fixture
def people(egov, places, db):
    """Wanjiru farms, buys, applies and is paid; Otieno only farms; Amina only buys; the resident only applies."""
    cats = factories.categories()
    wanjiru = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    otieno = factories.farmer(places["villages"]["Tala"], "Otieno")
    amina = factories.user("Amina")
    maize = factories.listing(wanjiru, cats["maize"], title="Dry maize", unit="sack", price="4200", stock="10")
    eggs = factories.listing(wanjiru, cats["eggs"], title="Eggs", unit="dozen", price="240", stock="5")
    honey = factories.listing(wanjiru, cats["honey"], title="Honey", unit="litre", price="800", stock="5")
    tomatoes = factories.listing(otieno, cats["tomatoes-peppers"], title="Tomatoes", unit="kg", price="150", stock="20")
    cart.add_to_cart(amina, {}, maize.id, "2")
    sold = place_checkout(amina, {}, {}).orders[0]
    cart.add_to_cart(wanjiru, {}, tomatoes.id, "3")
    bought = place_checkout(wanjiru, {}, {}).orders[0]
    set_stock(wanjiru, eggs, "0")
    hide_listing(factories.with_role(Role.ADMIN), honey, "Blurred photo")
    application = start_application(wanjiru, egov["services"][SUBSIDY])
    resident_application = start_application(egov["resident"], egov["services"][SUBSIDY])
    payment = Payment(purpose="checkout", reference=bought.checkout.reference, payer_id=wanjiru.id, amount_minor=45000,
                      currency="KES", status=PaymentStatus.PAID)
    db.session.add(payment)
    payout = ledger.record(wanjiru.id, LedgerKind.MANUAL_PAYOUT, -8400_00, "KES", "PAYOUT-1", note="M-Pesa")
    ledger.record(wanjiru.id, LedgerKind.SALE, 8400_00, "KES", sold.number)  # a sale is not a payout
    db.session.commit()
    return dict(wanjiru=wanjiru, otieno=otieno, amina=amina, resident=egov["resident"], sold=sold, bought=bought,
                eggs=eggs, honey=honey, maize=maize, application=application, resident_application=resident_application,
                payment=payment, payout=payout)


def _kinds(person) -> set[tuple[str, int]]:
    return {(e.kind, e.subject.id) for e in activity.activity_page(person).entries}


def test_each_role_combination_sees_its_own_entries_only(people):
    p = people
    assert _kinds(p["wanjiru"]) == {
        ("sold", p["sold"].id), ("bought", p["bought"].id), ("listing", p["eggs"].id), ("listing", p["honey"].id),
        ("application", p["application"].id), ("payment", p["payment"].id), ("payout", p["payout"].id),
    }  # the maize listing is active with stock: nothing to do, not shown
    assert _kinds(p["otieno"]) == {("sold", p["bought"].id)}
    assert _kinds(p["amina"]) == {("bought", p["sold"].id)}
    assert _kinds(p["resident"]) == {("application", p["resident_application"].id)}
    assert _kinds(factories.user("Newcomer")) == set()


def test_newest_first_across_kinds(people, db):
    p = people
    now = utcnow()
    db.session.execute(update(Order).where(Order.id == p["sold"].id).values(updated_at=now + timedelta(hours=2)))
    db.session.execute(update(Listing).where(Listing.id == p["eggs"].id).values(updated_at=now + timedelta(hours=1)))
    db.session.execute(update(Order).where(Order.id == p["bought"].id).values(updated_at=now - timedelta(days=3)))
    db.session.commit()
    entries = activity.activity_page(p["wanjiru"]).entries
    assert [(e.kind, e.subject.id) for e in entries[:2]] == [("sold", p["sold"].id), ("listing", p["eggs"].id)]
    assert (entries[-1].kind, entries[-1].subject.id) == ("bought", p["bought"].id)
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)


def test_the_page_links_every_entry_to_its_own_page(client, login, people):
    p = people
    login(p["wanjiru"])
    page = client.get("/activity").get_data(as_text=True)
    for link in (f"/orders/{p['sold'].number}", f"/orders/{p['bought'].number}", f"/sell/{p['eggs'].id}/edit",
                 f"/sell/{p['honey'].id}/edit", f"/applications/{p['application'].key}",
                 f"/checkout/{p['bought'].checkout.reference}", "/sell/money"):
        assert f'href="{link}"' in page, link
    assert "Blurred photo" in page and "Sold out" in page and "Ksh\xa08,400" in page
    assert "Amina" in page and "You bought from <bdi>Otieno&#39;s farm</bdi>" in page  # the farm's name, as other pages say it


def _many_payments(person, db, n, start=0):
    for i in range(start, start + n):
        db.session.add(Payment(purpose="checkout", reference=f"BULK{i:05d}", payer_id=person.id, amount_minor=100 + i,
                               currency="KES", status=PaymentStatus.PAID))
        ledger.record(person.id, LedgerKind.TRANSFER, -(100 + i), "KES", f"BULK{i:05d}")
    db.session.commit()


def test_pages_of_twenty_five_and_the_query_count_does_not_grow(client, login, people, count_queries, db):
    person = people["wanjiru"]
    login(person)
    client.get("/activity")  # warm: the first request loads what every later one reuses
    with count_queries() as few:
        assert client.get("/activity").status_code == 200
    _many_payments(person, db, 150)
    with count_queries() as many:
        page = client.get("/activity").get_data(as_text=True)
    with count_queries() as later:
        later_page = client.get("/activity?page=3").get_data(as_text=True)
    # The person with the header's counts (unread, cart, a farmer's orders to prepare: one query, core.header), the
    # timeline, orders (both sides) with their items, listings, applications, payments, payouts, and the food miles of
    # everything bought (orders.food_miles, one query): nine, with every kind on the page, whatever the number of entries.
    assert few.n == 9 and many.n <= few.n and later.n <= few.n, many.statements
    assert page.count('class="message"') == activity.PAGE_SIZE and 'rel="next"' in page
    assert 'rel="prev"' in later_page
    result = activity.activity_page(person, 13)
    assert len(result.entries) == 307 - 12 * 25 and not result.has_next  # 150 + 150 + the 7 of the fixture

