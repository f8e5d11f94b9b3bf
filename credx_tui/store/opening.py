"""Which store a location names, opened: a PostgreSQL URL or a folder (issue 16).

The factory stands above both implementations (:mod:`credx_tui.store.store`,
:mod:`credx_tui.store.pg`), which stand on the interface in
:mod:`credx_tui.store.base`.  It once lived in ``base`` and imported the two
implementations inside its functions while they import ``base``: an import circle
(issue 14).  An import-linter contract (pyproject.toml) keeps the layers."""

from __future__ import annotations

from pathlib import Path

from credx_tui.store.base import DocumentStore, is_database_url


def open_store(location: str | Path, create: bool = False) -> DocumentStore:
    """The store ``location`` names: a PostgreSQL URL or a folder (the default).

    ``create`` makes an empty one (a folder, or the schema in an empty database)."""
    if is_database_url(location):
        from credx_tui.store.pg import PgStore

        return PgStore.create(str(location)) if create else PgStore(str(location))
    from credx_tui.store.store import Store

    return Store.create(location) if create else Store(location)


def store_exists(location: str | Path) -> bool:
    """Whether ``location`` holds a store (a folder with its marker, or a database with
    credx's schema)."""
    if is_database_url(location):
        from credx_tui.store.pg import PgStore

        return PgStore.exists(str(location))
    from credx_tui.store.store import Store

    return Store.exists(location)
