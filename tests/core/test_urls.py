"""Links written into messages: built from PUBLIC_BASE_URL, the same in a request and outside one."""
from __future__ import annotations

from flask import url_for

from marketplace.core.urls import site_path


def test_a_messages_link_is_the_sites_path_under_the_deployments_own_prefix(app, monkeypatch):
    with app.app_context():  # as a job or a command writes it: no request
        assert site_path("orders.order_page", number="AB12CD") == "/orders/AB12CD"
        assert site_path("catalog.browse_listings", q="maize tomato", page=2) == "/produce?q=maize+tomato&page=2"
        monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://square.example.org/village/")
        assert site_path("orders.order_page", number="AB12CD") == "/village/orders/AB12CD"
    # Never from the request's host or prefix: a request from elsewhere writes the same link.
    with app.test_request_context("/", base_url="https://attacker.example/evil/"):
        assert url_for("orders.order_page", number="AB12CD") == "/evil/orders/AB12CD"
        assert site_path("orders.order_page", number="AB12CD") == "/village/orders/AB12CD"
