"""Migrations match the models and go both ways, on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
import uuid

import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from marketplace import create_app


def _app(url: str):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})


def _roundtrip(url: str) -> None:
    app = _app(url)
    with app.app_context():
        upgrade()
        check()  # exits non-zero when models and migrations differ
        assert {"users", "role_grants", "villages", "outbox_messages"} <= set(inspect(create_engine(url)).get_table_names())
        downgrade(revision="base")
        assert set(inspect(create_engine(url)).get_table_names()) <= {"alembic_version"}
        upgrade()


def test_sqlite_upgrade_check_downgrade_upgrade(tmp_path):
    _roundtrip(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")


def test_postgresql_upgrade_check_downgrade_upgrade():
    base_url = os.environ.get("TEST_DATABASE_URL", "")
    if not base_url.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL does not point at PostgreSQL (CI sets it)")
    name = f"village_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _roundtrip(base_url.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_drift_is_detected(tmp_path):
    """The check above can fail: a model change without a migration is caught."""
    from sqlalchemy import Column, Integer, Table

    from marketplace.extensions import db

    url = f"sqlite:///{tmp_path / 'drift.sqlite3'}"
    app = _app(url)
    with app.app_context():
        upgrade()
        extra = Table("not_migrated_yet", db.metadata, Column("id", Integer, primary_key=True))
        try:
            with pytest.raises(SystemExit):
                check()
        finally:
            db.metadata.remove(extra)
