"""学生成绩总表 (S1): the 学业成绩单 on screen, and its 打印 dialog writing a text file
and the PDF (issue 6) beside it.

Three columns as on the paper form when the terminal is wide enough, one otherwise.
After an approved exchange the course shows ``rules.exchange_record`` (S5)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from credx_tui.dialogs.print_options import PrintDialog
from credx_tui.printing import PrintOptions, print_transcript, transcript_lines
from credx_tui.screens.base import CredxScreen
from credx_tui.services import ServiceError
from credx_tui.services.documents import render_transcript_pdf
from policy.dossier import Dossier


class _Sheet(VerticalScroll):
    """The scroll area of the transcript.  A side panel (trainer mode) makes it
    narrower than the screen without resizing the screen, so it tells the screen
    when its own width is known or changed (Resize does not bubble)."""

    def on_resize(self) -> None:
        screen = self.screen
        if isinstance(screen, TranscriptScreen):
            screen.draw_sheet()


class TranscriptScreen(CredxScreen):
    """信息查询 -> 学生成绩总表打印."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f6", "print", "打印", id="print", tooltip="打印学业成绩单"),
        Binding("f5", "refresh", "刷新", id="refresh", tooltip="重新读取数据"),
        Binding("escape", "back", "返回", id="back", tooltip="返回上一页"),
    ]

    def __init__(self) -> None:
        super().__init__(id="transcript")
        self.dossier: Dossier | None = None
        self.options = PrintOptions()
        """The last choices of the 打印 dialog (the screen shows what would print)."""
        self.printed = ""
        """Path of the last printed file, shown under the transcript."""

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

    def _draw(self) -> None:
        if self.dossier is None or not self.is_mounted:
            return
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
        self.query_one("#transcript-printed", Static).update(self.printed)

    def pdf_printed(self, path: Path, message: str) -> None:
        """Show the PDF's path under the text file's."""
        self.printed = f"{self.printed}\n{message}" if self.printed else message
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
                self.printed = self.t("print.failed", path=self.credx.print_dir, error=exc.strerror)
                self.notify(self.printed, severity="error", markup=False)
            else:
                self.printed = self.t("print.done", path=path)
                self.notify(self.printed, markup=False, timeout=8)
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
                    name=f"学业成绩单-{self.dossier.student.id}.pdf",
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
