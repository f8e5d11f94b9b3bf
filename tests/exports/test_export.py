"""Decisions out (issue 12, item 3): `credx export approved|applications` on a college
built through the services; the files are read back with openpyxl and the csv module
(a different library from the writer, xlsxwriter) and compared with the store."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from export_college import A, B, build, sid

from credx_tui.cli import main
from credx_tui.exporting import ExportError, write_sheet
from credx_tui.services import AccessDenied
from credx_tui.services.exports import APPROVED_COLUMNS, approved_sheet
from credx_tui.store.admin import audit_events
from policy.eligibility import fmt
from policy.figures import last_decision
from policy.models import Status


@pytest.fixture(scope="module")
def college(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("export") / "db"
    services, _ = build(root)
    return services


def expected_approved(services, college: str | None = None, term=None) -> list[list[object]]:
    """What the store says, computed here from the models (not by the exporter)."""
    store = services.store
    rows = []
    for name in [college] if college else store.colleges():
        events = store.events(name)
        for app in store.applications(name):
            if app.status != Status.APPROVED or (term is not None and app.term != term):
                continue
            student = store.student(app.student_id)
            transcript = store.transcript(app.student_id)
            target = transcript.record(app.target)
            sources = "、".join(
                f"{transcript.record(r.ref).name}({fmt(transcript.record(r.ref).credits)})"
                for r in app.sources
            )
            decision = last_decision(app, events)
            approver = store.account(decision.deciders[0]).display_name
            rows.append(
                [
                    student.id,
                    student.name,
                    app.college,
                    student.major,
                    student.class_name,
                    app.target,
                    target.name,
                    target.credits,
                    services.rules.exchange_record.result,
                    sources,
                    decision.decided_at.astimezone().date().isoformat(),
                    approver,
                    app.term.year,
                    app.term.semester,
                    app.id,
                ]
            )
    return sorted(rows, key=lambda r: (r[2], r[0], r[10]))


def read_xlsx(path: Path) -> tuple[list[str], list[list[object]], object]:
    book = openpyxl.load_workbook(path)
    ws = book.active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    return values[2], values[3:], ws


def test_approved_xlsx_round_trip(college, tmp_path: Path, capsys) -> None:
    out = tmp_path / "approved.xlsx"
    assert main(["export", "approved", "--db", str(college.store.root), "-o", str(out)]) == 0
    assert "wrote 3 row(s)" in capsys.readouterr().out
    header, rows, ws = read_xlsx(out)
    assert header == [c.zh for c in APPROVED_COLUMNS]
    assert header[:12] == [
        "学号", "姓名", "学院", "专业", "班级", "课程代码", "课程名称", "学分",
        "成绩", "认定关系", "审核通过日期", "审核人",
    ]  # fmt: skip
    assert rows == expected_approved(college)
    assert [r[0] for r in rows] == [sid(6), sid(1), sid(2)]  # 乙学院 sorts before 甲学院
    assert {r[8] for r in rows} == {"兑换"}  # policy/rules/default.toml [exchange_record]
    assert rows[1][9] == "书法鉴赏(2)、戏曲鉴赏(2)"
    assert rows[1][11] == "甲审核"
    # Prints: the college's name in the title row, header frozen and repeated, landscape,
    # fit to one page wide; 学号 stays text.
    assert ws["A1"].value.startswith("示范职业技术学院")
    assert "A1:O1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows.replace("$", "") == "3:3"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws["A4"].data_type == "s"
    assert ws.column_dimensions["J"].width > ws.column_dimensions["H"].width
    assert out.stat().st_mode & 0o777 == 0o600
    [event] = [e for e in audit_events(college.store) if e.action == "export.approved"]
    assert event.target == str(out.resolve()) and event.detail["rows"] == 3


def test_approved_filtered_by_term_and_college(college, tmp_path: Path) -> None:
    from credx_tui.services.exports import parse_term

    out = tmp_path / "spring.xlsx"
    db = str(college.store.root)
    assert main(["export", "approved", "--db", db, "--term", "2025-2026-2", "-o", str(out)]) == 0
    _, rows, _ = read_xlsx(out)
    assert rows == expected_approved(college, term=parse_term("2025-2026-2"))
    assert [r[0] for r in rows] == [sid(1), sid(2)]
    assert main(["export", "approved", "--db", db, "--college", B, "-o", str(out)]) == 0
    _, rows, _ = read_xlsx(out)
    assert rows == expected_approved(college, college=B) and len(rows) == 1


def test_approved_csv_is_utf8_with_bom(college, tmp_path: Path) -> None:
    out = tmp_path / "approved.csv"
    assert main(["export", "approved", "--db", str(college.store.root), "-o", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header == [c.zh for c in APPROVED_COLUMNS]
    expected = [
        [f"{v:g}" if isinstance(v, float) else str(v) for v in row]
        for row in expected_approved(college)
    ]
    assert rows == expected


def test_register_has_every_status_and_filters(college, tmp_path: Path) -> None:
    out = tmp_path / "register.xlsx"
    db = str(college.store.root)
    assert main(["export", "applications", "--db", db, "-o", str(out)]) == 0
    header, rows, _ = read_xlsx(out)
    status = header.index("审核状态")
    assert sorted(r[status] for r in rows) == sorted(
        ["审核通过"] * 3 + ["被退回"] + ["审核中"] * 2 + ["无流程"]
    )
    returned = next(r for r in rows if r[status] == "被退回")
    assert returned[header.index("退回原因")] == "截图不清楚"
    assert returned[header.index("审核人")] == "甲审核"
    argv = ["export", "applications", "--db", db, "--college", A, "-o", str(out)]
    assert main([*argv, "--status", "审核中,returned"]) == 0
    _, rows, _ = read_xlsx(out)
    assert sorted((r[1], r[status]) for r in rows) == [(sid(3), "被退回"), (sid(4), "审核中")]


@pytest.mark.parametrize(
    ("extra", "out_name", "words"),
    [
        (["--status", "done"], "x.xlsx", "no status done"),
        (["--college", "丙学院"], "x.xlsx", "no college 丙学院"),
        (["--term", "2025-2027-1"], "x.xlsx", "term 2025-2027-1"),
        ([], "x.xls", "must end in .xlsx or .csv"),
        ([], "missing/x.csv", "does not exist"),
    ],
)
def test_bad_arguments_are_one_line_and_leave_no_file(
    college, tmp_path: Path, capsys, extra, out_name, words
) -> None:
    out = tmp_path / out_name
    argv = ["export", "applications", "--db", str(college.store.root), *extra, "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unwritable_folder_leaves_nothing(college, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "old.csv").write_text("kept")
    sheet = approved_sheet(college, college.owner_actor("test"))
    folder.chmod(0o500)
    try:
        import os

        if os.geteuid() == 0:  # root writes anyway: make the write itself fail instead
            with pytest.raises(ExportError):
                write_sheet(sheet, folder / "old.csv" / "x.csv")
        else:
            with pytest.raises(ExportError, match="cannot write"):
                write_sheet(sheet, folder / "new.xlsx")
    finally:
        folder.chmod(0o700)
    assert sorted(p.name for p in folder.iterdir()) == ["old.csv"]


def test_a_failed_write_keeps_the_old_file(college, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "approved.xlsx"
    out.write_bytes(b"the old export")
    sheet = approved_sheet(college, college.owner_actor("test"))

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("credx_tui.exporting._write_xlsx", broken)
    with pytest.raises(ExportError, match="No space left"):
        write_sheet(sheet, out)
    assert out.read_bytes() == b"the old export"
    assert [p.name for p in tmp_path.iterdir()] == ["approved.xlsx"]


def test_only_the_registrar_exports(college) -> None:
    with pytest.raises(AccessDenied):
        approved_sheet(college, college.actor_for("rev_a"))
    with pytest.raises(AccessDenied):
        approved_sheet(college, college.actor_for(sid(1)))
    assert len(approved_sheet(college, college.actor_for("admin")).rows) == 3


def test_a_formula_in_a_note_never_runs_in_csv(college, tmp_path: Path) -> None:
    from credx_tui.exporting import Column, Sheet

    sheet = Sheet("x", "t", "s", [Column("备注", "note"), Column("学分", "cr", text=False)])
    sheet.rows = [['=HYPERLINK("http://x")', 2.5]]
    out = write_sheet(sheet, tmp_path / "n.csv")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle))[1] == ['\'=HYPERLINK("http://x")', "2.5"]
    xlsx = write_sheet(sheet, tmp_path / "n.xlsx")
    _, rows, ws = read_xlsx(xlsx)
    assert rows == [['=HYPERLINK("http://x")', 2.5]] and ws["A4"].data_type == "s"
