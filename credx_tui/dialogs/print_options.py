"""The 打印 dialog of the 学生成绩总表 (S1), with the guide's options."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from credx_tui.localize import bind
from credx_tui.printing import PrintOptions
from credx_tui.ui import CredxDialog
from credx_tui.widgets.plain import PlainCheckbox


class PrintDialog(CredxDialog[PrintOptions | None]):
    """Dismisses the chosen :class:`PrintOptions`, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "cancel", "cancel_dialog"),
        bind("f6", "print", "print"),
    ]

    def __init__(self, options: PrintOptions, printer: str = "") -> None:
        super().__init__()
        self.options = options
        """The options the dialog opens with."""
        self.printer = printer
        """The college's lp destination (``[service] printer``); empty: not offered."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog", id="print-dialog"):
            yield Static(self.t("print.title"), classes="dialog-title")
            yield PlainCheckbox(self.t("print.personal"), self.options.personal, id="personal")
            yield PlainCheckbox(
                self.t("print.passing_only"), self.options.passing_only, id="passed-only"
            )
            yield Static(self.t("print.passing_only.note"), classes="dialog-note")
            yield PlainCheckbox(self.t("print.a3"), self.options.a3, id="a3")
            if self.printer:
                yield PlainCheckbox(
                    self.t("print.to_printer", printer=self.printer),
                    self.options.to_printer,
                    id="to-printer",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("print.ok"), id="print-ok", variant="primary")
                yield Button(self.t("print.cancel"), id="print-cancel")

    def on_mount(self) -> None:
        self.localize()
        self.query_one("#personal").focus()

    @on(Button.Pressed, "#print-ok")
    def action_print(self) -> None:
        self.dismiss(
            PrintOptions(
                personal=self.query_one("#personal", PlainCheckbox).value,
                passing_only=self.query_one("#passed-only", PlainCheckbox).value,
                a3=self.query_one("#a3", PlainCheckbox).value,
                to_printer=bool(self.printer)
                and self.query_one("#to-printer", PlainCheckbox).value,
            )
        )

    @on(Button.Pressed, "#print-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
