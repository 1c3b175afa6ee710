"""Links that leave the site (SMS, email, PDFs) are built from PUBLIC_BASE_URL.

Never from the request's Host header: an attacker could otherwise make a
password-reset message point at their own site.
"""
from __future__ import annotations

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def site_path(endpoint: str, **values) -> str:
    """A path on this site (no host) that works outside a request too: jobs and commands
    write links into messages the person reads on the site later."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return url_for(endpoint, **values)
