"""Accounts's public face: what other domains may use.

People, roles, places and the proofs a person gives (a confirmed phone, being present for an agent,
a PIN).

Another domain imports `marketplace.accounts.api`, never accounts's models, services or other modules
(tests/test_architecture.py holds it to that), so what accounts exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.accounts.codes import require_confirmed_phone
from marketplace.accounts.forms import language_choices, optional_int
from marketplace.accounts.labels import department_name
from marketplace.accounts.models import (
    Department, District, FarmerProfile, PickupWindow, Region, Role, RoleGrant, User, Village,
)
from marketplace.accounts.pins import PinLocked, check_pin
from marketplace.accounts.presence import PresenceRequired, is_present, require_presence, send_code
from marketplace.accounts.services import (
    Registration, find_user_by_identifier, get_user, list_districts, register_user, revoke_producer_verification,
    verification_for, verify_producer, village_choices,
)

__all__ = [
    "Department", "District", "FarmerProfile", "PickupWindow", "PinLocked", "PresenceRequired", "Region",
    "Registration", "Role", "RoleGrant", "User", "Village", "check_pin", "department_name",
    "find_user_by_identifier", "get_user", "is_present", "language_choices", "list_districts", "optional_int",
    "register_user", "require_confirmed_phone", "require_presence", "revoke_producer_verification", "send_code",
    "verification_for", "verify_producer", "village_choices",
]
