"""The dialog of R8: the offered credits do not satisfy the exchange ratio; the
student picks again."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Button, Static

from credx_tui.localize import bind
from credx_tui.ui import CredxDialog
from policy.reasons import Reason


class RatioDialog(CredxDialog[None]):
    """Says why the offer fails (every reason, R8 first); dismisses None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "close", "close_dialog"),
    ]

    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__()
        self.reasons = sorted(reasons, key=lambda r: r.rule != "R8")
        """Why the offer was refused."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="ratio-dialog"):
            yield Static(self.t("ratio.title"), classes="dialog-title")
            yield Static(
                Text("\n".join(r.text(self.lang) for r in self.reasons)), id="ratio-reasons"
            )
            yield Static(self.t("ratio.body"))
            yield Button(self.t("ratio.ok"), id="ratio-ok", variant="primary")

    def on_mount(self) -> None:
        self.localize()
        self.query_one("#ratio-ok").focus()

    @on(Button.Pressed, "#ratio-ok")
    def action_close(self) -> None:
        self.dismiss(None)
