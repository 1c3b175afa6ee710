"""Access checks: `require_role` for services (the real check), `role_required` for views."""
from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.core.errors import PermissionDenied

F = TypeVar("F", bound=Callable[..., Any])
A = TypeVar("A", bound="Actor")


class Actor(Protocol):
    """Whoever acts: accounts.User fulfils this; core needs nothing more of it."""

    is_authenticated: bool

    def has_role(self, *roles: Enum | str) -> bool: ...


def require_role(actor: A | None, *roles: Enum | str) -> A:
    """Raise PermissionDenied unless `actor` is signed in and holds one of `roles`."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.has_role(*roles):
        raise PermissionDenied(_l("You do not have permission to do this."))
    return actor


def role_required(*roles: Enum | str) -> Callable[[F], F]:
    """View guard: anonymous users are sent to log in, others without the role get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required  # type: ignore[untyped-decorator]  # Flask-Login ships no types
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
