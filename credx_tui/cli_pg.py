"""The command line on a PostgreSQL store (issue 16): ``--db postgresql://...`` or
``CREDX_DB``.

The database decides who may connect (its roles and ``pg_hba.conf``), so the folder
owner checks of the file store (:mod:`credx_tui.store.ownership`) do not apply; what
reaches the database with the store's credentials administers it (from the service
account, ``CREDX_SERVICE_ACCOUNT``, when the deployment names one).  Every command
works on either store; ``import`` and ``verify`` have their own version here, the
others go through :class:`credx_tui.store.base.DocumentStore` in :mod:`credx_tui.cli`."""

from __future__ import annotations

import argparse
from pathlib import Path


class PgCliError(Exception):
    """One line for the terminal; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


OWN_COMMANDS = ("import", "verify")
"""Commands with a PostgreSQL version of their own (a folder's staged import and its
file walk have no meaning in a database); every other command runs on either store
through :class:`credx_tui.store.base.DocumentStore`."""


def open_pg(url: str):  # -> PgStore
    """The store in the database, or one clear line."""
    from credx_tui.store.pg import PgStore

    if not PgStore.exists(url):
        from credx_tui.store.pg import redacted

        raise PgCliError(
            f"no credx store in {redacted(url)} (or the server cannot be reached); create "
            "one with `credx demo`, `credx import` or `credx migrate`"
        )
    return PgStore(url)


def dispatch(args: argparse.Namespace, url: str) -> int:
    """Run ``args.command`` (one of :data:`OWN_COMMANDS`) on the store at ``url``."""
    if args.command == "import":
        return _import(args, url)
    if args.command == "verify":
        return _verify(args, url)
    raise PgCliError(f"`credx {args.command}` has no PostgreSQL version of its own")


def _import(args: argparse.Namespace, url: str) -> int:
    from credx_tui.cli_base import audit_import, require_owner
    from credx_tui.services.context import rules_of_store
    from credx_tui.services.loading import import_paths
    from credx_tui.sheets import load_mapping
    from credx_tui.store.pg import PgStore

    admin = require_owner(args)
    store = PgStore.create(url)
    mapping = load_mapping(Path(args.mapping)) if getattr(args, "mapping", None) else None
    report = import_paths(store, [Path(p) for p in args.paths], rules_of_store(store)[0], mapping)  # type: ignore[arg-type]
    audit_import(store, admin, args.paths, report.summary())
    print(report.summary())
    return 0


def _verify(args: argparse.Namespace, url: str) -> int:
    from credx_tui.cli_base import said, same_as
    from credx_tui.store.transfer import content_digest

    store = open_pg(url)
    if said(store.verify(), "{n} problem(s)"):
        return 1
    print(f"store is sound (content sha256 {content_digest(store)})")
    return same_as(args, url)


def migrate_command(args: argparse.Namespace) -> int:
    """``credx migrate --from A --to B``: all or nothing, verified on both sides."""
    from credx_tui.store.transfer import migrate

    report = migrate(args.source, args.target)
    print(report.summary())
    print("both stores verify; the content is the same")
    return 0
