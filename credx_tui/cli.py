"""The `credx` command: the app, and the shell tools around the same store.

    credx [--db PATH] [--lang zh|en]            start the app
    credx demo [--reset] [--if-empty]           load the bundled demo college
    credx import PATH...                        load files in the import format
    credx check --student 学号 [--json]          every course with its verdict and rule
    credx print transcript|application ...      a PDF of a 学业成绩单 or an application form
    credx user add|passwd|disable|enable|list   accounts (admins)
    credx verify                                parse every file of the store
    credx keys add|list|remove                  staff SSH keys in the service account's
                                                authorized_keys (the store's owner)
    credx --ssh                                 sshd's ForceCommand: the SSH front door
    credx serve [--host H] [--port N]           the app in a browser (loopback; see README)
    credx train [--scenario FILE|ID] [--list]   trainer mode: a guided walk on a sandbox

Errors are one clear line on stderr and a non-zero exit, never a traceback.  Textual
is imported only when the app starts, so the shell tools stay fast."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from credx_tui.settings import ENV_LANG, Settings, resolve_db, resolve_rules

EXIT_USAGE = 2
EXIT_FAILED = 1


class CliError(Exception):
    """A one-line error for the user; exit code attached."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: an option given before the subcommand (`credx --db X demo`) must not be
    # reset by the subcommand's own copy of it; main() fills in what is still missing.
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="store folder (default: $CREDX_DB or the user data folder)",
    )
    common.add_argument(
        "--rules",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="the college's rules file (default: bundled)",
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

    imp = sub.add_parser("import", parents=[common], help="load files in the import format")
    imp.add_argument("paths", nargs="+", metavar="PATH")

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

    sub.add_parser("verify", parents=[common], help="parse every file of the store")

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
    for name in ("db", "rules", "lang"):
        if not hasattr(args, name):
            setattr(args, name, None)
    try:
        return _dispatch(args)
    except CliError as exc:
        print(f"credx: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `credx check ... | head`: the reader left; say nothing more (Python docs'
        # recipe: point stdout at devnull so the exit flush does not fail again).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _rules(args: argparse.Namespace):  # -> Rules, imported lazily
    from policy.rules import RulesError, load_rules

    try:
        return load_rules(resolve_rules(args.rules))
    except RulesError as exc:
        raise CliError(str(exc)) from None


def _open_store(args: argparse.Namespace):  # -> Store
    from credx_tui.store import Store, StoreError

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
        if args.command == "serve":
            return _serve(args)
        if args.command == "keys":
            return _keys(args)
        if args.command == "print":
            return _print(args)
        if args.command == "train":
            return _train(args)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    raise CliError(f"unknown command {args.command}", EXIT_USAGE)


def _demo(args: argparse.Namespace) -> int:
    from credx_tui.importing import ImportFailed
    from credx_tui.services.loading import load_demo
    from credx_tui.store import Store

    root = resolve_db(args.db)
    if args.if_empty and Store.exists(root):
        return 0
    try:
        _, report = load_demo(root, _rules(args), reset=args.reset)
    except ImportFailed as exc:
        raise CliError(str(exc)) from None
    print(f"demo college loaded into {root}")
    print(report.summary())
    return 0


def _import(args: argparse.Namespace) -> int:
    from credx_tui.importing import ImportFailed
    from credx_tui.services.loading import import_paths
    from credx_tui.store import Store

    root = resolve_db(args.db)
    rules = _rules(args)
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise CliError(f"no such file: {', '.join(missing)}; nothing was imported")
    store = Store.create(root)
    try:
        report = import_paths(store, [Path(p) for p in args.paths], rules)
    except ImportFailed as exc:
        raise CliError(str(exc)) from None
    print(report.summary() or "nothing to import")
    return 0


def _staff_actor():  # an admin actor for shell tools run by the operator of the store
    from credx_tui.services import Actor
    from policy.models import Role

    return Actor(username=f"os:{getpass.getuser()}", role=Role.ADMIN)


def _check(args: argparse.Namespace) -> int:
    import orjson

    from credx_tui.services import NotFound, Services

    store = _open_store(args)
    services = Services(store, _rules(args))
    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    try:
        verdicts = services.verdicts(_staff_actor(), args.student)
    except NotFound:
        raise CliError(f"no student with ID {args.student} in {store.root}") from None
    if args.json:
        rows = [
            {
                "code": v.code,
                "course": v.course,
                "category": v.category.value,
                "credits": v.credits,
                "term": v.term.label_zh(),
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

    # Columns in terminal cells (CJK is two wide); a name wider than its column is cut
    # with ".." so the columns after it stay in line.
    width = max(8, min(30, max((cell_len(v.course) for v in verdicts), default=8)))

    def cell(text: str, cells: int) -> str:
        if cell_len(text) > cells:
            text = set_cell_size(text, cells - 2) + ".."
        return set_cell_size(text, cells)

    head = ("课程名称", "课程类别", "学分", "可否兑换", "规则与原因")
    if lang == "en":
        head = ("course", "category", "cr", "exch.", "rule and reason")
    print(f"{cell(head[0], width)} {cell(head[1], 10)} {head[2]:>4}  {cell(head[3], 8)} {head[4]}")
    yes, no = ("可兑换", "不可") if lang == "zh" else ("yes", "no")
    for v in verdicts:
        mark = yes if v.exchangeable else no
        print(
            f"{cell(v.course, width)} {cell(v.category.value, 10)} {v.credits:>4g}  "
            f"{cell(mark, 8)} {v.reason.text(lang)}"
        )
    return 0


def _user(args: argparse.Namespace) -> int:
    from credx_tui.services import ServiceError, Services
    from policy.models import Account, Role

    store = _open_store(args)
    services = Services(store, _rules(args))
    admin = _staff_actor()
    try:
        if args.user_command == "list":
            for a in services.list_accounts(admin):
                state = "disabled" if a.disabled else "active"
                print(
                    f"{a.username}\t{a.role.value}\t{a.display_name}\t{','.join(a.colleges)}\t{state}"
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
        elif args.user_command == "passwd":
            services.set_password(admin, args.username, _ask_password())
        else:
            services.set_disabled(admin, args.username, args.user_command == "disable")
    except ServiceError as exc:
        raise CliError(exc.en) from None
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


def _verify(args: argparse.Namespace) -> int:
    store = _open_store(args)
    problems = store.verify()
    for p in problems:
        print(p)
    print("store is sound" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def _print(args: argparse.Namespace) -> int:
    from credx_tui.documents import DocumentError
    from credx_tui.services import NotFound, ServiceError, Services
    from credx_tui.services.documents import render_application_pdf, render_transcript_pdf

    store = _open_store(args)
    services = Services(store, _rules(args))
    try:
        if args.document == "transcript":
            path = render_transcript_pdf(
                services,
                _staff_actor(),
                args.student,
                a3=args.a3,
                passing_only=args.passing_only,
                out=Path(args.output),
            )
        else:
            path = render_application_pdf(services, _staff_actor(), args.id, out=Path(args.output))
    except NotFound:
        what = (
            f"student with ID {args.student}"
            if args.document == "transcript"
            else f"application {args.id}"
        )
        raise CliError(f"no {what} in {store.root}") from None
    except (ServiceError, DocumentError) as exc:
        raise CliError(exc.en) from None
    print(f"wrote {path}")
    return 0


def _train(args: argparse.Namespace) -> int:
    """Trainer mode on a sandbox; never opens the real store (``--db`` is ignored)."""
    from credx_tui.importing import ImportFailed
    from credx_tui.training.scenario import ScenarioError, load_scenario, shipped_scenarios
    from credx_tui.training.session import Training, find_scenario, scenario_fixture

    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    if args.list:
        for path in shipped_scenarios():
            scenario = load_scenario(path)
            print(f"{scenario.id}\t{scenario.title(lang)}")
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
    try:
        settings = Settings(db=training.sandbox.root, rules=resolve_rules(args.rules), lang=lang)
        from credx_tui.training.ui import run_trainer

        return run_trainer(settings, training)
    finally:
        training.close()


def _run_app(args: argparse.Namespace) -> int:
    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    store = _open_store(args)
    rules = _rules(args)
    account = _os_account(args, store.root, lang) if args.os_user else None
    trusted = args.os_user
    if args.ssh or args.key_user:
        account = _ssh_account(args, store.root)
        trusted = account is not None
    settings = Settings(db=store.root, rules=resolve_rules(args.rules), lang=lang, os_user=account)
    from credx_tui.app import run_app

    return run_app(settings, store, rules, os_user=trusted)


# -- the SSH front door (issue 9, item 2; README: Deployment) -------------------------


def is_store_owner(root: Path) -> bool:
    """Whether this process runs as the OS account that owns the store folder.

    Minimal stand-in for credx_tui/store/ownership.py (issue 9, item 1, another branch):
    at merge, use its ``is_owner_process(root)``."""
    try:
        return os.geteuid() == root.stat().st_uid
    except OSError:
        return False


def _owner_name(root: Path) -> str:
    import pwd

    try:
        return pwd.getpwuid(root.stat().st_uid).pw_name
    except (OSError, KeyError):
        return "?"


def require_store_owner(root: Path, what: str) -> None:
    """Admin commands are the owner's (issue 9, item 6); minimal, until cli.py's
    ``require_owner(args)`` of the ownership branch replaces it."""
    if not is_store_owner(root):
        owner = _owner_name(root)
        raise CliError(
            f"{what}: only the store's owner ({owner}) may do this; "
            f"run it as that account, e.g. `sudo -u {owner} credx ...`"
        )


def _authorized_keys(root: Path) -> Path:
    """The service account's authorized_keys: the store owner's home."""
    import pwd

    from credx_tui.ssh_keys import authorized_keys_of

    try:
        home = Path(pwd.getpwuid(root.stat().st_uid).pw_dir)
    except (OSError, KeyError):
        raise CliError(f"the owner of {root} is no OS account; see README, Deployment") from None
    if home.resolve() == root.resolve():
        raise CliError(f"the service account's home must not be the store ({root})")
    return authorized_keys_of(home)


def _credx_command(root: Path) -> list[str]:
    """How sshd starts this credx: the installed script, else this interpreter."""
    script = Path(sys.argv[0])
    if script.name == "credx" and script.exists():
        return [str(script.resolve() if not script.is_absolute() else script), "--db", str(root)]
    return [sys.executable, "-m", "credx_tui.cli", "--db", str(root)]


def _ssh_account(args: argparse.Namespace, root: Path) -> str | None:
    """The account of an SSH key login (None: the login screen of a password login).

    ``--key-user`` and the ``$SSH_USER_AUTH`` key are trusted only when sshd started
    this process (``SSH_CONNECTION``) as the store's owner: the account's key lines are
    written by credx alone, and the service account has no shell."""
    from credx_tui.ssh_keys import credx_keys, key_user_from_auth_info

    flag = "--key-user" if args.key_user else "--ssh"
    if not os.environ.get("SSH_CONNECTION"):
        raise CliError(f"{flag} is for sshd's logins only (README, Deployment)")
    if not is_store_owner(root):
        raise CliError(f"{flag}: this process is not the store's owner ({_owner_name(root)})")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError(
            "credx needs a terminal: connect with `ssh -t` (commands, forwarding and "
            "file transfer are not offered)"
        )
    keys = _authorized_keys(root)
    if args.key_user:
        if not any(k.account == args.key_user for k in credx_keys(keys)):
            raise CliError(f"--key-user {args.key_user}: no key of that account in {keys}")
        return args.key_user
    auth_info = os.environ.get("SSH_USER_AUTH")
    return key_user_from_auth_info(Path(auth_info), keys) if auth_info else None


def _keys(args: argparse.Namespace) -> int:
    """``credx keys add|list|remove``: the staff's SSH keys (owner only)."""
    from credx_tui.services import LoginFailed, Services
    from credx_tui.ssh_keys import SshKeyError, add_keys, credx_keys, read_key_file, remove_keys

    store = _open_store(args)
    require_store_owner(store.root, "credx keys")
    path = _authorized_keys(store.root)
    try:
        if args.keys_command == "list":
            for entry in credx_keys(path):
                print(f"{entry.account}\t{entry.key.type}\t{entry.key.fingerprint}")
            return 0
        if args.keys_command == "add":
            try:
                Services(store, _rules(args)).actor_for(args.account)
            except LoginFailed as exc:
                raise CliError(f"{args.account}: {exc.en}") from None
            keys = read_key_file(Path(args.keyfile))
            added = add_keys(path, _credx_command(store.root), args.account, keys)
            print(f"keys add: {added} key(s) of {args.account} written to {path}")
            return 0
        removed = remove_keys(path, args.account, args.fingerprint)
        if not removed:
            raise CliError(f"no key of {args.account} in {path}")
        print(f"keys remove: {removed} key(s) of {args.account} removed from {path}")
        return 0
    except SshKeyError as exc:
        raise CliError(exc.en) from None


def _os_account(args: argparse.Namespace, store_root: Path, lang: str) -> str:
    """The credx account bound to this OS user by the administrator's mapping file."""
    from credx_tui.os_users import (
        OsUserError,
        account_for_os_user,
        os_user_name,
        resolve_os_users_file,
    )

    try:
        path = resolve_os_users_file(args.os_users)
        return account_for_os_user(path, os_user_name(), store_root)
    except OsUserError as exc:
        raise CliError(exc.text(lang)) from None


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
    from credx_tui.web.server import CredxServer

    store = _open_store(args)
    rules = _rules(args)  # a malformed rules file stops here, not in every browser tab
    if args.max_sessions < 1:
        raise CliError("--max-sessions must be at least 1", EXIT_USAGE)
    lang = args.lang or os.environ.get(ENV_LANG, "zh")
    command = [sys.executable, "-m", "credx_tui.cli", "--db", str(store.root), "--lang", lang]
    rules_file = resolve_rules(args.rules)
    if rules_file is not None:
        command += ["--rules", str(rules_file)]
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
    server.serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
