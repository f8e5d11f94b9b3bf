"""The 教务处 desk (issue 12, item 4): where an admin starts.  The figures of
``credx stats`` (:mod:`credx_tui.services.stats`), one at a time, chosen from a list:
a table and a chart (textual-plotext), a key to export what is shown through the same
writer as ``credx export`` (:mod:`credx_tui.exporting`), F5 to read the store again,
F7 to the review queue every college (what an admin saw here before the desk)."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual_plotext import PlotextPlot

from credx_tui.exporting import ExportError, write_sheet
from credx_tui.screens.base import CredxScreen
from credx_tui.services import ServiceError
from credx_tui.services.stats import (
    FIGURES,
    FigureTable,
    college_figures,
    figure_sheet,
    figure_tables,
)

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

    def render(self) -> Text:  # type: ignore[override]
        drawn = super().render()
        assert isinstance(drawn, Text)
        plain = drawn.plain.translate(ASCII_FRAME)
        return Text(plain, style=drawn.style, spans=list(drawn.spans), end="", no_wrap=True)


SERIES_COLORS = ("gray", "orange", "green", "red")


class AdminDeskScreen(CredxScreen):
    """The college at a glance, for the 教务处."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+e", "export", "导出", id="desk_export", tooltip="导出当前统计表"),
        Binding("f7", "queue", "审核队列", id="desk_queue", tooltip="打开全部学院的审核队列"),
        Binding("f5", "refresh", "刷新", id="refresh", tooltip="重新读取数据"),
        Binding("f10", "logout", "注销", id="logout", tooltip="注销并回到登录页"),
    ]

    def __init__(self) -> None:
        super().__init__(id="admin-desk")
        self.tables: list[FigureTable] = []
        self.current = 0
        """Index of the figure shown, in :data:`FIGURES` order."""

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
            orientation = "horizontal" if table.horizontal else "vertical"
            if len(names) == 1:
                plt.bar(table.labels, values[0], marker="braille", orientation=orientation)
            else:
                plt.multiple_bar(
                    table.labels,
                    values,
                    labels=names,
                    marker="braille",
                    orientation=orientation,
                    color=list(SERIES_COLORS[: len(names)]),
                )
        chart.refresh()

    def action_export(self) -> None:
        """Ctrl+E: the figure shown, as .xlsx or .csv, to the path in the field."""
        if not self.tables:
            return
        table = self.tables[self.current]
        path = self.query_one("#desk-path", Input).value.strip()
        now = self.services.clock().astimezone()
        sheet = figure_sheet(
            table, self.services.rules, self.t("stats.all_colleges"), now, self.lang
        )
        try:
            written = write_sheet(sheet, path)
        except ExportError as exc:
            self.notify(exc.text(self.lang), severity="error", timeout=10, markup=False)
            return
        self.last_export = written
        self.notify(self.t("desk.export.done", path=str(written)), timeout=10, markup=False)

    def action_queue(self) -> None:
        """F7: the review queue of every college."""
        from credx_tui.screens.review_queue import ReviewQueueScreen

        self.app.push_screen(ReviewQueueScreen())

    def action_logout(self) -> None:
        self.credx.action_logout()
