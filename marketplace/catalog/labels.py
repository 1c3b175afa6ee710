"""Translated names of listing states."""
from flask_babel import lazy_gettext as _l

from marketplace.catalog.models import ListingStatus

STATUS_LABELS = {
    ListingStatus.DRAFT: _l("draft"),
    ListingStatus.ACTIVE: _l("on sale"),
    ListingStatus.PAUSED: _l("paused"),
    ListingStatus.SOLD_OUT: _l("sold out"),
    ListingStatus.ARCHIVED: _l("archived"),
}


def listing_status_name(status: ListingStatus | str) -> str:
    return str(STATUS_LABELS[ListingStatus(status)])
