"""The command line on a PostgreSQL store (issue 16): ``--db postgresql://...`` or
``CREDX_DB``.

The database decides who may connect (its roles and ``pg_hba.conf``), so the folder
owner checks of the file store (:mod:`credx_tui.store.ownership`) do not apply; what
reaches the database with the store's credentials administers it.  The app, ``demo``,
``import``, ``check``, ``verify``, ``rules`` and ``migrate`` work on either store; the
commands that live in the store folder (``audit``, ``keys``, ``serve``) say so."""

from __future__ import annotations

import argparse
from pathlib import Path

from credx_tui.store.base import is_database_url


class PgCliError(Exception):
    """One line for the terminal; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


FOLDER_ONLY = ("audit", "keys", "serve", "export", "stats", "print", "user")
"""Commands that read or write the store folder itself (not yet on PostgreSQL)."""


def database_of(args: argparse.Namespace) -> str | None:
    """The PostgreSQL URL ``--db`` or ``CREDX_DB`` names, else None (a folder)."""
    import os

    from credx_tui.settings import ENV_DB

    value = args.db or os.environ.get(ENV_DB)
    return value if value and is_database_url(value) else None


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
    """Run ``args.command`` on the PostgreSQL store at ``url``."""
    if args.command in FOLDER_ONLY:
        raise PgCliError(
            f"`credx {args.command}` works on a store folder only for now; on PostgreSQL use "
            "the database's own tools (pg_dump, roles), or migrate to a folder"
        )
    if args.command is None:
        return _app(args, url)
    if args.command == "demo":
        return _demo(args, url)
    if args.command == "import":
        return _import(args, url)
    if args.command == "verify":
        return _verify(url)
    if args.command == "check":
        from credx_tui import cli

        args._store = open_pg(url)
        return cli._check(args)
    if args.command == "rules":
        return _rules(args, url)
    raise PgCliError(f"`credx {args.command}` is not available on a PostgreSQL store")


def _app(args: argparse.Namespace, url: str) -> int:
    import os

    from credx_tui.app import run_app
    from credx_tui.services import Services
    from credx_tui.settings import ENV_LANG, Settings

    if args.os_user or args.ssh or args.key_user:
        raise PgCliError("--os-user, --ssh and --key-user need a store folder for now")
    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    store = open_pg(url)
    services = Services.for_store(store)
    settings = Settings(db=Path(store.location), rules=None, lang=lang)
    return run_app(settings, store, services.rules, services=services)


def _demo(args: argparse.Namespace, url: str) -> int:
    from credx_tui.services.loading import import_paths
    from credx_tui.store.pg import PgStore
    from fixtures import DEMO_DIR
    from policy.rules import DEFAULT_RULES_PATH, load_rules

    exists = PgStore.exists(url)
    if args.if_empty and exists:
        return 0
    if args.reset:
        raise PgCliError(
            "--reset on PostgreSQL: drop and create the database (dropdb/createdb), then "
            "`credx demo` again; credx never drops a database"
        )
    store = PgStore.create(url)
    kept = store.stored_rules()
    rules = load_rules()
    report = import_paths(store, [Path(DEMO_DIR)], rules)  # type: ignore[arg-type]
    if kept is None:
        store.put_rules(DEFAULT_RULES_PATH.read_text(encoding="utf-8"), "bundled default")
    print(f"demo college loaded into {store.location}")
    print(report.summary())
    return 0


def _import(args: argparse.Namespace, url: str) -> int:
    from credx_tui.services.core import rules_of_store
    from credx_tui.services.loading import import_paths
    from credx_tui.sheets import load_mapping
    from credx_tui.store.pg import PgStore

    store = PgStore.create(url)
    mapping = load_mapping(Path(args.mapping)) if getattr(args, "mapping", None) else None
    report = import_paths(store, [Path(p) for p in args.paths], rules_of_store(store)[0], mapping)  # type: ignore[arg-type]
    print(report.summary())
    return 0


def _verify(url: str) -> int:
    from policy.text import for_terminal

    store = open_pg(url)
    damage = store.verify()
    for line in damage:
        print(for_terminal(line))
    if damage:
        print(f"{len(damage)} problem(s)")
        return 1
    print(f"store is sound (content sha256 {store.content_digest()})")
    return 0


def _rules(args: argparse.Namespace, url: str) -> int:
    from policy.rules import RulesError, load_rules

    store = open_pg(url)
    if args.rules_command == "apply":
        path = Path(args.file)
        try:
            load_rules(path)
            text = path.read_text(encoding="utf-8")
        except (OSError, RulesError) as exc:
            raise PgCliError(f"{path}: {exc}") from None
        stored = store.put_rules(text, str(path))
        print(f"rules version {stored.version} applied (sha256 {stored.sha256[:12]})")
        return 0
    found = store.stored_rules()
    if found is None:
        print("no rules stored; the bundled default applies")
    else:
        print(f"rules version {found.version}, sha256 {found.sha256}, from {found.source}")
    return 0


def migrate_command(args: argparse.Namespace) -> int:
    """``credx migrate --from A --to B``: all or nothing, verified on both sides."""
    from credx_tui.store.transfer import migrate

    report = migrate(args.source, args.target)
    print(report.summary())
    print("both stores verify; the content is the same")
    return 0
