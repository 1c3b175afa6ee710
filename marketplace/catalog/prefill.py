"""What the listing form starts with: a listing's own values (edit), a copy ("list again"),
or the farmer's usual pickup, unit and delivery (remembered from their last listing)."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.catalog.models import Listing
from marketplace.catalog.services import ListingInput, require_manage
from marketplace.catalog.units import quantity_decimal
from marketplace.core.numbers import as_typed, money_as_typed
from marketplace.extensions import db


def input_from_listing(listing: Listing, for_new: bool = False) -> ListingInput:
    """The form's starting values: a listing's own (edit), or a copy for 'list again'."""
    return ListingInput(
        title=listing.title, description=listing.description, category_id=listing.category_id, unit=listing.unit.value,
        price=money_as_typed(listing.price), stock="" if for_new else _typed_quantity(listing.stock_milli),
        min_order=_typed_quantity(listing.min_order_milli) if listing.min_order_milli else "",
        harvest_date=None if for_new else listing.harvest_date,
        available_until=None if for_new else listing.available_until,
        village_id=listing.village_id, pickup_point=listing.pickup_point, delivery_available=listing.delivery_available,
        delivery_fee=money_as_typed(listing.delivery_fee) if listing.delivery_fee_minor else "",
        is_organic=listing.is_organic, is_natural=listing.is_natural,
        photo_ids=[] if for_new else [lp.photo_id for lp in listing.photos],
    )


def _typed_quantity(milli: int) -> str:
    """As the farmer's language writes it, so the form reads it back exactly ('2,5' in French)."""
    return as_typed(quantity_decimal(milli), places=3)


def defaults_for_new_listing(farmer: User) -> ListingInput:
    """What belongs to the farm, remembered from the farmer's last listing (pickup, delivery, organic),
    else from the farm profile. Not what belongs to the produce (category, unit): a new listing is
    mostly another produce, and remembering them listed "Red onions" as honey, per litre, unnoticed."""
    last = db.session.scalar(select(Listing).where(Listing.farmer_id == farmer.id).order_by(Listing.id.desc()).limit(1))
    profile = farmer.farmer_profile
    if last is not None:
        return ListingInput(
            village_id=last.village_id, pickup_point=last.pickup_point,
            delivery_available=last.delivery_available,
            delivery_fee=money_as_typed(last.delivery_fee) if last.delivery_fee_minor else "",
            is_organic=last.is_organic, is_natural=last.is_natural,
        )
    return ListingInput(village_id=profile.village_id if profile else None, pickup_point=profile.pickup_point if profile else "")


def listing_again(actor: User, listing: Listing) -> ListingInput:
    require_manage(actor, listing)
    return input_from_listing(listing, for_new=True)
