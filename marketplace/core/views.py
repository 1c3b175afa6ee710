"""Helpers views share: safe redirects and turning domain errors into form errors."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, request
from flask_wtf import FlaskForm

from marketplace.core.errors import DomainError, InvalidInput


def is_safe_next(target: str | None) -> bool:
    """Only same-site paths, so a login link cannot bounce people to another site."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") and "\\" not in target


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
