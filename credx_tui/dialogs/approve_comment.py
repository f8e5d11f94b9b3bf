"""Approving an application (R11) with an optional 审核意见.

The approval used to be a bare yes/no; a reviewer often wants to tell the student
something ("材料齐全，同意兑换", or what to watch next time) and the paper form has a
line for 二级学院审核意见.  So the confirmation carries an optional comment field; an
empty one approves without a comment, as before.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from credx_tui.localize import bind
from credx_tui.ui import CredxDialog
from policy.text import REASON_MAX


class ApproveDialog(CredxDialog[str | None]):
    """Dismisses the comment typed (possibly empty) to approve, or None to cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "cancel", "cancel_dialog"),
    ]

    def __init__(self, application_id: str, question: str) -> None:
        super().__init__()
        self.application_id = application_id
        """The application being approved (for the title)."""
        self.question = question
        """Who and what is approved, already in the UI language (user data: no markup)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog", id="approve-dialog"):
            yield Static(
                self.t("approve.title", id=self.application_id),
                classes="dialog-title",
                markup=False,
            )
            yield Static(self.question, markup=False, id="approve-question")
            yield Label(self.t("approve.comment"))
            yield Input(
                placeholder=self.t("approve.placeholder"),
                max_length=REASON_MAX,
                id="approve-comment",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("approve.ok"), id="approve-ok", variant="primary")
                yield Button(self.t("approve.cancel"), id="approve-cancel")

    def on_mount(self) -> None:
        self.localize()
        self.query_one("#approve-comment", Input).focus()

    @on(Input.Submitted, "#approve-comment")
    @on(Button.Pressed, "#approve-ok")
    def _ok(self) -> None:
        self.dismiss(self.query_one("#approve-comment", Input).value.strip())

    @on(Button.Pressed, "#approve-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
