"""The palette's way into trainer mode from the ordinary app: suspend it and run
``credx train`` in the same terminal; when the trainer quits, the app comes back as
it was.  The trainer's process builds its own sandbox, so the app's store is never
handed to it."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported

if TYPE_CHECKING:
    from credx_tui.app import CredxApp


def train_command(app: CredxApp) -> list[str]:
    """The command line of ``credx train`` in the app's language and rules."""
    command = [sys.executable, "-m", "credx_tui.cli", "train", "--lang", app.lang]
    if app.settings.rules is not None:
        command += ["--rules", str(app.settings.rules)]
    return command


def start_training(app: CredxApp) -> None:
    """Run the trainer's app in this terminal (not in a browser: there is no terminal
    to hand over); say so when it cannot."""
    try:
        with app.suspend():
            subprocess.run(train_command(app), check=False)
    except SuspendNotSupported:
        app.notify(app.t("cmd.train.unsupported"), severity="warning", markup=False)
    except OSError as exc:
        app.notify(str(exc), severity="error", markup=False)
