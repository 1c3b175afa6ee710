"""Accounts's public face: what other domains may use.

People, roles, places and the proofs a person gives (a confirmed phone, being present for an agent,
a PIN).

Another domain imports `marketplace.accounts.api`, never accounts's models, services or other modules
(tests/test_architecture.py holds it to that), so what accounts exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.accounts.codes import require_confirmed_phone
from marketplace.accounts.devices import create_device_token, device_tokens, revoke_device_token, user_for_device
from marketplace.accounts.forms import language_choices, optional_int
from marketplace.accounts.labels import department_name
from marketplace.accounts.models import (
    Department,
    District,
    FarmerProfile,
    PickupWindow,
    Region,
    Role,
    RoleGrant,
    User,
    Village,
)
from marketplace.accounts.pins import PinLocked, check_pin, has_pin
from marketplace.accounts.places import (
    VILLAGE_RADIUS_KM,
    around,
    distance_from_village,
    distance_km,
    is_on_earth,
    km_between_villages,
    nearest_village,
    positions,
)
from marketplace.accounts.presence import PresenceRequired, is_present, require_presence, send_code
from marketplace.accounts.services import (
    Registration,
    find_user_by_identifier,
    get_district,
    get_user,
    list_districts,
    register_user,
    revoke_producer_verification,
    revoked_verifications,
    verification_for,
    verify_producer,
    village_choices,
)

__all__ = [
    "around", "distance_from_village", "km_between_villages", "positions", "distance_km", "is_on_earth", "nearest_village", "VILLAGE_RADIUS_KM",
    "check_pin", "create_device_token", "device_tokens", "has_pin", "revoke_device_token", "user_for_device",
    "Department", "department_name", "District", "FarmerProfile", "find_user_by_identifier",
    "get_district", "get_user", "is_present", "language_choices", "list_districts", "optional_int", "PickupWindow",
    "PinLocked", "PresenceRequired", "Region", "register_user", "Registration", "require_confirmed_phone",
    "require_presence", "revoke_producer_verification", "revoked_verifications", "Role", "RoleGrant", "send_code", "User",
    "verification_for", "verify_producer", "Village", "village_choices",
]
