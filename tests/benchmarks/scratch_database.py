"""A PostgreSQL database a benchmark makes for itself and drops when done: never one it did not make.

The machine's PostgreSQL is shared, so a benchmark given a name that already exists stops instead of
dropping someone else's database; the one it created is dropped however the run ends.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import create_engine, text


def _admin(url: str):
    return create_engine(f"{url.rsplit('/', 1)[0]}/postgres", isolation_level="AUTOCOMMIT")


@contextlib.contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """Create the database `url` names (refusing one that exists), yield its URL, drop it afterwards."""
    name = url.rsplit("/", 1)[1]
    admin = _admin(url)
    try:
        with admin.connect() as connection:
            if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first():
                raise SystemExit(f"database {name!r} exists already: give the benchmark a new name (it drops what it makes)")
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
