"""Helpers views share: safe redirects, turning domain errors into form errors, and photos kept across a failed form."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from marketplace.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied

Kept = TypeVar("Kept")



def _session() -> Any:
    """The app's scoped session (core sits below extensions.py, as in core.idempotency)."""
    return current_app.extensions["sqlalchemy"].session

def is_safe_next(target: str | None) -> bool:
    """Only same-site paths, so a login link cannot bounce people to another site."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") and "\\" not in target


def signed_in_person() -> str:
    """A rate limit's key for what only signed-in people do: their account, wherever they come from."""
    return f"user:{current_user.get_id()}"


def act(action: Callable[[], object], success: str, back: str) -> Response:
    """Run one service action; say how it went; go back to `back`. A rule that refuses says why
    (flashed, nothing saved); a refusal of the person (PermissionDenied, NotFound, an agent whose
    resident is not beside them) goes on to the app's error handlers, which answer 403, 404 or the
    presence page."""
    try:
        action()
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        _session().rollback()
        flash(str(error.message), "error")
    else:
        flash(success, "success")
    return redirect(back)


def safe_next(target: str | None, fallback: str) -> str:
    """Where to send someone back to: `target` if it is a path of this site, else `fallback`. The
    one redirect-safety rule: every `next` field, query argument and Referer goes through it."""
    return target if target and is_safe_next(target) else fallback


def back_or(fallback: str) -> str:
    """The page this request came from (its Referer), if that page is on this site; else `fallback`."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return fallback
    return safe_next(parts._replace(scheme="", netloc="").geturl(), fallback)


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Attach the message to its field when it names one, else flash it above the form."""
    if isinstance(error, InvalidInput):
        for name, message in error.errors.items():
            show_domain_error(form, DomainError(message, field=name))
        return
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        flash(str(error.message), "error")


def take_photos(field: Any, kept: Sequence[Kept], limit: int, too_many: str,
                process: Callable[[list[bytes]], list[Kept]]) -> tuple[list[Kept], list[str]]:
    """The photos sent with a form, processed *before* the form's other fields are checked, so a
    mistake elsewhere never costs the person their pictures: the page comes back with them kept
    (`kept` are those of earlier tries). Returns every photo now held and the photo errors."""
    uploads = [upload.read() for upload in request.files.getlist(field.name) if upload and upload.filename]
    errors: list[str] = []
    room = max(limit - len(kept), 0)
    if len(uploads) > room:
        errors.append(too_many)
        uploads = uploads[:room]
    held = list(kept)
    if uploads:
        try:
            held += process(uploads)
        except DomainError as error:
            _session().rollback()
            errors.append(str(error.message))
    return held, errors


def validate_with_photo_errors(form: FlaskForm, field: Any, photo_errors: list[str]) -> bool:
    """form.validate() resets every field's errors, so the photo errors are shown after it."""
    valid = form.validate()
    field.errors = list(field.errors) + photo_errors
    return valid and not photo_errors
