"""The listings' state machine and its one `transition()` (core.states).

The farmer (or the agent who listed for them, while the farmer is present) publishes, pauses and
archives; stock moves a listing between on sale and sold out, whoever changes the stock, and the
system does the same when orders take the last units or give units back (catalog.stock).
Hiding by a moderator is not a status: it is `hidden_at`, on the same history.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.catalog.labels import listing_status_name
from marketplace.catalog.models import Listing, ListingChange, ListingStatus
from marketplace.core.errors import DomainError
from marketplace.core.states import SYSTEM, Machine, emit
from marketplace.extensions import db

L = ListingStatus
FARMER, AGENT = "farmer", "agent"
SELLERS = (FARMER, AGENT)

LISTING_MOVES: Machine[ListingStatus] = Machine("listing", [
    (None, L.DRAFT, SELLERS, "created"),
    (L.DRAFT, L.ACTIVE, SELLERS, "on_sale"),
    (L.ACTIVE, L.PAUSED, SELLERS, "paused"),
    (L.PAUSED, L.ACTIVE, SELLERS, "on_sale"),
    (L.ACTIVE, L.SOLD_OUT, [FARMER, AGENT, SYSTEM], "sold_out"),  # the system: orders took the last units
    (L.PAUSED, L.SOLD_OUT, SELLERS, "sold_out"),
    (L.SOLD_OUT, L.ACTIVE, [FARMER, AGENT, SYSTEM], "on_sale"),  # the system: a cancelled order gave units back
    (L.SOLD_OUT, L.PAUSED, SELLERS, "paused"),
    (L.DRAFT, L.ARCHIVED, SELLERS, "archived"),
    (L.ACTIVE, L.ARCHIVED, SELLERS, "archived"),
    (L.PAUSED, L.ARCHIVED, SELLERS, "archived"),
    (L.SOLD_OUT, L.ARCHIVED, SELLERS, "archived"),
])


def party_of(actor_id: int | None, listing: Listing) -> str:
    """SYSTEM without an actor; otherwise the farmer, or the agent acting for them (whom
    catalog.services.require_manage has already let through)."""
    if actor_id is None:
        return SYSTEM
    return FARMER if actor_id == listing.farmer_id else AGENT


def may_become(listing: Listing, new: ListingStatus) -> bool:
    """Whether a person may ask for this move (the dashboard's buttons)."""
    return LISTING_MOVES.allows(listing.status, new, FARMER)


def record(listing: Listing, actor_id: int | None, action: str, reason: str = "", *, role: str = "") -> ListingChange:
    """A history row for what is not a move (created, edited, stock, hidden): the status stays.
    `role` when the actor is neither the farmer nor their agent (a moderator)."""
    change = ListingChange(listing_id=listing.id, actor_id=actor_id, actor_role=role or party_of(actor_id, listing), action=action,
                           from_status=listing.status.value if action != "create" else None, to_status=listing.status.value,
                           reason=reason[:500])
    db.session.add(change)
    return change


def transition(listing: Listing, new: ListingStatus, *, actor_id: int | None, reason: str = "") -> None:
    """Move the listing, writing its history row; the only place a listing's status is written."""
    old = listing.status
    if old is new:
        return
    refused = _l("A listing that is %(old)s cannot become %(new)s.", old=listing_status_name(old), new=listing_status_name(new))
    party = party_of(actor_id, listing)
    move = LISTING_MOVES.check(old, new, party, refused, refused)
    if new is L.ACTIVE and listing.stock_milli == 0:
        raise DomainError(_l("Add stock before putting this listing on sale."), field="stock")
    listing.status = new
    db.session.add(ListingChange(listing_id=listing.id, actor_id=actor_id, actor_role=party, action="status",
                                 from_status=old.value, to_status=new.value, reason=reason[:500]))
    emit(f"listing.{move.event}", listing)
