"""`credx import` and `credx demo`: documents in the import format into the store.

All or nothing: every file is parsed and cross-checked (against the bundle and what
the store already holds) before anything is written, so an invalid file leaves the
store exactly as it was.  Re-importing the same files changes nothing: documents
equal to the stored ones are not rewritten, a plain password that still verifies
keeps its stored hash, and events already present are not added again.
"""

from __future__ import annotations

from pathlib import Path

from credx_tui.demo import DEMO_SCREENSHOT, require_demo_data
from credx_tui.importing import ImportBundle
from credx_tui.services.staged_import import ImportReport, import_files, write_bundle
from credx_tui.sheets import Mapping
from credx_tui.store import Store
from credx_tui.store.base import DocumentStore
from credx_tui.store.opening import open_store, store_exists
from fixtures import DEMO_DIR  # package data: present in a plain install too
from policy.rules import Rules

__all__ = ["ImportReport", "apply_bundle", "import_paths", "load_demo"]


def import_paths(
    store: Store, paths: list[Path], rules: Rules, mapping: Mapping | None = None
) -> ImportReport:
    """Validate ``paths`` (import files or spreadsheets read with ``mapping``) and write
    them into ``store``; raises ImportFailed untouched, having written nothing.

    Both are streamed (:mod:`credx_tui.services.staged_import`): checked as
    :func:`credx_tui.importing.parse_files` checks them, each store file written once,
    all of them in one staged commit."""
    if isinstance(store, Store):
        report = import_files(store, paths, rules, mapping)
    else:
        from credx_tui.services.pg_import import import_files_pg

        report = import_files_pg(store, paths, rules, mapping)
    if any(Path(p).resolve() == Path(DEMO_DIR).resolve() for p in paths):
        store.put_attachment(DEMO_SCREENSHOT.read_bytes())  # named in applications.json
    return report


def apply_bundle(store: Store, bundle: ImportBundle) -> ImportReport:
    """Write a validated bundle: every changed file once, all in one staged commit (a
    PostgreSQL store: one transaction)."""
    if not isinstance(store, Store):
        from credx_tui.services.pg_import import write_bundle_pg

        return write_bundle_pg(store, bundle)
    return write_bundle(store, bundle)


def load_demo(
    root: str | Path, rules: Rules, reset: bool = False
) -> tuple[DocumentStore, ImportReport]:
    """Create (or with ``reset``, recreate) a store holding the bundled demo college;
    :class:`credx_tui.demo.PackageDataMissing` before anything is touched when the
    install lacks it."""
    require_demo_data()
    if reset and store_exists(root):
        emptied = open_store(root)
        emptied.empty()
        getattr(emptied, "close", lambda: None)()  # a database store's connections
    store = open_store(root, create=True)
    report = import_paths(store, [DEMO_DIR], rules)  # type: ignore[arg-type]
    return store, report


def _remove_store(root: Path) -> None:
    """Delete a store folder's content, only if it is really a credx store (the
    benchmarks' generators start afresh with it)."""
    import shutil

    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
