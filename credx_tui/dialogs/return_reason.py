"""The reason for returning an application (R11): pick a ready reason or type one."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from credx_tui.localize import bind
from credx_tui.ui import CredxDialog
from policy.text import REASON_MAX

READY_REASONS = ("screenshot", "unreadable", "ratio", "kind", "mismatch")
"""Catalogue keys (``return.ready.<id>``) of the reasons reviewers give most."""

MAX_REASON = REASON_MAX
"""The trail keeps at most this many characters of a reason (the model's and the
services' limit: one constant, policy.text.REASON_MAX)."""


class ReturnReasonDialog(CredxDialog[str | None]):
    """Dismisses the reason typed or picked (never empty), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "cancel", "cancel_dialog"),
    ]

    def __init__(self, application_id: str) -> None:
        super().__init__()
        self.application_id = application_id
        """The application being returned (for the title)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog", id="return-dialog"):
            yield Static(
                self.t("return.title", id=self.application_id),
                classes="dialog-title",
                markup=False,
            )
            yield Label(self.t("return.ready"))
            yield OptionList(
                *(Option(self.t(f"return.ready.{r}"), id=r) for r in READY_REASONS),
                id="return-ready",
            )
            yield Label(self.t("return.reason"))
            yield Input(
                placeholder=self.t("return.placeholder"), max_length=MAX_REASON, id="return-reason"
            )
            yield Static("", id="return-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("return.ok"), id="return-ok", variant="error")
                yield Button(self.t("return.cancel"), id="return-cancel")

    def on_mount(self) -> None:
        self.localize()
        self.query_one("#return-ready", OptionList).focus()

    @on(OptionList.OptionSelected, "#return-ready")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        """A ready reason goes into the text field, where it can still be edited."""
        field = self.query_one("#return-reason", Input)
        field.value = str(event.option.prompt)
        field.focus()
        field.cursor_position = len(field.value)

    @on(Input.Submitted, "#return-reason")
    @on(Button.Pressed, "#return-ok")
    def _ok(self) -> None:
        reason = self.query_one("#return-reason", Input).value.strip()
        if not reason:
            self.query_one("#return-message", Static).update(self.t("return.empty"))
            self.query_one("#return-reason", Input).focus()
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#return-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
