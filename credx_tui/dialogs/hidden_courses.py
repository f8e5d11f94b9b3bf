"""The courses R9 hides from the picker, each with the rule that hides it
(procedure.md, "Hidden, not silent").

What a student reads (issue 15): each course with its deciding reason, the others
folded behind one line (F4 unfolds them all); no clause ids of the rules file (those
are for ``credx check`` and reviewers); lines broken as Chinese is set, never
starting with 、 or ）.  The list scrolls inside the dialog and 关闭 stays on screen
at 80x24."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from credx_tui.describe import joined
from credx_tui.i18n import term
from credx_tui.linebreak import wrap
from credx_tui.localize import bind
from credx_tui.ui import CredxDialog
from credx_tui.working import gone
from policy.eligibility import Verdict, fmt

INDENT = "  "
"""Where a reason starts under its course."""
HANG = "      "
"""Where a reason's next lines start (under its text, past the 【Rn】)."""


class HiddenCoursesDialog(CredxDialog[None]):
    """Lists every course not offered: the deciding reason, the others folded."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "close", "close_dialog"),
        bind("f4", "fold", "fold_reasons"),
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
        self.unfolded = False
        """Whether the reasons after the deciding one are shown (F4)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog", id="hidden-dialog"):
            yield Static(self.t("hidden.title"), classes="dialog-title")
            with VerticalScroll(id="hidden-list"):
                yield Static("", id="hidden-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("hidden.close"), id="hidden-close", variant="primary")
                if self.folded_count():
                    yield Button(self._fold_label(), id="hidden-fold")

    def folded_count(self) -> int:
        """How many reasons are behind the deciding ones."""
        return sum(len(v.others) for v in self.verdicts)

    def _fold_label(self) -> str:
        return self.t(
            "hidden.fold" if self.unfolded else "hidden.unfold", count=self.folded_count()
        )

    def lines(self, width: int) -> list[str]:
        """The dialog's text as lines of at most ``width`` cells."""
        if not self.verdicts and not self.passed:
            return wrap(self.t("hidden.none"), width)
        out: list[str] = []
        for v in self.verdicts:
            if out:
                out.append("")
            out += wrap(
                self.t(
                    "hidden.course",
                    name=v.course,
                    category=term(v.category.value, self.lang),
                    credits=fmt(v.credits),
                ),
                width,
            )
            out += wrap(v.reason.plain(self.lang), width, INDENT, HANG)
            if not v.others:
                continue
            if self.unfolded:
                for other in v.others:
                    out += wrap(other.plain(self.lang), width, INDENT, HANG)
            else:
                out += wrap(self.t("hidden.more", count=len(v.others)), width, INDENT, HANG)
        if self.passed:
            if out:
                out.append("")
            names = joined([v.course for v in self.passed], self.lang)
            out += wrap(self.t("hidden.passed", names=names), width, "", HANG)
        return out

    def _render_text(self) -> None:
        if gone(self):
            return  # closed before this refresh: no widgets left
        listing = self.query_one("#hidden-list", VerticalScroll)
        # The scroll area's width less its scroll bar: the lines never need Rich to
        # break them again.
        width = max(20, listing.size.width - 2 or self.app.size.width - 10)
        text = Text()
        for i, line in enumerate(self.lines(width)):
            if i:
                text.append("\n")
            course = next((v for v in self.verdicts if line.startswith(v.course + "  ")), None)
            text.append(line, style="bold" if course is not None else "")
        self.query_one("#hidden-text", Static).update(text)

    def on_mount(self) -> None:
        if gone(self):
            return  # closed in the same burst of keys that opened it: no widgets left
        self.localize()
        self.query_one("#hidden-list").focus()
        self.call_after_refresh(self._render_text)

    def on_resize(self) -> None:
        self.call_after_refresh(self._render_text)

    @on(Button.Pressed, "#hidden-fold")
    def action_fold(self) -> None:
        """F4: unfold (or fold again) the reasons after each deciding one."""
        if not self.folded_count():
            return
        self.unfolded = not self.unfolded
        self.query_one("#hidden-fold", Button).label = self._fold_label()
        self._render_text()

    @on(Button.Pressed, "#hidden-close")
    def action_close(self) -> None:
        self.dismiss(None)
