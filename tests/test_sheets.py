"""Spreadsheet import (issue 12 item 1): files written with openpyxl / the csv module,
read with python-calamine, through the same checks as a JSON import."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from credx_tui.importing import ImportFailed, parse_files
from credx_tui.sheets import column_letters, restore_id


def _book(path: Path, sheets: dict[str, list[list[object]]], merge: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if merge:
            ws.merge_cells(merge)
    wb.save(path)
    return path


STUDENTS = [
    ["2023级学生名单（教务处导出）"],
    [],
    ["备注", "班级", "学号", "姓名", "学院", "专业", "年级"],
    ["", "云计算2301", 2023110101, "林书远", "智能制造学院", "云计算技术应用", "2023"],
    [None, None, None, None, None, None, None],
    ["x", "云计算2301", "2023110102", "陈一鸣", "智能制造学院", "云计算技术应用", 2023],
]
PLAN = [
    ["人才培养方案"],
    ["专业", "年级", "课程代码", "课程名称", "课程类别", "学分", "学院"],
    ["云计算技术应用", 2023, "G0101", "高等数学", "公共基础课", "4", "智能制造学院"],
    ["云计算技术应用", 2023, "T2301", "音乐鉴赏", "通识选修课", 2, "智能制造学院"],
]
GRADES = [
    ["学生成绩", None, None],
    [
        "学年",
        "学期",
        "学号",
        "姓名",
        "课程代码",
        "课程名称",
        "课程性质",
        "学分",
        "成绩",
        "考试性质",
    ],
    ["2023-2024", "1", "2023110101", "林书远", "G0101", "高等数学", "必修", 4, 40, "正常考试"],
    [
        "2023-2024",
        "第二学期",
        "2023110101",
        "林书远",
        "G0101",
        "高等数学",
        "必修",
        4,
        "51",
        "补考一",
    ],
    [
        "2023-2024",
        1,
        2023110101,
        "林书远",
        "T2301",
        "音乐鉴赏",
        "认识选修",
        "2",
        "良好",
        "正常考试",
    ],
    ["2023-2024", 1, "2023110102", "陈一鸣", "G0101", "高等数学", "必修", 4, 88, ""],
]


def test_a_college_from_workbooks(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "college.xlsx",
        {"学生名单": STUDENTS, "方案": PLAN, "成绩": GRADES},
        merge="A1:D1",
    )
    bundle = parse_files([path])
    assert [s.id for s in bundle.students] == ["2023110101", "2023110102"]
    assert bundle.programmes[0].college == "智能制造学院"
    transcript = next(t for t in bundle.transcripts if t.student_id == "2023110101")
    math = transcript.record("G0101")
    assert math is not None and math.category.value == "公共基础课"
    assert [(a.kind.value, a.result, a.term.semester) for a in math.attempts] == [
        ("正常考试", "40", 1),
        ("补考", "51", 2),
    ]
    assert transcript.record("T2301").category.value == "通识选修课"


def test_every_problem_with_its_cell(tmp_path: Path) -> None:
    grades = [row[:] for row in GRADES]
    grades[2][2] = "2.0231E+09"  # C3: Excel ate the digits
    grades[3][8] = "A+"  # I4
    grades[4][9] = "缓考"  # J5
    path = _book(tmp_path / "bad.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": grades})
    with pytest.raises(ImportFailed) as failed:
        parse_files([path])
    text = str(failed.value)
    assert "nothing was imported" in text
    assert "sheet 成绩, row 3, column 学号 (C3)" in text and "scientific notation" in text
    assert "row 4, column 成绩 (I4)" in text
    assert "row 5, column 考试性质 (J5)" in text


def test_gbk_csv_and_bom_csv(tmp_path: Path) -> None:
    book = _book(tmp_path / "base.xlsx", {"学生名单": STUDENTS, "方案": PLAN})
    for encoding in ("gbk", "utf-8-sig"):
        path = tmp_path / f"grades-{encoding}.csv"
        with path.open("w", encoding=encoding, newline="") as handle:
            csv.writer(handle).writerows([[("" if c is None else c) for c in r] for r in GRADES])
        bundle = parse_files([book, path])
        assert len(bundle.transcripts) == 2


def test_unknown_student_in_grades_names_the_row(tmp_path: Path) -> None:
    grades = [
        *GRADES,
        ["2023-2024", 1, "2023119999", "", "G0101", "高等数学", "专业拓展", 4, 70, "正常考试"],
    ]
    path = _book(tmp_path / "g.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": grades})
    with pytest.raises(ImportFailed) as failed:
        parse_files([path])
    assert "2023119999" in str(failed.value) and "sheet 成绩, row 7" in str(failed.value)


def test_ids_and_columns() -> None:
    assert restore_id(2023110101.0) == ("2023110101", None)
    assert restore_id("2.023110101E+09") == ("2023110101", None)
    assert restore_id("2.0231E+09")[1] is not None
    assert [column_letters(i) for i in (0, 25, 26)] == ["A", "Z", "AA"]


def test_term_update_merges_new_sittings(tmp_path: Path) -> None:
    """Next term's 成绩 export adds a 重修 to the stored transcript and keeps the rest."""
    from credx_tui.services.loading import import_paths
    from credx_tui.store import Store
    from policy.rules import load_rules

    store = Store.create(tmp_path / "store")
    rules = load_rules()
    first = _book(tmp_path / "c.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": GRADES})
    import_paths(store, [first], rules)
    update = _book(
        tmp_path / "next.xlsx",
        {
            "成绩": [
                GRADES[1],
                [
                    "2024-2025",
                    "1",
                    "2023110101",
                    "林书远",
                    "G0101",
                    "高等数学",
                    "必修",
                    4,
                    45,
                    "重修",
                ],
            ]
        },
    )
    report = import_paths(store, [update], rules)
    assert report.changed["transcripts"] == 1
    math = store.transcript("2023110101").record("G0101")
    assert [a.kind.value for a in math.attempts] == ["正常考试", "补考", "重修"]
    assert store.transcript("2023110101").record("T2301") is not None


def test_cli_refused_spreadsheet_leaves_no_store(tmp_path: Path, capsys) -> None:
    """`credx import bad.xlsx` names the cell, exits 1 and creates nothing; a good one loads."""
    from credx_tui.cli import main

    grades = [row[:] for row in GRADES]
    grades[2][2] = "2.0231E+09"
    bad = _book(tmp_path / "bad.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": grades})
    root = tmp_path / "store"
    assert main(["import", "--db", str(root), str(bad)]) == 1
    assert "(C3)" in capsys.readouterr().err
    assert not root.exists()
    good = _book(tmp_path / "good.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": GRADES})
    assert main(["import", "--db", str(root), str(good)]) == 0
    assert "transcripts: 2 written" in capsys.readouterr().out
