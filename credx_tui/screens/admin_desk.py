"""The 教务处 desk (issue 12, item 4): where an admin starts.  The figures of
``credx stats`` (:mod:`credx_tui.services.stats`), one at a time, chosen from a list:
a table and a chart (textual-plotext), a key to export what is shown through the same
writer as ``credx export`` (:mod:`credx_tui.exporting`), F8/F9 for the approved sheet
and the whole register of ``credx export``, delivered as other documents are (a
browser download, else the copy on the server), F5 to read the store again,
F7 to the review queue every college (what an admin saw here before the desk)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Literal

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual_plotext import PlotextPlot

from credx_tui.exporting import ExportError, Sheet, check_target, write_sheet
from credx_tui.localize import bind
from credx_tui.services import ServiceError
from credx_tui.services.exports import approved_sheet, record_export, register_sheet
from credx_tui.services.stats import (
    FIGURES,
    FigureTable,
    college_figures,
    figure_sheet,
    figure_tables,
)
from credx_tui.store import StoreError
from credx_tui.ui import CredxScreen

ASCII_FRAME = str.maketrans(
    {
        "─": "-",
        "│": "|",
        "┌": "+",
        "┐": "+",
        "└": "+",
        "┘": "+",
        "┤": "+",
        "├": "+",
        "┬": "+",
        "┴": "+",
        "┼": "+",
        "█": "#",
        "▌": "|",
        "▄": "_",
        "▀": "-",
        "•": "*",
        "·": ".",
    }
)
"""Plotext draws its frame with box-drawing glyphs, which are East-Asian *ambiguous*:
on an "ambiguous = wide" terminal (PuTTY, Xshell with CJK settings) they take two
cells and break every line of the chart.  The desk draws them as ASCII instead, and
the bars in braille (neutral width)."""


class AsciiPlot(PlotextPlot):
    """A plotext chart whose every glyph is one cell wide on any terminal."""

    def render(self) -> Text:
        drawn = super().render()
        assert isinstance(drawn, Text)
        plain = drawn.plain.translate(ASCII_FRAME)
        return Text(plain, style=drawn.style, spans=list(drawn.spans), end="", no_wrap=True)


SERIES_COLORS = ("gray", "orange", "green", "red")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"


class AdminDeskScreen(CredxScreen):
    """The college at a glance, for the 教务处."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("ctrl+e", "export", "desk_export"),
        bind("f8", "export_approved", "desk_export_approved"),
        bind("f9", "export_register", "desk_export_register"),
        bind("f7", "queue", "desk_queue"),
        bind("f5", "refresh", "refresh"),
        bind("f10", "logout", "logout"),
    ]

    def __init__(self) -> None:
        super().__init__(id="admin-desk")
        self.tables: list[FigureTable] = []
        self.current = 0
        """Index of the figure shown, in :data:`FIGURES` order."""
        self.last_export: Path | None = None
        """The file the last export wrote (the copy on the server)."""

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with Vertical(id="desk-body"):
            yield Static(self.t("desk.title"), classes="page-title")
            with Horizontal(id="desk-main"):
                yield OptionList(
                    *[Option(self.t(f"stats.{k}"), id=k) for k in FIGURES], id="desk-figures"
                )
                with Vertical(id="desk-figure"):
                    yield Static("", id="desk-figure-title", markup=False)
                    yield DataTable(id="desk-table", cursor_type="row", zebra_stripes=True)
                    yield AsciiPlot(id="desk-chart")
            with Horizontal(id="desk-export-row"):
                yield Static(self.t("desk.export.label"), id="desk-export-label")
                yield Input(value=self._default_path(), id="desk-path")
        yield Footer()

    def _default_path(self) -> str:
        return str(self.credx.print_dir / f"{FIGURES[self.current]}.xlsx")

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()
        self.query_one(OptionList).highlighted = self.current
        self.query_one(OptionList).focus()

    def after_recompose(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the figures again (F5, and when the desk comes back into view)."""
        try:
            figures = college_figures(self.services, self.actor)
        except ServiceError as exc:
            self.show_error(exc)
            return
        self.tables = figure_tables(figures, self.services.rules, self.lang)
        self._show()

    @on(OptionList.OptionHighlighted, "#desk-figures")
    def _chosen(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index != self.current:
            self.current = event.option_index
            path = self.query_one("#desk-path", Input)
            path.value = self._default_path()
            self._show()

    def _show(self) -> None:
        if not self.tables:
            return
        table = self.tables[self.current]
        self.query_one("#desk-figure-title", Static).update(table.title)
        grid = self.query_one("#desk-table", DataTable)
        grid.clear(columns=True)
        cells = [
            ["-" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)) for v in row]
            for row in table.rows
        ]
        for i, label in enumerate(table.header):
            width = max([cell_len(label)] + [cell_len(r[i]) for r in cells])
            grid.add_column(label, width=min(width, 40))
        for row in cells:
            grid.add_row(*row)
        chart = self.query_one(AsciiPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        if table.labels:
            names = list(table.series)
            values = [table.series[n] for n in names]
            orientation: Literal["horizontal", "vertical"] = (
                "horizontal" if table.horizontal else "vertical"
            )
            if len(names) == 1:
                plt.bar(table.labels, values[0], marker="braille", orientation=orientation)
            else:
                # textual-plotext's stub names ``label`` and one colour; its code (and
                # plotext's) takes ``labels`` and a colour per series, as used here.
                plt.multiple_bar(  # type: ignore[call-arg]
                    table.labels,
                    values,
                    labels=names,
                    marker="braille",
                    orientation=orientation,
                    color=list(SERIES_COLORS[: len(names)]),  # type: ignore[arg-type]
                )
        chart.refresh()

    def action_export(self) -> None:
        """Ctrl+E: the figure shown, as .xlsx or .csv, to the path in the field."""
        if not self.tables:
            return
        table = self.tables[self.current]
        path = Path(self.query_one("#desk-path", Input).value.strip())
        now = self.services.clock().astimezone()
        sheet = figure_sheet(
            table, self.services.rules, self.t("stats.all_colleges"), now, self.lang
        )
        self._write("figure", lambda: sheet, path)

    def action_export_approved(self) -> None:
        """F8: every approved exchange, the sheet a registrar enters back into the
        academic system (``credx export approved``), beside the file named below."""
        self._write(
            "approved",
            lambda: approved_sheet(self.services, self.actor),
            self._beside("approved"),
        )

    def action_export_register(self) -> None:
        """F9: the whole register, every status (``credx export applications``)."""
        self._write(
            "applications",
            lambda: register_sheet(self.services, self.actor),
            self._beside("applications"),
        )

    def _beside(self, which: str) -> Path:
        """Where F8/F9 write: the folder of the path field, a name with the time, the
        field's format (.csv when it names one, else .xlsx)."""
        field = Path(self.query_one("#desk-path", Input).value.strip() or self._default_path())
        suffix = ".csv" if field.suffix.lower() == ".csv" else ".xlsx"
        stamp = self.services.clock().astimezone().strftime("%Y%m%d-%H%M%S")
        return field.parent / f"{self.t(f'desk.file.{which}')}-{stamp}{suffix}"

    def _write(self, which: str, make: Callable[[], Sheet], path: Path) -> None:
        """Make and write a sheet in a thread worker (thousands of rows take seconds),
        then say where it is and get it to the person (:meth:`CredxScreen.deliver`)."""
        try:
            if path.parent == self.credx.print_dir:  # made when first used, as for PDFs
                path.parent.mkdir(parents=True, exist_ok=True)
            check_target(path)
        except OSError as exc:
            message = self.t("print.failed", path=path.parent, error=exc.strerror)
            self.notify(message, severity="error", timeout=10, markup=False)
            return
        except ExportError as exc:
            self.notify(exc.text(self.lang), severity="error", timeout=10, markup=False)
            return
        if which == "figure":  # a few rows: written at once, as before
            try:
                written = write_sheet(make(), path)
            except ExportError as exc:
                self.notify(exc.text(self.lang), severity="error", timeout=10, markup=False)
            else:
                self._written(written, len(self.tables[self.current].rows))
            return
        self.notify(self.t("desk.export.busy", path=str(path)), timeout=5, markup=False)

        def work() -> None:
            try:
                sheet = make()
                written = write_sheet(sheet, path)
                record_export(self.services, self.actor, which, written, len(sheet.rows))
            except (ExportError, ServiceError) as exc:
                self.app.call_from_thread(
                    self.notify, exc.text(self.lang), severity="error", timeout=10, markup=False
                )
            except (OSError, StoreError) as exc:  # the audit log could not be written
                message = self.t("desk.export.failed", path=str(path), error=str(exc))
                self.app.call_from_thread(
                    self.notify, message, severity="error", timeout=10, markup=False
                )
            else:
                self.app.call_from_thread(self._written, written, len(sheet.rows))

        # Not exclusive: F8 then F9 at once writes both files.
        self.run_worker(work, thread=True, group="desk-export")

    def _written(self, path: Path, rows: int) -> None:
        self.last_export = path
        message = self.t("desk.export.done", path=str(path), rows=rows)
        self.notify(message, timeout=15, markup=False)
        media = CSV_TYPE if path.suffix.lower() == ".csv" else XLSX_TYPE
        # No one-time link for the 教务处: links live in a student's file (issue 10),
        # so in a terminal the copy on the server, said above, is the file.
        self.deliver("", path.name, media, path, str(path))

    def action_queue(self) -> None:
        """F7: the review queue of every college."""
        from credx_tui.screens.review_queue import ReviewQueueScreen

        self.app.push_screen(ReviewQueueScreen())

    def action_logout(self) -> None:
        self.credx.action_logout()
