"""Stock taken and given back by orders: the catalog's promise that nothing is ever oversold.

Both run in the caller's transaction; the orders domain commits or rolls back a whole checkout.
When orders take the last units or give units back, the listing moves through its machine as the
system (catalog.states), with its history row.
"""
from __future__ import annotations

import functools

from sqlalchemy import Update, bindparam, update

from marketplace.catalog import states
from marketplace.catalog.models import Listing, ListingStatus
from marketplace.extensions import db


@functools.cache
def _take() -> Update:
    """Built once: every line of every checkout runs it."""
    quantity = bindparam("quantity")
    return (update(Listing)
            .where(Listing.id == bindparam("listing_id"), Listing.status == ListingStatus.ACTIVE, Listing.hidden_at.is_(None),
                   Listing.stock_milli >= quantity)
            .values(stock_milli=Listing.stock_milli - quantity)
            .returning(Listing.stock_milli)
            .execution_options(synchronize_session=False))


def reserve_stock(listing_id: int, quantity_milli: int) -> bool:
    """Take `quantity_milli` from a listing on sale, atomically: one conditional UPDATE, so two
    buyers can never both get the last units (no read-then-write). False when there is not enough.
    Runs in the caller's transaction; the caller commits or rolls back the whole checkout."""
    left = db.session.execute(_take(), {"listing_id": listing_id, "quantity": quantity_milli}).scalar()
    if left is None:
        return False
    if left == 0:  # the row is ours (locked by the UPDATE) until the checkout ends: it is on sale, with none left
        listing = db.session.get(Listing, listing_id)
        db.session.refresh(listing, ["status", "stock_milli"])
        states.transition(listing, ListingStatus.SOLD_OUT, actor_id=None, reason="the last units were ordered")
    return True


def release_stock(listing_id: int, quantity_milli: int) -> None:
    """Give back units of a cancelled or expired order; a listing sold out by orders goes back on sale."""
    status = db.session.execute(
        db.update(Listing).where(Listing.id == listing_id)
        .values(stock_milli=Listing.stock_milli + quantity_milli)
        .returning(Listing.status)
        .execution_options(synchronize_session=False)
    ).scalar()
    if status is ListingStatus.SOLD_OUT and quantity_milli > 0:
        listing = db.session.get(Listing, listing_id)
        db.session.refresh(listing, ["status", "stock_milli"])
        states.transition(listing, ListingStatus.ACTIVE, actor_id=None, reason="units back from a cancelled order")
