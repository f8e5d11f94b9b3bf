"""The 学分兑换 application form as a PDF (S4, S5): one application on paper.

What a reviewer files and a student signs: the student; the course to be exchanged
with its sittings; the credits offered to pay for it and the 认定关系; the exchange
ratio, offered against needed (R8); the attachments with their SHA-256, so the paper
names exactly the files in the store; the 流程跟踪 with every decision and reason
(R11); signature lines.  Tables wrap long text and run onto further pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from credx_tui.describe import (
    event_action,
    offered_credits,
    relation,
    status_text,
)
from credx_tui.documents.fonts import CheckedFont, printable_markup
from policy import workflow
from policy.dossier import Dossier
from policy.eligibility import fmt, needed_credits, ratio_met
from policy.grades import chronological, effective_records
from policy.models import ExchangeApplication, ReviewAction, ReviewEvent, Status
from policy.rules import Rules
from policy.sources import describe_source

ROLE_NAMES = {"student": "学生", "reviewer": "审核人", "admin": "管理员"}


@dataclass(frozen=True)
class ApplicationForm:
    """Everything the form prints, as the services handed it out."""

    application: ExchangeApplication
    dossier: Dossier
    trail: list[ReviewEvent]
    actor_names: dict[str, str]
    """Display names of the accounts in the trail (username → name)."""
    rules: Rules


class _Styles:
    def __init__(self, font: CheckedFont) -> None:
        name = self.font = font.fontName
        self.title = ParagraphStyle(
            "title", fontName=name, fontSize=16, leading=22, alignment=TA_CENTER
        )
        self.section = ParagraphStyle(
            "section", fontName=name, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4
        )
        self.body = ParagraphStyle("body", fontName=name, fontSize=9, leading=12, wordWrap="CJK")
        self.small = ParagraphStyle(
            "small", fontName=name, fontSize=8, leading=10.5, wordWrap="CJK"
        )
        self.label = ParagraphStyle(
            "label", parent=self.body, textColor=colors.Color(0.2, 0.2, 0.2)
        )


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    """User data as a paragraph: escaped, so a name with ``<`` cannot change markup; a
    character the CJK font lacks (an emoji in the 备注) is drawn with the symbol font or
    written as its code point, never making the form unprintable."""
    font = pdfmetrics.getFont(style.fontName)
    if isinstance(font, CheckedFont):
        return Paragraph(printable_markup(font, str(text)), style)
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _grid(data: list[list[object]], widths: list[float], font: str, header: bool = False) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), font),  # else empty cells name Helvetica
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)))
    table.setStyle(TableStyle(style))
    return table


def _pairs(rows: list[tuple[str, object, str, object]], s: _Styles, width: float) -> Table:
    """A grid of label, value, label, value; a row whose second label is empty gives
    its value the whole width."""
    label = 26 * mm
    value = width / 2 - label
    grey = colors.Color(0.95, 0.95, 0.95)
    data = []
    style: list[tuple] = [("BACKGROUND", (0, 0), (0, -1), grey)]
    for i, (a, b, c, d) in enumerate(rows):
        if c == "":
            data.append([_p(a, s.label), _p(b, s.body), "", ""])
            style.append(("SPAN", (1, i), (3, i)))
        else:
            data.append([_p(a, s.label), _p(b, s.body), _p(c, s.label), _p(d, s.body)])
            style.append(("BACKGROUND", (2, i), (2, i), grey))
    table = _grid(data, [label, value, label, value], s.font)
    table.setStyle(TableStyle(style))
    return table


def _local(at: datetime) -> str:
    return f"{at.astimezone():%Y-%m-%d %H:%M}"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1048576:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


def application_story(form: ApplicationForm, font: CheckedFont, width: float, today: date):
    """The flowables of the form, top to bottom."""
    s = _Styles(font)
    app, dossier, rules = form.application, form.dossier, form.rules
    student = dossier.student
    record = dossier.transcript.record(app.target)
    story: list[object] = [
        _p(f"{rules.college.name}学分兑换申请表", s.title),
        Spacer(1, 2 * mm),
        Paragraph(
            ("&nbsp;" * 6).join(
                escape(part)
                for part in (
                    f"申请编号：{app.id}",
                    f"审核状态：{status_text(app, rules, 'zh')}",
                    f"打印日期：{today:%Y-%m-%d}",
                )
            ),
            ParagraphStyle("sub", parent=s.small, alignment=TA_CENTER),
        ),
        _p("一、学生", s.section),
        _pairs(
            [
                ("学号", student.id, "姓名", student.name),
                ("学院", student.college, "专业", student.major),
                ("班级", student.class_name, "学籍号", student.enrollment_no),
                ("学生类别", student.kind, "年度", student.grade_year),
            ],
            s,
            width,
        ),
    ]

    current = workflow.current_step(app, rules)
    step = current.zh if current is not None else "-"
    sittings = (
        "；".join(f"{a.kind.value} {a.result}" for a in chronological(record)) if record else ""
    )
    story += [
        _p("二、申请兑换的课程", s.section),
        _pairs(
            [
                ("申请学年", app.term.year, "申请学期", f"第{app.term.semester}学期"),
                ("申请类型", app.kind, "当前审核环节", step),
                ("校内课程代码", app.target, "校内课程名称", record.name if record else ""),
                (
                    "校内课程英文名",
                    record.name_en if record else "",
                    "课程类别",
                    record.category.value if record else "",
                ),
                (
                    "校内学分",
                    fmt(record.credits) if record else "",
                    "校内成绩",
                    sittings or "-",
                ),
                ("创建时间", _local(app.created_at), "最后修改", _local(app.updated_at)),
            ],
            s,
            width,
        ),
    ]

    shown = {r.record.code: r.shown_result for r in effective_records(dossier, rules)}
    rows: list[list[object]] = [
        [
            _p(h, s.small)
            for h in ("序号", "学分来源", "课程代码/证书编号", "名称", "学分", "成绩/日期")
        ]
    ]
    for n, ref in enumerate(app.sources, start=1):
        # The one lookup of a source (policy.sources): a certificate shows its date, a
        # course its result as the transcript shows it.
        source = describe_source(dossier.transcript, ref)
        name, credits = source.name, source.credits
        if source.certificate is not None:
            detail = source.certificate.date or ""
        else:
            detail = shown.get(ref.ref, "") if source.record is not None else ""
        rows.append(
            [
                _p(n, s.small),
                _p(ref.kind.value, s.small),
                _p(ref.ref, s.small),
                _p(name, s.small),
                _p(fmt(credits), s.small),
                _p(detail, s.small),
            ]
        )
    if len(rows) == 1:
        rows.append([_p("-", s.small), _p("没有提供学分", s.small), "", "", "", ""])
    fixed = [10 * mm, 22 * mm, 32 * mm, 14 * mm, 24 * mm]
    story += [
        _p("三、用于兑换的学分", s.section),
        _grid(rows, [*fixed[:3], width - sum(fixed), *fixed[3:]], s.font, header=True),
        Spacer(1, 2 * mm),
    ]

    offered = offered_credits(dossier, app)
    if record is not None:
        factor = rules.ratio.factor(record.category)
        needed = needed_credits(record, rules)
        met = "满足兑换比例" if ratio_met(offered, needed) else "不满足兑换比例（R8）"
        ratio = (
            f"提供 {fmt(offered)} 学分，需要 {fmt(needed)} 学分"
            f"（校内学分 {fmt(record.credits)} 乘以兑换比例 {fmt(factor)}）：{met}"
        )
        target = f"{record.name}（{app.target}，{fmt(record.credits)} 学分）"
    else:
        ratio = f"提供 {fmt(offered)} 学分；成绩单上没有课程 {app.target}"
        target = app.target
    story += [
        _pairs(
            [
                ("兑换比例", ratio, "", ""),
                ("认定关系", f"以 {relation(dossier, app) or '-'} 认定 {target}", "", ""),
                ("备注", app.note or "-", "", ""),
            ],
            s,
            width,
        ),
    ]

    rows = [[_p(h, s.small) for h in ("序号", "文件名", "类型", "大小", "SHA-256")]]
    for n, att in enumerate(app.attachments, start=1):
        rows.append(
            [
                _p(n, s.small),
                _p(att.filename, s.small),
                _p(att.media_type, s.small),
                _p(_size(att.size), s.small),
                _p(att.sha256, s.small),
            ]
        )
    if len(rows) == 1:
        rows.append([_p("-", s.small), _p("没有附件", s.small), "", "", ""])
    fixed = [10 * mm, 22 * mm, 16 * mm]
    sha = 60 * mm
    story += [
        _p("四、附件", s.section),
        _grid(rows, [fixed[0], width - sum(fixed) - sha, *fixed[1:], sha], s.font, header=True),
    ]

    rows = [
        [_p(h, s.small) for h in ("时间", "操作", "操作人", "审核环节", "之后状态", "意见/原因")]
    ]
    for event in form.trail:
        who = form.actor_names.get(event.actor) or ""
        role = ROLE_NAMES.get(event.actor_role, event.actor_role)
        rows.append(
            [
                _p(_local(event.at), s.small),
                _p(event_action(event, "zh"), s.small),
                _p(
                    f"{who}（{event.actor}，{role}）" if who else f"{event.actor}（{role}）",
                    s.small,
                ),
                _p(event.step_name or "-", s.small),
                _p(event.status_after.value, s.small),
                _p(event.reason or event.comment or "", s.small),
            ]
        )
    if len(rows) == 1:
        rows.append([_p("尚无记录", s.small), "", "", "", "", ""])
    fixed = [26 * mm, 16 * mm, 40 * mm, 21 * mm, 17 * mm]
    story += [
        _p("五、流程跟踪", s.section),
        _grid(rows, [*fixed, width - sum(fixed)], s.font, header=True),
    ]

    line = "____________________"
    half = width / 2
    rows, heights, style = _signature_rows(form, s, line)
    sign = Table(rows, colWidths=[half, half], rowHeights=heights)
    sign.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), s.font),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("BOX", (0, 0), (-1, -1), 0.4, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.4, colors.black),
                *style,
            ]
        )
    )
    story += [KeepTogether([_p("六、签字", s.section), sign])]
    return story


def _signature_rows(
    form: ApplicationForm, s: _Styles, line: str
) -> tuple[list[list[object]], list[float | None], list[tuple]]:
    """The signature block: the student's line, then one block per review step of the
    rules (R11: a chain of 教学秘书, 教学院长, 教务处 signs three times, the default
    chain once), each with the step's 审核意见 and who approved it in the current round
    (filled in from the trail, else blank for a pen), and the college's seal."""
    rows: list[list[object]] = [
        [_p(f"学生签名：{line}", s.body), _p(f"日期：{line}", s.body)],
    ]
    heights: list[float | None] = [8 * mm]
    style: list[tuple] = []
    app = form.application
    deciders = workflow.round_deciders(app, form.trail)
    for index, step in enumerate(form.rules.review_steps):
        said = [
            e.comment
            for e in form.trail
            if e.action == ReviewAction.APPROVE and e.step == index and e.comment
        ]
        who = deciders.get(index) if app.status != Status.RETURNED else None
        if who is not None:
            name = form.actor_names.get(who) or ""
            said.append(f"同意：{name}（{who}）" if name else f"同意：{who}")
        top = len(rows)
        rows += [
            [_p(f"{step.zh}意见：", s.body), ""],
            [_p("；".join(said), s.small) if said else "", ""],
            [_p(f"审核人签字：{line}", s.body), _p(f"日期：{line}", s.body)],
        ]
        heights += [6 * mm, None if said else 9 * mm, 8 * mm]
        style += [
            ("SPAN", (0, top), (1, top)),
            ("SPAN", (0, top + 1), (1, top + 1)),
            ("LINEBELOW", (0, top + 1), (-1, top + 1), 0.2, colors.grey),
            ("LINEBELOW", (0, top + 2), (-1, top + 2), 0.4, colors.black),
        ]
    seal = len(rows)
    rows.append([_p("学院盖章：", s.body), ""])
    heights.append(12 * mm)
    style += [("SPAN", (0, seal), (1, seal)), ("VALIGN", (0, seal), (-1, seal), "TOP")]
    return rows, heights, style


def render_application(form: ApplicationForm, out: Path, font: CheckedFont, today: date) -> None:
    """Draw the application form into the PDF file ``out``."""
    app = form.application
    college = form.rules.college.name
    margin = 16 * mm
    doc = SimpleDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 4 * mm,
        title=f"{college}学分兑换申请表 {app.id}",
        author=college,
        subject="学分兑换申请表",
        creator="credx",
        initialFontName=font.fontName,
    )

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(font.fontName, 8)
        canvas.drawString(margin, margin - 2 * mm, f"{college} 学分兑换申请表 {app.id}")
        canvas.drawRightString(A4[0] - margin, margin - 2 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    story = application_story(form, font, A4[0] - 2 * margin, today)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
