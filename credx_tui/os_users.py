"""``--os-user``: trust the operating-system account that sshd (or the lab login)
has already authenticated, through a mapping file the administrator owns.

The mapping file (TOML) binds OS user names to credx accounts::

    # /etc/credx/os-users.toml  (owner root, mode 0644)
    [users]
    tangmin = "rev_zn"          # OS user tangmin is the reviewer rev_zn
    s2023110101 = "2023110101"  # a student's OS account

Where it is: ``--os-users FILE``, else ``$CREDX_OS_USERS``, else
``/etc/credx/os-users.toml``.  Because it decides who is who, it is refused unless it
is owned by root or by the owner of the store folder and is writable by nobody else
(a mapping file that any other user could replace would let a student map themselves to
a reviewer).

The OS user is the real user id of the process (``pwd``), not ``$USER`` or
``$LOGNAME``, which the person can set to anything.  No Textual, no store.
"""

from __future__ import annotations

import os
import pwd
import stat
import tomllib
from pathlib import Path

from credx_tui.bilingual import BilingualError

ENV_OS_USERS = "CREDX_OS_USERS"
"""Environment variable naming the mapping file."""
DEFAULT_OS_USERS = Path("/etc/credx/os-users.toml")
"""The mapping file when neither the flag nor the environment names one."""


class OsUserError(BilingualError):
    """A refusal to trust the OS account, in Chinese and English."""


def resolve_os_users_file(cli_value: str | None) -> Path:
    """The mapping file from the flag, the environment or the default, in that order."""
    value = cli_value or os.environ.get(ENV_OS_USERS)
    return Path(value).expanduser() if value else DEFAULT_OS_USERS


def os_user_name() -> str:
    """The name of the process's real user (not the spoofable environment)."""
    return pwd.getpwuid(os.getuid()).pw_name


def _check_trusted(path: Path, owner_uid: int | None) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise OsUserError(
            f"--os-user：找不到映射文件 {path}（见 README 的部署一节）",
            f"--os-user: no mapping file {path} (see README, Deployment)",
        ) from None
    except OSError as exc:
        raise OsUserError(
            f"--os-user：无法读取映射文件 {path}：{exc.strerror}",
            f"--os-user: cannot read the mapping file {path}: {exc.strerror}",
        ) from None
    owners = {0}
    if owner_uid is not None:
        owners.add(owner_uid)
    if info.st_uid not in owners:
        raise OsUserError(
            f"--os-user：映射文件 {path} 必须属于 root 或数据库目录的所有者，拒绝使用",
            f"--os-user: the mapping file {path} must be owned by root or by the store's "
            "owner; refusing it",
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise OsUserError(
            f"--os-user：映射文件 {path} 可被其他用户修改（请 chmod 644），拒绝使用",
            f"--os-user: the mapping file {path} is writable by others (chmod 644 it); refusing it",
        )


def load_os_users(path: Path, owner_uid: int | None = None) -> dict[str, str]:
    """The ``[users]`` table of the mapping file, checked for ownership (root, or
    ``owner_uid``: the store's service account) and mode."""
    _check_trusted(path, owner_uid)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise OsUserError(
            f"--os-user：映射文件 {path} 格式错误：{exc}",
            f"--os-user: the mapping file {path} is malformed: {exc}",
        ) from None
    users = data.get("users")
    if not isinstance(users, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in users.items()
    ):
        raise OsUserError(
            f'--os-user：映射文件 {path} 需要 [users] 表，形如 osname = "credx账号"',
            f'--os-user: the mapping file {path} needs a [users] table of osname = "account"',
        )
    return dict(users)


def account_for_os_user(path: Path, os_name: str, owner_uid: int | None = None) -> str:
    """The credx account the OS user ``os_name`` is bound to; refuses when unmapped."""
    users = load_os_users(path, owner_uid)
    account = users.get(os_name)
    if account is None:
        raise OsUserError(
            f"--os-user：系统用户 {os_name} 没有对应的 credx 账号（{path}），请联系管理员",
            f"--os-user: the OS user {os_name} is not bound to a credx account in {path}; "
            "ask the administrator",
        )
    return account
