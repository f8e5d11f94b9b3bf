"""Spreadsheets out (issue 12, items 3 and 4): a :class:`Sheet` written as ``.xlsx``
(xlsxwriter) or ``.csv`` (UTF-8 with a BOM, which Excel opens as Chinese text).

What a sheet holds is decided by the services (:mod:`credx_tui.services.exports`,
:mod:`credx_tui.services.stats`); this module only writes it so that it prints and
re-enters the academic system: a title row with the college's name, a frozen header,
column widths from the content, A4 landscape fitted to the page width with the header
repeated on every page.  The file appears complete or not at all: it is written to a
temporary file beside the target and renamed; a refused path, extension or write is
one :class:`ExportError` naming the file, and nothing is left behind.
"""

from __future__ import annotations

import csv
import functools
import os
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from credx_tui.bilingual import BilingualError
from policy.bilingual import Bilingual

EXPORT_MODE = 0o600
"""An export holds people's names and results: readable by the account that wrote it
only, whatever the umask (as the PDFs, issue 9)."""

FORMATS = (".xlsx", ".csv")
"""The file extensions ``credx export`` and the desk write."""

MAX_WIDTH = 60
"""Widest column, in Excel character units (a long 认定关系 wraps instead)."""

Cell = str | int | float | None


class ExportError(BilingualError):
    """A spreadsheet could not be written: the path, the extension or the disk."""


@dataclass(frozen=True)
class Column:
    """One column: its header (Chinese, the registrar's words; English beside it in
    the docs), and whether it holds text that must never become a number (学号,
    课程代码: Excel would turn ``2018110101`` into ``2.0181E+09``)."""

    zh: str
    en: str
    text: bool = True

    @property
    def name(self) -> Bilingual:
        """The header in both languages."""
        return Bilingual(self.zh, self.en)


@dataclass
class Sheet:
    """A table to write: the title row (the college's name and what this is), a
    subtitle row (scope, count, when), the columns and the rows."""

    name: str
    title: str
    subtitle: str
    columns: Sequence[Column]
    rows: list[Sequence[Cell]] = field(default_factory=list)

    def header(self, lang: str = "zh") -> list[str]:
        """The header row in ``lang`` (files always carry the Chinese one)."""
        return [c.name.text(lang) for c in self.columns]


def check_target(out: Path) -> Path:
    """Refuse a target before any work: wrong extension, a folder, a missing folder."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(
            f"{out}：只能导出为 .xlsx 或 .csv 文件", f"{out}: the file must end in .xlsx or .csv"
        )
    if out.is_dir():
        raise ExportError(f"{out} 是文件夹，请给出文件名", f"{out} is a folder; name a file")
    if not out.parent.is_dir():
        raise ExportError(
            f"{out}：文件夹 {out.parent} 不存在", f"{out}: the folder {out.parent} does not exist"
        )
    return out


def write_sheet(sheet: Sheet, out: Path | str) -> Path:
    """Write ``sheet`` to ``out`` (.xlsx or .csv by its extension), atomically."""
    out = check_target(Path(out))
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise ExportError(
            f"无法写入 {out}：{exc.strerror}", f"cannot write {out}: {exc.strerror}"
        ) from None
    tmp = Path(name)
    try:
        if out.suffix.lower() == ".csv":
            _write_csv(sheet, tmp)
        else:
            _write_xlsx(sheet, tmp)
        os.chmod(tmp, EXPORT_MODE)
        os.replace(tmp, out)
    except OSError as exc:
        raise ExportError(
            f"无法写入 {out}：{exc.strerror or exc}", f"cannot write {out}: {exc.strerror or exc}"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _write_csv(sheet: Sheet, path: Path) -> None:
    """Header and rows only (no title row): a CSV goes back into a system that expects
    the header first.  UTF-8 with a BOM, CRLF line ends: what Excel opens."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(sheet.header())
        text = [c.text for c in sheet.columns]
        writer.writerows([_csv_cell(v, text[i]) for i, v in enumerate(row)] for row in sheet.rows)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes Excel read a CSV cell as a formula (a note typed by a student must never
run as one): such a text cell is written with a leading apostrophe, as OWASP advises."""


def _csv_cell(value: Cell, text: bool) -> Cell:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if text and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@functools.lru_cache(maxsize=1 << 14)
def cells(text: str) -> int:
    """Display width of ``text``: CJK and full-width characters count two.

    Remembered: a sheet of 10,000 rows repeats its colleges, courses and dates."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def widths(sheet: Sheet) -> list[int]:
    """Column widths from the header and the content, at most :data:`MAX_WIDTH`."""
    result = [cells(c.zh) for c in sheet.columns]
    for row in sheet.rows:
        for i, value in enumerate(row):
            if value is not None:
                text = value if isinstance(value, str) else f"{value:g}"
                width = cells(text)
                if width > result[i]:
                    result[i] = width
    return [min(MAX_WIDTH, w + 2) for w in result]


def _write_xlsx(sheet: Sheet, path: Path) -> None:
    import xlsxwriter

    # constant_memory: rows go straight to disk, so 10,000 rows stay small.
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "in_memory": False})
    ws = book.add_worksheet(sheet.name[:31])
    title = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    sub = book.add_format({"font_size": 10, "align": "left"})
    head = book.add_format(
        {"bold": True, "border": 1, "bg_color": "#D9E1F2", "align": "center", "valign": "vcenter"}
    )
    text = book.add_format({"border": 1, "num_format": "@"})
    number = book.add_format({"border": 1, "num_format": "0.##"})
    wrap_text = book.add_format({"border": 1, "num_format": "@", "text_wrap": True})
    last = max(0, len(sheet.columns) - 1)
    column_text = []
    for i, width in enumerate(widths(sheet)):
        ws.set_column(i, i, width)
        column_text.append(wrap_text if width >= MAX_WIDTH else text)
    ws.merge_range(0, 0, 0, last, sheet.title, title)
    ws.merge_range(1, 0, 1, last, sheet.subtitle, sub)
    ws.write_row(2, 0, sheet.header(), head)
    for r, row in enumerate(sheet.rows, start=3):
        for c, value in enumerate(row):
            if value is None or value == "":
                ws.write_blank(r, c, None, text)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, c, value, number)
            else:
                ws.write_string(r, c, str(value), column_text[c])
    ws.freeze_panes(3, 0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # as wide as one page, as many pages long as it takes
    ws.repeat_rows(2)  # the header on every printed page
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C&P / &N")
    if sheet.rows:
        ws.autofilter(2, 0, 2 + len(sheet.rows), last)
    try:
        book.close()
    except xlsxwriter.exceptions.FileCreateError as exc:
        raise OSError(str(exc)) from None
