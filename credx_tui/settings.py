"""Where credx keeps its data and which rules it applies.

The store folder is, in order: ``--db PATH``, the ``CREDX_DB`` environment variable,
or ``<user data dir>/store`` (platformdirs), so a student on a lab machine needs no
flags and a server names one shared folder for everybody."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_DB = "CREDX_DB"
"""Environment variable naming the store folder."""
ENV_RULES = "CREDX_RULES"
"""Environment variable naming a college's rules file (default: the bundled one)."""
ENV_LANG = "CREDX_LANG"
"""Environment variable choosing the UI language (zh or en)."""


def default_store_dir() -> Path:
    """The per-user data folder's ``store`` subfolder."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("credx", appauthor=False)) / "store"


def resolve_db(cli_value: str | None) -> Path:
    """The store folder from the flag, the environment or the default, in that order."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env).expanduser()
    return default_store_dir()


def resolve_rules(cli_value: str | None) -> Path | None:
    """The rules file from the flag or the environment; None means the bundled default."""
    value = cli_value or os.environ.get(ENV_RULES)
    return Path(value).expanduser() if value else None


@dataclass(frozen=True)
class Settings:
    """What one run of credx was started with."""

    db: Path
    """The store folder."""
    rules: Path | None = None
    """The college's rules file (None: policy/rules/default.toml)."""
    lang: str = "zh"
    """UI language: ``zh`` (default) or ``en``."""
    os_user: str | None = None
    """Trusted operating-system account (``--os-user``), bound to a credx account."""
    local_files: bool = True
    """Whether the process runs as the person on their own machine, so 申请 may offer
    the path picker (F6) besides the upload link (credx_tui/doors.py); the CLI
    decides, the browser never has it."""
