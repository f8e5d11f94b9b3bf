"""The one-time download link of a document, with its QR code, for a person who is
not at the server's disk: over SSH or in a terminal (issue 10, item 4).  In the
browser the app hands the file over with ``deliver_binary`` instead.

The QR code is :class:`credx_tui.widgets.qr.QrCode`, the same drawing as the upload
link's dialog (widgets/upload_link.py)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from credx_tui.localize import bind
from credx_tui.ui_base import CredxDialog
from credx_tui.widgets.qr import QrCode, fit_dialog


class DownloadLinkDialog(CredxDialog[None]):
    """Shows a document's one-time download link and its QR code; Esc or 关闭 closes."""

    DEFAULT_CSS = """
    DownloadLinkDialog #download-dialog.qr-tight {
        border: none;
        padding: 0;
    }
    DownloadLinkDialog #download-dialog {
        width: auto;
        height: auto;
        max-width: 100%;
        max-height: 100%;
        border: ascii $primary;
        background: $panel;
        padding: 0 1;
    }
    DownloadLinkDialog #download-side {
        width: 30;
        height: auto;
        padding-left: 1;
    }
    DownloadLinkDialog #download-url {
        color: $accent;
    }
    DownloadLinkDialog #download-saved {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "close", "close_download"),
    ]

    def __init__(self, url: str, name: str, saved: str = "") -> None:
        super().__init__()
        self.url = url
        """The link (shown once: the store keeps only its SHA-256)."""
        self.document_name = name
        """The file's name as it will arrive."""
        self.saved = saved
        """Where a copy was also written on the server, if anywhere (secondary)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="download-dialog"), Horizontal(id="download-body"):
            yield QrCode(self.url, id="download-qr")
            with Vertical(id="download-side"):
                yield Static(self.t("download.title"), classes="dialog-title")
                yield Static(self.document_name, markup=False, id="download-name")
                yield Static(self.url, markup=False, id="download-url")
                yield Static(self.t("download.hint"), id="download-hint")
                if self.saved:
                    yield Static(
                        self.t("download.saved", path=self.saved),
                        markup=False,
                        id="download-saved",
                    )
                yield Button(self.t("download.close"), id="download-close")

    def on_mount(self) -> None:
        self.localize()
        fit_dialog(self.query_one("#download-dialog"), self.query_one(QrCode), self.app.size.height)
        self.query_one("#download-close", Button).focus()

    @on(Button.Pressed, "#download-close")
    def action_close(self) -> None:
        """Close the dialog (the link stays valid until used or expired)."""
        self.dismiss(None)
