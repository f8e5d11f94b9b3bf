"""The courses R9 hides from the picker, each with the rule that hides it
(procedure.md, "Hidden, not silent")."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from credx_tui.i18n import term
from credx_tui.localize import Localized
from credx_tui.widgets.describe import joined
from policy.eligibility import Verdict, fmt


class HiddenCoursesDialog(Localized, ModalScreen[None]):
    """Lists every course not offered, with each of its reasons."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "关闭", id="close_dialog", tooltip="关闭"),
    ]

    def __init__(self, verdicts: list[Verdict], passed: set[str] | None = None) -> None:
        super().__init__()
        passed = passed or set()
        hidden = [v for v in verdicts if not v.exchangeable]
        # Only courses hidden *because* they are passed go in the one R1 paragraph; a
        # passed course that R5 excludes anyway is listed with R5 first, as `credx
        # check` says.
        self.passed = [v for v in hidden if v.code in passed and v.rule == "R1"]
        """Passed courses (R1: nothing to exchange), listed in one paragraph."""
        grouped = {v.code for v in self.passed}
        self.verdicts = [v for v in hidden if v.code not in grouped]
        """Every other hidden course, each with all its reasons."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog", id="hidden-dialog"):
            yield Static(self.t("hidden.title"), classes="dialog-title")
            with VerticalScroll(id="hidden-list"):
                yield Static(self._text(), id="hidden-text")
            yield Button(self.t("hidden.close"), id="hidden-close")

    def _text(self) -> Text:
        if not self.verdicts and not self.passed:
            return Text(self.t("hidden.none"))
        text = Text()
        for v in self.verdicts:
            if text:
                text.append("\n")
            text.append(f"{v.course}", style="bold")
            text.append(f"  {term(v.category.value, self.lang)}  {fmt(v.credits)}\n")
            text.append("\n".join("  " + r.text(self.lang) for r in v.reasons))
        if self.passed:
            if text:
                text.append("\n\n")
            names = joined([v.course for v in self.passed], self.lang)
            text.append(self.t("hidden.passed", names=names))
        return text

    def on_mount(self) -> None:
        self.localize()
        self.query_one("#hidden-list").focus()

    @on(Button.Pressed, "#hidden-close")
    def action_close(self) -> None:
        self.dismiss(None)
