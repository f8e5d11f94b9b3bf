"""Yes or no, as a typed dialog."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from credx_tui.localize import bind
from credx_tui.ui import CredxDialog


class ConfirmDialog(CredxDialog[bool]):
    """Asks a question; dismisses True for 确定, False for 取消."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "cancel", "cancel_dialog"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        """The question, already in the UI language (may hold user data: no markup)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.t("confirm.title"), classes="dialog-title")
            yield Static(self.question, markup=False, id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("confirm.yes"), id="yes", variant="primary")
                yield Button(self.t("confirm.no"), id="no")

    def on_mount(self) -> None:
        self.localize()
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_cancel(self) -> None:
        self.dismiss(False)
