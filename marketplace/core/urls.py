"""Links that leave the site (SMS, email, PDFs) are built from PUBLIC_BASE_URL.

Never from the request's Host header: an attacker could otherwise make a
password-reset message point at their own site.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.routing import MapAdapter


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
    write links into messages the person reads on the site later. Built by a URL adapter bound once
    per app to PUBLIC_BASE_URL (a request context for each link cost more than the rest of the SMS)."""
    current_app.inject_url_defaults(endpoint, values)
    return _site_adapter().build(endpoint, values)


def _site_adapter() -> MapAdapter:
    base = current_app.config["PUBLIC_BASE_URL"]
    adapters: dict[str, MapAdapter] = current_app.extensions.setdefault("site_adapters", {})
    if base not in adapters:
        parts = urlsplit(base)
        adapters[base] = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http")
    return adapters[base]
