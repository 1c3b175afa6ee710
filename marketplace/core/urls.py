"""Links that leave the site (SMS, email, PDFs) are built from PUBLIC_BASE_URL.

Never from the request's Host header: an attacker could otherwise make a
password-reset message point at their own site.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def public_url(path_or_url: str) -> str:
    """An absolute address for a path on this site (from PUBLIC_BASE_URL, never the Host header, so
    a cached page cannot carry an attacker's host to the next visitor); full URLs stay as they are."""
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + "/" + path_or_url.lstrip("/")


def site_path(endpoint: str, **values: Any) -> str:
    """A path on this site (no host) that works outside a request too: jobs and commands
    write links into messages the person reads on the site later."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return url_for(endpoint, **values)
