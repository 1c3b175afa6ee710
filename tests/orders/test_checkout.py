"""Checkout and orders without HTTP: one order per farmer, atomic stock, the state machine."""
from __future__ import annotations

import functools
from itertools import product

import pytest
from sqlalchemy import func, select

from marketplace.catalog.models import Listing, ListingStatus
from marketplace.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from marketplace.extensions import db as _db
from marketplace.notifications.models import OutboxMessage
from marketplace.orders import cart, services, states
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import Order, OrderEvent, OrderStatus
from tests import factories
from tests.support.races import at_once


@pytest.fixture
def market(places):
    cats = factories.categories()
    wanjiru = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    otieno = factories.farmer(places["villages"]["Tala"], "Otieno")
    return {
        "tomatoes": factories.listing(wanjiru, cats["tomatoes-peppers"], unit="kg", price="120", stock="10",
                                      delivery_available=True, delivery_fee="50"),
        "maize": factories.listing(otieno, cats["maize"], unit="sack", price="4200", stock="3"),
        "wanjiru": wanjiru, "otieno": otieno, "buyer": factories.user("Amina Buyer"),
    }


def _fill(market, tomatoes="2.5", maize="1"):
    buyer = market["buyer"]
    if tomatoes:
        cart.add_to_cart(buyer, {}, market["tomatoes"].id, tomatoes)
    if maize:
        cart.add_to_cart(buyer, {}, market["maize"].id, maize)
    return buyer


def test_one_checkout_makes_one_order_per_farmer_with_snapshots_and_reserves_stock(market, db):
    buyer = _fill(market)
    checkout = place_checkout(buyer, {}, {})
    assert len(checkout.orders) == 2 and checkout.total_minor == 300_00 + 4200_00
    tomatoes_order = next(o for o in checkout.orders if o.farmer_id == market["wanjiru"].id)
    item = tomatoes_order.items[0]
    assert (item.title, item.unit, item.unit_price_minor, item.quantity_milli, item.line_total_minor) == ("Ripe tomatoes", "kg", 12000, 2500, 30000)
    assert tomatoes_order.status is OrderStatus.AWAITING_PAYMENT_AT_PICKUP and len(tomatoes_order.number) == 6
    db.session.expire_all()
    assert db.session.get(Listing, market["tomatoes"].id).stock_milli == 7500
    assert cart.view_cart(buyer, {}).is_empty
    # As stored: each order's own lines and history under its own id (its rows are written by one INSERT per table).
    stored = {order.farmer_id: ([item.listing_id for item in order.items], [(e.from_status, e.to_status) for e in order.events])
              for order in db.session.scalars(select(Order).where(Order.checkout_id == checkout.id))}
    placed = [(None, OrderStatus.PLACED.value), (OrderStatus.PLACED.value, OrderStatus.AWAITING_PAYMENT_AT_PICKUP.value)]
    assert stored == {market["wanjiru"].id: ([market["tomatoes"].id], placed), market["otieno"].id: ([market["maize"].id], placed)}
    farmers_told = set(db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "order_placed")))
    assert farmers_told == {market["wanjiru"].id, market["otieno"].id}


def test_a_tab_that_finds_the_cart_emptied_by_the_same_form_is_shown_that_checkout(market, db, monkeypatch):
    """The other tab committed first, and its commit emptied the cart (CI saw it on PostgreSQL with
    five tabs): the answer is that tab's checkout, not "your cart is empty". Placing normally asks
    nothing about the key before claiming it; only the emptied cart makes this sending look."""
    from marketplace.core import idempotency

    buyer = _fill(market)
    key = idempotency.new_key()
    looks = []
    real = idempotency.earlier_result

    def counted(*args):
        looks.append(args)
        return real(*args)

    monkeypatch.setattr(idempotency, "earlier_result", counted)
    first = place_checkout(buyer, {}, {}, key)
    assert looks == []
    again = place_checkout(db.session.get(type(buyer), buyer.id), {}, {}, key)
    assert len(looks) == 1 and again.reference == first.reference
    assert db.session.scalar(select(func.count()).select_from(Order)) == 2  # nothing more was placed


def test_a_form_sent_again_while_the_cart_is_full_meets_the_claimed_key_and_takes_nothing(market, db):
    """A card checkout keeps the cart until paid, so a second sending of the same form finds a full
    cart: the key's unique constraint answers it with the first checkout, and no stock moves twice."""
    from marketplace.core import idempotency

    buyer = _fill(market)
    key = idempotency.new_key()
    first = place_checkout(buyer, {}, {}, key)
    buyer = _fill(market, tomatoes="1", maize="")  # the cart is full again, as a card checkout leaves it
    again = place_checkout(db.session.get(type(buyer), buyer.id), {}, {}, key)
    assert again.reference == first.reference
    assert db.session.scalar(select(func.count()).select_from(Order)) == 2
    db.session.expire_all()
    assert db.session.get(Listing, market["tomatoes"].id).stock_milli == 7500  # 2.5 kg taken once, the 1 kg not at all
    assert not cart.view_cart(db.session.get(type(buyer), buyer.id), {}).is_empty  # what was not placed stays


def test_the_forms_choices_are_read_per_farmer_from_their_own_fields():
    from marketplace.orders.checkout import choices_from_form

    form = {"fulfilment-7": "delivery", "address-7": "Mbeu, by the church", "payment-7": "card", "slot-9": "2026-12-05-480",
            "payment-x": "card", "fulfilment-": "delivery", "submission_key": "k" * 20, "payment-12345678901234567890": "card"}
    choices = choices_from_form(form)
    assert choices == {
        7: FarmerChoice(fulfilment="delivery", delivery_address="Mbeu, by the church", payment_method="card", pickup_slot=""),
        9: FarmerChoice(fulfilment="pickup", delivery_address="", payment_method="on_pickup", pickup_slot="2026-12-05-480"),
    }  # a farmer the form says little about gets the page's defaults; names that are no farmer's are ignored


def test_delivery_adds_the_fee_and_needs_an_address(market):
    buyer = _fill(market, maize="")
    with pytest.raises(InvalidInput) as caught:
        place_checkout(buyer, {}, {market["wanjiru"].id: FarmerChoice(fulfilment="delivery")})
    assert f"address-{market['wanjiru'].id}" in caught.value.errors
    checkout = place_checkout(buyer, {}, {market["wanjiru"].id: FarmerChoice(fulfilment="delivery", delivery_address="Mbeu, by the church")})
    assert checkout.orders[0].delivery_fee_minor == 5000 and checkout.total_minor == 300_00 + 50_00


def test_delivery_is_refused_where_the_farmer_does_not_deliver_and_card_without_stripe(market):
    buyer = _fill(market)
    with pytest.raises(InvalidInput):
        place_checkout(buyer, {}, {market["otieno"].id: FarmerChoice(fulfilment="delivery", delivery_address="x")})
    with pytest.raises(InvalidInput) as caught:
        place_checkout(buyer, {}, {market["otieno"].id: FarmerChoice(payment_method="card")})
    assert "not available" in str(next(iter(caught.value.errors.values())))


def test_when_one_line_sold_out_meanwhile_nothing_is_ordered(market, db):
    buyer = _fill(market, tomatoes="2", maize="3")
    # Someone else takes the last sacks between the cart and the checkout.
    from marketplace.catalog.stock import reserve_stock

    assert reserve_stock(market["maize"].id, 2000)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        place_checkout(buyer, {}, {})
    assert "need your attention" in str(caught.value) or "sold out" in str(caught.value)
    db.session.expire_all()
    assert db.session.get(Listing, market["tomatoes"].id).stock_milli == 10000  # nothing reserved
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert not cart.view_cart(buyer, {}).is_empty  # the cart is kept


def test_reserving_the_last_units_marks_the_listing_sold_out_and_cancelling_brings_it_back(market, db):
    buyer = _fill(market, maize="3", tomatoes="")
    checkout = place_checkout(buyer, {}, {})
    db.session.expire_all()
    assert db.session.get(Listing, market["maize"].id).status is ListingStatus.SOLD_OUT
    order = checkout.orders[0]
    services.move(buyer, order, OrderStatus.CANCELLED)
    db.session.expire_all()
    listing = db.session.get(Listing, market["maize"].id)
    assert (listing.stock_milli, listing.status) == (3000, ListingStatus.ACTIVE)
    from marketplace.catalog.models import ListingChange

    moves = db.session.execute(select(ListingChange.from_status, ListingChange.to_status, ListingChange.actor_id, ListingChange.actor_role)
                               .where(ListingChange.listing_id == listing.id, ListingChange.action == "status")
                               .order_by(ListingChange.id)).all()
    assert moves[-2:] == [("active", "sold_out", None, "system"), ("sold_out", "active", None, "system")]  # the orders' doing, on the history


ALL = list(OrderStatus)


@pytest.mark.parametrize("party", ["farmer", "buyer"])
@pytest.mark.parametrize("old,new", [p for p in product(ALL, ALL) if p[0] is not p[1]], ids=lambda s: s.value)
def test_every_order_move_is_allowed_or_refused_as_the_table_says(market, db, party, old, new):
    buyer = _fill(market, maize="")
    order = place_checkout(buyer, {}, {}).orders[0]
    order.status = old
    db.session.commit()
    actor = market["wanjiru"] if party == "farmer" else buyer
    move = states.ORDER_MOVES.move(old, new)
    fits = order.fulfilment in states.FULFILMENTS_OF.get(new, (order.fulfilment,))
    if move and fits and party in move.by:
        services.move(actor, order, new, reason="because", pickup_code=order.pickup_code or "")
        assert order.status is new
        event = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id.desc())).first()
        assert (event.from_status, event.to_status, event.actor_id, event.actor_role, event.channel, event.reason) == \
            (old.value, new.value, actor.id, party, "job", "because")  # no request here: the channel says so
    else:
        with pytest.raises((DomainError, PermissionDenied)):
            services.move(actor, order, new, reason="because", pickup_code=order.pickup_code or "")
        db.session.rollback()
        assert db.session.get(Order, order.id).status is old


def test_a_farmer_cancelling_must_say_why_and_the_buyer_is_told_in_their_language(market, db):
    market["buyer"].preferred_locale = "es"
    db.session.commit()
    order = place_checkout(_fill(market, maize=""), {}, {}).orders[0]
    with pytest.raises(DomainError):
        services.move(market["wanjiru"], order, OrderStatus.CANCELLED)
    services.move(market["wanjiru"], order, OrderStatus.CANCELLED, reason="Hail damaged the crop")
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "order_cancelled"))
    assert message.user_id == market["buyer"].id and "cancelado" in message.body and "Hail damaged the crop" in message.body


def test_orders_are_seen_only_by_their_buyer_and_farmer(market):
    order = place_checkout(_fill(market, maize=""), {}, {}).orders[0]
    assert services.get_order_for(market["wanjiru"], order.number).id == order.id
    assert services.get_order_for(market["buyer"], order.number.lower()).id == order.id
    for stranger in (market["otieno"], factories.user("Nosy")):
        with pytest.raises(NotFound):
            services.get_order_for(stranger, order.number)
        with pytest.raises(PermissionDenied):
            services.move(stranger, order, OrderStatus.CANCELLED, reason="x")


def test_fifty_buyers_race_for_the_last_ten_units(app, market, database_url):
    """50 threads, each its own connection and transaction, each wanting 1 of the last 10 sacks."""
    listing_id = market["maize"].id
    _db.session.execute(_db.update(Listing).where(Listing.id == listing_id).values(stock_milli=10_000))
    _db.session.commit()
    buyers = [factories.user(f"Buyer {i}") for i in range(50)]
    for buyer in buyers:
        cart.add_to_cart(buyer, {}, listing_id, "1")

    def buy(user_id: int) -> str:
        try:
            place_checkout(_db.session.get(type(market["buyer"]), user_id), {}, {})  # a pooled connection each, as a request
            return "bought"
        except DomainError as error:
            return "sold out" if ("sold out" in str(error) or "attention" in str(error)) else f"other: {error}"

    results = at_once(app, [functools.partial(buy, b.id) for b in buyers])
    _db.session.expire_all()
    listing = _db.session.get(Listing, listing_id)
    sold = _db.session.scalar(select(func.coalesce(func.sum(Order.total_minor), 0)).select_from(Order)) // 4200_00
    assert results.count("bought") == 10, results
    assert results.count("sold out") == 40, results
    assert listing.stock_milli == 0 and listing.status is ListingStatus.SOLD_OUT and sold == 10


def test_unpaid_card_orders_expire_and_give_their_stock_back_once(market, db, app):
    from datetime import timedelta

    from marketplace.core.timeutils import utcnow

    order = place_checkout(_fill(market, maize="2", tomatoes=""), {}, {}).orders[0]
    order.status = OrderStatus.PLACED  # as a card order waiting for payment
    order.created_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    fresh = place_checkout(_fill(market, maize="1", tomatoes=""), {}, {}).orders[0]
    fresh.status = OrderStatus.PLACED
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert result.exit_code == 0 and order.number in result.output and fresh.number not in result.output
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.CANCELLED
    assert db.session.get(Listing, market["maize"].id).stock_milli == 2000  # 3 - 2 - 1 + 2
    again = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert "0 unpaid order(s) expired." in again.output
    db.session.expire_all()
    assert db.session.get(Listing, market["maize"].id).stock_milli == 2000


def test_stock_rows_are_taken_in_listing_id_order_whatever_the_cart_order(market, db, monkeypatch):
    """Every writer of listing rows (checkouts, cancellations, expiry, view counts) goes in id order, so
    two of them sharing listings wait for each other instead of deadlocking (found by make loadtest at
    150 users: a view-count flush and a checkout deadlocked on PostgreSQL)."""
    from marketplace.orders import checkout as checkout_module

    later = factories.listing(market["wanjiru"], factories.categories()["maize"], unit="kg", price="50", stock="5")
    buyer = market["buyer"]
    for listing in (later, market["maize"], market["tomatoes"]):  # the cart holds them newest first
        cart.add_to_cart(buyer, {}, listing.id, "1")
    taken = []
    real = checkout_module.reserve_stock
    monkeypatch.setattr(checkout_module, "reserve_stock", lambda listing_id, qty: taken.append(listing_id) or real(listing_id, qty))
    placed = place_checkout(buyer, {}, {})
    assert taken == sorted(taken) and len(taken) == 3
    released = []
    release = services.release_stock
    monkeypatch.setattr(services, "release_stock", lambda listing_id, qty: released.append(listing_id) or release(listing_id, qty))
    order = next(o for o in placed.orders if o.farmer_id == market["wanjiru"].id)
    services.move(buyer, order, OrderStatus.CANCELLED, "changed my mind")
    assert released == sorted(released) and len(released) == 2


def test_a_view_count_flush_that_fails_keeps_its_counts_and_never_fails_the_page(market, db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from marketplace.catalog import view_counts

    listing_id = market["tomatoes"].id
    real_execute = db.session.execute

    def deadlocked(statement, *args, **kwargs):
        if "view_count" in str(statement):
            raise OperationalError("UPDATE listings", {}, Exception("deadlock detected"))
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", deadlocked)
    view_counts.flush({listing_id: 3})  # no exception reaches the page
    monkeypatch.setattr(db.session, "execute", real_execute)
    assert view_counts._pending[listing_id] == 3
    view_counts.flush()
    db.session.expire_all()
    assert db.session.get(Listing, listing_id).view_count == 3


def test_adding_to_a_line_another_tab_just_checked_out_starts_it_again(market, db, monkeypatch):
    """The same person in two tabs: one checks out (the cart's lines go) while the other is adding to the
    line it has just read. Found by make loadtest (several users on one account): it was a 500."""
    from marketplace.orders.models import CartItem

    buyer = market["buyer"]
    cart.add_to_cart(buyer, {}, market["tomatoes"].id, "1")
    real_check = cart.check_quantity

    def other_tab_checks_out_meanwhile(listing, milli):  # runs after this tab has read its line
        with db.engine.begin() as other_tab:
            other_tab.execute(CartItem.__table__.delete().where(CartItem.__table__.c.user_id == buyer.id))
        return real_check(listing, milli)

    monkeypatch.setattr(cart, "check_quantity", other_tab_checks_out_meanwhile)
    cart.add_to_cart(buyer, {}, market["tomatoes"].id, "2")
    db.session.expire_all()
    assert db.session.scalars(select(CartItem.quantity_milli).where(CartItem.user_id == buyer.id)).all() == [2000]
    cart.set_quantity(buyer, {}, market["tomatoes"].id, "4")  # the line went again meanwhile: nothing to change, no error
    db.session.expire_all()
    assert db.session.scalars(select(CartItem).where(CartItem.user_id == buyer.id)).all() == []
