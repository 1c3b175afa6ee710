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
