from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.api import Department, District, Village
from marketplace.core.db import StatusHistoryMixin, TimestampMixin, string_enum
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class ReportCategory(str, enum.Enum):
    ROADS = "roads"
    WATER = "water"
    ELECTRICITY = "electricity"
    MARKET = "market"  # market facilities
    HEALTH = "health"  # the health post
    SCHOOL = "school"
    OTHER = "other"


class ReportStatus(str, enum.Enum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    WONT_FIX = "wont_fix"


class Report(TimestampMixin, db.Model):
    """A problem or suggestion about a village. Public, but never with who reported it."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_department_status", "department_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the reporter, or the agent for them
    category: Mapped[ReportCategory] = mapped_column(string_enum(ReportCategory))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    # Where it was routed; empty until a routing rule names a department for its category and district.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ReportStatus] = mapped_column(string_enum(ReportStatus, 16), default=ReportStatus.RECEIVED, index=True)
    status_reason: Mapped[str] = mapped_column(String(1000), default="")
    resolved_at: Mapped[datetime | None] = mapped_column()
    supporters: Mapped[int] = mapped_column(default=0)  # "me too", one per person (ReportSupport)
    # Where exactly, when the reporter's phone said (optional; the village places and routes it)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()

    @property
    def people_who_care(self) -> int:
        """The reporter and everyone who said "me too": the one count pages and the API show."""
        return self.supporters + 1
    hidden_at: Mapped[datetime | None] = mapped_column()
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    village: Mapped[Village] = relationship()
    district: Mapped[District] = relationship()
    department: Mapped[Department | None] = relationship()
    photos: Mapped[list[ReportPhoto]] = relationship(order_by="ReportPhoto.position", cascade="all, delete-orphan")
    recordings: Mapped[list[ReportRecording]] = relationship(order_by="ReportRecording.id", cascade="all, delete-orphan")
    events: Mapped[list[ReportEvent]] = relationship(order_by="ReportEvent.id", cascade="all, delete-orphan")
    comments: Mapped[list[ReportComment]] = relationship(order_by="ReportComment.id", cascade="all, delete-orphan")

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class ReportPhoto(db.Model):
    __tablename__ = "report_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    thumb_key: Mapped[str] = mapped_column(String(120))
    display_key: Mapped[str] = mapped_column(String(120))
    display_width: Mapped[int] = mapped_column()
    display_height: Mapped[int] = mapped_column()


class ReportRecording(db.Model):
    """A voice message left on a phone call: private media, heard only by the department, moderators
    and the reporter (never on the public page, which shows that there is one)."""

    __tablename__ = "report_recordings"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportSupport(db.Model):
    """One person's "me too" on a report; they hear when its status changes."""

    __tablename__ = "report_supports"
    __table_args__ = (UniqueConstraint("report_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportComment(db.Model):
    __tablename__ = "report_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Set when an official of the report's department writes: shown as the department's answer.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column()
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department | None] = relationship()

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class ReportEvent(StatusHistoryMixin, db.Model):
    """Who moved, hid or routed a report, when, and why (reason shown in public for status changes)."""

    __tablename__ = "report_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(24))  # filed, status, hide, unhide, routed, comment_hidden


class RoutingRule(db.Model):
    """Which department handles a category of report: in one district, or everywhere (no district).
    Data, edited by admins; the most specific rule wins."""

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("category", "district_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[ReportCategory] = mapped_column(string_enum(ReportCategory))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    district: Mapped[District | None] = relationship()
    department: Mapped[Department] = relationship()


class PartnerKey(db.Model):
    """An Open311 API key an admin issued to a partner app. The app files reports with it as the
    partner's own account (registered like anyone's); the key is kept as a SHA-256 and can be revoked."""

    __tablename__ = "partner_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
