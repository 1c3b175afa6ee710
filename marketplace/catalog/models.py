"""Tables of the catalog: categories, listings, their photos, history and reports."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.api import User, Village
from marketplace.catalog.units import Unit
from marketplace.core.db import StatusHistoryMixin, TimestampMixin, string_enum
from marketplace.core.money import Money
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class ListingStatus(str, enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    SOLD_OUT = "sold_out"
    ARCHIVED = "archived"


class Category(db.Model):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent", order_by="Category.position")


class Listing(TimestampMixin, db.Model):
    __tablename__ = "listings"
    __table_args__ = (
        # Browse pages: listings on sale, newest (highest id) first, everywhere or per category,
        # district or region. Each index ends in id so the database walks it and stops after a page.
        Index("ix_listings_status_id", "status", "id"),
        Index("ix_listings_category_status_id", "category_id", "status", "id"),
        Index("ix_listings_district_status_id", "district_id", "status", "id"),
        Index("ix_listings_region_status_id", "region_id", "status", "id"),
        Index("ix_listings_village_status_id", "village_id", "status", "id"),  # "closest to me" walks villages
        Index("ix_listings_status_price", "status", "price_minor"),
        Index("ix_listings_updated_at", "updated_at"),  # the catalog's version (core.cache)
        # The version of a farmer's kept "My listings" page, read from the index alone (managed_listings_version).
        Index("ix_listings_farmer_status_updated_views", "farmer_id", "status", "updated_at", "view_count"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    farmer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the farmer, or the agent for them
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    unit: Mapped[Unit] = mapped_column(string_enum(Unit))
    price_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    stock_milli: Mapped[int] = mapped_column(default=0)
    min_order_milli: Mapped[int] = mapped_column(default=0)
    harvest_date: Mapped[date | None] = mapped_column()
    available_until: Mapped[date | None] = mapped_column()
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    # Copied from the village so browse filters and "near you" need no join.
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    pickup_point: Mapped[str] = mapped_column(String(500))
    delivery_available: Mapped[bool] = mapped_column(default=False)
    delivery_fee_minor: Mapped[int] = mapped_column(default=0)
    is_organic: Mapped[bool] = mapped_column(default=False)
    is_natural: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ListingStatus] = mapped_column(string_enum(ListingStatus), default=ListingStatus.DRAFT)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    hidden_at: Mapped[datetime | None] = mapped_column()
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    view_count: Mapped[int] = mapped_column(default=0)

    farmer: Mapped[User] = relationship(foreign_keys=[farmer_id])
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])
    category: Mapped[Category] = relationship()
    village: Mapped[Village] = relationship()
    photos: Mapped[list[ListingPhoto]] = relationship(
        back_populates="listing", order_by="ListingPhoto.position", cascade="all, delete-orphan"
    )

    @property
    def price(self) -> Money:
        return Money(self.currency, self.price_minor)

    @property
    def delivery_fee(self) -> Money:
        return Money(self.currency, self.delivery_fee_minor)

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_public(self) -> bool:
        return self.status is ListingStatus.ACTIVE and not self.is_hidden


class Photo(db.Model):
    """A processed photo: two sizes in storage. Uploaded before the listing is saved, so
    a form that comes back with an error keeps the photos the farmer already sent. Until a job
    has made the sizes, the keys are empty and the original waits in private storage."""

    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    thumb_key: Mapped[str] = mapped_column(String(120))
    display_key: Mapped[str] = mapped_column(String(120))
    thumb_width: Mapped[int] = mapped_column()
    thumb_height: Mapped[int] = mapped_column()
    display_width: Mapped[int] = mapped_column()
    display_height: Mapped[int] = mapped_column()
    original_key: Mapped[str] = mapped_column(String(120), default="", server_default="")  # removed from storage once made
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def ready(self) -> bool:
        return bool(self.thumb_key)


class ListingPhoto(db.Model):
    __tablename__ = "listing_photos"
    __table_args__ = (UniqueConstraint("listing_id", "photo_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"))
    position: Mapped[int] = mapped_column(default=0)

    listing: Mapped[Listing] = relationship(back_populates="photos")
    photo: Mapped[Photo] = relationship(lazy="joined")


class ListingChange(StatusHistoryMixin, db.Model):
    """Append-only history of status changes, stock, edits and moderation."""

    __tablename__ = "listing_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(24))  # create, status, stock, edit, hide, unhide


class ListingReport(db.Model):
    __tablename__ = "listing_reports"
    __table_args__ = (UniqueConstraint("listing_id", "reporter_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
