"""The 学业成绩单 (S1) as a PDF that looks like the academic system's printout.

Title with the college's name; the header block (学院, 专业, 学号, 姓名, 学籍号, 班级);
three blocks of courses side by side, grouped by term, each term headed by its
学期平均学分绩点; the 等级考试成绩; "以下空白" after the last row; a footer with
已获得学分 and its split (必修课, 专业拓展课, 通识选修课) and the 学院盖章 / 审核人 /
打印日期 lines.  A4 portrait by default.  "A3 打印" gives A3 landscape with the
正考, 补考 and 重修 results of every course beside the one that counts.  "只打印及格…"
leaves failing grades out: failed courses, failed level exams and (on A3) failed
sittings.

Rows flow down the first block, then the second, then the third, as on paper; when
everything fits on one page the blocks are balanced.  A term cut by a block or page
break is headed again with （续）.  Long names wrap inside their cell.

The numbers come from :mod:`policy.grades` (GPA, totals, what each course shows) and
课程性质 from :func:`credx_tui.printing.nature`, so the PDF and the screen agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A3, A4, landscape
from reportlab.pdfgen.canvas import Canvas

from credx_tui.documents.fonts import CheckedFont, printable, text_width, wrap
from credx_tui.printing import SPENT_MARK, PrintOptions, counts_as_passed, nature
from policy.dossier import Dossier
from policy.eligibility import fmt
from policy.grades import (
    chronological,
    effective_records,
    format_gpa,
    paid_sources,
    term_gpas,
    transcript_totals,
)
from policy.models import AttemptKind
from policy.rules import Rules


@dataclass(frozen=True)
class Sheet:
    """One paper layout: page size, type sizes and the table's columns (points)."""

    page: tuple[float, float]
    margin: float
    title_size: float
    header_size: float
    size: float
    """Type size of the table."""
    leading: float
    gap: float
    """Space between the three blocks."""
    columns: tuple[tuple[str, float], ...]
    """Fixed columns after 课程名称: header and width; 课程名称 takes the rest."""


A4_SHEET = Sheet(
    page=A4,
    margin=26,
    title_size=15,
    header_size=9,
    size=7.8,
    leading=9.4,
    gap=5,
    columns=(("课程性质", 38), ("学分", 20), ("成绩", 25)),
)
A3_SHEET = Sheet(
    page=landscape(A3),
    margin=34,
    title_size=20,
    header_size=11,
    size=10,
    leading=12,
    gap=8,
    columns=(
        ("课程性质", 48),
        ("学分", 25),
        ("正考", 34),
        ("补考", 40),
        ("重修", 40),
        ("成绩", 34),
    ),
)
PAD_X = 2.0
PAD_Y = 1.6
BLOCKS = 3
FOOTER_HEIGHT = 46.0
"""Room kept at the bottom of every page for the totals and signature lines."""
SHADE = 0.9
"""Grey of the term and section heading rows (prints on any laser printer)."""


@dataclass
class Row:
    """One row of a block: a heading spanning the block or a course's cells."""

    kind: str
    """``term``, ``section`` (等级考试成绩), ``course``, ``exam`` or ``blank``."""
    cells: tuple[str, ...]
    head: Row | None = None
    """The heading this row belongs under, repeated with （续） after a break."""
    lines: list[list[str]] = field(default_factory=list)
    height: float = 0.0

    @property
    def spans(self) -> bool:
        """Whether the row is one cell across the whole block."""
        return self.kind in ("term", "section", "blank")


def transcript_rows(dossier: Dossier, rules: Rules, options: PrintOptions) -> list[Row]:
    """The rows of the table in order: per term its heading and courses, then the
    等级考试成绩, then 以下空白."""
    rows: list[Row] = []
    records = effective_records(dossier, rules)
    paid_codes = {p.ref.ref for p in paid_sources(dossier)}  # marked as spent (issue 15)
    for term, gpa in term_gpas(dossier, rules).items():
        courses = [
            r for r in records if r.record.term == term and (r.passed or not options.passing_only)
        ]
        if not courses:
            continue
        head = Row("term", (f"{term.label.zh} 学期平均学分绩点: {format_gpa(gpa)}",))
        rows.append(head)
        for row in courses:
            record = row.record
            cells = [record.name, nature(record.category, "zh"), fmt(record.credits)]
            if options.a3:
                by_kind: dict[AttemptKind, list[str]] = {k: [] for k in AttemptKind}
                for attempt in chronological(record):
                    if options.passing_only and not counts_as_passed(attempt.result, rules):
                        continue
                    by_kind[attempt.kind].append(attempt.result)
                cells += ["/".join(by_kind[k]) for k in AttemptKind]
            paid = record.code in paid_codes
            cells.append(f"{row.shown_result}{SPENT_MARK}" if paid else row.shown_result)
            rows.append(Row("course", tuple(cells), head=head))
    exams = [
        e
        for e in dossier.transcript.level_exams
        if not options.passing_only or counts_as_passed(e.result, rules)
    ]
    section = Row("section", ("等级考试成绩",))
    rows.append(section)
    width = 4 + (3 if options.a3 else 0)
    for exam in exams:
        cells = [exam.name] + [""] * (width - 2) + [exam.result]
        rows.append(Row("exam", tuple(cells), head=section))
    rows.append(Row("blank", ("以下空白",)))
    return rows


def _continued(head: Row) -> Row:
    title = head.cells[0].split(" 学期平均学分绩点")[0]
    return replace(head, cells=(title + "（续）",), head=None, lines=[], height=0.0)


class Layout:
    """Column positions and row measurement of one sheet in one font."""

    def __init__(self, sheet: Sheet, font: CheckedFont) -> None:
        self.sheet = sheet
        self.font = font
        width, _ = sheet.page
        self.block = (width - 2 * sheet.margin - (BLOCKS - 1) * sheet.gap) / BLOCKS
        fixed = sum(w for _, w in sheet.columns)
        self.widths = [self.block - fixed, *(w for _, w in sheet.columns)]
        self.headers = ("课程名称", *(h for h, _ in sheet.columns))

    def measure(self, row: Row) -> Row:
        """Wrap the row's text into its cells and set its height."""
        s = self.sheet
        if row.spans:
            row.lines = [wrap(self.font, row.cells[0], s.size, self.block - 2 * PAD_X)]
        else:
            row.lines = [
                wrap(self.font, text, s.size, w - 2 * PAD_X)
                for text, w in zip(row.cells, self.widths, strict=True)
            ]
        row.height = max(len(cell) for cell in row.lines) * s.leading + 2 * PAD_Y
        return row

    def header_row(self) -> Row:
        """The column titles at the top of each block."""
        return self.measure(Row("course", self.headers))


def paginate(rows: Sequence[Row], height: float, layout: Layout) -> list[list[list[Row]]]:
    """Rows flowed into blocks of at most ``height`` points: pages of blocks of rows.

    A heading never ends a block; a block that starts inside a term starts with that
    term's heading again, marked （续）."""
    pages: list[list[list[Row]]] = [[[]]]
    used = 0.0

    def new_block() -> None:
        nonlocal used
        if len(pages[-1]) == BLOCKS:
            pages.append([])
        pages[-1].append([])
        used = 0.0

    for i, row in enumerate(rows):
        need = row.height
        if row.kind in ("term", "section") and i + 1 < len(rows):
            need += rows[i + 1].height  # keep a heading with its first row
        if used + need > height and pages[-1][-1]:
            new_block()
            if row.head is not None:
                again = layout.measure(_continued(row.head))
                pages[-1][-1].append(again)
                used += again.height
        pages[-1][-1].append(row)
        used += row.height
    return pages


def _balanced(rows: Sequence[Row], height: float, layout: Layout) -> list[list[list[Row]]]:
    """One page whose blocks are about equally long, if everything fits on one."""
    pages = paginate(rows, height, layout)
    if len(pages) > 1:
        return pages
    low, high = max(r.height for r in rows), height
    for _ in range(24):
        mid = (low + high) / 2
        if len(paginate(rows, mid, layout)) == 1:
            high = mid
        else:
            low = mid
    return paginate(rows, high, layout)


def _bold(canvas: Canvas, x: float, y: float, text: str, *, centre: bool = False) -> None:
    """Text drawn filled and stroked: the font has no bold face."""
    t = canvas.beginText()
    t.setTextRenderMode(2)
    size = canvas._fontsize
    if centre:
        x -= canvas.stringWidth(text, canvas._fontname, size) / 2
    t.setTextOrigin(x, y)
    t.textOut(text)
    t.setTextRenderMode(0)  # the text render mode outlives the text object in PDF
    canvas.setLineWidth(size / 40)
    canvas.drawText(t)
    canvas.setLineWidth(0.5)


def _cell_text(
    canvas: Canvas, layout: Layout, lines: list[str], x: float, width: float, top: float, align: str
) -> None:
    s = layout.sheet
    y = top - PAD_Y - s.size * 0.88
    for line in lines:
        if align == "centre":
            canvas.drawCentredString(x + width / 2, y, line)
        else:
            canvas.drawString(x + PAD_X, y, line)
        y -= s.leading


def _draw_block(
    canvas: Canvas, layout: Layout, rows: list[Row], x: float, top: float, bottom: float
) -> None:
    s = layout.sheet
    header = layout.header_row()
    canvas.setLineWidth(0.4)
    y = top
    for i, row in enumerate([header, *rows]):
        low = y - row.height
        if row.kind in ("term", "section"):
            canvas.setFillGray(SHADE)
            canvas.rect(x, low, layout.block, row.height, stroke=0, fill=1)
            canvas.setFillGray(0)
        if row.spans:
            _cell_text(canvas, layout, row.lines[0], x, layout.block, y, "left")
        else:
            cx = x
            for j, (lines, width) in enumerate(zip(row.lines, layout.widths, strict=True)):
                if i == 0:
                    canvas.setFont(layout.font.fontName, s.size)
                    for k, line in enumerate(lines):
                        _bold(
                            canvas,
                            cx + width / 2,
                            y - PAD_Y - s.size * 0.88 - k * s.leading,
                            line,
                            centre=True,
                        )
                else:
                    _cell_text(canvas, layout, lines, cx, width, y, "left" if j == 0 else "centre")
                if j:
                    canvas.line(cx, y, cx, low)
                cx += width
        canvas.line(x, low, x + layout.block, low)
        y = low
    canvas.rect(x, bottom, layout.block, top - bottom, stroke=1, fill=0)
    # The column rules of the header continue down the empty rest of the block.
    cx = x
    for width in layout.widths[:-1]:
        cx += width
        canvas.line(cx, y, cx, bottom)


def render_transcript(
    dossier: Dossier,
    rules: Rules,
    out: Path,
    font: CheckedFont,
    options: PrintOptions,
    today: date,
) -> None:
    """Draw the 学业成绩单 of ``dossier`` into the PDF file ``out``."""
    sheet = A3_SHEET if options.a3 else A4_SHEET
    layout = Layout(sheet, font)
    student = dossier.student
    width, page_height = sheet.page
    canvas = Canvas(str(out), pagesize=sheet.page, initialFontName=font.fontName)
    title = f"{rules.college.name}学业成绩单"
    canvas.setTitle(f"{title} {student.id} {student.name}")
    canvas.setAuthor(rules.college.name)
    canvas.setSubject("学业成绩单" + ("（A3）" if options.a3 else ""))
    canvas.setCreator("credx")

    fields = [
        ("学院", student.college),
        ("专业", student.major),
        ("学号", student.id),
        ("姓名", student.name),
        ("学籍号", student.enrollment_no),
        ("班级", student.class_name),
    ]
    header_lines: list[str] = []
    if options.personal:
        text_room = width - 2 * sheet.margin
        line = ""
        for label, value in fields:
            item = printable(font, f"{label}: {value}")
            joined = f"{line}    {item}" if line else item
            if line and text_width(font, joined, sheet.header_size) > text_room:
                header_lines.append(line)
                line = item
            else:
                line = joined
        header_lines.append(line)

    top = page_height - sheet.margin
    table_top = top - sheet.title_size * 1.9 - len(header_lines) * sheet.header_size * 1.6
    header = layout.header_row()
    bottom_limit = sheet.margin + FOOTER_HEIGHT
    room = table_top - header.height - bottom_limit
    rows = [layout.measure(r) for r in transcript_rows(dossier, rules, options)]
    pages = _balanced(rows, room, layout)

    totals = transcript_totals(dossier, rules)
    for number, blocks in enumerate(pages, start=1):
        canvas.setFont(font.fontName, sheet.title_size)
        _bold(canvas, width / 2, top - sheet.title_size, title, centre=True)
        canvas.setFont(font.fontName, sheet.header_size)
        y = top - sheet.title_size * 1.9
        for line in header_lines:
            canvas.drawString(sheet.margin, y - sheet.header_size * 0.2, line)
            y -= sheet.header_size * 1.6
        if len(pages) > 1:
            canvas.drawRightString(
                width - sheet.margin,
                top - sheet.title_size,
                f"第 {number} 页，共 {len(pages)} 页",
            )
        canvas.setFont(font.fontName, sheet.size)
        used = max(sum(r.height for r in block) for block in blocks)
        bottom = table_top - header.height - used
        for k in range(BLOCKS):
            x = sheet.margin + k * (layout.block + sheet.gap)
            block = blocks[k] if k < len(blocks) else []
            canvas.setFont(font.fontName, sheet.size)
            _draw_block(canvas, layout, block, x, table_top, bottom)
        canvas.setFont(font.fontName, sheet.header_size)
        y = bottom - sheet.header_size * 1.8
        if number < len(pages):
            canvas.drawRightString(width - sheet.margin, y, "（续下页）")
        else:
            canvas.drawString(
                sheet.margin,
                y,
                f"已获得学分: {fmt(totals.total)}      其中  必修课: {fmt(totals.required)}"
                f"      专业拓展课: {fmt(totals.professional_extension)}"
                f"      通识选修课: {fmt(totals.general_elective)}",
            )
            spent = sorted({p.application_id for p in paid_sources(dossier)})
            if spent:
                canvas.drawString(
                    sheet.margin,
                    y - sheet.header_size * 1.2,
                    f"{SPENT_MARK} 已用于学分兑换（审核通过），不再计入分类学分："
                    + "、".join(spent),
                )
            y -= sheet.header_size * 2.4
            third = (width - 2 * sheet.margin) / 3
            canvas.drawString(sheet.margin, y, "学院盖章:")
            canvas.drawString(sheet.margin + third, y, "审核人:")
            canvas.drawString(sheet.margin + 2 * third, y, f"打印日期: {today:%Y-%m-%d}")
        canvas.showPage()
    canvas.save()
