"""Fixtures of the store and service tests: a fresh test college per test, in each
store (issue 16): the file store and PostgreSQL (a throwaway cluster for the session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from service_college import make_store

from credx_tui.services import Services
from credx_tui.store import Store
from credx_tui.store.base import DocumentStore
from policy.rules import Rules, load_rules
from tests.pg_cluster import Cluster, pg_bin, running_cluster

STORES = ["file", "pg"]
"""The two store implementations every test taking ``store`` runs against."""


@pytest.fixture(scope="session")
def rules() -> Rules:
    """The bundled default rules."""
    return load_rules()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster for the whole session (skipped only without initdb)."""
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed (no initdb): apt-get install postgresql")
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_college(pg_cluster: Cluster) -> str:
    """A database holding the test college, with a copy of every table in schema
    ``keep``: each test starts from that copy (:func:`reset_pg`), in milliseconds,
    where a new database each time (CREATE DATABASE ... TEMPLATE) cost a second."""
    pg_cluster.sql("CREATE DATABASE college")
    url = pg_cluster.url("college")
    store = make_store(url)
    store.close()  # type: ignore[attr-defined]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA keep")
        for table in _tables(conn):
            conn.execute(f"CREATE TABLE keep.{table} AS SELECT * FROM public.{table}")
    return url


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    ).fetchall()
    return [r[0] for r in rows]


def reset_pg(url: str) -> None:
    """Put the test college back as it was made (every table from ``keep``)."""
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        tables = _tables(conn)
        conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        for table in tables:
            conn.execute(f"INSERT INTO public.{table} SELECT * FROM keep.{table}")
        for table in ("applications", "events"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'seq'), "
                f"coalesce((SELECT max(seq) FROM {table}), 0) + 1, false)"
            )


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    """A store holding the test college (service_college.py), of each kind."""
    if request.param == "file":
        yield make_store(tmp_path / "db")
        return
    from credx_tui.store.pg import PgStore

    url = request.getfixturevalue("pg_college")
    reset_pg(url)
    found = PgStore(url)
    yield found
    found.close()


@pytest.fixture
def services(store: DocumentStore, rules: Rules) -> Services:
    """Services over the test store."""
    return Services(store, rules)


@pytest.fixture
def file_store(tmp_path: Path) -> Store:
    """The file store only, for tests of its folder and files."""
    return make_store(tmp_path / "db")
