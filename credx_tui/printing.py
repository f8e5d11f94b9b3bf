"""The 学业成绩单 (S1) as lines of text, measured in terminal cells.

One layout serves the screen and the printed file: courses grouped by term, each term
headed by its 学期平均学分绩点, then 等级考试成绩, then "以下空白"; the rows flow into
three columns as on the paper form when the width allows, one column otherwise.
Widths are terminal cells (``rich.cells.cell_len``), never ``len()``: a hanzi takes two.
No Textual here, so the print path can run in a worker or a test without an app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.cells import cell_len

from credx_tui.bilingual import BilingualError
from credx_tui.describe import college_name
from credx_tui.i18n import t, term
from credx_tui.linebreak import wrap
from policy.bilingual import Bilingual
from policy.dossier import Dossier
from policy.eligibility import fmt
from policy.grades import (
    EffectiveRecord,
    chronological,
    effective_records,
    format_gpa,
    paid_sources,
    parse_result,
    term_gpas,
    transcript_totals,
)
from policy.models import AttemptKind, Category
from policy.rules import Rules

GAP = 2
"""Cells between the columns of the three-column layout."""
NATURE_CELLS = 8
CREDIT_CELLS = 4
RESULT_CELLS = 6
MAX_RESULT_CELLS = 12
"""The result column grows to its widest result, up to this (then ``..`` marks a cut)."""
SPENT_MARK = "*"
"""After the result of a course whose credits paid for an approved exchange."""
MIN_NAME_CELLS = 12
THREE_COLUMNS_FROM = 110
"""The paper form's three columns need at least this many cells."""
PRINT_WIDTH = 156
"""Width of the printed file: three columns with names of 30 cells."""


@dataclass(frozen=True)
class PrintOptions:
    """The choices of the 打印 dialog (S1)."""

    personal: bool = True
    """个人信息: print the header with the student's particulars."""
    passing_only: bool = False
    """只打印及格等级考试成绩和专业拓展课（选修）、通识选修课（选修）: leave failing grades out."""
    a3: bool = False
    """A3 打印: the wide layout that also lists every 补考 and 重修 sitting."""
    to_printer: bool = False
    """Also send the PDF to the college's ``lp`` destination (``[service] printer``)."""


class PrinterError(BilingualError):
    """``lp`` is missing or refused the job; ``zh`` and ``en`` say which, for the user."""


def send_to_printer(path: Path, destination: str, timeout: float = 30.0) -> str:
    """Run ``lp -d DESTINATION PATH`` (CUPS or its compatible front end) and return what
    lp said (its job id line).  Why a subprocess: lp is how every Debian print system
    takes a job, and a missing one must be a message, never a traceback."""
    import shutil
    import subprocess

    lp = shutil.which("lp")
    if lp is None:
        raise PrinterError(
            "此服务器没有 lp 命令（请安装 cups-client），未能打印",
            "no lp command on this server (install cups-client); nothing was printed",
        )
    try:
        done = subprocess.run(
            [lp, "-d", destination, "--", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrinterError(f"lp 未能运行：{exc}", f"lp could not run: {exc}") from None
    said = (done.stdout or done.stderr).strip().splitlines()
    if done.returncode != 0:
        why = said[-1] if said else f"exit status {done.returncode}"
        raise PrinterError(
            f"打印机 {destination} 未接受：{why}", f"printer {destination} refused: {why}"
        )
    return said[0] if said else ""


def clip(text: str, cells: int, mark: str = "..") -> str:
    """``text`` cut to at most ``cells`` terminal cells (``mark`` marks a cut; ASCII,
    so never an ambiguous-width glyph)."""
    if cell_len(text) <= cells:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > cells - len(mark):
            break
        out += ch
    return out + mark


def pad(text: str, cells: int, right: bool = False) -> str:
    """``text`` clipped and padded to exactly ``cells`` cells."""
    text = clip(text, cells)
    space = " " * (cells - cell_len(text))
    return space + text if right else text + space


def nature(category: Category, lang: str) -> str:
    """课程性质 as the transcript prints it: 必修, 专业拓展 or 通识选修."""
    if category == Category.GENERAL_ELECTIVE:
        return t("transcript.nature.general", lang)
    if category == Category.PROFESSIONAL_EXTENSION:
        return t("transcript.nature.extension", lang)
    return t("transcript.nature.required", lang)


_ATTEMPT_EN = {AttemptKind.MAKEUP: "make-up", AttemptKind.RETAKE: "retake"}
"""A sitting as the printed English transcript's narrow column names it."""


def _attempt_kind(kind: AttemptKind, lang: str) -> str:
    return Bilingual(kind.value, _ATTEMPT_EN.get(kind, "exam")).text(lang)


def _shown(row: EffectiveRecord, rules: Rules, lang: str) -> str:
    if row.exchanged:
        ex = rules.exchange_record
        return ex.result_text.text(lang)
    return term(row.shown_result, lang)


def counts_as_passed(result: str, rules: Rules) -> bool:
    """Whether a printed result passes, for the passing-only option; a result the rules
    do not know is printed, never silently hidden."""
    try:
        return parse_result(result, rules.grades).passed
    except ValueError:
        return True


def transcript_lines(
    dossier: Dossier,
    rules: Rules,
    width: int,
    lang: str = "zh",
    options: PrintOptions | None = None,
    today: datetime | None = None,
) -> list[str]:
    """The whole 学业成绩单 as lines no wider than ``width`` cells."""
    options = options or PrintOptions()
    today = today or datetime.now()
    student = dossier.student
    columns = 3 if width >= THREE_COLUMNS_FROM else 1
    col_cells = (width - GAP * (columns - 1)) // columns
    records = effective_records(dossier, rules)
    # The result column as wide as the widest result shown (English "Exchanged" or
    # "Not passed" are wider than 6 cells; never cut to "Exch..", issue 15).
    result_cells = max(
        [RESULT_CELLS]
        + [cell_len(_shown(r, rules, lang)) for r in records]
        + [cell_len(term(e.result, lang)) for e in dossier.transcript.level_exams]
    )
    result_cells = min(result_cells, MAX_RESULT_CELLS)
    name_cells = max(MIN_NAME_CELLS, col_cells - NATURE_CELLS - CREDIT_CELLS - result_cells - 3)
    col_cells = name_cells + NATURE_CELLS + CREDIT_CELLS + result_cells + 3

    def course_line(name: str, kind: str, credits: str, result: str) -> str:
        return " ".join(
            (
                pad(name, name_cells),
                pad(kind, NATURE_CELLS),
                pad(credits, CREDIT_CELLS, right=True),
                pad(result, result_cells, right=True),
            )
        )

    rows: list[str] = []
    gpas = term_gpas(dossier, rules)
    # Courses whose credits paid for an approved exchange: marked, and listed under the
    # totals with their application, so the footer's category totals add up (item 7).
    paid = paid_sources(dossier)
    paid_codes = {p.ref.ref for p in paid}
    for period, gpa in gpas.items():
        courses = [
            r for r in records if r.record.term == period and (r.passed or not options.passing_only)
        ]
        if not courses:  # as the PDF: no heading over nothing
            continue
        label = period.label.text(lang)
        heading = t("transcript.term", lang, term=label, gpa=format_gpa(gpa))
        if cell_len(heading) <= col_cells:
            rows.append(pad(heading, col_cells))
        else:  # a narrow column: the term on one line, its GPA on the next
            rows.append(pad(label, col_cells))
            rows.append(pad(heading[len(label) :].strip(), col_cells))
        for row in courses:
            record = row.record
            shown = _shown(row, rules, lang)
            rows.append(
                course_line(
                    record.name,
                    nature(record.category, lang),
                    fmt(record.credits),
                    f"{shown}{SPENT_MARK}" if record.code in paid_codes else shown,
                )
            )
            if options.a3 and len(record.attempts) > 1:
                for attempt in chronological(record):
                    # 不合格成绩不会显示 (the guide): a failed sitting is left out, as
                    # the PDF leaves it out (issue 15, item 5).
                    if options.passing_only and not counts_as_passed(attempt.result, rules):
                        continue
                    term_label = f"{attempt.term.year}-{attempt.term.semester}"
                    rows.append(
                        pad(
                            t(
                                "transcript.attempt",
                                lang,
                                kind=_attempt_kind(attempt.kind, lang),
                                term=term_label,
                                result=term(attempt.result, lang),
                            ),
                            col_cells,
                        )
                    )
    exams = [
        e
        for e in dossier.transcript.level_exams
        if not options.passing_only or counts_as_passed(e.result, rules)
    ]
    rows.append(pad(t("transcript.levels", lang), col_cells))
    for exam in exams:
        rows.append(course_line(exam.name, "", "", term(exam.result, lang)))
    rows.append(pad(t("transcript.blank", lang), col_cells))

    per_column = -(-len(rows) // columns)
    body: list[str] = []
    for i in range(per_column):
        cells = []
        for c in range(columns):
            k = c * per_column + i
            cells.append(rows[k] if k < len(rows) else " " * col_cells)
        body.append((" " * GAP).join(cells).rstrip())

    full = col_cells * columns + GAP * (columns - 1)
    heading = t("transcript.heading", lang, college=college_name(rules, lang))
    lines = [" " * max(0, (full - cell_len(heading)) // 2) + heading, ""]
    if options.personal:
        fields = [
            (t("field.college", lang), student.college),
            (t("field.major", lang), student.major),
            (t("field.id", lang), student.id),
            (t("field.name", lang), student.name),
            (t("field.enrollment", lang), student.enrollment_no),
            (t("field.class", lang), student.class_name),
        ]
        line = ""
        for label, value in fields:
            item = f"{label}: {value}"
            if line and cell_len(line) + 2 + cell_len(item) > full:
                lines.append(line)
                line = item
            else:
                line = f"{line}  {item}" if line else item
        lines.append(line)
    header = course_line(
        t("transcript.col.course", lang),
        t("transcript.col.nature", lang),
        t("transcript.col.credits", lang),
        t("transcript.col.result", lang),
    )
    lines.append((" " * GAP).join([header] * columns).rstrip())
    lines.append("-" * full)
    lines.extend(body)
    lines.append("-" * full)
    totals = transcript_totals(dossier, rules)
    lines.append(
        t(
            "transcript.totals",
            lang,
            total=fmt(totals.total),
            required=fmt(totals.required),
            extension=fmt(totals.professional_extension),
            general=fmt(totals.general_elective),
        )
    )
    if paid:
        items = t("transcript.spent.sep", lang).join(
            t(
                "transcript.spent.item",
                lang,
                name=p.name,
                credits=fmt(p.credits),
                id=p.application_id,
                target=p.target,
            )
            for p in paid
        )
        lines += wrap(t("transcript.spent", lang, mark=SPENT_MARK, items=items), full)
    lines.append(t("transcript.footer", lang, date=f"{today:%Y-%m-%d}"))
    return lines


def print_transcript(
    dossier: Dossier,
    rules: Rules,
    folder: Path,
    lang: str = "zh",
    options: PrintOptions | None = None,
    now: datetime | None = None,
) -> Path:
    """Write the 学业成绩单 to a UTF-8 text file in ``folder`` and return its path."""
    now = now or datetime.now()
    options = options or PrintOptions()
    width = PRINT_WIDTH if options.a3 else 130
    lines = transcript_lines(dossier, rules, width, lang, options, now)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"transcript-{dossier.student.id}-{now:%Y%m%d-%H%M%S}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
