"""The upload link of a draft or a returned application, with its QR code (issue 10,
item 1; S4): the student scans it with a phone (or opens it in a browser) and sends
the grade screenshots from there to ``credx serve``'s upload page.

The dialog lists the files as the server accepts them: it follows the store watcher as
the live screens do (credx_tui/live_screen.py; issue 13, item 3), and when the
student's hot file changes it asks the services for the application's attachments in a
thread and redraws only when they changed.  It never polls and never reads the store
on the event loop.  In the browser
(textual-serve) a button opens the page in a new tab, where the student picks files on
their own computer."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from credx_tui.live_screen import LiveScreen
from credx_tui.localize import bind
from credx_tui.services.live import Interest, student_interest
from credx_tui.ui_base import CredxDialog
from credx_tui.widgets.qr import QrCode, fit_dialog
from policy.eligibility import fmt

if TYPE_CHECKING:
    from credx_tui.services import Actor, Services
    from credx_tui.services.links import Link
    from policy.models import Attachment


def upload_link_with_files(
    services: Services, actor: Actor, application_id: str
) -> tuple[Link, tuple[Attachment, ...]]:
    """The application's attachments, then its new upload link (in a worker).  Read in
    that order, the attachments are what it held before anything could come through
    the link: the dialog lists every file that arrives after, however soon."""
    from credx_tui.services.links import make_upload_link

    before = tuple(services.application(actor, application_id).attachments)
    return make_upload_link(services, actor, application_id), before


class UploadLinkDialog(LiveScreen, CredxDialog[None]):
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

    def __init__(
        self,
        url: str,
        application_id: str,
        max_count: int,
        before: tuple[Attachment, ...] = (),
    ) -> None:
        super().__init__()
        self.url = url
        """The link (shown once: the store keeps only its SHA-256)."""
        self.application_id = application_id
        """The draft the link adds to."""
        self.max_count = max_count
        """The rules' ``attachments.max_count``."""
        self.before: set[str] = {a.sha256 for a in before}
        """SHA-256 of the attachments the application had before its link was made
        (:func:`upload_link_with_files`)."""
        self.arrived: list[Attachment] = []
        """What came through the link since, in order."""
        self._seen: tuple[Attachment, ...] = before
        """The attachments last read."""

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
        self._show()
        self.query_one("#upload-open" if self.app.is_web else "#upload-close", Button).focus()
        # Read once now in a thread (LiveScreen.live_refresh): a file may have come
        # between the link's making and this mount; then every change of the
        # student's hot file reads it again.
        self.live_refresh()

    def after_recompose(self) -> None:
        self._show()

    # -- live (issue 13, item 3) ------------------------------------------------------

    def live_interest_for(self) -> Interest | None:
        """The student's hot file (uploads by link land there), transcript and rules."""
        actor = self.credx.actor
        return None if actor is None else student_interest(self.credx.services, actor)

    def live_read(self) -> tuple[Attachment, ...]:
        """In a worker: the application's attachments as stored now."""
        services, actor = self.credx.services, self.credx.actor
        if actor is None:  # logged out meanwhile: LiveScreen.live_refresh asked first
            return self._seen
        if self.live_interest is None:
            self.live_interest = student_interest(services, actor)
        return tuple(services.application(actor, self.application_id).attachments)

    def live_show(self, found: tuple[Attachment, ...]) -> None:
        """List what arrived since the link was made, redrawn only on a change.  (A
        refusal says nothing here: the screen below shows it on the next action.)"""
        if found == self._seen:
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
