"""Submit anyway? Asked when a warning is on the 申请 screen (issue 15, item 8): the
R7 graduation warning does not stop a submit (the policy accepts the offer), so the
student confirms having read it, and the dialog names it."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from credx_tui.localize import bind
from credx_tui.ui import CredxDialog
from policy.reasons import Reason


class SubmitWarningDialog(CredxDialog[bool]):
    """Lists the warnings shown on 申请; True submits, False (or Esc) goes back to
    the form with nothing sent."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "cancel", "cancel_dialog"),
    ]

    def __init__(self, warnings: list[Reason]) -> None:
        super().__init__()
        self.warnings = list(warnings)
        """The policy's warnings on the offer as it stands (R7 and the like)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="submit-warning"):
            yield Static(self.t("submit_warning.title"), classes="dialog-title")
            with VerticalScroll(id="submit-warning-list"):
                yield Static(
                    "\n".join(w.text(self.lang) for w in self.warnings),
                    markup=False,
                    id="submit-warning-text",
                )
            yield Static(self.t("submit_warning.question"), id="submit-warning-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("submit_warning.yes"), id="submit-anyway", variant="warning")
                yield Button(self.t("submit_warning.no"), id="submit-back", variant="primary")

    def on_mount(self) -> None:
        self.localize()
        # The safe answer has the focus: Enter pressed out of habit does not submit.
        self.query_one("#submit-back", Button).focus()

    @on(Button.Pressed, "#submit-anyway")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#submit-back")
    def action_cancel(self) -> None:
        self.dismiss(False)
