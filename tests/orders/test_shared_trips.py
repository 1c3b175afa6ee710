"""Shared trips to town (issue 23, item 2): a farmer announces a trip with space; farmers on its
route book kilograms for their delivery orders to town, each paying their weight's part of the cost,
shown before booking; the vehicle is never overbooked, even by bookings at the same moment."""
from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Village
from marketplace.core.errors import DomainError, InvalidInput, NotFound
from marketplace.extensions import db as _db
from marketplace.orders import cart, food_miles, services, shared_trips
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import Order, OrderStatus, SharedTrip, TripBooking
from marketplace.orders.pickup import local_now
from tests import factories
from tests.support.races import at_once


@pytest.fixture
def road(places):
    """Wanjiru (Mbeu) drives to Ahero's district; Kamau farms in Kianjai, on her way; Achieng farms
    in Ahero. Buyers live in Ahero's district (the town) and in Mbeu."""
    cats = factories.categories()
    v = places["villages"]
    lake = places["districts"]["Lake"]
    town = Village(name="Kisumu Town", district=lake, latitude=-0.0917, longitude=34.768)
    _db.session.add(town)
    _db.session.commit()
    wanjiru, kamau = factories.farmer(v["Mbeu"], "Wanjiru"), factories.farmer(v["Kianjai"], "Kamau")
    listings = {name: factories.listing(farmer, cats["vegetables"], title=f"{name}'s greens", unit="kg", price="50", stock="500",
                                        delivery_available=True, delivery_fee="100")
                for name, farmer in (("wanjiru", wanjiru), ("kamau", kamau))}
    return {"v": v, "town": town, "wanjiru": wanjiru, "kamau": kamau, "listings": listings,
            "town_buyer": factories.user("Otieno Town", village=town), "village_buyer": factories.user("Mbeu Buyer", village=v["Mbeu"])}


def _plan(road, **changes):
    tomorrow = local_now().date() + timedelta(days=1)
    plan = dict(vehicle="Isuzu lorry KCA 123X", day=tomorrow, departs_minute=360, stop_ids=[road["v"]["Kianjai"].id],
                destination_id=road["town"].id, delivers_from_minute=14 * 60, delivers_until_minute=18 * 60, capacity_kg="100", cost="2,000")
    plan.update(changes)
    return shared_trips.TripPlan(**plan)


def _delivery(road, farmer, kg="12", buyer=None):
    buyer = buyer or road["town_buyer"]
    cart.add_to_cart(buyer, {}, road["listings"][farmer].id, kg)
    farmer_id = road[farmer].id
    return place_checkout(buyer, {}, {farmer_id: FarmerChoice(fulfilment="delivery", delivery_address="Oginga Odinga St, shop 4")}).orders[0]


def test_a_trip_is_announced_from_the_farmers_village_through_the_chosen_ones(road, db):
    trip = shared_trips.announce(road["wanjiru"], _plan(road), "KES")
    assert [stop.village.name for stop in trip.stops] == ["Mbeu", "Kianjai"]
    assert (trip.capacity_grams, trip.cost_minor, trip.currency) == (100_000, 2000_00, "KES")
    assert shared_trips.price_per_kg(trip).replace("\xa0", " ") == "Ksh 20"
    with pytest.raises(InvalidInput) as refused:
        shared_trips.announce(road["wanjiru"], _plan(road, day=local_now().date(), delivers_until_minute=600, capacity_kg="1,5",
                                                    stop_ids=[road["v"]["Tala"].id], destination_id=road["v"]["Mbeu"].id), "KES")
    assert set(refused.value.errors) == {"day", "delivers_until", "capacity_kg", "stops", "destination_id"}
    with pytest.raises(DomainError):  # only farmers (or a cooperative's farming account) organise trips
        shared_trips.announce(road["town_buyer"], _plan(road), "KES")


def test_a_farmer_on_the_route_sees_the_trip_and_their_share_before_booking(road, db):
    trip = shared_trips.announce(road["wanjiru"], _plan(road), "KES")
    order = _delivery(road, "kamau", kg="12")
    _order, offers = shared_trips.trips_for(road["kamau"], order.number)
    assert [(o.trip.id, o.grams, o.share.minor_units) for o in offers] == [(trip.id, 12_000, 240_00)]  # 12 kg × Ksh 20
    booking = shared_trips.book(road["kamau"], order.number, trip.id, "12")
    assert (booking.grams, booking.share_minor) == (12_000, 240_00)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.pickup_on, order.pickup_opens_minute, order.pickup_closes_minute) == (trip.day, 840, 1080)
    assert db.session.get(SharedTrip, trip.id).booked_grams == 12_000
    # Not offered: to a buyer outside the town's district, nor to a farmer off the route, nor twice.
    local = _delivery(road, "kamau", buyer=road["village_buyer"])
    assert shared_trips.trips_for(road["kamau"], local.number)[1] == []
    assert shared_trips.trips_for(road["kamau"], order.number)[1] == []
    with pytest.raises(NotFound):
        shared_trips.trips_for(road["wanjiru"], order.number)  # another farmer's order


def test_booking_is_refused_past_the_space_and_given_back_on_cancel_or_take_off(road, db):
    trip = shared_trips.announce(road["wanjiru"], _plan(road, capacity_kg="20"), "KES")
    first = _delivery(road, "kamau", kg="15")
    shared_trips.book(road["kamau"], first.number, trip.id, "15")
    second = _delivery(road, "kamau", kg="6")
    assert shared_trips.trips_for(road["kamau"], second.number)[1] == []  # 6 kg do not fit in the 5 left
    with pytest.raises(DomainError):
        shared_trips.book(road["kamau"], second.number, trip.id, "6")
    with pytest.raises(DomainError) as unreadable:
        shared_trips.book(road["kamau"], second.number, trip.id, "1.000")  # a thousand or one?
    assert unreadable.value.field == "weight"
    services.move(road["town_buyer"], db.session.get(Order, first.id), OrderStatus.CANCELLED)
    assert db.session.scalar(select(SharedTrip.booked_grams)) == 0 and db.session.scalar(select(TripBooking.id)) is None
    shared_trips.book(road["kamau"], second.number, trip.id, "6")
    shared_trips.take_off(road["kamau"], second.number)
    assert db.session.scalar(select(SharedTrip.booked_grams)) == 0
    assert db.session.get(Order, second.id).pickup_on is None


def test_concurrent_bookings_never_overfill_the_vehicle(road, db, app):
    """Ten orders of 10 kg booked at once on a trip with 45 kg of space: four ride, six are refused."""
    trip_id = shared_trips.announce(road["wanjiru"], _plan(road, capacity_kg="45"), "KES").id
    numbers = [_delivery(road, "kamau", kg="10", buyer=factories.user(f"Town {n}", village=road["town"])).number for n in range(10)]
    farmer_id = road["kamau"].id

    def book(number: str) -> str:
        try:
            shared_trips.book(_db.session.get(type(road["kamau"]), farmer_id), number, trip_id, "10")
            return "booked"
        except DomainError as error:
            return "full" if "room" in str(error.message) or "full" in str(error.message) else f"other: {error.message}"

    results = at_once(app, [functools.partial(book, number) for number in numbers])
    _db.session.expire_all()
    assert results.count("booked") == 4 and results.count("full") == 6, results
    assert _db.session.get(SharedTrip, trip_id).booked_grams == 40_000
    assert len(_db.session.scalars(select(TripBooking)).all()) == 4


def test_the_order_on_a_trip_counts_its_share_of_the_lorry(road, db, client, login):
    from tests.support.great_circle import between_villages

    trip = shared_trips.announce(road["wanjiru"], _plan(road), "KES")
    order = _delivery(road, "kamau", kg="10")
    shared_trips.book(road["kamau"], order.number, trip.id, "10")
    db.session.expire_all()
    found = food_miles.order_trip(db.session.get(Order, order.id))
    km = 2 * between_villages(road["v"]["Kianjai"], road["town"])
    assert found.way is food_miles.Way.SHARED_TRIP and found.km == pytest.approx(km, rel=0.005)
    assert found.kg_co2 == pytest.approx(km * 0.25 * 2.677 * 10 / 100, rel=0.005)  # a tenth of the lorry's 25 L/100 km of diesel
    totals = food_miles.buyer_totals(road["town_buyer"].id)
    assert totals.kg_co2 == pytest.approx(found.kg_co2, rel=1e-6)
    login(road["town_buyer"])
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "by a shared trip to town" in page


def test_the_trip_pages_for_the_organizer_and_the_farmer(road, client, login, db):
    login(road["wanjiru"])
    tomorrow = (local_now().date() + timedelta(days=1)).isoformat()
    form = {"vehicle": "Isuzu lorry", "day": tomorrow, "departs": "06:00", "stops": [str(road["v"]["Kianjai"].id)],
            "destination_id": str(road["town"].id), "delivers_from": "14:00", "delivers_until": "18:00", "capacity_kg": "100", "cost": "2000"}
    wrong = client.post("/trips/new", data=dict(form, cost="lots"))
    assert wrong.status_code == 422 and 'value="Isuzu lorry"' in wrong.get_data(as_text=True)
    created = client.post("/trips/new", data=form)
    assert created.status_code == 302
    trip = db.session.scalar(select(SharedTrip))
    order = _delivery(road, "kamau", kg="12")
    login(road["kamau"])
    assert "Send it on a shared trip to town" in client.get(f"/orders/{order.number}").get_data(as_text=True)
    page = client.get(f"/orders/{order.number}/trip").get_data(as_text=True)
    assert "Your share: Ksh\xa0240." in page and 'value="12"' in page
    booked = client.post(f"/orders/{order.number}/trip", data={"trip": str(trip.id), "weight": "12"})
    assert booked.status_code == 302
    assert client.get(f"/trips/{trip.id}").status_code == 404  # the organizer's page is theirs alone
    login(road["wanjiru"])
    sheet = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert order.number in sheet and "12 of 100 kg booked" in sheet and "Ksh\xa0240" in sheet
    client.post(f"/trips/{trip.id}")
    db.session.expire_all()
    assert db.session.get(SharedTrip, trip.id).status.value == "closed"
    again = client.post(f"/trips/{trip.id}", follow_redirects=True).get_data(as_text=True)
    assert "This trip takes no bookings already." in again  # closing twice is said, not a server error


def test_an_order_cannot_leave_a_trip_that_has_left(road, db, monkeypatch):
    trip = shared_trips.announce(road["wanjiru"], _plan(road), "KES")
    order = _delivery(road, "kamau", kg="5")
    shared_trips.book(road["kamau"], order.number, trip.id, "5")
    monkeypatch.setattr(shared_trips, "local_now", lambda: _now_on(trip.day))
    with pytest.raises(DomainError):
        shared_trips.take_off(road["kamau"], order.number)
    db.session.rollback()
    assert db.session.get(SharedTrip, trip.id).booked_grams == 5_000
    with pytest.raises(DomainError):
        shared_trips.take_off(road["kamau"], _delivery(road, "kamau").number)  # not on a trip


def _now_on(day):
    from datetime import datetime, time

    return datetime.combine(day, time(7, 0))


def test_the_open_data_source_counts_a_trip_order_against_the_buyers_own_trip(road, db):
    """What opendata publishes monthly: the order's share of the lorry against the town buyer's drive to the farm."""
    from datetime import UTC, datetime

    from tests.support.great_circle import between_villages

    trip = shared_trips.announce(road["wanjiru"], _plan(road), "KES")
    order = _delivery(road, "kamau", kg="10")
    shared_trips.book(road["kamau"], order.number, trip.id, "10")
    now = datetime.now(UTC)
    (saving,) = food_miles.collective_savings(now - timedelta(days=1), now + timedelta(days=1))
    drive = 2 * between_villages(road["v"]["Kianjai"], road["town"])
    assert (saving.way, saving.orders, saving.farmers, saving.district_id) == (food_miles.Way.SHARED_TRIP, 1, {road["kamau"].id},
                                                                              road["v"]["Kianjai"].district_id)
    assert saving.baseline_km == pytest.approx(drive, rel=0.005) and saving.km == pytest.approx(drive / 10, rel=0.005)
    assert saving.baseline_kg_co2 - saving.kg_co2 == pytest.approx(drive * 0.08 * 2.2718 - drive / 10 * 0.25 * 2.677, rel=0.005)
