"""A signed-in person's load on a GET, kept for a few seconds in the shared cache.

Every page a signed-in person opens begins with one SELECT: who they are, their roles, the header's
counts and the figures the page is kept by (core.header). On a page served from the cache that
SELECT is the request's only use of the database, and on PostgreSQL the connection it needs (a ping,
BEGIN, the query, ROLLBACK) costs more than the rest of the request (`make bench`). Its result is
kept in Redis for SIGNED_IN_KEEP_SECONDS under the person and the page's figures, and a GET that
finds it current touches no database at all.

Current means nothing it was read from has changed since. Each table has a generation in Redis; a
connection notes the tables its INSERTs, UPDATEs and DELETEs touched, and once its transaction is
committed (when the connection goes back to the pool) it raises their generations, in one round
trip. A kept load records the generations it was read under, taken before the SELECT, and is used
only while they all still hold: a sign-out, a revoked role, a new cart line, a message or an order
anywhere is seen on the very next request. Writes this app cannot see (SQL run by hand) are seen
within SIGNED_IN_KEEP_SECONDS.

Only a GET is served from what was kept: a POST, and so every change of state, is authorised
against the database as it is now. Only with Redis: generations kept in one process's memory would
not reach the others, and a sign-out in one worker would leave the session open in the next. Redis
away is the cache missing: the person is read from the database, as without it.
"""
from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, has_app_context, request
from sqlalchemy import Engine, Select, Table, event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.pool import Pool
from sqlalchemy.sql.util import find_tables

from marketplace.core.cache import REDIS_TIMEOUTS

#: A write this app could not place on a table (SQL text): every kept load depends on it.
ANY_TABLE = "*"
#: Raised when what a kept load holds changes shape, so a new release never reads an old one.
FORMAT = 1
#: Columns never copied to the cache: read from the database the first time they are asked for.
NOT_KEPT = frozenset({"password_hash"})


def init_app(app: Flask) -> None:
    # Every process with Redis tells the others what it changed, even one that keeps nothing itself
    # (a job worker, an app server with SIGNED_IN_KEEP_SECONDS at 0): the others may keep.
    if app.config.get("REDIS_URL"):
        from redis import Redis

        app.extensions["signed_in_redis"] = Redis.from_url(app.config["REDIS_URL"], **REDIS_TIMEOUTS)


def _redis() -> Any:
    return current_app.extensions.get("signed_in_redis") if has_app_context() else None


def _keeps() -> bool:
    return current_app.config.get("SIGNED_IN_KEEP_SECONDS", 0) > 0 and request.method == "GET"


def _prefix() -> str:
    return f"{current_app.config.get('CACHE_KEY_PREFIX', 'vs:')}signed-in:"


def load(statement: Select[Any], person_id: int, session: Session,
         read: Callable[[], Any]) -> tuple[Any, dict[str, Any]] | None:
    """The person of `statement` (their id given) and the row's other columns by name: kept, or
    `read()` (the row, or None) and kept. Only a GET with Redis keeps; otherwise `read()` as it is."""
    redis = _redis()
    if redis is None or not _keeps():
        return _as_found(read())
    tables = _tables(statement)
    key = f"{_prefix()}{FORMAT}:{person_id}:{_figured(statement)}"
    generation_keys = [f"{_prefix()}table:{table}" for table in tables]
    try:
        kept, *generations = redis.mget([key, *generation_keys])
    except Exception as error:  # redis' ConnectionError, TimeoutError…: read without it
        current_app.logger.warning("cache unreachable, reading the signed-in person without it: %s", error)
        return _as_found(read())
    if kept is not None:
        try:
            entry = pickle.loads(kept)
        except Exception as error:  # a class an earlier release pickled, renamed since: read afresh
            current_app.logger.warning("a kept sign-in could not be read, reading the person afresh: %s", error)
            entry = None
        if entry is not None and entry["generations"] == generations and not _already_loaded(session, entry):
            return _rebuilt(session, entry), entry["values"]
    found = _as_found(read())
    if found is not None:
        entry = {"generations": generations, **_kept_form(found[0]), "values": found[1]}
        try:
            redis.set(key, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL),
                      ex=current_app.config["SIGNED_IN_KEEP_SECONDS"])
        except Exception as error:
            current_app.logger.warning("cache unreachable, the signed-in person not kept: %s", error)
    return found


def _as_found(row: Any) -> tuple[Any, dict[str, Any]] | None:
    if row is None:
        return None
    person, *_others = row._mapping.items()
    return person[1], dict(_others)


def _figured(statement: Select[Any]) -> str:
    """What tells one page's load from another's: the names of the columns beside the person."""
    built: dict[int, str] = current_app.extensions.setdefault("signed_in_names", {})
    if id(statement) not in built:
        built[id(statement)] = ",".join(str(column["name"]) for column in statement.column_descriptions[1:])
    return built[id(statement)]


def _tables(statement: Select[Any]) -> list[str]:
    """The tables the load reads, the person's own loaded with it, and ANY_TABLE; in a fixed order."""
    built: dict[int, list[str]] = current_app.extensions.setdefault("signed_in_tables", {})
    if id(statement) not in built:
        names = {table.name for table in find_tables(statement, check_columns=True) if isinstance(table, Table)}
        person = statement.column_descriptions[0]["entity"]
        names |= {relationship.target.name for relationship in inspect(person).relationships}
        built[id(statement)] = sorted(names | {ANY_TABLE})
    return built[id(statement)]


# --- the person as plain values, and back -------------------------------------------------------

def _columns(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    return {prop.key: state.dict[prop.key] for prop in state.mapper.column_attrs
            if prop.key in state.dict and prop.key not in NOT_KEPT}


def _kept_form(person: Any) -> dict[str, Any]:
    """The person's columns and the collections loaded with them (their role grants), as plain values."""
    state = inspect(person)
    loaded = {relationship.key: [_columns(child) for child in state.dict[relationship.key]]
              for relationship in state.mapper.relationships
              if relationship.uselist and relationship.key in state.dict}
    return {"class": type(person), "columns": _columns(person), "loaded": loaded}


def _already_loaded(session: Session, entry: dict[str, Any]) -> bool:
    """Whether the session holds this person already (read earlier in the request): that row is theirs."""
    mapper = inspect(entry["class"])
    key = mapper.identity_key_from_primary_key([entry["columns"][column.key] for column in mapper.primary_key])
    return key in session.identity_map


def _detached(cls: type, columns: dict[str, Any]) -> Any:
    mapper: Any = inspect(cls)
    obj: Any = mapper.class_manager.new_instance()
    for key, value in columns.items():
        if key in mapper.column_attrs:  # a column a release before this one had, dropped since: left out
            set_committed_value(obj, key, value)
    make_transient_to_detached(obj)  # persistent once added, with no SELECT (core.db.keep_loaded)
    return obj


def _rebuilt(session: Session, entry: dict[str, Any]) -> Any:
    """The kept person as the session's loaded row, their collections with them; nothing to flush,
    and what was not kept (their village, their password's hash) loaded when first asked for."""
    cls = entry["class"]
    person = _detached(cls, entry["columns"])
    children: list[Any] = []
    for key, rows in entry["loaded"].items():
        relationship = inspect(cls).relationships[key]
        loaded = [_detached(relationship.mapper.class_, row) for row in rows]
        set_committed_value(person, key, loaded)
        if relationship.back_populates:
            for child in loaded:
                set_committed_value(child, relationship.back_populates, person)
        children += loaded
    session.add_all([person, *children])
    return person


# --- generations: raised for each table a committed transaction wrote ------------------------------

_WRITTEN = "signed_in_written"
_COMMITTED = "signed_in_committed"


def _wrote(conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _executemany: bool) -> None:
    if context is None:
        return
    if context.isinsert or context.isupdate or context.isdelete:
        table = getattr(context.compiled.statement, "table", None)
        names: Iterable[str] = [table.name] if isinstance(table, Table) else [ANY_TABLE]
    elif statement.lstrip()[:8].upper().startswith(("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "ALTER", "DROP")):
        names = [ANY_TABLE]
    else:
        return
    conn.info.setdefault(_WRITTEN, set()).update(names)


def _committing(conn: Any) -> None:
    written = conn.info.pop(_WRITTEN, None)
    if written:
        # Raised once the connection is back in the pool, after the commit: raised before it, a reader
        # could read the old rows under the new generations and keep them.
        redis = _redis()
        if redis is not None:
            conn.info.setdefault(_COMMITTED, []).append((redis, _prefix(), written))


def _rolled_back(conn: Any) -> None:
    conn.info.pop(_WRITTEN, None)


def _returned(_dbapi_connection: Any, record: Any) -> None:
    for redis, prefix, written in record.info.pop(_COMMITTED, []):
        try:
            with redis.pipeline(transaction=False) as pipe:
                for name in written:
                    pipe.incr(f"{prefix}table:{name}")
                pipe.execute()
        except Exception:  # the write stands; kept loads end by themselves within SIGNED_IN_KEEP_SECONDS
            import logging

            logging.getLogger(__name__).exception("could not mark tables %s as changed", sorted(written))


event.listen(Engine, "after_cursor_execute", _wrote)
event.listen(Engine, "commit", _committing)
event.listen(Engine, "rollback", _rolled_back)
event.listen(Pool, "checkin", _returned)
