"""The `credx` command: the app, and the shell tools around the same store.

    credx [--db PATH] [--lang zh|en]            start the app
    credx demo [--reset] [--if-empty]           load the bundled demo college
    credx import PATH... [--mapping F]          load import files or .xlsx/.csv exports
                         [--dry-run [--json]]   (what would change, nothing written)
    credx check --student 学号 [--json]          every course with its verdict and rule
    credx print transcript|application ...      a PDF of a 学业成绩单 or an application form
    credx user add|passwd|disable|enable|list   accounts (the store's owner)
    credx rules apply FILE | show               the college's rules, kept in the store
    credx audit [--limit N] [--json]            who changed what with these commands
    credx verify [--repair]                     prove the store (documents, references, files)
    credx export approved|applications -o F     the decisions out, .xlsx or .csv (owner)
    credx stats [--json] [--college X]          the college at a glance (owner)
    credx keys add|list|remove                  staff SSH keys in the service account's
                                                authorized_keys (the store's owner)
    credx --ssh                                 sshd's ForceCommand: the SSH front door
    credx serve [--host H] [--port N]           the app in a browser (loopback; see README)
    credx train [--scenario FILE|ID] [--large] [--list] [--check FILE|ID] [--notes]
                                                trainer mode: a guided walk on a sandbox

Errors are one clear line on stderr and a non-zero exit, never a traceback.  Textual
is imported only when the app starts, so the shell tools stay fast.

Only the OS account that owns the store folder runs credx on it (issue 9): anyone else
is refused before anything is read, root too unless ``--as-owner`` (which becomes the
owner first; ``--owner ACCOUNT`` names the owner of a store root creates).  Admin
commands (``user``, ``import``, ``rules``, ``audit``, ``verify``, ``demo``) go through
:func:`require_owner` and every change they make is an audit event."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import pwd
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from credx_tui.cli_base import (
    EXIT_FAILED,
    EXIT_USAGE,
    Admin,
    CliError,
    audit,
    audit_import,
    database_of,
    owner_command,
    same_as,
)
from credx_tui.cli_base import is_database as _is_database
from credx_tui.cli_base import os_name as _os_name
from credx_tui.cli_base import require_owner as require_owner  # the admin commands' gate
from credx_tui.settings import ENV_LANG, Settings, resolve_db, resolve_rules


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: an option given before the subcommand (`credx --db X demo`) must not be
    # reset by the subcommand's own copy of it; main() fills in what is still missing.
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="store folder, or a PostgreSQL URL postgresql://... (default: $CREDX_DB or "
        "the user data folder)",
    )
    common.add_argument(
        "--rules",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="a rules file for a dry run of `check` or `train` (everything else uses the "
        "rules stored with `credx rules apply`)",
    )
    common.add_argument(
        "--as-owner",
        action="store_true",
        default=argparse.SUPPRESS,
        help="root only: become the store folder's owner before touching anything",
    )
    common.add_argument(
        "--owner",
        metavar="ACCOUNT",
        default=argparse.SUPPRESS,
        help="with --as-owner: the OS account a new store is created for",
    )
    parser = argparse.ArgumentParser(
        prog="credx", description="学分兑换 credit exchange, in the terminal", parents=[common]
    )
    parser.add_argument(
        "--lang", choices=["zh", "en"], default=argparse.SUPPRESS, help="UI language (default zh)"
    )
    parser.add_argument(
        "--os-user",
        action="store_true",
        help="trust the operating-system account (sshd authenticated it); see --os-users",
    )
    parser.add_argument(
        "--os-users",
        metavar="FILE",
        help="mapping of OS users to credx accounts (default: $CREDX_OS_USERS or "
        "/etc/credx/os-users.toml); must be owned by root or the store's owner, mode 0644",
    )
    parser.add_argument(
        "--ssh",
        action="store_true",
        help="the SSH front door (sshd's ForceCommand, README): a key login goes to its "
        "account, a password login to the login screen",
    )
    parser.add_argument(
        "--key-user",
        metavar="ACCOUNT",
        help="set by the authorized_keys lines `credx keys` writes; honoured only under "
        "sshd for the store's owner",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[common], help="load the bundled demo college")
    demo.add_argument("--reset", action="store_true", help="empty the store first")
    demo.add_argument("--if-empty", action="store_true", help="only if no store is there yet")

    imp = sub.add_parser(
        "import",
        parents=[common],
        help="load files in the import format or the academic system's .xlsx/.csv exports",
    )
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument(
        "--mapping",
        metavar="FILE",
        help="column names and values of the spreadsheets (TOML; default: 正方, "
        "docs/spreadsheets.md)",
    )
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help="validate as a real import, print what would change, write nothing",
    )
    imp.add_argument(
        "--json",
        action="store_true",
        help="with --dry-run: one JSON object instead of the text (docs/spreadsheets.md)",
    )
    imp.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)

    migrate = sub.add_parser(
        "migrate",
        help="copy a whole store between a folder and PostgreSQL (either way), all or "
        "nothing, verified on both sides",
    )
    migrate.add_argument("--from", dest="source", required=True, metavar="FOLDER|URL")
    migrate.add_argument("--to", dest="target", required=True, metavar="URL|FOLDER")

    check = sub.add_parser("check", parents=[common], help="why each course is or is not offered")
    check.add_argument("--student", required=True, metavar="学号")
    check.add_argument("--json", action="store_true", help="machine-readable output (README)")
    check.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)

    user = sub.add_parser("user", parents=[common], help="manage accounts (admins)")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", parents=[common], help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=["student", "reviewer", "admin"], required=True)
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--college", action="append", default=[], help="a reviewer's college (repeat)")
    add.add_argument("--step", action="append", default=[], help="review step ids (repeat)")
    for name in ("passwd", "disable", "enable"):
        p = user_sub.add_parser(name, parents=[common], help=f"{name} an account")
        p.add_argument("username")
    user_sub.add_parser("list", parents=[common], help="list accounts")

    verify = sub.add_parser(
        "verify", parents=[common], help="prove the store: every file, document and reference"
    )
    verify.add_argument(
        "--repair",
        action="store_true",
        help="remove provably-garbage temporary files of interrupted writes (nothing else)",
    )
    verify.add_argument(
        "--same-as",
        metavar="STORE",
        help="also verify STORE (a folder or postgresql://...) and prove it holds the same "
        "content, audit log included (both sides of `credx migrate`)",
    )

    rules = sub.add_parser("rules", parents=[common], help="the college's rules in the store")
    rules_sub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    apply_ = rules_sub.add_parser(
        "apply", parents=[common], help="validate a rules file and store it as the next version"
    )
    apply_.add_argument("file", metavar="FILE")
    rules_sub.add_parser("show", parents=[common], help="the stored version and its hash")

    audit = sub.add_parser("audit", parents=[common], help="the admin changes, newest last")
    audit.add_argument("--limit", type=int, default=50, metavar="N", help="last N (default 50)")
    audit.add_argument("--json", action="store_true", help="one JSON object a line")

    export = sub.add_parser(
        "export", parents=[common], help="the decisions out as a spreadsheet (.xlsx or .csv)"
    )
    export_sub = export.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    for name, text in (
        ("approved", "one row per approved exchange, as the academic system takes it back"),
        ("applications", "the whole register of applications, every status"),
    ):
        p = export_sub.add_parser(name, parents=[common], help=text)
        p.add_argument("--term", metavar="YEAR-YEAR-N", help="申请学年-学期, e.g. 2025-2026-2")
        p.add_argument("--college", metavar="学院", help="one secondary college (default: all)")
        if name == "applications":
            p.add_argument(
                "--status",
                action="append",
                default=[],
                metavar="STATUS",
                help="无流程, 审核中, 审核通过, 被退回 (or draft, under_review, approved, "
                "returned); repeat or separate with commas",
            )
        p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx|FILE.csv")

    stats = sub.add_parser("stats", parents=[common], help="the college at a glance (教务处)")
    stats.add_argument("--json", action="store_true", help="one JSON object (docs/exports.md)")
    stats.add_argument("--college", metavar="学院", help="one secondary college (default: all)")

    keys = sub.add_parser("keys", parents=[common], help="SSH keys of staff (store owner)")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    keys_add = keys_sub.add_parser("add", parents=[common], help="let a key log in as ACCOUNT")
    keys_add.add_argument("account")
    keys_add.add_argument("keyfile", metavar="KEYFILE", help="a .pub file, one key per line")
    keys_sub.add_parser("list", parents=[common], help="the keys and their accounts")
    keys_remove = keys_sub.add_parser("remove", parents=[common], help="drop an account's keys")
    keys_remove.add_argument("account")
    keys_remove.add_argument("fingerprint", nargs="?", help="only this key (SHA256:...)")

    serve = sub.add_parser(
        "serve", parents=[common], help="the app in a web browser (textual-serve), loopback only"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL browsers use behind a reverse proxy (shown in the log; the page "
        "itself uses relative addresses)",
    )
    serve.add_argument(
        "--max-sessions",
        type=int,
        default=200,
        metavar="N",
        help="concurrent browser sessions (default 200); the next one gets a page saying so",
    )
    serve.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)

    train = sub.add_parser(
        "train", parents=[common], help="trainer mode: a guided walk on a sandbox copy"
    )
    train.add_argument(
        "--scenario", metavar="FILE|ID", help="a scenario file, or a shipped scenario's id"
    )
    train.add_argument(
        "--fixture", nargs="+", metavar="PATH", help="import files for the sandbox (default: demo)"
    )
    train.add_argument("--list", action="store_true", help="list the shipped scenarios")
    train.add_argument(
        "--large", action="store_true", help="start with the panel's large-text mode (Ctrl+K)"
    )
    train.add_argument(
        "--notes",
        action="store_true",
        help="on a second terminal: follow this account's training and show the presenter notes",
    )
    train.add_argument(
        "--check",
        metavar="FILE|ID",
        help="check a scenario against its fixture and name each problem (exit 1 if any)",
    )
    # The palette's trainer (credx_tui/training/launch.py) runs `credx train` in the
    # app's terminal; the trainer's screen is gone when it returns, so a refusal is
    # also written here for the app to show.
    train.add_argument("--error-file", metavar="FILE", help=argparse.SUPPRESS)
    train.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)

    printing = sub.add_parser("print", parents=[common], help="print a document to a PDF file")
    print_sub = printing.add_subparsers(dest="document", metavar="DOCUMENT", required=True)
    transcript = print_sub.add_parser(
        "transcript", parents=[common], help="a student's 学业成绩单 (S1)"
    )
    transcript.add_argument("--student", required=True, metavar="学号")
    transcript.add_argument(
        "--a3", action="store_true", help="A3 landscape, with every 补考 and 重修 result"
    )
    transcript.add_argument("--passing-only", action="store_true", help="leave failing grades out")
    transcript.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    application = print_sub.add_parser(
        "application", parents=[common], help="the form of one application"
    )
    application.add_argument("id", metavar="ID")
    application.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    for name in ("db", "rules", "lang", "owner"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if not hasattr(args, "as_owner"):
        args.as_owner = False
    try:
        database = _database_command(args)
        if database is not None:
            return database
        _guard(args)
        return _dispatch(args)
    except CliError as exc:
        from policy.text import for_terminal

        print(f"credx: {for_terminal(str(exc), multiline=True)}", file=sys.stderr)
        if getattr(args, "error_file", None):
            with contextlib.suppress(OSError):  # the message is on stderr all the same
                Path(args.error_file).write_text(str(exc), encoding="utf-8")
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `credx check ... | head`: the reader left; say nothing more (Python docs'
        # recipe: point stdout at devnull so the exit flush does not fail again).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _database_command(args: argparse.Namespace) -> int | None:
    """``credx migrate``, and the commands with their own PostgreSQL version
    (``import``, ``verify``; issue 16): run here, past the folder-owner checks (the
    database decides who connects); None for every other command, which works on
    either store through :class:`credx_tui.store.base.DocumentStore`."""
    from credx_tui import cli_pg
    from credx_tui.store import StoreError

    url = None if args.command == "migrate" else database_of(args)
    if args.command != "migrate" and (url is None or args.command not in cli_pg.OWN_COMMANDS):
        return None
    try:
        if args.command == "migrate":
            return cli_pg.migrate_command(args)
        assert url is not None
        return cli_pg.dispatch(args, url)
    except cli_pg.PgCliError as exc:
        raise CliError(str(exc), exc.code) from None
    except StoreError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:  # ImportFailed, ServiceError: their one-line text
        from credx_tui.importing import ImportFailed
        from credx_tui.services import ServiceError

        if isinstance(exc, ServiceError):
            raise CliError(exc.en) from None
        if isinstance(exc, ImportFailed):
            raise CliError(str(exc)) from None
        raise


DRY_RUN_COMMANDS = ("check", "train")
"""The commands that may decide with a rules file other than the stored one."""


def _guard(args: argparse.Namespace) -> None:
    """Before anything is read: refuse a process that may not use the store (or become
    its owner, for root with --as-owner), and refuse ``--rules`` where it would make
    this process decide differently from every other one."""
    from credx_tui.store.ownership import OwnershipError, enforce_owner

    if args.rules and args.command not in DRY_RUN_COMMANDS:
        raise CliError(
            "--rules is only for dry runs of `credx check` and `credx train`; the app and the "
            "other commands use the rules stored in the store: `credx rules apply FILE`"
        )
    args.invoked_by = _os_name(os.getuid())
    if args.command == "train":
        if args.as_owner:
            raise CliError("--as-owner: `credx train` works on its own sandbox, not a store")
        return  # its own sandbox, never the store
    if args.owner and not args.as_owner:
        raise CliError("--owner goes with --as-owner (root creating a store for an account)")
    if _is_database(args):
        if args.as_owner:
            raise CliError(
                "--as-owner: a PostgreSQL store has no folder owner; run credx as the "
                "service account (README, PostgreSQL)"
            )
        return  # the database's roles and pg_hba.conf decide who connects
    try:
        enforce_owner(resolve_db(args.db), as_owner=args.as_owner, owner=args.owner)
    except OwnershipError as exc:
        raise CliError(str(exc)) from None


def _location(args: argparse.Namespace) -> str | Path:
    """The store ``--db`` or ``CREDX_DB`` names: a PostgreSQL URL or a folder."""
    return database_of(args) or resolve_db(args.db)


def _rules(args: argparse.Namespace, store=None):  # -> Rules, imported lazily
    """The rules to decide with: a dry run's ``--rules`` file (check, train), else the
    store's (the bundled default when the store has none yet)."""
    from credx_tui.services.context import rules_of_store
    from policy.rules import RulesError, load_rules

    try:
        if args.command in DRY_RUN_COMMANDS and resolve_rules(args.rules) is not None:
            return load_rules(resolve_rules(args.rules))
        if args.command == "train":
            return load_rules()  # the sandbox is the demo college; never the store
        if store is None:
            from credx_tui.store.opening import store_exists

            store = _open_store(args) if store_exists(_location(args)) else None
        return load_rules() if store is None else rules_of_store(store)[0]
    except RulesError as exc:
        raise CliError(str(exc)) from None


def _services(args: argparse.Namespace, store):  # -> Services
    """Services on the stored rules, or a dry run's rules file for check."""
    from credx_tui.services import make_services

    if args.command in DRY_RUN_COMMANDS and resolve_rules(args.rules) is not None:
        return make_services(store, _rules(args, store))
    try:
        return make_services(store)
    except ValueError as exc:  # RulesError: the stored rules no longer load
        raise CliError(str(exc)) from None


def _open_store(args: argparse.Namespace):  # -> DocumentStore
    """The store ``--db`` names, a folder or a PostgreSQL database, or one line."""
    from credx_tui import cli_pg
    from credx_tui.store import Store, StoreError

    url = database_of(args)
    if url is not None:
        try:
            return cli_pg.open_pg(url)
        except (cli_pg.PgCliError, StoreError) as exc:
            raise CliError(str(exc)) from None
    root = resolve_db(args.db)
    if not Store.exists(root):
        raise CliError(f"no credx store at {root}; create one with `credx demo` or `credx import`")
    try:
        return Store(root)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _dispatch(args: argparse.Namespace) -> int:
    from credx_tui.store import StoreError

    try:
        if args.command is None:
            return _run_app(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "import":
            return _import(args)
        if args.command == "check":
            return _check(args)
        if args.command == "user":
            return _user(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "rules":
            return _rules_command(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "keys":
            return _keys(args)
        if args.command == "export":
            return _export(args)
        if args.command == "stats":
            return _stats(args)
        if args.command == "print":
            return _print(args)
        if args.command == "train":
            return _train(args)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:
        refusal = _service_refusal(exc)
        if refusal is not None:
            raise CliError(refusal) from None
        raise
    raise CliError(f"unknown command {args.command}", EXIT_USAGE)


def _service_refusal(exc: Exception) -> str | None:
    """The English text of ``exc`` when it is a services' refusal (None otherwise),
    found without importing the services: the app imports them only behind its login
    screen (issue 13, item 4), and an error of theirs means they were imported."""
    errors = sys.modules.get("credx_tui.services.errors")
    if errors is not None and isinstance(exc, errors.ServiceError):
        return str(exc.en)
    return None


@owner_command
def _demo(args: argparse.Namespace, admin: Admin) -> int:
    from credx_tui.demo import PackageDataMissing
    from credx_tui.importing import ImportFailed
    from credx_tui.services.loading import load_demo
    from credx_tui.store.opening import store_exists
    from policy.rules import DEFAULT_RULES_PATH

    root = _location(args)
    if args.if_empty and store_exists(root):
        return 0
    kept = None if args.reset or not store_exists(root) else _open_store(args).stored_rules()
    try:
        store, report = load_demo(
            root, _rules(args) if kept else _default_rules(), reset=args.reset
        )
    except (ImportFailed, PackageDataMissing) as exc:
        raise CliError(str(exc)) from None
    if kept is None:  # a new or reset store decides with the bundled rules, stored
        stored = store.put_rules(DEFAULT_RULES_PATH.read_text(encoding="utf-8"), "bundled default")
        audit(store, admin, "rules.apply", f"version {stored.version}", source="bundled default")
    audit(store, admin, "demo", store.location, reset=args.reset, summary=report.summary())
    print(f"demo college loaded into {store.location}")
    print(report.summary())
    return 0


def _default_rules():  # -> Rules
    from policy.rules import load_rules

    return load_rules()


@owner_command
def _import(args: argparse.Namespace, admin: Admin) -> int:
    from credx_tui.importing import ImportFailed
    from credx_tui.services.loading import import_paths
    from credx_tui.sheets import MappingError, load_mapping
    from credx_tui.store import Store

    root = resolve_db(args.db)
    if args.json and not args.dry_run:
        raise CliError("--json goes with --dry-run; nothing was imported", EXIT_USAGE)
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise CliError(f"no such file: {', '.join(missing)}; nothing was imported")
    try:
        mapping = load_mapping(args.mapping)
    except MappingError as exc:
        raise CliError(f"{exc}; nothing was imported") from None
    paths = import_files(args.paths)
    if args.dry_run:
        return _import_dry_run(args, root, paths, mapping)
    # A refused import into a new path leaves no store marker, no locks/ and no folder
    # behind: what this command creates is removed again (the files are read once).
    created = _new_store_leftovers(root)
    store = Store.create(root)
    rules = _rules(args, store)
    try:
        report = import_paths(store, paths, rules, mapping=mapping)
    except ImportFailed as exc:
        created()
        raise CliError(str(exc)) from None
    except BaseException:
        created()
        raise
    audit_import(store, admin, args.paths, report.summary())
    print(report.summary() or "nothing to import")
    return 0


def _new_store_leftovers(root: Path):  # -> Callable[[], None]
    """A function that removes what creating a store at ``root`` adds, when there was
    no store there (nothing, when there was one)."""
    import shutil

    from credx_tui.store import Store

    if Store.exists(root):
        return lambda: None
    existed = root.exists()
    before = set(os.listdir(root)) if existed else set()
    top = root  # the highest folder that creating the store makes
    while not top.parent.exists():
        top = top.parent

    def remove() -> None:
        if not existed:
            shutil.rmtree(top, ignore_errors=True)
            return
        for name in set(os.listdir(root)) - before:
            path = root / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    return remove


IMPORT_FOLDER_SUFFIXES = (".json", ".xlsx", ".xlsm", ".xls", ".ods", ".csv")
"""What a folder given to `credx import` stands for (docs/spreadsheets.md)."""


def import_files(named: Sequence[str | Path]) -> list[Path]:
    """The files to import: a file as named; a folder stands for its import-format
    ``*.json`` files, then its spreadsheets (``*.xlsx``, ``*.xlsm``, ``*.xls``,
    ``*.ods``, ``*.csv``), each group in name order, not looking into sub-folders and
    skipping hidden files and Excel's ``~$`` lock files.  A folder with none of them
    is refused: the registrar pointed at the wrong folder."""
    files: list[Path] = []
    for name in named:
        path = Path(name)
        if not path.is_dir():
            files.append(path)
            continue
        found = [
            child
            for child in path.iterdir()
            if child.suffix.lower() in IMPORT_FOLDER_SUFFIXES
            and not child.name.startswith((".", "~$"))
            and child.is_file()
        ]
        if not found:
            raise CliError(
                f"folder {path} holds no file to import (*.json, *.xlsx, *.xls, *.ods, "
                "*.csv); nothing was imported"
            )
        files.extend(sorted((f for f in found if f.suffix.lower() == ".json"), key=_name_key))
        files.extend(sorted((f for f in found if f.suffix.lower() != ".json"), key=_name_key))
    return files


def _name_key(path: Path) -> tuple[str, str]:
    return (path.name.casefold(), path.name)


def _import_dry_run(args: argparse.Namespace, root: Path, paths: list[Path], mapping) -> int:
    """`credx import --dry-run`: the real import's checks, then what would change; the
    store is only read (no lock, no audit event, no file created).  With ``--json``
    one JSON object on stdout, a refused file included (``ok: false``)."""
    import orjson

    from credx_tui.importing import ImportFailed
    from credx_tui.services.dry_run import dry_run, failed_json
    from credx_tui.store import Store
    from policy.text import for_terminal

    store = Store(root) if Store.exists(root) else None
    try:
        report = dry_run(root, paths, _rules(args, store), mapping=mapping)
    except ImportFailed as exc:
        if args.json:
            sys.stdout.write(
                orjson.dumps(failed_json(exc.problems), option=orjson.OPT_INDENT_2).decode() + "\n"
            )
        raise CliError(str(exc)) from None
    if args.json:
        sys.stdout.write(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    for line in report.lines(lang):
        print(for_terminal(line))
    return 0


def _staff_actor(services):  # the store owner's admin actor for its shell tools
    return services.owner_actor(_os_name(os.geteuid()))


def _check(args: argparse.Namespace) -> int:
    import orjson

    from credx_tui.services import NotFound

    store = _open_store(args)
    services = _services(args, store)
    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    try:
        verdicts = services.verdicts(_staff_actor(services), args.student)
    except NotFound:
        raise CliError(f"no student with ID {args.student} in {store.location}") from None
    if args.json:
        rows = [
            {
                "code": v.code,
                "course": v.course,
                "category": v.category.value,
                "credits": v.credits,
                "term": v.term.label.zh,
                "exchangeable": v.exchangeable,
                "rule": v.rule,
                "reason_zh": v.reason.zh,
                "reason_en": v.reason.en,
                "also": [{"rule": r.rule, "reason_zh": r.zh, "reason_en": r.en} for r in v.others],
            }
            for v in verdicts
        ]
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    from rich.cells import cell_len, set_cell_size  # rich comes with textual; widths only

    from credx_tui.i18n import t
    from policy.text import for_terminal

    # Columns in terminal cells (CJK is two wide); a name wider than its column is cut
    # with ".." so the columns after it stay in line.
    width = max(8, min(30, max((cell_len(v.course) for v in verdicts), default=8)))

    def cell(text: str, cells: int) -> str:
        if cell_len(text) > cells:
            text = set_cell_size(text, cells - 2) + ".."
        return set_cell_size(text, cells)

    head = [
        t(key, lang)
        for key in (
            "check.col.course",
            "check.col.category",
            "check.col.credits",
            "check.col.exchangeable",
            "check.col.reason",
        )
    ]
    print(f"{cell(head[0], width)} {cell(head[1], 10)} {head[2]:>4}  {cell(head[3], 8)} {head[4]}")
    yes, no = t("check.yes", lang), t("check.no", lang)
    for v in verdicts:
        mark = yes if v.exchangeable else no
        # Escaped once more on the way to the terminal: the store's models refuse
        # control characters, and this holds even for a store written by other means.
        print(
            f"{cell(for_terminal(v.course), width)} {cell(v.category.value, 10)} "
            f"{v.credits:>4g}  {cell(mark, 8)} {for_terminal(v.reason.text(lang))}"
        )
    return 0


@owner_command
def _user(args: argparse.Namespace, who: Admin) -> int:
    from credx_tui.services import ServiceError
    from policy.models import Account, Role

    store = _open_store(args)
    services = _services(args, store)
    admin = _staff_actor(services)
    try:
        if args.user_command == "list":
            for a in services.list_accounts(admin):
                state = "disabled" if a.disabled else "active"
                # A reviewer without steps may act on every step of the chain (R11).
                steps = ",".join(a.review_steps) or ("all" if a.role == Role.REVIEWER else "-")
                print(
                    f"{a.username}\t{a.role.value}\t{a.display_name}\t"
                    f"{','.join(a.colleges)}\t{steps}\t{state}"
                )
            return 0
        if args.user_command == "add":
            password = _ask_password()
            account = Account(
                username=args.username,
                role=Role(args.role),
                display_name=args.name,
                password_hash="-",
                colleges=args.college,
                review_steps=args.step,
            )
            services.add_account(admin, account, password)
            detail: dict[str, object] = {
                "role": args.role,
                "colleges": args.college,
                "steps": args.step,
            }
        elif args.user_command == "passwd":
            services.set_password(admin, args.username, _ask_password())
            detail = {}
        else:
            services.set_disabled(admin, args.username, args.user_command == "disable")
            detail = {}
    except ServiceError as exc:
        raise CliError(exc.en) from None
    audit(store, who, f"user.{args.user_command}", args.username, **detail)
    print(f"{args.user_command}: {args.username} done")
    return 0


def _ask_password() -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            raise CliError("no password given on standard input")
        return line
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise CliError("the two passwords differ")
    if not first:
        raise CliError("empty password")
    return first


@owner_command
def _verify(args: argparse.Namespace, admin: Admin) -> int:
    from credx_tui.store import StoreError
    from credx_tui.store.verify import verify_store
    from policy.text import for_terminal

    root = resolve_db(args.db)
    if not os.path.lexists(root / "credx-store.json"):
        raise CliError(f"no credx store at {root}; create one with `credx demo` or `credx import`")
    try:
        rules = _rules(args)
    except (CliError, StoreError):
        # A damaged marker or rules file must not stop verify from naming it: check the
        # documents against the bundled rules and let the walk report the damage.
        from policy.rules import load_rules

        rules = load_rules()
    from credx_tui.store.staging import recover

    done = recover(root)  # an import a crash interrupted: completed or undone first
    if done:
        print(done)
    report = verify_store(root, rules, repair=args.repair)
    for line in report.repaired + report.notes:
        print(for_terminal(line))
    for line in report.damage + report.garbage:
        print(for_terminal(line))
    if report.sound:
        print("store is sound")
        return same_as(args, str(root))
    print(f"{len(report.damage)} problem(s), {len(report.garbage)} stray temporary file(s)")
    return 1


@owner_command
def _rules_command(args: argparse.Namespace, admin: Admin) -> int:
    """`credx rules apply FILE` validates and stores the next version; `show` says
    which version the store decides with."""
    from policy.rules import RulesError, load_rules

    store = _open_store(args)
    if args.rules_command == "show":
        found = store.stored_rules()
        if found is None:
            print("no rules stored: the bundled default applies (credx rules apply FILE)")
        else:
            print(
                f"version {found.version}\tsha256 {found.sha256}\t"
                f"applied {found.applied_at}\tfrom {found.source}"
            )
        return 0
    path = Path(args.file)
    try:
        load_rules(path)  # names the file and the key that is wrong
        text = path.read_text(encoding="utf-8")
    except (OSError, RulesError) as exc:
        raise CliError(f"{path}: {exc}" if isinstance(exc, OSError) else str(exc)) from None
    before = store.stored_rules()
    stored = store.put_rules(text, str(path.resolve()))
    if before is not None and before.version == stored.version:
        print(f"rules unchanged: version {stored.version} (sha256 {stored.sha256[:12]})")
        return 0
    audit(
        store,
        admin,
        "rules.apply",
        f"version {stored.version}",
        source=stored.source,
        sha256=stored.sha256,
    )
    print(
        f"rules version {stored.version} stored (sha256 {stored.sha256[:12]}); every credx "
        "process now decides with it"
    )
    return 0


@owner_command
def _audit(args: argparse.Namespace, admin: Admin) -> int:
    """List the admin changes, oldest first (the last ``--limit``)."""
    import orjson

    store = _open_store(args)
    events = store.audit_events()
    shown = events[-args.limit :] if args.limit > 0 else events
    for e in shown:
        if args.json:
            sys.stdout.write(orjson.dumps(e.model_dump(mode="json")).decode() + "\n")
            continue
        who = f"{e.os_user}({e.uid})"
        if e.invoked_by:
            who += f" by {e.invoked_by}"
        if e.via:
            who += f" via {e.via}"
        print(f"{e.at:%Y-%m-%d %H:%M:%S}Z\t{who}\t{e.action}\t{e.target}")
    if not events and not args.json:
        print("no admin changes recorded")
    return 0


@owner_command
def _export(args: argparse.Namespace, admin: Admin) -> int:
    """``credx export approved|applications``: checked arguments first (term, status,
    college, the file's extension and folder), then the sheet, written atomically."""
    from credx_tui.exporting import ExportError, check_target, write_sheet
    from credx_tui.services import ServiceError
    from credx_tui.services.exports import (
        approved_sheet,
        known_college,
        parse_statuses,
        parse_term,
        register_sheet,
    )

    store = _open_store(args)
    services = _services(args, store)
    actor = _staff_actor(services)
    out = Path(args.output)
    try:  # the arguments first: a bad one is a usage error and nothing is read
        check_target(out)
        term = parse_term(args.term) if args.term else None
        known_college(services, args.college)
        values = [v for item in getattr(args, "status", []) for v in item.split(",") if v.strip()]
        chosen = parse_statuses(values)
    except (ServiceError, ExportError) as exc:
        raise CliError(exc.en, EXIT_USAGE) from None
    try:
        if args.export_command == "approved":
            sheet = approved_sheet(services, actor, term=term, college=args.college)
        else:
            sheet = register_sheet(
                services, actor, term=term, college=args.college, statuses=chosen
            )
        path = write_sheet(sheet, out)
    except (ServiceError, ExportError) as exc:
        raise CliError(exc.en) from None
    statuses = sorted(s.value for s in chosen)
    audit(
        store,
        admin,
        f"export.{args.export_command}",
        str(path.resolve()),
        rows=len(sheet.rows),
        term=args.term or "",
        college=args.college or "",
        statuses=statuses,
    )
    print(f"wrote {len(sheet.rows)} row(s) to {path}")
    return 0


@owner_command
def _stats(args: argparse.Namespace, admin: Admin) -> int:
    """``credx stats``: the figures of the 教务处 desk, as text or one JSON object."""
    import orjson

    from credx_tui.services import ServiceError
    from credx_tui.services.exports import known_college
    from credx_tui.services.stats import college_figures, figure_tables

    store = _open_store(args)
    services = _services(args, store)
    try:  # the arguments first, as `credx export` does: a bad one is a usage error
        known_college(services, args.college)
    except ServiceError as exc:
        raise CliError(exc.en, EXIT_USAGE) from None
    try:
        figures = college_figures(services, _staff_actor(services), college=args.college)
    except ServiceError as exc:
        raise CliError(exc.en) from None
    if args.json:
        sys.stdout.write(
            orjson.dumps(figures.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
        )
        return 0
    from policy.text import for_terminal

    lang = os.environ.get(ENV_LANG, "zh")
    for table in figure_tables(figures, services.rules, lang):
        print(f"== {table.title} ==")
        print("\t".join(table.header))
        for row in table.rows:
            print("\t".join(for_terminal(_plain(v)) for v in row))
        print()
    return 0


def _plain(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _print(args: argparse.Namespace) -> int:
    from credx_tui.documents import DocumentError
    from credx_tui.services import NotFound, ServiceError
    from credx_tui.services.documents import render_application_pdf, render_transcript_pdf

    store = _open_store(args)
    services = _services(args, store)
    try:
        if args.document == "transcript":
            path = render_transcript_pdf(
                services,
                _staff_actor(services),
                args.student,
                a3=args.a3,
                passing_only=args.passing_only,
                out=Path(args.output),
            )
        else:
            path = render_application_pdf(
                services, _staff_actor(services), args.id, out=Path(args.output)
            )
    except NotFound:
        what = (
            f"student with ID {args.student}"
            if args.document == "transcript"
            else f"application {args.id}"
        )
        raise CliError(f"no {what} in {store.location}") from None
    except (ServiceError, DocumentError) as exc:
        raise CliError(exc.en) from None
    print(f"wrote {path}")
    return 0


def _train(args: argparse.Namespace) -> int:
    """Trainer mode on a sandbox; never opens the real store (``--db`` is ignored)."""
    from credx_tui.demo import DEMO_SCREENSHOT, PackageDataMissing, require_package_data
    from credx_tui.importing import ImportFailed
    from credx_tui.training.scenario import (
        SCENARIO_DIR,
        ScenarioError,
        load_scenario,
        shipped_scenarios,
    )
    from credx_tui.training.session import Training, find_scenario, scenario_fixture
    from fixtures import DEMO_DIR

    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    try:  # the shipped scenarios, the demo college, the screenshot skip-ahead attaches
        require_package_data(SCENARIO_DIR, DEMO_DIR, DEMO_SCREENSHOT)
    except PackageDataMissing as exc:
        raise CliError(str(exc)) from None
    if args.list:
        for path in shipped_scenarios():
            scenario = load_scenario(path)
            print(f"{scenario.id}\t{scenario.title.text(lang)}")
        return 0
    if args.check:
        return _train_check(args)
    if args.notes:
        from credx_tui.training.notes import follow

        try:
            return follow(sys.stdout, lang)
        except KeyboardInterrupt:
            return 0
    try:
        scenario, path = find_scenario(args.scenario)
        fixture = [Path(p) for p in args.fixture] if args.fixture else None
        fixture = fixture or scenario_fixture(scenario, path)
    except ScenarioError as exc:
        raise CliError(str(exc)) from None
    missing = [str(p) for p in fixture or [] if not p.exists()]
    if missing:
        raise CliError(f"no such file: {', '.join(missing)}")
    rules = _rules(args)
    try:
        training = Training(scenario, rules, fixture=fixture)
    except ImportFailed as exc:
        raise CliError(str(exc)) from None
    training.large_text = args.large
    try:
        from credx_tui.doors import runs_as_the_person

        settings = Settings(
            db=training.sandbox.root,
            rules=resolve_rules(args.rules),
            lang=lang,
            local_files=runs_as_the_person(ssh=False),
        )
        from credx_tui.training.run import run_trainer

        return run_trainer(settings, training)
    finally:
        training.close()


def _train_check(args: argparse.Namespace) -> int:
    """``credx train --check FILE``: every problem of a scenario, one a line, with
    its step and field; exit 0 when there is none, 1 when there is (2: usage)."""
    from credx_tui.importing import ImportFailed
    from credx_tui.training.check import check_file
    from credx_tui.training.scenario import ScenarioError
    from credx_tui.training.session import find_scenario

    try:
        _, path = find_scenario(args.check)
        fixture = [Path(p) for p in args.fixture] if args.fixture else None
        missing = [str(p) for p in fixture or [] if not p.exists()]
        if missing:
            raise CliError(f"no such file: {', '.join(missing)}")
        problems = check_file(path, _rules(args), fixture)
    except ScenarioError as exc:
        raise CliError(str(exc)) from None
    except ImportFailed as exc:
        raise CliError(f"{path}: the fixture does not import: {exc}") from None
    if not problems:
        print(f"{path}: the scenario checks out against its fixture")
        return 0
    print(f"{path}: {len(problems)} problem(s) in the scenario:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_FAILED


def _run_app(args: argparse.Namespace) -> int:
    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    from credx_tui.doors import runs_as_the_person
    from credx_tui.startup import ServicesBuild

    ssh = bool(args.ssh or args.key_user)
    local = runs_as_the_person(ssh=ssh)
    key_account: str | None = None
    key_checked = False
    if not (args.os_user or _is_database(args)):
        # A folder store: its owner checks need no model, so an SSH key login is told
        # apart first.  Then the login screen (at a terminal, or a password login over
        # SSH) is drawn first and the store opened and the services built behind it
        # (issue 13, item 4; credx_tui/startup.py): a store that cannot be opened or
        # whose rules no longer load is said on that screen.
        root = resolve_db(args.db)
        if not os.path.lexists(root / "credx-store.json"):  # store.store's MARKER
            raise CliError(
                f"no credx store at {root}; create one with `credx demo` or `credx import`"
            )
        if ssh:
            key_account, key_checked = _ssh_account(args, _FolderOwner(root)), True
        if key_account is None:
            settings = Settings(db=root, rules=None, lang=lang, os_user=None, local_files=local)
            from credx_tui.app import run_app

            build = ServicesBuild(lambda: _built(args, root))
            return run_app(settings, None, None, services=build)
    store = _open_store(args)
    services = _services(args, store)
    account = _os_account(args, store, lang) if args.os_user else None
    trusted = args.os_user
    if ssh:
        account = key_account if key_checked else _ssh_account(args, store)
        trusted = account is not None
    settings = Settings(
        db=Path(store.location), rules=None, lang=lang, os_user=account, local_files=local
    )
    from credx_tui.app import run_app

    return run_app(settings, store, services.rules, os_user=trusted, services=services)


def _built(args: argparse.Namespace, root: Path):  # -> Services, in the app's worker
    """The services of ``credx``'s login screen, as :func:`_run_app` built them before
    the app (in a thread worker now, after the first paint)."""
    from credx_tui.store import Store

    return _services(args, Store(root))


@dataclass(frozen=True)
class _FolderOwner:
    """What the SSH door asks of a folder store (:func:`_ssh_account`): who owns it.
    Answered as :class:`credx_tui.store.Store` answers it, without opening the store
    (whose module builds every model), so that a password login's screen comes first."""

    root: Path

    @property
    def location(self) -> str:
        return str(self.root)

    def owned_by_this_process(self) -> bool:
        from credx_tui.store.ownership import is_owner_process

        return is_owner_process(self.root)

    def service_account(self) -> str:
        from credx_tui.store.ownership import owner_of

        return owner_of(self.root).pw_name


# -- the SSH front door (issue 9, item 2; README: Deployment) -------------------------


def _owner_name(store) -> str:
    from credx_tui.store import StoreError

    try:
        return store.service_account()
    except StoreError:
        return "?"


def _authorized_keys(store) -> Path:
    """The service account's authorized_keys: in its home (the store folder's owner,
    or on PostgreSQL the account credx runs as, ``CREDX_SERVICE_ACCOUNT``)."""

    from credx_tui.ssh_keys import authorized_keys_of
    from credx_tui.store import StoreError

    try:
        home = Path(pwd.getpwnam(store.service_account()).pw_dir)
    except (StoreError, KeyError):
        raise CliError(
            f"the service account of {store.location} is no OS account; see README, Deployment"
        ) from None
    root = getattr(store, "root", None)  # a folder store: the home must be elsewhere
    if root is not None and home.resolve() == Path(root).resolve():
        raise CliError(f"the service account's home must not be the store ({root})")
    return authorized_keys_of(home)


def _credx_command(store) -> list[str]:
    """How sshd starts this credx: the installed script, else this interpreter.  On
    PostgreSQL the URL is written as given (the password, if any, then sits in the
    service account's own authorized_keys; README advises ~/.pgpass instead)."""
    where = getattr(store, "url", None) or store.location
    script = Path(sys.argv[0])
    if script.name == "credx" and script.exists():
        return [str(script.resolve() if not script.is_absolute() else script), "--db", where]
    return [sys.executable, "-m", "credx_tui.cli", "--db", where]


def _ssh_account(args: argparse.Namespace, store) -> str | None:
    """The account of an SSH key login (None: the login screen of a password login).

    ``--key-user`` and the ``$SSH_USER_AUTH`` key are trusted only when sshd started
    this process (``SSH_CONNECTION``) as the store's owner: the account's key lines are
    written by credx alone, and the service account has no shell."""
    from credx_tui.ssh_keys import credx_keys, key_user_from_auth_info

    flag = "--key-user" if args.key_user else "--ssh"
    if not os.environ.get("SSH_CONNECTION"):
        raise CliError(f"{flag} is for sshd's logins only (README, Deployment)")
    if not store.owned_by_this_process():
        raise CliError(f"{flag}: this process is not the store's owner ({_owner_name(store)})")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError(
            "credx needs a terminal: connect with `ssh -t` (commands, forwarding and "
            "file transfer are not offered)"
        )
    keys = _authorized_keys(store)
    if args.key_user:
        if not any(k.account == args.key_user for k in credx_keys(keys)):
            raise CliError(f"--key-user {args.key_user}: no key of that account in {keys}")
        return args.key_user
    auth_info = os.environ.get("SSH_USER_AUTH")
    return key_user_from_auth_info(Path(auth_info), keys) if auth_info else None


@owner_command
def _keys(args: argparse.Namespace, admin: Admin) -> int:
    """``credx keys add|list|remove``: the staff's SSH keys (owner only)."""
    from credx_tui.services import LoginFailed, make_services
    from credx_tui.ssh_keys import SshKeyError, add_keys, credx_keys, read_key_file, remove_keys

    store = _open_store(args)
    path = _authorized_keys(store)
    try:
        if args.keys_command == "list":
            for entry in credx_keys(path):
                print(f"{entry.account}\t{entry.key.type}\t{entry.key.fingerprint}")
            return 0
        if args.keys_command == "add":
            try:
                make_services(store, _rules(args)).actor_for(args.account)
            except LoginFailed as exc:
                raise CliError(f"{args.account}: {exc.en}") from None
            keys = read_key_file(Path(args.keyfile))
            added = add_keys(path, _credx_command(store), args.account, keys)
            audit(store, admin, "keys.add", args.account, keys=added, file=str(path))
            print(f"keys add: {added} key(s) of {args.account} written to {path}")
            return 0
        removed = remove_keys(path, args.account, args.fingerprint)
        if not removed:
            raise CliError(f"no key of {args.account} in {path}")
        audit(store, admin, "keys.remove", args.account, keys=removed, file=str(path))
        print(f"keys remove: {removed} key(s) of {args.account} removed from {path}")
        return 0
    except SshKeyError as exc:
        raise CliError(exc.en) from None


def _os_account(args: argparse.Namespace, store, lang: str) -> str:
    """The credx account bound to this OS user by the administrator's mapping file
    (owned by root or the store's service account)."""
    from credx_tui.os_users import (
        OsUserError,
        account_for_os_user,
        os_user_name,
        resolve_os_users_file,
    )

    try:
        path = resolve_os_users_file(args.os_users)
        return account_for_os_user(path, os_user_name(), _service_uid(store))
    except OsUserError as exc:
        raise CliError(exc.text(lang)) from None


def _service_uid(store) -> int | None:
    """The uid of the store's service account (None: it has none on this machine)."""

    from credx_tui.store import StoreError

    try:
        return pwd.getpwnam(store.service_account()).pw_uid
    except (StoreError, KeyError):
        return None


LOOPBACK = ("127.0.0.1", "::1", "localhost")

SERVE_WARNING = """\
credx serve: http://{host}:{port}/  ({where})
  Every browser that reaches this address gets the credx login screen, and each one
  runs credx as the user who started this server.  Keep it on 127.0.0.1; to offer it
  more widely, put a reverse proxy WITH AUTHENTICATION and TLS (nginx, Caddy ...) in
  front of it and pass --public-url.  Never bind it to a public address directly.
  Ctrl+C stops it."""


def _serve(args: argparse.Namespace) -> int:
    """The app in a browser: credx_tui/web/server.py; each tab runs one credx process
    as the account that runs the server (the service account, README: Deployment)."""
    from credx_tui.web.download import download_routes
    from credx_tui.web.server import CredxServer
    from credx_tui.web.upload import upload_routes

    store = _open_store(args)
    rules = _services(args, store).rules  # malformed stored rules stop here, not in every tab
    if args.max_sessions < 1:
        raise CliError("--max-sessions must be at least 1", EXIT_USAGE)
    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    command = [sys.executable, "-m", "credx_tui.cli", "--lang", lang]
    url = getattr(store, "url", None)
    if url is not None:
        # A database URL reaches each tab's process through its environment, never its
        # command line (which every account on the machine may read with ps).
        from credx_tui.settings import ENV_DB

        os.environ[ENV_DB] = url
    else:
        command[3:3] = ["--db", str(store.root)]
    where = (
        "loopback only"
        if args.host in LOOPBACK
        else "NOT LOOPBACK: is a proxy with login in front?"
    )
    print(SERVE_WARNING.format(host=args.host, port=args.port, where=where), file=sys.stderr)
    if args.host not in LOOPBACK:
        print(
            f"credx serve: WARNING: bound to {args.host}, reachable from other machines",
            file=sys.stderr,
        )
    server = CredxServer(
        command,
        host=args.host,
        port=args.port,
        title="credx 学分兑换",
        public_url=args.public_url,
        max_sessions=args.max_sessions,
        idle_timeout=rules.session.idle_timeout_minutes * 60,
    )
    # The upload page (issue 10): services of this store, its rules read per request.
    server.add_routes(upload_routes(lambda: _services(args, store)))
    # The download links (issue 10, item 4): a document taken home over SSH.
    server.add_routes(download_routes(lambda: _services(args, store)))
    server.serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
