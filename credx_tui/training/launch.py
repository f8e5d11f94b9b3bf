"""The palette's way into trainer mode from the ordinary app: suspend it and run
``credx train`` in the same terminal; when the trainer quits, the app comes back as
it was.  The trainer's process builds its own sandbox, so the app's store is never
handed to it.

Whatever stops the trainer is said in the app afterwards (issue 14): the trainer's
output is gone with its screen, so a bare return would only flash the terminal."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported

from credx_tui.demo import DEMO_SCREENSHOT, PackageDataMissing, require_package_data
from credx_tui.training.scenario import SCENARIO_DIR
from fixtures import DEMO_DIR

if TYPE_CHECKING:
    from credx_tui.ui_base import ModeHost

QUIT_CODES = frozenset({0, 130})
"""Exit codes of a trainer that ended as asked (quit, or Ctrl+C in the terminal)."""


def train_command(app: ModeHost, error_file: Path | None = None) -> list[str]:
    """The command line of ``credx train`` in the app's language and rules; with
    ``error_file`` the trainer writes there why it refused to start."""
    command = [sys.executable, "-m", "credx_tui.cli", "train", "--lang", app.lang]
    if app.settings.rules is not None:
        command += ["--rules", str(app.settings.rules)]
    if error_file is not None:
        command += ["--error-file", str(error_file)]
    return command


def start_training(app: ModeHost) -> None:
    """Run the trainer's app in this terminal (not in a browser: there is no terminal
    to hand over); say so when it cannot, and say why when it stopped with an error."""
    try:  # what the trainer reads, checked before the app gives up its screen
        require_package_data(SCENARIO_DIR, DEMO_DIR, DEMO_SCREENSHOT)
    except PackageDataMissing as exc:
        files = ", ".join(str(p) for p in exc.missing)
        app.notify(app.t("cmd.train.missing", files=files), severity="error", markup=False)
        return
    with tempfile.TemporaryDirectory(prefix="credx-train-") as folder:
        error_file = Path(folder) / "error.txt"
        try:
            with app.suspend():
                done = subprocess.run(train_command(app, error_file), check=False)
        except SuspendNotSupported:
            app.notify(app.t("cmd.train.unsupported"), severity="warning", markup=False)
            return
        except OSError as exc:
            app.notify(str(exc), severity="error", markup=False)
            return
        if done.returncode in QUIT_CODES:
            return
        try:
            reason = error_file.read_text(encoding="utf-8").strip()
        except OSError:  # no message: it died before it could say (a crash)
            reason = ""
    key = "cmd.train.failed" if reason else "cmd.train.crashed"
    app.notify(
        app.t(key, code=done.returncode, reason=reason),
        severity="error",
        timeout=20,
        markup=False,
    )
