"""Who may touch a store: the one OS account that owns its folder (issue 9, "walls").

The deployment gives the store folder to a service account (called ``credx`` in README)
and runs every credx process that touches it as that account; people reach it through
the front doors (``ssh credx@server``, the browser), never with a shell of their own.
So the rule here is short:

- a process whose effective user is the folder's owner may use the store;
- root may use it only with ``--as-owner``, which switches the process to the owner's
  uid and gid (supplementary groups, then gid, then uid) *before* anything is read or
  written, so an administrator never leaves a root-owned file in the store;
- anyone else is refused at start with one line naming the owner and the way in.

A store folder that does not exist yet is created by, and belongs to, whoever runs the
command.  Root creating a new store must say for whom: ``--as-owner --owner ACCOUNT``
(root creating one for itself, without ``--as-owner``, is allowed: root then *is* the
owner, as on a single-user test machine).  No Textual, no TinyDB: the CLI calls this
first thing.
"""

from __future__ import annotations

import os
import pwd
import socket
from pathlib import Path

from credx_tui.store.files import StoreError


class OwnershipError(StoreError):
    """This process may not use the store; the message is one line saying who may and
    how to reach credx instead."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def _account(uid: int) -> pwd.struct_passwd:
    try:
        return pwd.getpwuid(uid)
    except KeyError:
        raise OwnershipError(
            f"the store folder belongs to uid {uid}, which has no account on this machine; "
            "give it to the service account (chown -R credx: STORE)",
            f"存储文件夹属于 uid {uid}，本机没有此账号；请将其交给服务账号（chown -R credx: STORE）",
        ) from None


def owner_of(root: Path) -> pwd.struct_passwd:
    """The OS account that owns the store folder ``root`` (which must exist)."""
    return _account(Path(root).stat().st_uid)


def is_owner_process(root: Path) -> bool:
    """Whether this process's effective user owns the store folder ``root``."""
    try:
        return os.geteuid() == Path(root).stat().st_uid
    except OSError:
        return False


def effective_account() -> str:
    """The name of the OS account this process acts as (its effective user)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


_me = effective_account

ENV_SERVICE_ACCOUNT = "CREDX_SERVICE_ACCOUNT"
"""Names the OS account credx runs as with a PostgreSQL store (README, PostgreSQL):
there is no store folder whose owner would say it."""


def named_service_account() -> str | None:
    """The service account the deployment names (``CREDX_SERVICE_ACCOUNT``), if any."""
    return os.environ.get(ENV_SERVICE_ACCOUNT) or None


def _stranger(root: Path, owner: str) -> OwnershipError:
    host = socket.gethostname() or "this-server"
    return OwnershipError(
        f"{root}: this credx store belongs to the OS account {owner} and you are {_me()}; "
        f"reach credx with `ssh {owner}@{host}` or in the browser at the college's credx "
        "address (administrators: run as root with --as-owner)",
        f"{root}：此 credx 存储属于系统账号 {owner}，您是 {_me()}；请用 `ssh {owner}@{host}` "
        "或浏览器打开学院的 credx 网址使用（管理员：以 root 身份加 --as-owner 运行）",
    )


def become(account: pwd.struct_passwd) -> None:
    """Switch this (root) process to ``account`` for good: its groups, gid, then uid.

    The order matters: once the uid is dropped the process may no longer change its
    groups.  HOME and USER follow, so files credx writes outside the store (a printed
    PDF) land with the owner too."""
    os.initgroups(account.pw_name, account.pw_gid)
    os.setgid(account.pw_gid)
    os.setuid(account.pw_uid)
    os.environ["HOME"] = account.pw_dir
    os.environ["USER"] = os.environ["LOGNAME"] = account.pw_name


def enforce_owner(root: Path, *, as_owner: bool, owner: str | None = None) -> None:
    """Refuse this process unless it may use the store at ``root``; with ``as_owner``
    (root only) become the owner first.  See the module docstring for the rules.

    ``owner`` names the account for a store that does not exist yet (root with
    ``--as-owner`` creating one); for an existing store it must match the folder."""
    root = Path(root)
    euid = os.geteuid()
    try:
        st = root.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        # A folder we cannot even stat (inside someone's 0700 home, say).
        raise OwnershipError(
            f"{root}: cannot reach the store folder ({exc.strerror}); it belongs to another "
            "account: reach credx through its front doors (README, Deployment)",
            f"{root}：无法访问存储文件夹（{exc.strerror}），它属于其他账号；"
            "请通过 credx 的入口使用（见 README 部署一节）",
        ) from None
    if st is None:
        if not as_owner:
            return  # a new store: it will belong to whoever creates it
        if euid != 0:
            raise OwnershipError("--as-owner is for root only", "--as-owner 仅供 root 使用")
        if not owner:
            raise OwnershipError(
                f"{root}: no store there yet; to create it as the service account, add "
                "--owner ACCOUNT (e.g. --as-owner --owner credx)",
                f"{root}：此处尚无存储；要以服务账号创建，请加 --owner 账号（如 --as-owner --owner credx）",
            )
        try:
            account = pwd.getpwnam(owner)
        except KeyError:
            raise OwnershipError(
                f"--owner {owner}: no such OS account", f"--owner {owner}：没有这个系统账号"
            ) from None
        become(account)
        return
    account = _account(st.st_uid)
    if owner and owner != account.pw_name:
        raise OwnershipError(
            f"{root}: the store belongs to {account.pw_name}, not to --owner {owner}",
            f"{root}：此存储属于 {account.pw_name}，不是 --owner {owner}",
        )
    if euid == st.st_uid:
        return  # the owner itself (root on a store of its own included)
    if euid == 0:
        if not as_owner:
            raise OwnershipError(
                f"{root}: the store belongs to {account.pw_name}; root may not write it as "
                f"root (files would become root's): add --as-owner to act as {account.pw_name}",
                f"{root}：此存储属于 {account.pw_name}；root 不能以 root 身份写入"
                f"（文件会变成 root 的）：请加 --as-owner 以 {account.pw_name} 身份运行",
            )
        become(account)
        return
    if as_owner:
        raise OwnershipError("--as-owner is for root only", "--as-owner 仅供 root 使用")
    raise _stranger(root, account.pw_name)


def check_opened_by_owner(root: Path, st: os.stat_result) -> None:
    """The store's own refusal when a process that is not its owner opens it (a library
    caller that skipped :func:`enforce_owner`)."""
    if os.geteuid() != st.st_uid:
        raise _stranger(root, _account(st.st_uid).pw_name)
