"""Access checks: `require_role` for services (the real check), `role_required` for views."""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.accounts.models import Role, User
from marketplace.core.errors import PermissionDenied

F = TypeVar("F", bound=Callable)


def require_role(actor: User | None, *roles: Role) -> User:
    """Raise PermissionDenied unless `actor` is signed in and holds one of `roles`."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.has_role(*roles):
        raise PermissionDenied(_l("You do not have permission to do this."))
    return actor


def role_required(*roles: Role) -> Callable[[F], F]:
    """View guard: anonymous users are sent to log in, others without the role get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
