"""Device tokens: how a field device signs in to the OpenRosa server (egov.openrosa).

ODK Collect keeps its server password on the phone, often a phone shared at a service centre, so
it is never the account's password: the person makes a token per device in their profile, sees it
once, and can revoke it alone. A token is 32 random bytes, so a plain SHA-256 of it is stored (a
slow hash protects guessable passwords; this one is not guessable) and looked up by that hash.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import DeviceToken, Role, User
from marketplace.accounts.services import find_user_by_identifier
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db

MAX_DEVICES = 10


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def device_tokens(user: User) -> list[DeviceToken]:
    return list(db.session.scalars(select(DeviceToken).where(DeviceToken.user_id == user.id, DeviceToken.revoked_at.is_(None))
                                   .order_by(DeviceToken.id)))


def create_device_token(user: User, label: str) -> tuple[DeviceToken, str]:
    """A new token for one device, and its secret (shown to the person once, never stored)."""
    require_role(user, Role.AGENT)
    label = (label or "").strip()
    if not label:
        raise DomainError(_l("Name the device, so you know which one to revoke later."), field="label")
    if len(device_tokens(user)) >= MAX_DEVICES:
        raise DomainError(_l("You have %(count)d devices already. Revoke one you no longer use first.", count=MAX_DEVICES),
                          field="label")
    secret = secrets.token_urlsafe(32)
    token = DeviceToken(user_id=user.id, label=label[:60], token_hash=_hash(secret))
    db.session.add(token)
    db.session.commit()
    return token, secret


def revoke_device_token(user: User, token_id: int) -> None:
    token = db.session.get(DeviceToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(_l("There is no such device."))
    token.revoked_at = utcnow()
    db.session.commit()


def user_for_device(identifier: str, secret: str) -> User | None:
    """The person a device signs in as (their phone or email, and a live token of theirs), or None."""
    if not identifier or not secret:
        return None
    token = db.session.scalar(select(DeviceToken).where(DeviceToken.token_hash == _hash(secret), DeviceToken.revoked_at.is_(None)))
    user = find_user_by_identifier(identifier)
    if token is None or user is None or not hmac.compare_digest(str(token.user_id), str(user.id)) or not user.is_active:
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    return user
