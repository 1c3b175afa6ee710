"""`make prod-local` and `make loadtest` share the machine's PostgreSQL with everyone (issue 18,
item 7): a run makes a database of its own under a new name, never reuses or drops one it did not
make, runs a Redis of its own, and listens only on ports the system says are free."""
from __future__ import annotations

import secrets
import shutil
import socket

import pytest

from tests.loadtest.prod_local import PG_ADMIN_URL, ProdLocal


@pytest.fixture
def postgres():
    psycopg = pytest.importorskip("psycopg")
    try:
        connection = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (CI's machine has it): {error}")
    with connection:
        yield connection


def _databases(postgres) -> set[str]:
    return {row[0] for row in postgres.execute("SELECT datname FROM pg_database")}


def test_each_run_names_its_own_database_and_asks_for_free_ports():
    first, second = ProdLocal(), ProdLocal()
    assert first.database != second.database and first.database.startswith("village_prodlocal_")
    ports = [*first.app_ports, first.proxy_port, first.s3_port]
    assert len(set(ports)) == len(ports)
    for port in ports:  # free now: nobody else listens there
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))


def test_a_run_makes_its_database_and_drops_only_that(postgres):
    run = ProdLocal()
    run._fresh_database()
    assert run.database in _databases(postgres)
    run._drop_what_this_run_made()
    assert run.database not in _databases(postgres)


def test_a_name_someone_else_holds_is_refused_and_their_database_kept(postgres):
    import psycopg

    theirs = f"village_prodlocal_{secrets.token_hex(4)}"
    postgres.execute(f'CREATE DATABASE "{theirs}"')
    try:
        run = ProdLocal()
        run.database = theirs  # as if the random name met one already there
        with pytest.raises(psycopg.errors.DuplicateDatabase):
            run._fresh_database()
        run._drop_what_this_run_made()
        assert theirs in _databases(postgres)  # not made by the run, so not dropped by it
    finally:
        postgres.execute(f'DROP DATABASE IF EXISTS "{theirs}" WITH (FORCE)')


def test_the_topology_runs_a_redis_of_its_own_and_stops_it(tmp_path, monkeypatch):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian's redis-server; CI's machine has it)")
    import redis

    from tests.loadtest import prod_local

    monkeypatch.setattr(prod_local, "BUILD", tmp_path)
    run = ProdLocal()
    run._fresh_redis()
    url = run.redis_url
    assert ":6379/" not in url  # never the shared server
    assert redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    run._drop_what_this_run_made()
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
