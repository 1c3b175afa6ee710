"""Moderation: admins hide listings with a reason the farmer sees; anyone signed in reports one."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.api import Role, User
from marketplace.catalog import states
from marketplace.catalog.models import Listing, ListingReport
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import site_path
from marketplace.extensions import db
from marketplace.notifications.api import notify_user


def hide_listing(actor: User, listing: Listing, reason: str) -> None:
    require_role(actor, Role.ADMIN)
    if not reason.strip():
        raise DomainError(_l("Give the farmer a reason: they will see it."), field="reason")
    listing.hidden_at = utcnow()
    listing.hidden_by_id = actor.id
    listing.hidden_reason = reason.strip()[:500]
    states.record(listing, actor.id, "hide", listing.hidden_reason, role="admin")
    notify_user(listing.farmer, "listing_hidden", lambda: (
        _("Your listing was hidden"),
        _("Your listing \"%(title)s\" was hidden by Village Square: %(reason)s", title=listing.title, reason=listing.hidden_reason),
    ), link=site_path("catalog.edit_listing", listing_id=listing.id))
    db.session.commit()


def unhide_listing(actor: User, listing: Listing, reason: str = "") -> None:
    require_role(actor, Role.ADMIN)
    listing.hidden_at = None
    listing.hidden_by_id = None
    listing.hidden_reason = None
    states.record(listing, actor.id, "unhide", reason, role="admin")
    db.session.commit()


def report_listing(actor: User, listing: Listing, reason: str) -> ListingReport:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_l("Sign in to report a listing."))
    if not reason.strip():
        raise DomainError(_l("Tell us what is wrong with this listing."), field="reason")
    existing = db.session.scalar(select(ListingReport).where(ListingReport.listing_id == listing.id, ListingReport.reporter_id == actor.id))
    if existing is not None:
        raise DomainError(_l("You have already reported this listing. Thank you; we are looking at it."))
    report = ListingReport(listing_id=listing.id, reporter_id=actor.id, reason=reason.strip()[:500])
    db.session.add(report)
    db.session.commit()
    return report


def open_reports(actor: User) -> list[ListingReport]:
    require_role(actor, Role.ADMIN)
    return list(db.session.scalars(select(ListingReport).where(ListingReport.resolved_at.is_(None)).order_by(ListingReport.id.desc()).limit(100)))
