"""The cart: what may go in, guests and signed-in people, merging at sign-in, grouping by farmer."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalog import services as catalog
from marketplace.catalog.models import ListingStatus
from marketplace.core.errors import DomainError
from marketplace.orders import cart
from marketplace.orders.models import CartItem
from tests import factories


@pytest.fixture
def market(places):
    cats = factories.categories()
    wanjiru = factories.farmer(places["villages"]["Mbeu"], "Wanjiru")
    otieno = factories.farmer(places["villages"]["Tala"], "Otieno")
    return {
        "tomatoes": factories.listing(wanjiru, cats["tomatoes-peppers"], unit="kg", price="120", stock="10", min_order="1"),
        "eggs": factories.listing(wanjiru, cats["eggs"], unit="dozen", price="240", stock="5"),
        "maize": factories.listing(otieno, cats["maize"], unit="sack", price="4200", stock="3"),
        "wanjiru": wanjiru, "otieno": otieno,
    }


@pytest.mark.parametrize("quantity,problem", [
    ("0", "more than zero"), ("1.25", "steps of 0.5"), ("0.5", "at least 1"), ("10.5", "Only 10 left"), ("lots", "Write a number"),
    ("1,5", "can be read in more than one way"),
])
def test_amounts_that_cannot_be_bought_are_refused_with_the_reason(market, quantity, problem):
    session: dict = {}
    with pytest.raises(DomainError) as caught:
        cart.add_to_cart(None, session, market["tomatoes"].id, quantity)
    assert problem in str(caught.value.message)
    assert session.get(cart.SESSION_KEY) is None


def test_a_guest_cart_lives_in_the_session_and_amounts_add_up(market):
    session: dict = {}
    cart.add_to_cart(None, session, market["tomatoes"].id, "2")
    cart.add_to_cart(None, session, market["tomatoes"].id, "1.5")
    assert session[cart.SESSION_KEY] == {str(market["tomatoes"].id): [3500, 12000]}
    with pytest.raises(DomainError):
        cart.add_to_cart(None, session, market["tomatoes"].id, "7")  # 3.5 + 7 is more than the 10 kg left


def test_the_cart_groups_lines_by_farmer_with_totals(market):
    session: dict = {}
    cart.add_to_cart(None, session, market["tomatoes"].id, "2.5")
    cart.add_to_cart(None, session, market["eggs"].id, "2")
    cart.add_to_cart(None, session, market["maize"].id, "1")
    view = cart.view_cart(None, session)
    assert [g.farmer.id for g in view.groups] == sorted([market["wanjiru"].id, market["otieno"].id])
    by_farmer = {g.farmer.id: g for g in view.groups}
    assert by_farmer[market["wanjiru"].id].subtotal.minor_units == 120_00 * 25 // 10 + 240_00 * 2
    assert view.total.minor_units == 300_00 + 480_00 + 4200_00 and view.total.currency == "KES"
    assert not view.has_problems and view.item_count == 3


def test_stale_stock_and_prices_are_pointed_out_when_the_cart_is_shown(market):
    session: dict = {}
    cart.add_to_cart(None, session, market["tomatoes"].id, "4")
    cart.add_to_cart(None, session, market["maize"].id, "1")
    farmer = market["wanjiru"]
    catalog.set_stock(farmer, market["tomatoes"], "3")
    data = factories.listing_input(market["otieno"].farmer_profile.village, market["maize"].category, title="Dry maize", unit="sack",
                                   price="4500", stock="3")
    catalog.update_listing(market["otieno"], market["maize"], data)
    view = cart.view_cart(None, session)
    problems = {line.listing.title: line.problems for g in view.groups for line in g.lines}
    assert any("Only 3 left" in p for p in problems["Ripe tomatoes"])
    assert not any("price changed" in p for p in problems["Ripe tomatoes"])  # its price did not change
    maize_line = next(line for g in view.groups for line in g.lines if line.listing.id == market["maize"].id)
    assert maize_line.price_changed and "The price changed since you added this." in maize_line.problems
    assert maize_line.total.minor_units == 4500_00  # today's price, never the old one silently
    assert view.has_problems


def test_produce_taken_off_sale_cannot_be_added_and_is_flagged_in_the_cart(market):
    session: dict = {}
    cart.add_to_cart(None, session, market["eggs"].id, "1")
    catalog.change_status(market["wanjiru"], market["eggs"], ListingStatus.PAUSED)
    with pytest.raises(DomainError):
        cart.add_to_cart(None, session, market["eggs"].id, "1")
    line = cart.view_cart(None, session).groups[0].lines[0]
    assert line.problems == ["This produce is no longer on sale."]


def test_a_signed_in_persons_cart_is_stored_and_the_guest_cart_merges_at_sign_in(market, db):
    buyer = factories.user("Buyer")
    session: dict = {}
    cart.add_to_cart(buyer, session, market["eggs"].id, "1")
    guest_session: dict = {}
    cart.add_to_cart(None, guest_session, market["eggs"].id, "2")
    cart.add_to_cart(None, guest_session, market["maize"].id, "1")
    assert cart.merge_guest_cart(buyer, guest_session) == 2
    stored = {i.listing_id: i.quantity_milli for i in db.session.scalars(select(CartItem).where(CartItem.user_id == buyer.id))}
    assert stored == {market["eggs"].id: 3000, market["maize"].id: 1000}
    assert cart.SESSION_KEY not in guest_session


def test_merging_caps_amounts_at_what_is_in_stock(market, db):
    buyer = factories.user("Buyer")
    cart.add_to_cart(buyer, {}, market["maize"].id, "2")
    guest: dict = {}
    cart.add_to_cart(None, guest, market["maize"].id, "3")
    cart.merge_guest_cart(buyer, guest)
    assert db.session.scalar(select(CartItem.quantity_milli).where(CartItem.user_id == buyer.id)) == 3000


def test_farmers_cannot_buy_their_own_produce(market):
    with pytest.raises(DomainError):
        cart.add_to_cart(market["wanjiru"], {}, market["eggs"].id, "1")


def test_changing_an_amount_rechecks_it_and_zero_removes_the_line(market, db):
    buyer = factories.user("Buyer")
    cart.add_to_cart(buyer, {}, market["tomatoes"].id, "2")
    with pytest.raises(DomainError):
        cart.set_quantity(buyer, {}, market["tomatoes"].id, "11")
    cart.set_quantity(buyer, {}, market["tomatoes"].id, "5")
    assert cart.view_cart(buyer, {}).groups[0].lines[0].quantity_milli == 5000
    cart.set_quantity(buyer, {}, market["tomatoes"].id, "0")
    assert cart.view_cart(buyer, {}).is_empty


def test_carts_are_private(market, db):
    alice, bob = factories.user("Alice"), factories.user("Bob")
    cart.add_to_cart(alice, {}, market["eggs"].id, "1")
    assert cart.view_cart(bob, {}).is_empty
    cart.remove(bob, {}, market["eggs"].id)
    assert not cart.view_cart(alice, {}).is_empty
