"""policy/ is pure: importing it never pulls in the UI or the store (architecture.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CODE = (
    "import policy, policy.grades, policy.eligibility, policy.offers, policy.workflow, "
    "policy.rules, policy.dossier, sys; "
    "bad = [m for m in sys.modules if m.split('.')[0] in {'textual','rich','tinydb','credx_tui'}]; "
    "assert not bad, bad"
)


def test_policy_imports_no_ui_or_store() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CODE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_the_check_can_fail() -> None:
    """The same check catches an import of a forbidden package."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "import rich; " + CODE
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "rich" in done.stderr
