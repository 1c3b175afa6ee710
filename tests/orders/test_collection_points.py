"""Village collection points (issue 23, item 1): farmers drop their orders at a point, and a buyer
collects the orders of several farmers there with one code; a day's places never overbook."""
from __future__ import annotations

import functools
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from marketplace.extensions import db as _db
from marketplace.notifications.models import OutboxMessage
from marketplace.orders import cart, collection_points, services
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import Collection, CollectionPoint, Fulfilment, Order, OrderEvent, OrderStatus, PointDay
from tests import factories
from tests.support.races import at_once

S = OrderStatus
EVERY_DAY = "0123456"


@pytest.fixture
def points(places):
    """Three farmers of the Hill district (two in Mbeu, one in Kianjai), one of the Lake district, and
    a cooperative store in Kianjai that opens every day for four orders."""
    cats = factories.categories()
    mbeu, kianjai, ahero = (places["villages"][name] for name in ("Mbeu", "Kianjai", "Ahero"))
    farmers = {name: factories.farmer(village, name) for name, village in
               (("Wanjiru", mbeu), ("Kamau", mbeu), ("Njeri", kianjai), ("Achieng", ahero))}
    listings = {name: factories.listing(farmer, cats["maize"], unit="kg", price="100", stock="50") for name, farmer in farmers.items()}
    manager = factories.user("Mary Manager")
    point = CollectionPoint(name="Kianjai Cooperative Store", place="Next to the market", village=kianjai, manager=manager,
                            opening_days=EVERY_DAY, opens_minute=8 * 60, closes_minute=17 * 60, capacity_per_day=4)
    _db.session.add(point)
    _db.session.commit()
    return {"farmers": farmers, "listings": listings, "manager": manager, "point": point, "buyer": factories.user("Amina Buyer"),
            "places": places}


def _fill(points, names, buyer=None):
    buyer = buyer or points["buyer"]
    for name in names:
        cart.add_to_cart(buyer, {}, points["listings"][name].id, "2")
    return buyer


def _at_point(points, names, buyer=None, day=None):
    """A checkout whose orders from `names` all go to the point on its first day offered (or `day`)."""
    buyer = _fill(points, names, buyer)
    offer = collection_points.offers_for(points["listings"][names[0]].village)[0]
    key = f"collection_point:{points['point'].id}:{(day or offer.day).isoformat()}"
    return place_checkout(buyer, {}, {points["farmers"][name].id: FarmerChoice(fulfilment=key) for name in names})


def test_a_point_is_offered_to_the_farmers_of_its_district_from_tomorrow_on_its_days(points, db):
    point = points["point"]
    point.opening_days = "02"  # Monday and Wednesday
    db.session.commit()
    today = date(2026, 12, 7)  # a Monday: not offered today, the farmer needs a day to bring it
    offers = collection_points.offers_for(points["listings"]["Wanjiru"].village, today=today)
    assert [(o.point.id, o.day) for o in offers] == [(point.id, date(2026, 12, 9)), (point.id, date(2026, 12, 14)),
                                                     (point.id, date(2026, 12, 16))]
    assert collection_points.offers_for(points["listings"]["Achieng"].village, today=today) == []  # another district
    assert collection_points.offer_from_key(offers[0].key, points["listings"]["Kamau"].village, today=today) == offers[0]
    for forged in (f"collection_point:{point.id}:2026-12-08",  # a Tuesday: closed
                   f"collection_point:{point.id}:2026-12-07",  # today
                   f"collection_point:{point.id + 99}:2026-12-09", "collection_point:x:2026-12-09", "collection_point::"):
        assert collection_points.offer_from_key(forged, points["listings"]["Kamau"].village, today=today) is None
    assert collection_points.offer_from_key(offers[0].key, points["listings"]["Achieng"].village, today=today) is None


def test_three_farmers_orders_at_one_point_share_one_collection_and_one_code(points, db, delivered):
    checkout = _at_point(points, ["Wanjiru", "Kamau", "Njeri"])
    orders = checkout.orders
    assert len(orders) == 3 and {o.fulfilment for o in orders} == {Fulfilment.COLLECTION_POINT}
    collection = db.session.scalars(select(Collection)).one()
    assert {o.collection_id for o in orders} == {collection.id} and {o.pickup_code for o in orders} == {collection.code}
    assert len(collection.code) == 6 and collection.code.isdigit()
    assert {(o.pickup_on, o.pickup_village_id, o.pickup_opens_minute) for o in orders} == \
        {(collection.day, points["point"].village_id, 480)}
    assert "Kianjai Cooperative Store" in orders[0].pickup_point
    assert db.session.scalar(select(PointDay.booked).where(PointDay.point_id == points["point"].id)) == 3
    # The buyer's SMS names the point and the one code; no farm's phone, as the point hands it over.
    confirmations = [m["body"] for m in delivered if m["kind"] == "order_confirmed"]
    assert len(confirmations) == 3 and all("collection point" in body and collection.code in body for body in confirmations)
    assert not any("Farmer's phone" in body for body in confirmations)


def test_a_later_checkout_for_the_same_point_and_day_joins_the_same_collection(points, db):
    first = _at_point(points, ["Wanjiru"])
    second = _at_point(points, ["Kamau"], day=first.orders[0].pickup_on)
    assert first.orders[0].collection_id == second.orders[0].collection_id
    assert first.orders[0].pickup_code == second.orders[0].pickup_code


def test_the_manager_receives_the_drops_and_one_code_hands_over_everything_waiting(points, db, delivered):
    orders = {o.farmer.name: o for o in _at_point(points, ["Wanjiru", "Kamau", "Njeri"]).orders}
    manager, code = points["manager"], orders["Wanjiru"].pickup_code
    collection_points.mark_dropped(manager, orders["Wanjiru"].number)
    collection_points.mark_dropped(manager, orders["Kamau"].number.lower())  # as typed on a phone
    told = [m["body"] for m in delivered if m["kind"] == "order_at_collection_point"]
    assert len(told) == 2 and all(code in body for body in told)
    assert db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.kind == "order_at_collection_point")).all() == ["", ""]
    handed = collection_points.collect_at_points(manager, f" {code} ")
    assert sorted(o.number for o in handed.collected) == sorted([orders["Wanjiru"].number, orders["Kamau"].number])
    assert [o.number for o in handed.not_dropped_yet] == [orders["Njeri"].number]
    assert handed.taken is not None and handed.taken.minor_units == 2 * 200_00  # pay at pickup: the point takes it
    sentence = collection_points.handed_sentence(handed)
    assert "Amina Buyer" in sentence and orders["Njeri"].number in sentence
    db.session.expire_all()
    assert {o.number: db.session.get(Order, o.id).status for o in orders.values()} == {
        orders["Wanjiru"].number: S.COLLECTED, orders["Kamau"].number: S.COLLECTED, orders["Njeri"].number: S.AWAITING_PAYMENT_AT_PICKUP}
    history = db.session.execute(select(OrderEvent.from_status, OrderEvent.to_status, OrderEvent.actor_id, OrderEvent.actor_role)
                                 .where(OrderEvent.order_id == orders["Wanjiru"].id).order_by(OrderEvent.id)).all()
    assert history[-2:] == [("awaiting_payment_at_pickup", "at_collection_point", manager.id, "point"),
                            ("at_collection_point", "collected", manager.id, "point")]
    # The farmers hear their order was collected; the code opens nothing more now.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "order_collected")) == 2
    with pytest.raises(DomainError):
        collection_points.collect_at_points(manager, code)
    # The last farmer brings theirs: the same code hands it over.
    collection_points.mark_dropped(manager, orders["Njeri"].number)
    assert [o.number for o in collection_points.collect_at_points(manager, code).collected] == [orders["Njeri"].number]


def test_a_wrong_code_or_another_manager_moves_nothing(points, db):
    order = _at_point(points, ["Wanjiru"]).orders[0]
    other = factories.user("Other Manager")
    db.session.add(CollectionPoint(name="Mbeu Shop", village=points["places"]["villages"]["Mbeu"], manager=other,
                                   opening_days=EVERY_DAY, opens_minute=480, closes_minute=1020, capacity_per_day=9))
    db.session.commit()
    with pytest.raises(NotFound):
        collection_points.mark_dropped(other, order.number)  # not booked at their point
    collection_points.mark_dropped(points["manager"], order.number)
    wrong = "000000" if order.pickup_code != "000000" else "111111"
    for manager, code in ((points["manager"], wrong), (points["manager"], "12ab"), (other, order.pickup_code)):
        with pytest.raises(DomainError):
            collection_points.collect_at_points(manager, code)
    db.session.rollback()
    assert db.session.get(Order, order.id).status is S.AT_COLLECTION_POINT
    with pytest.raises(NotFound):
        collection_points.day_sheet(other, points["point"].id, order.pickup_on)


def test_neither_the_farmer_nor_the_buyer_may_make_the_points_moves(points, db):
    order = _at_point(points, ["Wanjiru"]).orders[0]
    for person in (points["farmers"]["Wanjiru"], points["buyer"]):
        assert S.AT_COLLECTION_POINT not in services.allowed_moves(person, order)
        with pytest.raises((DomainError, PermissionDenied)):
            services.move(person, order, S.AT_COLLECTION_POINT)
        db.session.rollback()
    with pytest.raises((DomainError, PermissionDenied)):  # nor collect it as at a farm
        services.move(points["farmers"]["Wanjiru"], order, S.READY_FOR_PICKUP)
    db.session.rollback()
    with pytest.raises(NotFound):
        collection_points.mark_dropped(points["farmers"]["Wanjiru"], order.number)  # not a manager: no point of theirs
    assert services.allowed_moves(points["manager"], order) == [S.AT_COLLECTION_POINT]


def test_a_cancelled_order_gives_its_place_back(points, db):
    order = _at_point(points, ["Wanjiru"]).orders[0]
    services.move(points["buyer"], order, S.CANCELLED)
    assert db.session.scalar(select(PointDay.booked)) == 0


def test_a_full_day_is_refused_and_the_cart_is_kept(points, db):
    point = points["point"]
    point.capacity_per_day = 1
    db.session.commit()
    day = _at_point(points, ["Wanjiru"]).orders[0].pickup_on
    late = factories.user("Late Buyer")
    with pytest.raises(InvalidInput) as refused:
        _at_point(points, ["Kamau"], buyer=late, day=day)
    assert f"farmer-{points['farmers']['Kamau'].id}" in refused.value.errors
    assert not cart.view_cart(late, {}).is_empty
    assert db.session.get(type(points["listings"]["Kamau"]), points["listings"]["Kamau"].id).stock_milli == 50_000  # nothing taken
    # The page no longer offers that day to anyone.
    assert day not in [o.day for o in collection_points.offers_for(points["listings"]["Kamau"].village)]


def test_concurrent_checkouts_never_book_more_than_the_point_holds(points, db, app):
    """Twelve buyers at once for one day of a point holding four: four get it, eight are told it is full."""
    point_id, listing_id = points["point"].id, points["listings"]["Wanjiru"].id
    farmer_id = points["farmers"]["Wanjiru"].id
    day = collection_points.offers_for(points["listings"]["Wanjiru"].village)[0].day
    buyers = [factories.user(f"Buyer {n}") for n in range(12)]
    for buyer in buyers:
        cart.add_to_cart(buyer, {}, listing_id, "1")
    key = f"collection_point:{point_id}:{day.isoformat()}"

    def buy(user_id: int) -> str:
        try:
            place_checkout(_db.session.get(type(points["buyer"]), user_id), {}, {farmer_id: FarmerChoice(fulfilment=key)})
            return "booked"
        except InvalidInput as error:
            return "full" if "full" in str(next(iter(error.errors.values()))) else f"other: {error.errors}"

    results = at_once(app, [functools.partial(buy, b.id) for b in buyers])
    _db.session.expire_all()
    assert results.count("booked") == 4 and results.count("full") == 8, results
    assert _db.session.scalar(select(PointDay.booked).where(PointDay.point_id == point_id, PointDay.day == day)) == 4
    assert _db.session.scalar(select(func.count()).select_from(Order).where(Order.fulfilment == Fulfilment.COLLECTION_POINT)) == 4


def test_the_managers_page_receives_and_hands_over(points, client, login, db):
    orders = _at_point(points, ["Wanjiru", "Njeri"]).orders
    day = orders[0].pickup_on.isoformat()
    login(points["buyer"])
    assert client.get(f"/points/{points['point'].id}?day={day}").status_code == 404  # only its manager sees it
    login(points["manager"])
    assert client.get("/points").headers["Location"].endswith(f"/points/{points['point'].id}")
    page = client.get(f"/points/{points['point'].id}?day={day}").get_data(as_text=True)
    assert orders[0].number in page and "Amina Buyer" in page and "2 orders to receive from farmers" in page
    for order in orders:
        response = client.post(f"/points/{points['point'].id}?day={day}", data={"number": order.number})
        assert response.status_code == 302
    refused = client.post(f"/points/{points['point'].id}?day={day}", data={"code": "99999"})
    assert refused.status_code == 422 and "6-digit code" in refused.get_data(as_text=True)
    assert 'value="99999"' in refused.get_data(as_text=True)  # what was typed stays
    done = client.post(f"/points/{points['point'].id}?day={day}", data={"code": orders[0].pickup_code}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Amina Buyer collected" in page and "2 orders collected" in page, page[page.find("<main"):page.find("<main") + 3000]
    db.session.expire_all()
    assert {db.session.get(Order, o.id).status for o in orders} == {S.COLLECTED}


def test_the_checkout_page_offers_the_point_and_places_it(points, client, login, db):
    login(points["buyer"])
    for name in ("Wanjiru", "Njeri"):
        client.post(f"/cart/add/{points['listings'][name].id}", data={"quantity": "1"})
    page = client.get("/checkout").get_data(as_text=True)
    offer = collection_points.offers_for(points["listings"]["Wanjiru"].village)[0]
    assert offer.key in page and "Kianjai Cooperative Store" in page
    form = {f"fulfilment-{points['farmers'][name].id}": offer.key for name in ("Wanjiru", "Njeri")}
    placed = client.post("/checkout", data=form)
    assert placed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Collection)) == 1
    done = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Kianjai Cooperative Store" in done
    # A day the point no longer takes is said, with the choices kept.
    forged = {f"fulfilment-{points['farmers']['Wanjiru'].id}": f"collection_point:{points['point'].id}:{(offer.day - timedelta(days=5)).isoformat()}"}
    client.post(f"/cart/add/{points['listings']['Wanjiru'].id}", data={"quantity": "1"})
    again = client.post("/checkout", data=forged)
    assert again.status_code == 422 and "cannot take it that day" in again.get_data(as_text=True)


def test_food_miles_at_a_point_count_each_farmers_ride_and_the_buyers_one_trip(points, db, client, login):
    """The buyer lives in Kianjai, where the point is; two farmers ride from Mbeu (6.7 km away), one
    is in Kianjai: three orders, two farmers' rides of 13.4 km there and back, no drive for the buyer."""
    from marketplace.orders import food_miles
    from tests.support.great_circle import between_villages

    v = points["places"]["villages"]
    buyer = factories.user("Kianjai Buyer", village=v["Kianjai"])
    orders = {o.farmer.name: o for o in _at_point(points, ["Wanjiru", "Kamau", "Njeri"], buyer=buyer).orders}
    ride = 2 * between_villages(v["Mbeu"], v["Kianjai"])
    trip = food_miles.order_trip(orders["Wanjiru"])
    assert trip.way is food_miles.Way.COLLECTION_POINT and trip.km == pytest.approx(ride, rel=0.005)
    assert trip.kg_co2 == pytest.approx(ride * 0.025 * 2.2718, rel=0.005)  # the motorbike's 2.5 L/100 km
    totals = food_miles.buyer_totals(buyer.id)
    assert totals.orders == 3 and totals.km == pytest.approx(2 * ride, rel=0.005)  # two farmers' rides; Njeri's and the buyer's are 0 km
    assert totals.trips == 4  # each farmer's ride, and the buyer's one trip
    login(buyer)
    page = client.get(f"/orders/{orders['Wanjiru'].number}").get_data(as_text=True)
    assert "by the farmer&#39;s ride to the collection point" in page


def test_an_admin_opens_and_closes_a_point_and_nobody_else_may(points, client, login, db):
    from marketplace.accounts.models import Role

    form = {"name": "Mbeu Market Shed", "place": "Behind the chief's office", "village_id": str(points["places"]["villages"]["Mbeu"].id),
            "manager": points["manager"].phone, "opening_days": ["1", "4"], "opens": "07:30", "closes": "12:00", "capacity_per_day": "25"}
    login(points["buyer"])
    assert client.post("/admin/collection-points", data=form).status_code == 403
    admin = factories.with_role(Role.ADMIN)
    login(admin)
    wrong = client.post("/admin/collection-points", data=dict(form, manager="+254799999999", closes="07:00"))
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "Nobody has an account with this phone" in page and "close after it opens" in page
    assert 'value="Mbeu Market Shed"' in page  # nothing typed is lost
    assert client.post("/admin/collection-points", data=form).status_code == 302
    point = db.session.scalar(select(CollectionPoint).where(CollectionPoint.name == "Mbeu Market Shed"))
    assert (point.opening_days, point.opens_minute, point.closes_minute, point.capacity_per_day, point.manager_id) == \
        ("14", 450, 720, 25, points["manager"].id)
    assert "Mbeu Market Shed" in client.get("/admin/collection-points").get_data(as_text=True)
    client.post("/admin/collection-points", data={"close": str(point.id)})
    db.session.expire_all()
    assert db.session.get(CollectionPoint, point.id).active is False
    assert point.id not in {o.point.id for o in collection_points.offers_for(points["places"]["villages"]["Mbeu"])}
    client.post("/admin/collection-points", data={"reopen": str(point.id)})
    assert point.id in {o.point.id for o in collection_points.offers_for(points["places"]["villages"]["Mbeu"])}
    assert client.post("/admin/collection-points", data={"close": "999999"}).status_code == 404


def test_the_farmer_is_told_to_take_it_to_the_point_and_offered_no_pickup_moves(points, client, login):
    order = _at_point(points, ["Wanjiru"]).orders[0]
    login(points["farmers"]["Wanjiru"])
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "Take it there by that day" in page and "Kianjai Cooperative Store" in page
    assert "Mark as ready for pickup" not in page and order.pickup_code not in page  # the code is the buyer's, for the point
    home = client.get("/").get_data(as_text=True)
    assert "Take it to the collection point" in home and "It is ready for pickup" not in home


def test_a_code_another_buyer_drew_at_the_same_moment_is_drawn_again(points, db, monkeypatch):
    """Two checkouts for one point and day drawing the same code at once: the second's INSERT meets the
    (point, day, code) constraint and does nothing, and it draws again instead of failing."""
    import itertools

    day = collection_points.offers_for(points["listings"]["Wanjiru"].village)[0].day
    other = factories.user("Other Buyer")
    db.session.add(Collection(point=points["point"], buyer=other, day=day, code="123456"))
    db.session.commit()
    monkeypatch.setattr(collection_points, "CODE_WINDOW", timedelta(days=-1))  # as if the other's row was not committed yet when looked
    draws = itertools.chain([123456], itertools.repeat(654321))
    monkeypatch.setattr(collection_points.secrets, "randbelow", lambda _n: next(draws))
    collection = collection_points.collection_of(points["buyer"], points["point"], day)
    assert collection.code == "654321" and collection.buyer_id == points["buyer"].id
    assert collection_points.collection_of(points["buyer"], points["point"], day).id == collection.id  # found, not made twice
