"""The price index and service performance, computed by SQL, against figures worked out by hand."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from marketplace.accounts.models import Role
from marketplace.catalog.models import Listing, ListingStatus
from marketplace.catalog.moderation import hide_listing
from marketplace.core.timeutils import utcnow
from marketplace.egov.models import Submission, SubmissionStatus
from marketplace.egov.services import start_application
from marketplace.opendata.aggregate import aggregate, aggregate_prices
from marketplace.opendata.models import PriceCell, ServiceMonth
from marketplace.orders import cart
from marketplace.orders import services as orders
from marketplace.orders.checkout import place_checkout
from marketplace.orders.models import OrderStatus
from tests import factories


def _cell(day, district=None, region=None, unit="kg"):
    query = select(PriceCell).where(PriceCell.day == day, PriceCell.unit == unit)
    query = query.where(PriceCell.district_id == district.id) if district else query.where(
        PriceCell.district_id.is_(None), PriceCell.region_id == region.id)
    return PriceCell.query.session.scalar(query)


def test_asking_price_percentiles_per_district_and_region(market, db):
    today = utcnow().date()
    aggregate(today)
    hill, lake = market["places"]["districts"]["Hill"], market["places"]["districts"]["Lake"]
    cell = _cell(today, district=hill)
    # Hill, sorted: 100, 120, 150, 200 (KES, in cents). p10 = 100 + 0.3·20; median = 120 + 0.5·30; p90 = 150 + 0.7·50.
    assert (cell.ask_p10_minor, cell.ask_median_minor, cell.ask_p90_minor) == (106_00, 135_00, 185_00)
    assert (cell.listings, cell.listing_farmers, cell.currency, cell.category.slug) == (4, 3, "KES", "tomatoes-peppers")
    assert _cell(today, district=lake) is None  # two farmers: suppressed, never stored
    region = _cell(today, region=hill.region)
    # Northland, sorted: 90, 100, 110, 120, 150, 200. p10 = 90 + 0.5·10; median = 110 + 0.5·10; p90 = 150 + 0.5·50.
    assert (region.ask_p10_minor, region.ask_median_minor, region.ask_p90_minor) == (95_00, 115_00, 175_00)
    assert (region.listings, region.listing_farmers) == (6, 5)
    assert _cell(today, district=hill, unit="crate") is None  # one farmer sells by the crate


def test_hidden_and_paused_listings_do_not_count(market, db):
    listings = market["listings"]
    hide_listing(factories.with_role(Role.ADMIN), listings["a200"], "Wrong photo")
    db.session.execute(update(Listing).where(Listing.id == listings["b120"].id).values(status=ListingStatus.PAUSED))
    db.session.commit()
    today = utcnow().date()
    aggregate(today)
    # Hill is left with Achieng's 100 and Chebet's 150: two farmers, so nothing is published.
    assert _cell(today, district=market["places"]["districts"]["Hill"]) is None


def _complete_sale(farmer, listing, amount: str, buyer):
    cart.add_to_cart(buyer, {}, listing.id, amount)
    order = place_checkout(buyer, {}, {}).orders[0]
    for status in (OrderStatus.READY_FOR_PICKUP, OrderStatus.COLLECTED, OrderStatus.COMPLETED):
        orders.move(farmer, order, status, pickup_code=order.pickup_code or "")
    return order


def test_paid_prices_count_orders_completed_that_day_with_three_farmers(market, db):
    a, b, c, *_ = market["farmers"]
    listings = market["listings"]
    buyer = factories.user("Buyer")
    _complete_sale(a, listings["a100"], "2", buyer)
    _complete_sale(b, listings["b120"], "3", buyer)
    _complete_sale(c, listings["c150"], "1.5", buyer)
    today = utcnow().date()
    aggregate(today)
    cell = _cell(today, district=market["places"]["districts"]["Hill"])
    assert (cell.paid_orders, cell.paid_farmers, cell.paid_median_minor, cell.paid_quantity_milli) == (3, 3, 120_00, 6500)
    aggregate(today - timedelta(days=1))  # nothing was completed the day before
    yesterday = _cell(today - timedelta(days=1), district=market["places"]["districts"]["Hill"])
    assert yesterday is None or yesterday.paid_median_minor is None


def test_rerunning_a_day_replaces_it_and_other_days_stay(market, db):
    today = utcnow().date()
    first = aggregate(today).price_cells
    aggregate(today - timedelta(days=1))
    before = db.session.scalar(select(PriceCell.id).where(PriceCell.day == today - timedelta(days=1)))
    assert aggregate(today).price_cells == first
    assert db.session.query(PriceCell).filter(PriceCell.day == today).count() == first
    db.session.execute(update(Listing).where(Listing.id == market["listings"]["c150"].id).values(price_minor=160_00))
    db.session.commit()
    aggregate_prices(today)
    db.session.commit()
    hill = _cell(today, district=market["places"]["districts"]["Hill"])
    assert hill.ask_median_minor == 140_00  # 120 + 0.5 · (160 − 120)
    assert db.session.scalar(select(PriceCell.id).where(PriceCell.day == today - timedelta(days=1))) == before


def _decided(egov, hours: int, approve: bool, rating: int | None, month_start: date):
    submission = start_application(egov["resident"], egov["services"]["agricultural-input-subsidy"])
    filed = datetime.combine(month_start, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
    submission.status = SubmissionStatus.APPROVED if approve else SubmissionStatus.REJECTED
    submission.submitted_at, submission.decided_at, submission.rating = filed, filed + timedelta(hours=hours), rating
    return submission


def test_service_performance_of_a_month(egov, db):
    month = utcnow().date().replace(day=1) - timedelta(days=40)
    month = month.replace(day=1)
    for hours, approve, rating in ((24, True, 5), (48, True, 4), (72, False, 3), (400, True, None)):
        _decided(egov, hours, approve, rating, month)
    waiting = start_application(egov["resident"], egov["services"]["agricultural-input-subsidy"])
    waiting.status = SubmissionStatus.SUBMITTED
    waiting.submitted_at = datetime.combine(month, datetime.min.time(), tzinfo=UTC) + timedelta(days=3)
    db.session.commit()
    aggregate(month + timedelta(days=10))
    row = db.session.scalar(select(ServiceMonth).where(ServiceMonth.month == month))
    assert (row.received, row.decided, row.approved) == (5, 4, 3)
    # Hours 24, 48, 72, 400: median 48 + 0.5·24 = 60; p90 = 72 + 0.7·328 = 301.6 → 302. The target is 14 days.
    assert (row.median_hours, row.p90_hours, row.within_target) == (60, 302, 3)
    assert (row.rating_count, row.rating_sum, row.mean_rating_x10) == (3, 12, 40)
    aggregate(month + timedelta(days=10))  # the same month again: one row, same figures
    assert db.session.query(ServiceMonth).filter(ServiceMonth.month == month).count() == 1
    assert db.session.query(Submission).count() == 5
