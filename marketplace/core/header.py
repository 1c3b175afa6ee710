"""The header's personal counts (cart lines, unread messages, orders to prepare) in one round trip.

Every page a signed-in person opens shows these counts, each owned by its domain. Asked one by one
they were a query each, and on PostgreSQL each round trip is a good part of a signed-in page's time
(`make bench`). Each domain registers, in its `init_app`, an SQL expression for its count (a scalar
subquery, or None where it does not apply to this person); `counts()` sends them together as one
SELECT, once per request. The counts stay exact: nothing is cached beyond the request.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g
from flask_login import current_user
from sqlalchemy import select

#: A domain's count for the person: an SQL scalar expression, or None when it does not apply.
Count = Callable[[Any], Any]


def register(app: Flask, name: str, count: Count) -> None:
    app.extensions.setdefault("header_counts", {})[name] = count


def counts() -> dict[str, int]:
    """The signed-in person's counts by name (0 where a count does not apply); {} for a visitor."""
    if "header_counts" in g:
        return g.header_counts  # type: ignore[no-any-return]
    found: dict[str, int] = {}
    if getattr(current_user, "is_authenticated", False):
        wanted = {name: count(current_user) for name, count in current_app.extensions.get("header_counts", {}).items()}
        columns = [expression.label(name) for name, expression in wanted.items() if expression is not None]
        # The app's scoped session (core sits below extensions.py, as in core.jobs).
        row = current_app.extensions["sqlalchemy"].session.execute(select(*columns)).mappings().one() if columns else {}
        found = {name: int(row.get(name) or 0) for name in wanted}
    g.header_counts = found
    return found
