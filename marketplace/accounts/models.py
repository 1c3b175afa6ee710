"""People, the roles they hold, farmer profiles, and the places they live."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, and_, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.db import TimestampMixin, string_enum
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db


class Role(str, enum.Enum):
    BUYER = "buyer"
    FARMER = "farmer"
    RESIDENT = "resident"
    AGENT = "agent"
    OFFICIAL = "official"
    ADMIN = "admin"


#: Roles a person takes for themselves; the others are granted by an admin.
SELF_SERVICE_ROLES = frozenset({Role.BUYER, Role.RESIDENT, Role.FARMER})
ADMIN_GRANTED_ROLES = frozenset({Role.AGENT, Role.OFFICIAL, Role.ADMIN})


class Region(db.Model):
    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    districts: Mapped[list[District]] = relationship(back_populates="region", order_by="District.name")


class District(db.Model):
    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[Region] = relationship(back_populates="districts")
    villages: Mapped[list[Village]] = relationship(back_populates="district", order_by="Village.name")


class Village(db.Model):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("district_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # WGS84 degrees of the village centre, from the gazetteer (accounts.places); None until known
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    district: Mapped[District] = relationship(back_populates="villages")

    @property
    def label(self) -> str:
        return f"{self.name}, {self.district.name}, {self.district.region.name}"


class Department(db.Model):
    """A department of the local government; officials are granted their role in one (accounts
    needs it for grants; egov's services belong to one)."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # also the reference-number prefix
    name: Mapped[str] = mapped_column(String(120))


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    preferred_locale: Mapped[str] = mapped_column(String(12), default="en")
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of every session and remember-me cookie (get_id): one more ends them all, on every device.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when the person typed back a code sent to `phone`: until then the account may not sell,
    # file or receive money (accounts.codes), so nobody profits from registering another's number.
    phone_confirmed_at: Mapped[datetime | None] = mapped_column()

    village: Mapped[Village | None] = relationship()
    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", foreign_keys="RoleGrant.user_id", cascade="all, delete-orphan"
    )
    farmer_profile: Mapped[FarmerProfile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and signs into the remember-me cookie. With the
        generation in it, signing out, a new password or an admin's "sign out everywhere" ends
        every copy of both (accounts.services.end_sessions), copied cookies included."""
        return f"{self.id}:{self.session_generation}"

    @property
    def phone_confirmed(self) -> bool:
        return self.phone_confirmed_at is not None

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.role_grants)

    def has_role(self, *roles: Role | str) -> bool:
        return bool(self.roles.intersection(Role(role) for role in roles))

    @property
    def department_id(self) -> int | None:
        for grant in self.role_grants:
            if grant.role is Role.OFFICIAL:
                return grant.department_id
        return None

    @property
    def jurisdiction_district_id(self) -> int | None:
        """The district an official works for; None: the whole department."""
        for grant in self.role_grants:
            if grant.role is Role.OFFICIAL:
                return grant.district_id
        return None

    # An official's jurisdiction, the one rule every domain with officials uses (applications,
    # residents' reports): their department, and their district when the grant names one.
    def serves(self, department_id: int | None, district_id: int | None) -> bool:
        """Is this person an official whose jurisdiction covers this department's case in this district?"""
        return (self.has_role(Role.OFFICIAL) and department_id is not None and self.department_id == department_id
                and self.jurisdiction_district_id in (None, district_id))

    def jurisdiction(self, department_column: Any, district_column: Any) -> Any:
        """The same rule as a SQL condition on a table's department and district columns."""
        if self.department_id is None:  # not an official: `column == None` would match rows with no department
            return false()
        condition = department_column == self.department_id
        if self.jurisdiction_district_id is not None:
            condition = and_(condition, district_column == self.jurisdiction_district_id)
        return condition


class RoleGrant(db.Model):
    """One role held by one person, with who granted it, when and why."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # An official's jurisdiction: one district of the department's work, or None for all of it.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    district: Mapped[District | None] = relationship()
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(back_populates="role_grants", foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
    department = relationship("Department")


class RoleChange(db.Model):
    """Append-only history of grants and revocations (who, when, why)."""

    __tablename__ = "role_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(8))  # "grant" or "revoke"
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class FarmerProfile(TimestampMixin, db.Model):
    __tablename__ = "farmer_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    farm_name: Mapped[str] = mapped_column(String(120))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    pickup_point: Mapped[str] = mapped_column(String(500))
    accepts_pay_on_pickup: Mapped[bool] = mapped_column(default=True)  # cash or mobile money at handover

    user: Mapped[User] = relationship(back_populates="farmer_profile")
    village: Mapped[Village] = relationship()
    verifications: Mapped[list[ProducerVerification]] = relationship(
        primaryjoin="FarmerProfile.user_id == foreign(ProducerVerification.farmer_id)", viewonly=True,
        order_by="ProducerVerification.id.desc()")
    pickup_windows: Mapped[list[PickupWindow]] = relationship(
        order_by="(PickupWindow.weekday, PickupWindow.opens_minute)", cascade="all, delete-orphan")

    @property
    def verification(self) -> ProducerVerification | None:
        """The verification shown as a badge: the newest one not revoked."""
        return next((v for v in self.verifications if v.revoked_at is None), None)


class ProducerVerification(db.Model):
    """A department verified this farmer as a producer (by approving an application whose form says
    so); shown as a badge until the department revokes it, with a reason."""

    __tablename__ = "producer_verifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    farmer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    reference: Mapped[str] = mapped_column(String(24), unique=True)  # the approved application
    verified_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(String(500), default="")

    department: Mapped[Department] = relationship()


class PickupWindow(db.Model):
    """When buyers may collect at the farm's pickup point, e.g. Saturdays 8:00–12:00.
    Times are minutes after midnight in the site's time zone (BABEL_DEFAULT_TIMEZONE)."""

    __tablename__ = "pickup_windows"
    id: Mapped[int] = mapped_column(primary_key=True)
    farmer_profile_id: Mapped[int] = mapped_column(ForeignKey("farmer_profiles.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column()  # 0 = Monday, as datetime.date.weekday()
    opens_minute: Mapped[int] = mapped_column()
    closes_minute: Mapped[int] = mapped_column()


class PhonePin(db.Model):
    """A short PIN that protects money on a basic phone (USSD, SMS), set on the web or by an agent.
    Three wrong tries lock it for a while; the attempts are counted here, in the database, so every
    app server and every USSD session sees the same count."""

    __tablename__ = "phone_pins"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(255))
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)



class OneTimeCode(db.Model):
    """A 6-digit code texted to a person's phone, for one purpose: to confirm the number is theirs,
    or to let an agent beside them act for them. Only its hash is kept; it expires, allows a few
    tries, and is used once. Whoever types it back proves they hold (or are with) that phone."""

    __tablename__ = "one_time_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)  # the phone's owner
    purpose: Mapped[str] = mapped_column(String(16))  # "confirm_phone" or "presence"
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class PresenceCheck(db.Model):
    """Proof that a person was with the agent who acts for them: a code sent to the person's phone
    and typed back by the agent, or the person's PIN typed on the agent's device. Until
    `expires_at` the agent may file, list or set a PIN for that person (accounts.presence); the
    row stays as the record of who vouched for what, how and when."""

    __tablename__ = "presence_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(8))  # "code" (texted to the person) or "pin"
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class DeviceToken(db.Model):
    """A password for one field device (ODK Collect, Enketo): made in the profile, shown once, kept
    only as a hash, revocable on its own. The account's own password never goes on a shared phone."""

    __tablename__ = "device_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
