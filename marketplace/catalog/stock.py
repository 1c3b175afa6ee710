"""Stock taken and given back by orders: the catalog's promise that nothing is ever oversold.

Both run in the caller's transaction; the orders domain commits or rolls back a whole checkout.
"""
from __future__ import annotations

from marketplace.catalog.models import Listing, ListingStatus
from marketplace.extensions import db


def reserve_stock(listing_id: int, quantity_milli: int) -> bool:
    """Take `quantity_milli` from a listing on sale, atomically: one conditional UPDATE, so two
    buyers can never both get the last units (no read-then-write). False when there is not enough.
    Runs in the caller's transaction; the caller commits or rolls back the whole checkout."""
    taken = db.session.execute(
        db.update(Listing)
        .where(Listing.id == listing_id, Listing.status == ListingStatus.ACTIVE, Listing.hidden_at.is_(None),
               Listing.stock_milli >= quantity_milli)
        .values(stock_milli=Listing.stock_milli - quantity_milli)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if taken:
        db.session.execute(
            db.update(Listing).where(Listing.id == listing_id, Listing.stock_milli == 0, Listing.status == ListingStatus.ACTIVE)
            .values(status=ListingStatus.SOLD_OUT).execution_options(synchronize_session=False)
        )
    return taken


def release_stock(listing_id: int, quantity_milli: int) -> None:
    """Give back units of a cancelled or expired order; a listing sold out by orders goes back on sale."""
    db.session.execute(
        db.update(Listing).where(Listing.id == listing_id)
        .values(stock_milli=Listing.stock_milli + quantity_milli).execution_options(synchronize_session=False)
    )
    db.session.execute(
        db.update(Listing).where(Listing.id == listing_id, Listing.status == ListingStatus.SOLD_OUT, Listing.stock_milli > 0)
        .values(status=ListingStatus.ACTIVE).execution_options(synchronize_session=False)
    )
