"""学生成绩总表 (S1): the 学业成绩单 on screen, and its 打印 dialog writing a text file
and the PDF (issue 6) beside it.

Three columns as on the paper form when the terminal is wide enough, one otherwise.
After an approved exchange the course shows ``rules.exchange_record`` (S5)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from credx_tui.dialogs.print_options import PrintDialog
from credx_tui.linebreak import wrap
from credx_tui.live_screen import LiveScreen
from credx_tui.localize import bind
from credx_tui.printing import PrintOptions, print_transcript, transcript_lines
from credx_tui.services import ServiceError
from credx_tui.services.documents import render_transcript_pdf
from credx_tui.services.live import Interest, student_interest
from credx_tui.ui import CredxScreen
from credx_tui.working import gone
from policy.dossier import Dossier


class _Sheet(VerticalScroll):
    """The scroll area of the transcript.  A side panel (trainer mode) makes it
    narrower than the screen without resizing the screen, so it tells the screen
    when its own width is known or changed (Resize does not bubble)."""

    def on_resize(self) -> None:
        screen = self.screen
        if isinstance(screen, TranscriptScreen):
            screen.draw_sheet()


class TranscriptScreen(LiveScreen, CredxScreen):
    """信息查询 -> 学生成绩总表打印."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("f6", "print", "print"),
        bind("f5", "refresh", "refresh"),
        bind("escape", "back", "back"),
    ]

    def __init__(self) -> None:
        super().__init__(id="transcript")
        self.dossier: Dossier | None = None
        self.options = PrintOptions()
        """The last choices of the 打印 dialog (the screen shows what would print)."""
        self.printed = ""
        """What the last 打印 said (a failure), shown under the transcript."""
        self.printed_paths: list[Path] = []
        """The files the last 打印 wrote (text, then PDF): shown as one folder and the
        names, broken after a ``/``, in two lines at 80 columns (issue 15)."""

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Static(self.t("transcript.title"), classes="page-title")
        with _Sheet(id="transcript-scroll"):
            yield Static("", id="transcript-text", markup=False)
        yield Static("", id="transcript-printed", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()
        self.query_one("#transcript-scroll").focus()

    def after_recompose(self) -> None:
        self._draw()

    def draw_sheet(self) -> None:
        """Lay the transcript out again for the scroll area's width (issue 15)."""
        self._draw()

    def reload(self) -> None:
        try:
            self.dossier = self.services.dossier(self.actor)
        except ServiceError as exc:
            self.show_error(exc)
            return
        self._draw()

    # -- live (issue 13, item 3) ------------------------------------------------------

    def live_interest_for(self) -> Interest:
        """The student's transcript shard, their applications (an approval shows as
        兑换, S5), the programmes and the rules."""
        return student_interest(self.services, self.actor)

    def live_read(self) -> Dossier:
        """In a worker: the student's file as it is now (an import, an approval)."""
        self.live_interest = student_interest(self.services, self.actor)
        return self.services.dossier(self.actor)

    def live_show(self, dossier: Dossier) -> None:
        """Redraw the 学业成绩单 only if it changed (the scroll stays where it was)."""
        if dossier == self.dossier:
            return
        self.dossier = dossier
        self._draw()

    def _draw(self) -> None:
        if self.dossier is None or not self.is_mounted or gone(self):
            return  # closed meanwhile (a print or a re-read that ends after Esc)
        scroll_width = self.query_one("#transcript-scroll").size.width
        if not scroll_width:
            return  # not laid out yet: the scroll area's first Resize draws it
        width = max(40, scroll_width - 4)  # padding and the scrollbar
        lines = transcript_lines(
            self.dossier,
            self.services.rules,
            width,
            self.lang,
            self.options,
            self.services.clock().astimezone(),
        )
        self.query_one("#transcript-text", Static).update("\n".join(lines))
        self.query_one("#transcript-printed", Static).update(self._printed_text(width))

    def _printed_text(self, width: int) -> str:
        paths = self.printed_paths
        if not paths:
            return self.printed
        folder = paths[0].parent
        if any(p.parent != folder for p in paths):
            said = "\n".join(self.t("print.done", path=p) for p in paths)
        else:
            names = self.t("transcript.spent.sep").join(p.name for p in paths)
            said = self.t("transcript.printed", folder=f"{folder}/", names=names)
            if cell_len(said) > width + 2:  # the folder, then the file names below it
                head = self.t("transcript.printed", folder=f"{folder}/", names="").rstrip()
                return "\n".join([*wrap(head, width + 2), *wrap(names, width + 2)])
        return "\n".join(wrap(said, width + 2))

    def pdf_printed(self, path: Path, message: str) -> None:
        """Show the PDF's name beside the text file's."""
        self.printed_paths.append(path)
        super().pdf_printed(path, message)
        self._draw()

    def action_print(self) -> None:
        """打印: choose the options, then write the file and show its path."""

        def chosen(options: PrintOptions | None) -> None:
            if options is None or self.dossier is None:
                return
            self.options = options
            self.reload()
            try:
                path = print_transcript(
                    self.dossier,
                    self.services.rules,
                    self.credx.print_dir,
                    self.lang,
                    options,
                    now=self.services.clock().astimezone(),
                )
            except OSError as exc:
                self.printed_paths = []
                self.printed = self.t("print.failed", path=self.credx.print_dir, error=exc.strerror)
                self.notify(self.printed, severity="error", markup=False)
            else:
                self.printed_paths = [path]
                self.notify(self.t("print.done", path=path), markup=False, timeout=8)
                self.print_pdf(
                    "transcript",
                    partial(
                        render_transcript_pdf,
                        self.services,
                        self.actor,
                        a3=options.a3,
                        passing_only=options.passing_only,
                        personal=options.personal,
                        today=self.services.clock().astimezone().date(),
                    ),
                    self.dossier.student.id,
                    printer=self.services.rules.service.printer if options.to_printer else "",
                    document=transcript_document(options),
                    name=self.t("document.name.transcript", id=self.dossier.student.id),
                )
            self._draw()

        printer = self.services.rules.service.printer
        self.app.push_screen(PrintDialog(self.options, printer), chosen)


def transcript_document(options: PrintOptions) -> str:
    """The download link's name of the 学业成绩单 printed with these options."""
    chosen = [
        flag
        for flag, on in (
            ("a3", options.a3),
            ("passing", options.passing_only),
            ("nopersonal", not options.personal),
        )
        if on
    ]
    return "transcript:" + ",".join(chosen) if chosen else "transcript"
