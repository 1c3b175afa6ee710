"""Catalog rules without HTTP: validation, ownership, status machine, stock, moderation."""
from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.accounts.presence import PresenceRequired
from marketplace.catalog import moderation, prefill, services, states
from marketplace.catalog.models import ListingChange, ListingStatus
from marketplace.core.errors import DomainError, InvalidInput, PermissionDenied
from marketplace.notifications.models import OutboxMessage
from tests import factories


def test_a_farmer_lists_produce_and_it_goes_on_sale(farmer, cats, db):
    listing = factories.listing(farmer, cats["tomatoes-peppers"], price="120.50", stock="12.5")
    assert listing.status is ListingStatus.ACTIVE and listing.is_public
    assert (listing.price_minor, listing.currency, listing.stock_milli) == (12050, "KES", 12500)
    assert listing.entered_by_id == farmer.id
    assert listing.district_id == farmer.farmer_profile.village.district_id
    actions = [c.action for c in db.session.scalars(select(ListingChange).where(ListingChange.listing_id == listing.id))]
    assert actions == ["create", "status"]


def test_save_as_draft_keeps_it_off_sale(farmer, cats):
    listing = factories.listing(farmer, cats["maize"], publish=False)
    assert listing.status is ListingStatus.DRAFT and not listing.is_public


def test_publishing_with_no_stock_asks_for_stock_but_a_draft_may_have_none(farmer, cats):
    with pytest.raises(InvalidInput) as caught:
        factories.listing(farmer, cats["maize"], stock="0")
    assert "stock" in caught.value.errors
    assert factories.listing(farmer, cats["maize"], stock="0", publish=False).status is ListingStatus.DRAFT


BAD_VALUES = [
    ("title", {"title": ""}), ("title", {"title": "x" * 121}),
    ("category_id", {"category_id": None}), ("category_id", {"category_id": 999999}),
    ("unit", {"unit": "barrel"}),
    ("price", {"price": "abc"}), ("price", {"price": "0"}), ("price", {"price": "-5"}), ("price", {"price": "1.234"}),
    ("price", {"price": "99999999999"}),
    ("stock", {"stock": ""}), ("stock", {"stock": "lots"}), ("stock", {"stock": "1.25"}), ("stock", {"stock": "-1"}),
    ("min_order", {"min_order": "60"}), ("min_order", {"min_order": "0.3"}),
    ("harvest_date", {"harvest_date": date.today() + timedelta(days=2)}),
    ("available_until", {"available_until": date.today() - timedelta(days=1)}),
    ("available_until", {"harvest_date": date.today() - timedelta(days=1), "available_until": date.today() - timedelta(days=3)}),
    ("village_id", {"village_id": None}), ("pickup_point", {"pickup_point": "  "}),
    ("delivery_fee", {"delivery_available": True, "delivery_fee": "free!"}),
    ("photos", {"photo_ids": [123456]}),
]


@pytest.mark.parametrize("field,overrides", BAD_VALUES, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_VALUES)])
def test_each_bad_value_is_refused_on_its_own_field(farmer, cats, field, overrides):
    with pytest.raises(InvalidInput) as caught:
        factories.listing(farmer, cats["tomatoes-peppers"], **overrides)
    assert field in caught.value.errors


def test_all_mistakes_are_reported_at_once(farmer, cats):
    with pytest.raises(InvalidInput) as caught:
        factories.listing(farmer, cats["tomatoes-peppers"], title="", price="abc", stock="")
    assert {"title", "price", "stock"} <= set(caught.value.errors)


def test_decimal_commas_are_read_where_the_language_writes_them(app, farmer, cats):
    with force_locale("fr"):
        listing = factories.listing(farmer, cats["dairy"], unit="litre", price="45,50", stock="10,5")
    assert (listing.price_minor, listing.stock_milli) == (4550, 10500)


def test_a_thousands_separator_is_a_thousand_not_a_decimal(farmer, cats):
    """The outside walk's bug: "1,000" in English was saved as KES 1.00."""
    listing = factories.listing(farmer, cats["maize"], price="1,000", stock="1,200")
    assert (listing.price_minor, listing.stock_milli) == (100_000, 1_200_000)


@pytest.mark.parametrize(("price", "stock", "field"), [("1.000", "10", "price"), ("45,50", "10", "price"), ("100", "2.500", "stock")])
def test_an_amount_that_reads_two_ways_is_refused_on_its_field(farmer, cats, price, stock, field):
    with pytest.raises(InvalidInput) as refused:
        factories.listing(farmer, cats["maize"], price=price, stock=stock)
    assert "can be read in more than one way" in str(refused.value.errors[field])


def test_people_without_a_farm_cannot_list(places, cats):
    buyer = factories.user()
    with pytest.raises(DomainError):
        services.create_listing(buyer, buyer, factories.listing_input(places["villages"]["Mbeu"], cats["maize"]))


def test_a_farmer_cannot_list_for_another_farmer(farmer, other_farmer, cats):
    with pytest.raises(PermissionDenied):
        services.create_listing(farmer, other_farmer, factories.listing_input(other_farmer.farmer_profile.village, cats["maize"]))


def test_an_agent_lists_for_a_farmer_and_the_farmer_gets_an_sms(farmer, agent, cats, db):
    with pytest.raises(PresenceRequired):  # not without the farmer beside them
        factories.listing(farmer, cats["maize"], actor=agent)
    factories.present(agent, farmer)
    listing = factories.listing(farmer, cats["maize"], actor=agent)
    assert listing.farmer_id == farmer.id and listing.entered_by_id == agent.id
    sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == farmer.id, OutboxMessage.kind == "listing_entered_by_agent"))
    assert sms.channel.value == "sms" and agent.name in sms.body and f"/listing/{listing.id}" in sms.body


def test_agents_find_farmers_by_phone_in_local_form(farmer, agent):
    local = "0" + farmer.phone[4:]
    assert services.find_farmer_by_phone(agent, local).id == farmer.id
    with pytest.raises(DomainError):
        services.find_farmer_by_phone(agent, "0799000111")
    with pytest.raises(PermissionDenied):
        services.find_farmer_by_phone(farmer, farmer.phone)


def test_only_the_owner_or_the_agent_who_listed_it_may_change_a_listing(farmer, other_farmer, agent, admin, cats, places):
    from marketplace.accounts.models import Role

    own = factories.listing(farmer, cats["maize"])
    factories.present(agent, farmer)
    by_agent = factories.listing(farmer, cats["maize"], actor=agent)
    other_agent = factories.with_role(Role.AGENT)
    data = factories.listing_input(farmer.farmer_profile.village, cats["maize"], title="Changed")
    for intruder in (other_farmer, other_agent, admin, factories.user()):
        for listing in (own, by_agent):
            with pytest.raises(PermissionDenied):
                services.update_listing(intruder, listing, data)
            with pytest.raises(PermissionDenied):
                services.set_stock(intruder, listing, "1")
            with pytest.raises(PermissionDenied):
                services.change_status(intruder, listing, ListingStatus.PAUSED)
    with pytest.raises(PermissionDenied):
        services.update_listing(agent, own, data)  # the agent did not enter this one
    assert services.update_listing(agent, by_agent, data).title == "Changed"
    assert services.update_listing(farmer, by_agent, data).title == "Changed"


ALL_STATUSES = list(ListingStatus)


@pytest.mark.parametrize("old,new", [p for p in product(ALL_STATUSES, ALL_STATUSES) if p[0] is not p[1]],
                         ids=lambda s: s.value)
def test_every_status_change_is_allowed_or_refused_as_the_table_says(farmer, cats, db, old, new):
    listing = factories.listing(farmer, cats["maize"], publish=False)
    listing.status = old  # place it directly in the starting state
    db.session.commit()
    if states.LISTING_MOVES.allows(old, new, states.FARMER):
        services.change_status(farmer, listing, new, reason="test")
        assert listing.status is new
        change = db.session.scalars(select(ListingChange).where(ListingChange.listing_id == listing.id).order_by(ListingChange.id.desc())).first()
        assert (change.from_status, change.to_status, change.actor_id, change.actor_role) == (old.value, new.value, farmer.id, "farmer")
    else:
        with pytest.raises(DomainError):
            services.change_status(farmer, listing, new)
        db.session.rollback()
        assert db.session.get(type(listing), listing.id).status is old


def test_stock_updates_move_between_on_sale_and_sold_out(farmer, cats):
    listing = factories.listing(farmer, cats["maize"], unit="sack", stock="10")
    services.set_stock(farmer, listing, "0")
    assert listing.status is ListingStatus.SOLD_OUT
    services.set_stock(farmer, listing, "4")
    assert listing.status is ListingStatus.ACTIVE and listing.stock_milli == 4000
    with pytest.raises(DomainError):
        services.set_stock(farmer, listing, "2.5")  # sacks are sold whole
    with pytest.raises(DomainError):
        services.set_stock(farmer, listing, "many")


def test_a_paused_listing_stays_paused_when_stock_changes(farmer, cats):
    listing = factories.listing(farmer, cats["maize"])
    services.change_status(farmer, listing, ListingStatus.PAUSED)
    services.set_stock(farmer, listing, "0")
    services.set_stock(farmer, listing, "3")
    assert listing.status is ListingStatus.PAUSED


def test_putting_an_empty_listing_on_sale_asks_for_stock(farmer, cats):
    listing = factories.listing(farmer, cats["maize"], stock="0", publish=False)
    with pytest.raises(DomainError) as caught:
        services.change_status(farmer, listing, ListingStatus.ACTIVE)
    assert caught.value.field == "stock"


def test_admin_hides_a_listing_with_a_reason_the_farmer_is_told(farmer, admin, cats, db):
    listing = factories.listing(farmer, cats["maize"])
    with pytest.raises(DomainError):
        moderation.hide_listing(admin, listing, " ")
    moderation.hide_listing(admin, listing, "Photos show a different product")
    assert not listing.is_public and listing.hidden_reason == "Photos show a different product"
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "listing_hidden"))
    assert message.user_id == farmer.id and "Photos show a different product" in message.body
    moderation.unhide_listing(admin, listing)
    assert listing.is_public
    hides = db.session.scalars(select(ListingChange.action).where(ListingChange.listing_id == listing.id,
                                                                  ListingChange.actor_id == admin.id).order_by(ListingChange.id))
    assert list(hides) == ["hide", "unhide"]


def test_only_admins_hide_listings(farmer, other_farmer, agent, cats):
    listing = factories.listing(farmer, cats["maize"])
    for person in (farmer, other_farmer, agent):
        with pytest.raises(PermissionDenied):
            moderation.hide_listing(person, listing, "x")


def test_any_signed_in_person_reports_a_listing_once(farmer, cats, places):
    listing = factories.listing(farmer, cats["maize"])
    buyer = factories.user()
    moderation.report_listing(buyer, listing, "Price is per gram, not per kg")
    with pytest.raises(DomainError):
        moderation.report_listing(buyer, listing, "again")
    with pytest.raises(DomainError):
        moderation.report_listing(factories.user(), listing, "")


def test_new_listing_defaults_come_from_the_last_one(farmer, cats):
    assert prefill.defaults_for_new_listing(farmer).pickup_point == farmer.farmer_profile.pickup_point
    factories.listing(farmer, cats["eggs"], unit="dozen", stock="10", pickup_point="Chief's camp gate",
                      delivery_available=True, delivery_fee="50", is_organic=True)
    defaults = prefill.defaults_for_new_listing(farmer)
    assert (defaults.pickup_point, defaults.delivery_available, defaults.delivery_fee, defaults.is_organic) == \
           ("Chief's camp gate", True, "50", True)
    assert defaults.title == "" and defaults.stock == ""
    # What belongs to the produce is chosen anew: the last listing's eggs are no default for the next one.
    assert defaults.category_id is None and defaults.unit in ("", None)


def test_list_again_copies_the_listing_but_not_stock_dates_or_photos(farmer, cats):
    old = factories.listing(farmer, cats["honey"], unit="litre", price="800", stock="3", harvest_date=date.today())
    again = prefill.listing_again(farmer, old)
    assert (again.title, again.price, again.unit) == (old.title, "800", "litre")
    assert again.stock == "" and again.harvest_date is None and again.photo_ids == []


def test_a_listing_cannot_use_another_persons_photo(farmer, other_farmer, cats):
    photo = services.upload_photos(other_farmer, [factories.photo_bytes()])[0]
    with pytest.raises(InvalidInput) as caught:
        factories.listing(farmer, cats["maize"], photo_ids=[photo.id])
    assert "photos" in caught.value.errors


def test_photos_attach_in_the_order_given_and_at_most_five(farmer, cats):
    photos = services.upload_photos(farmer, [factories.photo_bytes(color=(i * 40, 10, 10)) for i in range(3)])
    listing = factories.listing(farmer, cats["maize"], photo_ids=[photos[2].id, photos[0].id])
    assert [lp.photo_id for lp in listing.photos] == [photos[2].id, photos[0].id]
    with pytest.raises(InvalidInput):
        factories.listing(farmer, cats["maize"], photo_ids=[p.id for p in photos] * 2 + [999])


def test_views_are_counted_in_the_database(farmer, cats, db):
    listing = factories.listing(farmer, cats["maize"])
    from marketplace.catalog import view_counts

    before = listing.updated_at
    view_counts.record_view(listing.id)
    view_counts.record_view(listing.id)
    db.session.expire_all()
    counted = db.session.get(type(listing), listing.id)
    assert counted.view_count == 2 and counted.updated_at == before  # a view is not a change


def test_view_counts_are_batched_when_configured(farmer, cats, db, app):
    from marketplace.catalog import view_counts

    listing = factories.listing(farmer, cats["maize"])
    app.config["VIEW_COUNT_FLUSH_SECONDS"] = 3600
    try:
        for _ in range(5):
            view_counts.record_view(listing.id)
        db.session.expire_all()
        assert db.session.get(type(listing), listing.id).view_count == 0  # not written yet
        view_counts.flush()
        db.session.expire_all()
        assert db.session.get(type(listing), listing.id).view_count == 5
    finally:
        app.config["VIEW_COUNT_FLUSH_SECONDS"] = 0


def test_whose_listing_an_actor_may_start(farmer, other_farmer, agent, places):
    assert services.farmer_to_list_for(farmer, None).id == farmer.id
    with pytest.raises(PresenceRequired):
        services.farmer_to_list_for(agent, farmer.id)
    factories.present(agent, farmer)
    assert services.farmer_to_list_for(agent, farmer.id).id == farmer.id
    buyer = factories.user("Buyer")
    for actor, target in ((buyer, None), (agent, None), (farmer, other_farmer.id), (agent, buyer.id), (agent, 987654)):
        with pytest.raises(DomainError):
            services.farmer_to_list_for(actor, target)
