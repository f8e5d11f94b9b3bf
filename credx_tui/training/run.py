"""``credx train``'s app: built by the composition root (:func:`credx_tui.app.make_app`)
in the trainer's mode and run on the session's sandbox.

It stands above both the app and the trainer's mode
(:mod:`credx_tui.training.ui`), which the app imports to build it; it once lived in
``training.ui`` and imported the app inside the function: an import circle (issue
14).  An import-linter contract (pyproject.toml) keeps the mode off the app."""

from __future__ import annotations

from credx_tui.app import make_app
from credx_tui.settings import Settings
from credx_tui.training.notes import announce, retract
from credx_tui.training.session import Training


def run_trainer(settings: Settings, training: Training) -> int:
    """Run the trainer's app on the session's sandbox; returns the exit code."""
    app = make_app(settings, training.services, training=training)
    app.watch_terminal = True
    announce(training.sandbox.folder)  # credx train --notes follows this session
    try:
        return app.run() or 0
    finally:
        retract(training.sandbox.folder)
