"""The 学业成绩单 as a PDF (S1), read back with pdftotext.

Each course row is drawn cell after cell (课程名称, 课程性质, 学分, then the results),
so in ``pdftotext -raw`` order with whitespace removed a row reads as the
concatenation of its cells: the tests look for exactly that, which checks that the
course, its 课程性质, credits and result are printed together."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from document_helpers import ADMIN, flat, need, pdf_fonts, pdf_text

from credx_tui.documents.fonts import load_font, text_width
from credx_tui.documents.transcript import (
    A4_SHEET,
    Layout,
    render_transcript,
    transcript_rows,
)
from credx_tui.printing import PrintOptions, nature
from credx_tui.services import Services
from credx_tui.services.documents import render_transcript_pdf
from policy.eligibility import fmt
from policy.grades import (
    chronological,
    effective_records,
    format_gpa,
    term_gpas,
    transcript_totals,
)
from policy.models import AttemptKind, Category, CourseRecord, Term

pytestmark = pytest.mark.usefixtures("cjk_font")

SEED = "2018110101"
TODAY = date(2026, 3, 20)
DEMO_STUDENTS = [
    "2018110101",
    "2023110101",
    "2023110103",
    "2023110105",
    "2023110201",
    "2023110204",
    "2023030103",
    "2023030104",
]


def render(services: Services, tmp_path: Path, sid: str, **options) -> tuple[Path, str]:
    out = tmp_path / f"{sid}-{'-'.join(sorted(options)) or 'a4'}.pdf"
    render_transcript_pdf(services, ADMIN, sid, out=out, today=TODAY, **options)
    return out, flat(pdf_text(out))


@pytest.mark.parametrize("sid", DEMO_STUDENTS)
def test_every_course_term_gpa_and_total_is_printed(demo: Services, tmp_path: Path, sid) -> None:
    out, text = render(demo, tmp_path, sid)
    assert out.read_bytes().startswith(b"%PDF-")
    dossier = demo.dossier(ADMIN, sid)
    rules = demo.rules
    student = dossier.student
    assert flat(f"{rules.college.name}学业成绩单") in text
    for label, value in [
        ("学院", student.college),
        ("专业", student.major),
        ("学号", student.id),
        ("姓名", student.name),
        ("学籍号", student.enrollment_no),
        ("班级", student.class_name),
    ]:
        assert flat(f"{label}: {value}") in text
    for row in effective_records(dossier, rules):
        r = row.record
        cells = f"{r.name}{nature(r.category, 'zh')}{fmt(r.credits)}{row.shown_result}"
        assert flat(cells) in text, r.name
    for term, gpa in term_gpas(dossier, rules).items():
        assert flat(f"{term.label.zh} 学期平均学分绩点: {format_gpa(gpa)}") in text
    for exam in dossier.transcript.level_exams:
        assert flat(f"{exam.name}{exam.result}") in text
    totals = transcript_totals(dossier, rules)
    assert flat(f"已获得学分: {fmt(totals.total)}") in text
    assert flat(f"必修课: {fmt(totals.required)}") in text
    assert flat(f"专业拓展课: {fmt(totals.professional_extension)}") in text
    assert flat(f"通识选修课: {fmt(totals.general_elective)}") in text
    for word in ("等级考试成绩", "以下空白", "学院盖章:", "审核人:", "打印日期:2026-03-20"):
        assert word in text
    assert text.index("等级考试成绩") < text.index("以下空白")


def test_the_guides_transcript_matches_the_print(demo: Services, tmp_path: Path) -> None:
    """The seed's printed term GPAs and the courses of its three columns."""
    _, text = render(demo, tmp_path, SEED)
    for heading in (
        "2018-2019学年 第1学期 学期平均学分绩点: 2.09",
        "2018-2019学年 第2学期 学期平均学分绩点: 0.8",
        "2019-2020学年 第1学期 学期平均学分绩点: 0.66",
        "2019-2020学年 第2学期 学期平均学分绩点: 2.18",
        "2020-2021学年 第1学期 学期平均学分绩点: 1.97",
        "2020-2021学年 第2学期 学期平均学分绩点: 1.16",
    ):
        assert flat(heading) in text
    assert flat("从草创到繁荣: 流行音乐导论(尔雅)通识选修286") in text
    assert flat("网络应用专业拓展353") in text
    assert flat("PROTE8") in text


def test_an_exchanged_course_shows_the_exchange(demo: Services, tmp_path: Path) -> None:
    """XF2026-0001 is approved: 高等数学(2-1) of 2023110105 prints as 兑换 (S5)."""
    _, text = render(demo, tmp_path, "2023110105")
    assert flat(f"高等数学(2-1)必修4{demo.rules.exchange_record.result}") in text


@pytest.mark.parametrize("sid", DEMO_STUDENTS)
def test_passing_only_leaves_failing_grades_out(demo: Services, tmp_path: Path, sid) -> None:
    _, full = render(demo, tmp_path, sid)
    _, text = render(demo, tmp_path, sid, passing_only=True)
    dossier = demo.dossier(ADMIN, sid)
    rows = effective_records(dossier, demo.rules)
    passed = [r for r in rows if r.passed]
    failed = [r for r in rows if not r.passed]
    assert failed or sid == "2023110205"
    for row in passed:
        r = row.record
        assert flat(f"{r.name}{nature(r.category, 'zh')}{fmt(r.credits)}{row.shown_result}") in text
    for row in failed:
        name = flat(row.record.name)
        assert name in full
        if not any(name in flat(p.record.name) for p in passed):
            assert name not in text, row.record.name
    # Totals and term GPAs are the record's, whatever is printed.
    totals = transcript_totals(dossier, demo.rules)
    assert flat(f"已获得学分: {fmt(totals.total)}") in text


def test_passing_only_drops_a_failed_level_exam(demo: Services, tmp_path: Path) -> None:
    _, full = render(demo, tmp_path, SEED)
    _, text = render(demo, tmp_path, SEED, passing_only=True)
    assert "PROTE80" in full  # the seed's level exam, result 0
    assert "PROTE8" not in text
    assert "等级考试成绩" in text and "以下空白" in text


@pytest.mark.parametrize("sid", ["2018110101", "2023110103", "2023110201", "2023030104"])
def test_a3_lists_every_sitting(demo: Services, tmp_path: Path, sid) -> None:
    _, text = render(demo, tmp_path, sid, a3=True)
    dossier = demo.dossier(ADMIN, sid)
    second_chances = 0
    for row in effective_records(dossier, demo.rules):
        r = row.record
        by_kind = {k: [] for k in AttemptKind}
        for attempt in chronological(r):
            by_kind[attempt.kind].append(attempt.result)
        sittings = "".join("/".join(by_kind[k]) for k in AttemptKind)
        cells = f"{r.name}{nature(r.category, 'zh')}{fmt(r.credits)}{sittings}{row.shown_result}"
        assert flat(cells) in text, r.name
        second_chances += len(by_kind[AttemptKind.MAKEUP]) + len(by_kind[AttemptKind.RETAKE])
    assert second_chances > 0
    for word in ("正考", "补考", "重修"):
        assert word in text


def test_a3_is_landscape_and_a4_portrait(demo: Services, tmp_path: Path) -> None:
    import subprocess

    a4, _ = render(demo, tmp_path, SEED)
    a3, _ = render(demo, tmp_path, SEED, a3=True)
    info = {
        p: subprocess.run([need("pdfinfo"), str(p)], capture_output=True, text=True).stdout
        for p in (a4, a3)
    }
    assert "595.276 x 841.89 pts (A4)" in info[a4]
    assert "1190.55 x 841.89 pts (A3)" in info[a3]


def test_the_font_is_embedded_as_a_subset(demo: Services, tmp_path: Path) -> None:
    out, _ = render(demo, tmp_path, SEED)
    fonts = pdf_fonts(out)
    assert fonts
    for font in fonts:
        assert font["emb"] == "yes", font
        assert font["sub"] == "yes", font
        assert font["uni"] == "yes", font  # text can be searched and copied
        assert "+" in font["name"]
    raw = out.read_bytes()
    assert b"/FontFile2" in raw  # TrueType outlines inside the file
    assert b"STSong" not in raw and b"Helvetica" not in raw


def test_long_names_wrap_inside_their_cell(demo: Services, tmp_path: Path) -> None:
    font = load_font()
    layout = Layout(A4_SHEET, font)
    dossier = demo.dossier(ADMIN, SEED)
    long_name = "工业互联网平台应用开发与系统集成综合实训（含企业真实项目案例分析与答辩）之二"
    term = Term(year="2020-2021", semester=2)
    record = CourseRecord(
        code="LONG1",
        name=long_name[:60],
        category=Category.PROFESSIONAL_EXTENSION,
        credits=2,
        term=term,
        attempts=[{"kind": "正常考试", "result": "88", "term": term}],
    )
    dossier.transcript.records.append(record)
    rows = [layout.measure(r) for r in transcript_rows(dossier, demo.rules, PrintOptions())]
    long_row = next(r for r in rows if r.cells and r.cells[0] == record.name)
    assert len(long_row.lines[0]) >= 3
    for row in rows:
        widths = [layout.block] if row.spans else layout.widths
        for lines, width in zip(row.lines, widths, strict=True):
            for line in lines:
                assert text_width(font, line, A4_SHEET.size) <= width - 2 * 2.0 + 0.01
    out = tmp_path / "long.pdf"
    render_transcript(dossier, demo.rules, out, load_font(), PrintOptions(), TODAY)
    assert flat(f"{record.name}专业拓展288") in flat(pdf_text(out))


def test_a_long_transcript_runs_onto_more_pages(demo: Services, tmp_path: Path) -> None:
    dossier = demo.dossier(ADMIN, SEED)
    base = dossier.transcript.records
    extra = []
    for n in range(160):
        term = Term(year=f"{2021 + n // 40}-{2022 + n // 40}", semester=1 + n % 2)
        extra.append(
            base[n % len(base)].model_copy(
                update={"code": f"X{n}", "name": f"补充课程{n:03d}", "term": term}
            )
        )
    dossier.transcript.records.extend(extra)
    out = tmp_path / "long.pdf"
    render_transcript(dossier, demo.rules, out, load_font(), PrintOptions(), TODAY)
    text = pdf_text(out)
    assert "第 1 页，共" in text and "（续下页）" in text
    assert "（续）" in text
    flat_text = flat(text)
    for record in dossier.transcript.records:
        assert flat(record.name) in flat_text
    assert flat_text.count("以下空白") == 1
    assert flat_text.index("以下空白") > flat_text.index("补充课程159")
    assert flat_text.count("学院盖章") == 1


def test_without_personal_information_the_header_block_is_left_out(
    demo: Services, tmp_path: Path
) -> None:
    _, text = render(demo, tmp_path, SEED, personal=False)
    assert "学号:" not in text and "江浩宇" not in text
    assert flat(f"{demo.rules.college.name}学业成绩单") in text
    assert "以下空白" in text
