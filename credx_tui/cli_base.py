"""What both command lines stand on: the one-line error, which store ``--db`` names, who
administers it and the audit line of an admin change.

:mod:`credx_tui.cli` (every command) and :mod:`credx_tui.cli_pg` (the PostgreSQL
versions of ``import`` and ``verify``) both import this.  ``cli_pg`` once imported
:func:`require_owner` and :func:`audit_import` from ``cli`` while ``cli`` dispatches to
``cli_pg``: an import circle (issue 14).  An import-linter contract (pyproject.toml)
keeps this module and ``cli_pg`` off ``cli``."""

from __future__ import annotations

import argparse
import functools
import os
import pwd
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from credx_tui.settings import resolve_db
from credx_tui.store.base import is_database_url

EXIT_USAGE = 2
EXIT_FAILED = 1


class CliError(Exception):
    """A one-line error for the user; exit code attached."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def database_of(args: argparse.Namespace) -> str | None:
    """The PostgreSQL URL ``--db`` or ``CREDX_DB`` names, else None (a folder)."""
    from credx_tui.settings import ENV_DB

    value = args.db or os.environ.get(ENV_DB)
    return value if value and is_database_url(value) else None


def is_database(args: argparse.Namespace) -> bool:
    """Whether ``--db`` or ``CREDX_DB`` names a PostgreSQL store (issue 16)."""
    return database_of(args) is not None


def os_name(uid: int) -> str:
    """The name of the OS account ``uid`` (``uid1234`` when it has none)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"


@dataclass(frozen=True)
class Admin:
    """Who runs an admin command, for its audit events: the OS account (the store's
    owner), the account that became it (root with --as-owner, and who used sudo) and
    what vouched for the connection (an SSH key user, the SSH client)."""

    os_user: str
    uid: int
    invoked_by: str
    via: str


def require_owner(args: argparse.Namespace, via: str | None = None) -> Admin:
    """Admin commands are the store owner's (issue 9): refuse anyone else with one line,
    and say who is acting.  ``via`` overrides what is read from the environment
    (``CREDX_KEY_USER``, set for an SSH key's forced command, and ``SSH_CONNECTION``)."""
    from credx_tui.store.ownership import (
        effective_account,
        is_owner_process,
        named_service_account,
    )

    if is_database(args):
        # The database decides who connects; on this machine, the service account
        # the deployment names (when it names one) runs the admin commands.
        service = named_service_account()
        if service is not None and service != effective_account():
            raise CliError(
                f"{args.command}: only the service account {service} "
                "(CREDX_SERVICE_ACCOUNT) may do this"
            )
    else:
        root = resolve_db(args.db)
        if root.exists() and not is_owner_process(root):
            raise CliError(
                f"{args.command}: only the store's owner (or root with --as-owner) may do this"
            )
    uid = os.geteuid()
    invoked = getattr(args, "invoked_by", os_name(uid))
    if invoked != os_name(uid) and os.environ.get("SUDO_USER"):
        invoked = f"{invoked} (sudo by {os.environ['SUDO_USER']})"
    if via is None:
        parts = []
        if os.environ.get("CREDX_KEY_USER"):
            parts.append(f"key {os.environ['CREDX_KEY_USER']}")
        if os.environ.get("SSH_CONNECTION"):
            parts.append(f"ssh from {os.environ['SSH_CONNECTION'].split()[0]}")
        via = ", ".join(parts)
    return Admin(
        os_user=os_name(uid),
        uid=uid,
        invoked_by="" if invoked == os_name(uid) else invoked,
        via=via,
    )


def owner_command(
    func: Callable[[argparse.Namespace, Admin], int],
) -> Callable[[argparse.Namespace], int]:
    """Decorator for an admin command ``func(args, admin)``: :func:`require_owner` first."""

    @functools.wraps(func)
    def wrapper(args: argparse.Namespace) -> int:
        return func(args, require_owner(args))

    return wrapper


def audit(store, admin: Admin, action: str, target: str = "", **detail: object) -> None:
    """Record one admin change in the store's audit log (``credx audit`` lists it)."""
    from datetime import UTC, datetime

    from credx_tui.store.admin import AuditEvent

    store.append_audit(
        AuditEvent(
            at=datetime.now(UTC),
            action=action,
            target=target,
            os_user=admin.os_user,
            uid=admin.uid,
            invoked_by=admin.invoked_by,
            via=admin.via,
            detail=dict(detail),
        ),
    )


def audit_import(store, admin: Admin, paths: list[str], summary: str) -> None:
    """The audit line of an import, the same on both stores: the files it read (their
    full paths, cut to 400 characters) and what it changed."""
    audit(
        store,
        admin,
        "import",
        ", ".join(str(Path(p).resolve()) for p in paths)[:400],
        summary=summary,
    )


def same_as(args: argparse.Namespace, here: str) -> int:
    """``credx verify --same-as OTHER``: OTHER verifies too and holds the same content
    as the sound store ``here`` (every kind, the audit log included); each difference
    is one line naming the kind and the counts on both sides."""
    from credx_tui.store.opening import open_store
    from credx_tui.store.transfer import differences

    if not getattr(args, "same_as", None):
        return 0
    there = open_store(args.same_as)
    if said(there.verify(), f"{there.location}: {{n}} problem(s)"):
        return 1
    found = differences(open_store(here), there)
    if said(found, f"the content differs from {there.location} ({{n}} kind(s))"):
        return 1
    print(f"{there.location} is sound and holds the same content")
    return 0


def said(lines: list[str], summary: str) -> bool:
    """Print ``lines`` (made safe for the terminal) and, when there are any,
    ``summary`` with their number as ``{n}``; whether there were any."""
    from policy.text import for_terminal

    for line in lines:
        print(for_terminal(line))
    if lines:
        print(summary.replace("{n}", str(len(lines))))
    return bool(lines)
