"""The header's personal counts (cart lines, unread messages, orders to prepare) in one round trip.

Every page a signed-in person opens shows these counts, each owned by its domain. Asked one by one
they were a query each, and on PostgreSQL each round trip is a good part of a signed-in page's time
(`make bench`). Each domain registers, in its `init_app`, an SQL expression for its count (a scalar
subquery of the person's id), and the role it applies to if not everyone; `counts()` sends them
together as one SELECT, once per request. The SELECT is built once per app and set of counts, with
the person's id as its parameter: building it for every request cost more than running it
(measured: 72 µs to build, 90 µs for SQLAlchemy to key a new statement, 51 µs to run a built one).
The counts stay exact: with Redis the whole load is kept only while no table it read has changed
(core.signed_in).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_login import current_user
from sqlalchemy import BindParameter, Select, bindparam, event, select
from sqlalchemy.orm import Session

#: A domain's count for a person: an SQL scalar expression of the person's id (an SQL parameter).
Count = Callable[[Any], Any]
#: A page's figures for a person: SQL scalar expressions of the person's id (an SQL parameter).
Figures = Callable[[Any], Sequence[Any]]

PERSON = "person_id"


def register(app: Flask, name: str, count: Count, role: str | None = None) -> None:
    """`count(person_id)` is shown to everyone signed in, or only to people with `role`."""
    app.extensions.setdefault("header_counts", {})[name] = (count, role)


def register_figures(app: Flask, name: str, figures: Figures, endpoints: tuple[str, ...]) -> None:
    """What a page's kept part is keyed by (core.cache), read in the same round trip as the signed-in
    person on a GET of one of `endpoints`: `figure(name, ...)` returns them."""
    app.extensions.setdefault("header_figures", {})[name] = (figures, endpoints)


def _statement(names: tuple[str, ...]) -> Select[Any]:
    built: dict[tuple[str, ...], Select[Any]] = current_app.extensions.setdefault("header_statements", {})
    if names not in built:
        registered = current_app.extensions["header_counts"]
        person: BindParameter[int] = bindparam(PERSON)
        built[names] = select(*(registered[name][0](person).label(name) for name in names))
    return built[names]


def counts() -> dict[str, int]:
    """The signed-in person's counts by name (0 where a count does not apply); {} for a visitor."""
    if "header_counts" in g:
        return g.header_counts  # type: ignore[no-any-return]
    found: dict[str, int] = {}
    if getattr(current_user, "is_authenticated", False):
        registered = current_app.extensions.get("header_counts", {})
        names = tuple(name for name, (_count, role) in registered.items() if role is None or current_user.has_role(role))
        # The app's scoped session (core sits below extensions.py, as in core.jobs).
        session = current_app.extensions["sqlalchemy"].session
        row = session.execute(_statement(names), {PERSON: current_user.id}).mappings().one() if names else {}
        found = {name: int(row.get(name) or 0) for name in registered}
    g.header_counts = found
    return found


# --- read with the person: one round trip for who they are, their counts and the page's figures -------
#
# On PostgreSQL a signed-in page's time was mostly waiting on the database, a round trip for each of
# the person, their counts and the version of what the page keeps (`make bench`). On a GET, the
# person's own load (the app's user loader) asks for all three in one SELECT. Only on a GET: a POST
# may change the counts before it renders, so there they are read when the header asks.

def with_counts(person: Select[Any]) -> Select[Any]:
    """The signed-in person's load, with their counts and this page's figures as more columns (on a
    GET); `person` selects the person where their id equals the PERSON parameter."""
    if request.method != "GET":
        return person
    counted = tuple(current_app.extensions.get("header_counts", {}))
    figured = tuple(name for name, (_figures, endpoints) in current_app.extensions.get("header_figures", {}).items()
                    if request.endpoint in endpoints)
    built: dict[tuple[object, ...], Select[Any]] = current_app.extensions.setdefault("person_statements", {})
    key = (person, counted, figured)
    if key not in built:
        at: BindParameter[int] = bindparam(PERSON)
        counts_registered, figures_registered = current_app.extensions["header_counts"], current_app.extensions["header_figures"]
        columns = [counts_registered[name][0](at).label(name) for name in counted]
        for name in figured:
            columns += [expression.label(f"{name}__{n}") for n, expression in enumerate(figures_registered[name][0](at))]
        built[key] = person.add_columns(*columns)
    return built[key]


def keep(person: Any, values: Mapping[str, Any]) -> None:
    """What `with_counts` read beside the person (its other columns by name), kept for this request
    (counts() and figure())."""
    registered = current_app.extensions.get("header_counts", {})
    if request.method != "GET" or any(name not in values for name in registered):
        return
    roles = {role.value for role in person.roles}
    g.header_counts = {name: int(values[name] or 0) if role is None or role in roles else 0 for name, (_c, role) in registered.items()}
    figures = {}
    for name in current_app.extensions.get("header_figures", {}):
        if f"{name}__0" in values:
            figures[name] = tuple(values[f"{name}__{n}"] for n in range(len(values)) if f"{name}__{n}" in values)
    g.header_figures = (person.id, figures)


def _forget_after_commit(_session: Any) -> None:
    # A GET may change what is counted (a card payment confirmed on return empties the cart): after any
    # commit the header asks again, and the page's figures are read afresh.
    if has_app_context():
        g.pop("header_counts", None)
        g.pop("header_figures", None)


event.listen(Session, "after_commit", _forget_after_commit)


def figure(name: str, person_id: int | None, compute: Callable[[], tuple[object, ...]]) -> tuple[object, ...]:
    """The figures `name` of `person_id` (None: not about a person) as read with the signed-in person's
    load on this request, or `compute()` where they were not (a POST, a job, another person)."""
    kept = g.get("header_figures") if has_request_context() else None
    if kept is not None and name in kept[1] and person_id in (None, kept[0]):
        return kept[1][name]  # type: ignore[no-any-return]
    return compute()
