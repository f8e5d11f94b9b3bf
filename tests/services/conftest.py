"""Fixtures of the store and service tests: a fresh test college per test, in each
store (issue 16): the file store and PostgreSQL (a throwaway cluster for the session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from service_college import make_store

from credx_tui.services import Services, make_services
from credx_tui.store import Store
from credx_tui.store.base import DocumentStore
from policy.rules import Rules, load_rules
from tests.pg_cluster import Cluster, pg_bin, running_cluster

STORES = ["file", "pg"]
"""The two store implementations every test taking ``store`` runs against."""

FILE_ONLY = {
    "test_hostile_store.py": "damage to the store's files and folders",
    "test_index.py": "the file store's index and queue-row files (issue 13)",
    "test_store.py::test_transaction_writes_on_success_only": "compares hot file bytes",
    "test_store.py::test_files_and_folders": "file modes",
    "test_store.py::test_hot_data_is_apart_from_bulk": "the folder layout",
    "test_store.py::test_bad_file_stops": "damaged files",
    "test_store.py::test_invalid_document_names_file": "a document edited in its file",
    "test_store.py::test_verify_reports_every_bad_file": "damaged files",
    "test_store.py::test_attachments_are_named_by_content": "attachment files",
    "test_sessions.py::test_the_owner_actor": "the folder's OS owner",
    "test_sessions.py::test_a_refusal_of_the_machine": "a refused fsync of a file",
}
"""Tests of the file store's own files (their PostgreSQL counterparts, where there is
one, are in test_pg_store.py): the reason their ``[pg]`` case is skipped."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the ``[pg]`` case of a test of the file store's own files, saying why."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("store") != "pg":
            continue
        name = f"{item.path.name}::{item.name}"
        for prefix, why in FILE_ONLY.items():
            if name.startswith(prefix):
                item.add_marker(pytest.mark.skip(reason=f"file store only: {why}"))


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
def pg_store(pg_college: str) -> Iterator[DocumentStore]:
    """The PostgreSQL store only (with the test college), for its own tests."""
    from credx_tui.store.pg import PgStore

    reset_pg(pg_college)
    found = PgStore(pg_college)
    yield found
    found.close()


@pytest.fixture
def services(store: DocumentStore, rules: Rules) -> Services:
    """Services over the test store."""
    return make_services(store, rules)


@pytest.fixture
def file_store(tmp_path: Path) -> Store:
    """The file store only, for tests of its folder and files."""
    return make_store(tmp_path / "db")
