"""Choose a file from disk as an attachment: type a path, or pick it in a tree."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DirectoryTree, Input, Label, Static

from credx_tui.localize import bind
from credx_tui.ui import CredxDialog


class AttachDialog(CredxDialog[Path | None]):
    """Dismisses the chosen path (not yet checked: the services check it), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "cancel", "cancel_dialog"),
    ]

    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start
        """Folder the tree opens at."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog", id="attach-dialog"):
            yield Static(self.t("attach.title"), classes="dialog-title")
            yield Label(self.t("attach.path"))
            yield Input(placeholder=self.t("attach.path.placeholder"), id="attach-path")
            yield DirectoryTree(self.start, id="attach-tree")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("attach.ok"), id="attach-ok", variant="primary")
                yield Button(self.t("attach.cancel"), id="attach-cancel")

    def on_mount(self) -> None:
        self.localize()
        self.query_one("#attach-path").focus()

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#attach-path", Input).value = str(event.path)

    @on(Input.Submitted, "#attach-path")
    @on(Button.Pressed, "#attach-ok")
    def _ok(self) -> None:
        value = self.query_one("#attach-path", Input).value.strip()
        if value:
            self.dismiss(Path(value).expanduser())

    @on(Button.Pressed, "#attach-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
