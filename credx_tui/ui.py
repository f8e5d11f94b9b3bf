"""The UI base that screens and dialogs both stand on, so neither imports the other
(issue 14): ``Localized`` (texts and bindings in the app's language), ``CredxHost`` (what
a screen may ask of the app, without importing it), ``CredxScreen`` (a full screen: the
signed-in actor, refresh on resume, printing, one way of showing a service's refusal)
and ``CredxDialog[T]`` (a modal dialog that ``dismiss()``es a ``T``).

``Localized``, ``CredxHost`` and ``CredxDialog`` live in :mod:`credx_tui.ui_base` (the
link dialogs a screen opens from here stand on it) and are named here too, so that
screens and dialogs import their base from one place."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.widgets import Footer

from credx_tui.ui_base import CredxDialog, CredxHost, Localized
from credx_tui.working import LinkMade, LinkNotMade, Working

if TYPE_CHECKING:
    # Imported where used: the login screen stands on this module and is drawn before
    # the services exist (issue 13, item 4).
    from credx_tui.services import Actor, ServiceError, Services


class CredxScreen(Working, Localized, Screen):
    """A full screen of the student's journey."""

    @property
    def services(self) -> Services:
        """The use cases (the only way to the data)."""
        return self.credx.services

    @property
    def actor(self) -> Actor:
        """The signed-in student."""
        actor = self.credx.actor
        assert actor is not None, "screen shown without a login"
        return actor

    def on_mount(self) -> None:
        self.localize()
        self._fit_footer()

    def on_resize(self) -> None:
        self._fit_footer()

    def _fit_footer(self) -> None:
        """Under 100 columns the footer drops its padding and the ^p palette key (Ctrl+P
        still works), so more keys fit a row at 80x24 (issue 15); the footer is composed
        again for the new width, on as many rows as its keys need (widgets/footer.py)."""
        narrow = self.app.size.width < 100
        for footer in self.query(Footer):
            changed = footer.compact != narrow or footer.size.width != self.app.size.width
            footer.compact = narrow
            footer.show_command_palette = not narrow
            if changed and footer.is_attached:
                footer.refresh(recompose=True)

    async def language_changed(self) -> None:
        """Redraw in the new language; the new footer is fitted as the old one was."""
        await super().language_changed()
        self._fit_footer()
        if self.working:  # the recompose dropped the working line: again, in the new language
            self._show_working(self.working)

    def on_screen_resume(self) -> None:
        # Another terminal (a reviewer, the same student elsewhere) may have changed
        # the store while this screen was covered: read it again.  Not after a logout:
        # a screen passed on the way back to the login has no one to read for.
        self._fit_footer()
        if self.credx.actor is not None:
            self.reload()

    def reload(self) -> None:
        """Read the data again from the services (override)."""

    def unsaved_changes(self) -> bool:
        """Whether leaving now drops work typed in (override); Ctrl+Q asks first then."""
        return False

    def action_refresh(self) -> None:
        """F5: read again."""
        self.reload()

    def action_back(self) -> None:
        """Escape: back to the previous screen."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def print_pdf(
        self,
        kind: str,
        render: Callable[..., Path],
        key: str,
        printer: str = "",
        document: str = "",
        name: str = "",
    ) -> None:
        """Write a PDF document (``kind`` is ``transcript`` or ``application``) into the
        print folder in a thread worker, then say where it is or why there is none.

        ``render(out=...)`` is one of :mod:`credx_tui.services.documents`' functions bound
        to this screen's actor; the services check who may print what.  With ``printer``
        (an lp destination) the PDF is then sent there too, and lp's answer or failure
        is said.  With ``document`` (a download link's document, e.g. ``transcript``)
        the PDF then reaches the person as ``name`` (:meth:`deliver`)."""
        from credx_tui.documents.errors import DocumentError
        from credx_tui.services import ServiceError
        from credx_tui.services.documents import default_pdf_name

        out = self.credx.print_dir / default_pdf_name(kind, key)

        def work() -> None:
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                path = render(out=out)
            except (DocumentError, ServiceError) as exc:
                message = self.t("print.pdf_failed", error=exc.text(self.lang))
                self.app.call_from_thread(
                    self.notify, message, severity="error", timeout=10, markup=False
                )
            except OSError as exc:
                message = self.t("print.failed", path=out, error=exc.strerror)
                self.app.call_from_thread(
                    self.notify, message, severity="error", timeout=10, markup=False
                )
            else:
                message = self.t("print.pdf_done", path=path)
                self.app.call_from_thread(self.pdf_printed, path, message)
                if document:
                    self.app.call_from_thread(
                        self.deliver, document, name, "application/pdf", path, str(path)
                    )
                if printer:
                    self._to_printer(path, printer)

        self.run_worker(work, thread=True, exclusive=True, group=f"print-{kind}")

    def deliver(
        self, document: str, name: str, media_type: str, payload: Path | bytes, saved: str = ""
    ) -> None:
        """Get a document to the person, wherever they sit (issue 10, item 4): in the
        browser (textual-serve) as a download through ``deliver_binary``; over SSH or
        in a terminal as a one-time link with its QR code (services.links: theirs
        only, 15 minutes, once).  Without the college's ``public_url`` there is no
        link to give, and the copy on this disk (``saved``, said already) is all; so
        too for ``document=""``, a file no link can name (the 教务处 desk's exports)."""
        if self.app.is_web:
            source = payload if isinstance(payload, Path) else io.BytesIO(payload)
            self.app.deliver_binary(source, save_filename=name, mime_type=media_type)
            self.notify(self.t("download.browser", name=name), timeout=8, markup=False)
            return
        if not (document and self.services.rules.service.public_url and self.credx.download_links):
            return
        from credx_tui.services.links import make_download_link

        actor = self.actor
        self.in_thread(
            lambda: make_download_link(self.services, actor, document),
            LinkMade,
            "working.link",
            ("download", name, saved),
            refused=LinkNotMade,
        )

    def open_upload_link(self, application_id: str) -> None:
        """Show the one-time upload link of a draft or returned application with its QR
        code (issue 10, item 1; S4); or the reason there is none: no ``[service]
        public_url`` in the rules, or the services refuse (not the student's, no longer
        editable).  The link is stored in a thread (issue 13)."""
        from credx_tui.widgets.upload_link import upload_link_with_files

        actor = self.actor
        self.in_thread(
            lambda: upload_link_with_files(self.services, actor, application_id),
            LinkMade,
            "working.link",
            ("upload", application_id, ""),
            refused=LinkNotMade,
        )

    def on_link_made(self, event: LinkMade) -> None:
        from credx_tui.widgets.download_link import DownloadLinkDialog
        from credx_tui.widgets.upload_link import UploadLinkDialog

        kind, name, saved = event.context
        self.app.clear_notifications()  # the dialog says it all; no toast over the QR
        if kind == "upload":
            link, before = event.result  # upload_link_with_files
            limit = self.services.rules.attachments.max_count
            self.app.push_screen(UploadLinkDialog(link.url, name, limit, before))
        else:
            self.app.push_screen(DownloadLinkDialog(event.result.url, name, saved))

    def on_link_not_made(self, event: LinkNotMade) -> None:
        from credx_tui.services.links import LinkRefused

        if isinstance(event.error, LinkRefused) and event.error.kind == "unconfigured":
            self.notify(self.t("upload.unconfigured"), severity="error", timeout=15, markup=False)
        else:
            self.show_error(event.error)

    def _to_printer(self, path: Path, printer: str) -> None:
        """In the print worker: send ``path`` to lp and say what happened."""
        from credx_tui.printing import PrinterError, send_to_printer

        try:
            job = send_to_printer(path, printer)
        except PrinterError as exc:
            message = self.t("print.printer_failed", error=exc.text(self.lang))
            self.app.call_from_thread(
                self.notify, message, severity="error", timeout=15, markup=False
            )
        else:
            message = self.t("print.printer_done", printer=printer, job=job)
            self.app.call_from_thread(self.notify, message, timeout=10, markup=False)

    def pdf_printed(self, path: Path, message: str) -> None:
        """A PDF was written: tell the user where (screens may also show it)."""
        self.notify(message, timeout=10, markup=False)

    def show_error(self, error: ServiceError) -> None:
        """A refusal from a service, in the UI language, as a notification."""
        self.notify(error.text(self.lang), severity="error", timeout=8, markup=False)


__all__ = ["CredxDialog", "CredxHost", "CredxScreen", "Localized"]
