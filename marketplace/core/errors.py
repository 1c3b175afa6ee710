"""Errors a user can cause, raised by services and shown by views."""
from __future__ import annotations


class DomainError(Exception):
    """A rule refused the action. `message` is already translated (lazy string)."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(message)  # kept lazy: translated when shown, in the reader's locale
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    """The actor may not do this. Views answer 403."""


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know it exists. Views answer 404."""


class InvalidInput(DomainError):
    """Several fields are wrong at once; `errors` maps field name to a translated message."""

    def __init__(self, errors: dict[str, object]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors


# Refusals of the person, answered by the app's 403/404 handlers (create_app): a view that
# catches DomainError to show a rule's message lets these through first (`except REFUSALS: raise`).
REFUSALS = (PermissionDenied, NotFound)
