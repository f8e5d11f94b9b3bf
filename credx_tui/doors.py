"""Which door a credx process was reached through, as far as local files are concerned
(issue 10, item 1): the path picker of 申请 (F6, dialogs/attach_file.py) browses the
disk *of the process*, so it is offered only where that disk and that account are the
person's own, a workstation install.  Everywhere else the upload link (Ctrl+U) is the
way in.

The rule (README, Students): the picker is offered only when

1. credx is not in a browser (``credx serve``; checked by the app, ``App.is_web``);
2. credx was not reached over SSH: no ``--ssh``/``--key-user`` and no
   ``$SSH_CONNECTION`` (the files would be the server's, not the person's device);
3. the process runs as the account that started it (real user = effective user: no
   setuid or similar switch into the store's service account);
4. that account is a person's login account, not a system account: its uid is at least
   ``UID_MIN`` of ``/etc/login.defs`` (1000 where the file does not say; 500 on macOS).
   The service account of README's deployment (``useradd --system credx``) and root
   are system accounts, and their files (the store included) are nobody's evidence.

``--os-user`` changes nothing here: the mapping says who the OS account is, and rules 3
and 4 say whether the process runs as that account.  No Textual."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

LOGIN_DEFS = Path("/etc/login.defs")
"""Where the system says which uids are people's (``UID_MIN``)."""


def first_person_uid(login_defs: Path = LOGIN_DEFS) -> int:
    """The lowest uid of a person's account on this system."""
    try:
        for line in login_defs.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "UID_MIN" and parts[1].isdigit():
                return int(parts[1])
    except OSError:
        pass
    return 500 if sys.platform == "darwin" else 1000


def runs_as_the_person(
    *,
    ssh: bool,
    environ: Mapping[str, str] | None = None,
    uid: int | None = None,
    euid: int | None = None,
    login_defs: Path = LOGIN_DEFS,
) -> bool:
    """Whether this (terminal) process runs as the person at the keyboard, on their own
    machine, so that a path on its disk is theirs (rules 2-4 of the module docstring;
    the browser, rule 1, is the app's to check)."""
    environ = os.environ if environ is None else environ
    if ssh or environ.get("SSH_CONNECTION"):
        return False
    if not hasattr(os, "getuid"):  # Windows: no service-account switch to detect
        return True
    uid = os.getuid() if uid is None else uid
    euid = os.geteuid() if euid is None else euid
    if uid != euid:
        return False
    return uid >= first_person_uid(login_defs)
