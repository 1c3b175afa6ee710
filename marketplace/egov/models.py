"""Government e-services: services with versioned form definitions, submissions,
their attachments, audit trail, internal notes and certificates."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.api import Department, User
from marketplace.core.db import StatusHistoryMixin, TimestampMixin, string_enum
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class EService(TimestampMixin, db.Model):
    """One service in the catalogue (e.g. 'Market trading permit'); what it asks is its published version."""

    __tablename__ = "eservices"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_versions.id", use_alter=True))

    department: Mapped[Department] = relationship()
    published_version: Mapped[FormVersion | None] = relationship(foreign_keys=[published_version_id], post_update=True)
    versions: Mapped[list[FormVersion]] = relationship(foreign_keys="FormVersion.eservice_id", order_by="FormVersion.number",
                                                         back_populates="eservice")


class VersionStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class FormVersion(db.Model):
    """A form definition as data (see docs/forms.md). Published versions never change: a submission
    keeps the version it was filed against and always renders with it."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("eservice_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int] = mapped_column(ForeignKey("eservices.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    status: Mapped[VersionStatus] = mapped_column(string_enum(VersionStatus))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()

    eservice: Mapped[EService] = relationship(foreign_keys=[eservice_id], back_populates="versions")


class SubmissionStatus(str, enum.Enum):
    DRAFT = "draft"
    AWAITING_PAYMENT = "awaiting_payment"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    MORE_INFO_REQUESTED = "more_info_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Submission(TimestampMixin, db.Model):
    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(24), unique=True)  # in URLs, before and after the reference exists
    reference: Mapped[str | None] = mapped_column(String(24), unique=True)  # AGR-2026-000123, given when filed
    eservice_id: Mapped[int] = mapped_column(ForeignKey("eservices.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # Where the application is handled: the applicant's home district when it was started.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # the agent filing with them
    agent_handed_back: Mapped[bool] = mapped_column(default=False)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who pressed "submit"
    status: Mapped[SubmissionStatus] = mapped_column(string_enum(SubmissionStatus, 24), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prefilled: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> value copied from the profile
    prefill_decided: Mapped[bool] = mapped_column(default=False)  # the applicant answered the consent question
    fee_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="")
    pays_at_office: Mapped[bool] = mapped_column(default=False)
    declared_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    info_request: Mapped[str] = mapped_column(Text, default="")  # the official's open question, if any
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    rating: Mapped[int | None] = mapped_column()
    rating_comment: Mapped[str] = mapped_column(String(1000), default="")
    # The filled form's own id from a field device (an XForm instanceID, or the browser's id for a form
    # sent after being filled offline): a resend finds the application already made, never a second one.
    instance_id: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)

    eservice: Mapped[EService] = relationship()
    version: Mapped[FormVersion] = relationship()
    department: Mapped[Department] = relationship()
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", back_populates="submission")
    audit: Mapped[list[AuditEvent]] = relationship(order_by="AuditEvent.id")
    notes: Mapped[list[InternalNote]] = relationship(order_by="InternalNote.id")
    certificate: Mapped[Certificate | None] = relationship(back_populates="submission", uselist=False)


class Attachment(db.Model):
    """A document a resident attached; the bytes live in private storage, never under static/."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(64))  # the form field, or "info_response"
    storage_key: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column()
    original_name: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class AuditEvent(StatusHistoryMixin, db.Model):
    """Append-only: every action on a submission by anyone (who, in which role, when, what, from/to)."""

    __tablename__ = "submission_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    actor_role: Mapped[str] = mapped_column(String(16))  # applicant, agent, official, admin, system
    action: Mapped[str] = mapped_column(String(40))  # saved_step, submitted, claimed, viewed_by_admin…


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(_mapper, _connection, entry: AuditEvent) -> None:
    raise RuntimeError(f"audit event {entry.id} is append-only")


class InternalNote(db.Model):
    """Officials' notes on a submission; the applicant never sees them."""

    __tablename__ = "internal_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()


class Certificate(db.Model):
    """The PDF issued on a decision; its code is printed on it and checked at /verify/<code>."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    storage_key: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(12))
    holder_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))  # approved / rejected
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="certificate")


class PrefillConsent(db.Model):
    """An applicant agreed that one service's forms may copy facts from their profile (beyond contact
    details); `revoked_at` set when they withdraw it. One row per person and service."""

    __tablename__ = "prefill_consents"
    __table_args__ = (UniqueConstraint("user_id", "eservice_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    eservice_id: Mapped[int] = mapped_column(ForeignKey("eservices.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    eservice: Mapped[EService] = relationship()


class ReferenceSequence(db.Model):
    """The last number given per department and year: AGR-2026-000123 is the 123rd of AGR in 2026."""

    __tablename__ = "reference_sequences"
    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)  # "AGR-2026"
    last: Mapped[int] = mapped_column(default=0)


class SigningKey(db.Model):
    """A department's key for certificates checked without a network (egov.seals): ES256 (P-256).
    The newest one not retired signs; retired ones stay published so documents they signed still
    verify. The private key is stored encrypted with a key derived from SECRET_KEY."""

    __tablename__ = "signing_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)  # base64url of 8 bytes of the public key's SHA-256
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_key_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column()

    department: Mapped[Department] = relationship()
