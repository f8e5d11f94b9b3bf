"""The upload link of a draft or a returned application, with its QR code (issue 10,
item 1; S4): the student scans it with a phone (or opens it in a browser) and sends
the grade screenshots from there to ``credx serve``'s upload page.

The dialog lists the files as the server accepts them: it asks the services for the
application's attachments every :data:`POLL_SECONDS` (one stat of the student's hot
file when nothing changed) and redraws only when they changed.  In the browser
(textual-serve) a button opens the page in a new tab, where the student picks files on
their own computer."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from credx_tui.localize import bind
from credx_tui.services import ServiceError
from credx_tui.ui import CredxDialog
from credx_tui.widgets.qr import QrCode, fit_dialog
from policy.eligibility import fmt

if TYPE_CHECKING:
    from credx_tui.services import Actor, Services
    from policy.models import Attachment

POLL_SECONDS = 0.5
"""How often a screen showing a draft's attachments looks for files that arrived by
link (issue 10: visible within 2 s without a key press)."""


def attachments_now(
    services: Services, actor: Actor, application_id: str
) -> tuple[Attachment, ...] | None:
    """The application's attachments as stored now, or None when it cannot be read
    (a poll says nothing then; the next user action shows the refusal)."""
    try:
        return tuple(services.application(actor, application_id).attachments)
    except ServiceError:
        return None


class UploadLinkDialog(CredxDialog[None]):
    """Shows a draft's one-time upload link, its QR code and the files that arrived
    through it; Esc or 关闭 closes (the link stays valid until spent or expired)."""

    DEFAULT_CSS = """
    UploadLinkDialog #upload-dialog.qr-tight {
        border: none;
        padding: 0;
    }
    UploadLinkDialog #upload-dialog {
        width: auto;
        height: auto;
        max-width: 100%;
        max-height: 100%;
        border: ascii $primary;
        background: $panel;
        padding: 0 1;
    }
    UploadLinkDialog #upload-side {
        width: 30;
        height: auto;
        padding-left: 1;
    }
    UploadLinkDialog #upload-url {
        color: $accent;
    }
    UploadLinkDialog #upload-files {
        color: $success;
    }
    UploadLinkDialog Button {
        margin-right: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "close", "close_upload"),
    ]

    def __init__(self, url: str, application_id: str, max_count: int) -> None:
        super().__init__()
        self.url = url
        """The link (shown once: the store keeps only its SHA-256)."""
        self.application_id = application_id
        """The draft the link adds to."""
        self.max_count = max_count
        """The rules' ``attachments.max_count``."""
        self.before: set[str] = set()
        """SHA-256 of the attachments the application had when the dialog opened."""
        self.arrived: list[Attachment] = []
        """What came through the link since, in order."""
        self._seen: tuple[Attachment, ...] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="upload-dialog"), Horizontal(id="upload-body"):
            yield QrCode(self.url, id="upload-qr")
            with Vertical(id="upload-side"):
                yield Static(self.t("upload.title"), classes="dialog-title")
                yield Static(self.url, markup=False, id="upload-url")
                yield Static(
                    self.t("upload.hint", id=self.application_id, count=self.max_count),
                    markup=False,
                    id="upload-hint",
                )
                yield Static("", markup=False, id="upload-files")
                with Horizontal(id="upload-buttons"):
                    if self.app.is_web:
                        yield Button(self.t("upload.open"), id="upload-open")
                    yield Button(self.t("upload.close"), id="upload-close")

    def on_mount(self) -> None:
        self.localize()
        fit_dialog(self.query_one("#upload-dialog"), self.query_one(QrCode), self.app.size.height)
        actor = self.credx.actor  # None: logged out under the dialog; nothing to read
        found = (
            None
            if actor is None
            else attachments_now(self.credx.services, actor, self.application_id)
        )
        self._seen = found
        self.before = {a.sha256 for a in found or ()}
        self._show()
        self.query_one("#upload-open" if self.app.is_web else "#upload-close", Button).focus()
        self.set_interval(POLL_SECONDS, self.poll)

    def after_recompose(self) -> None:
        self._show()

    def poll(self) -> None:
        """Look for files that arrived; redraw only on a change."""
        actor = self.credx.actor
        if actor is None:
            return
        found = attachments_now(self.credx.services, actor, self.application_id)
        if found is None or found == self._seen:
            return
        self._seen = found
        self.arrived = [a for a in found if a.sha256 not in self.before]
        self._show()

    def _show(self) -> None:
        lines = [
            self.t("upload.arrived", name=a.filename, size=fmt(a.size / 1024)) for a in self.arrived
        ]
        self.query_one("#upload-files", Static).update(
            "\n".join(lines) if lines else self.t("upload.waiting")
        )

    @on(Button.Pressed, "#upload-open")
    def action_open(self) -> None:
        """In the browser: the upload page in a new tab (files from this computer)."""
        self.app.open_url(self.url, new_tab=True)

    @on(Button.Pressed, "#upload-close")
    def action_close(self) -> None:
        """Close the dialog (the screen below keeps looking for arrivals)."""
        self.dismiss(None)
