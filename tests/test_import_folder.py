"""`credx import FOLDER` (issue 12): a folder stands for its import-format JSON files and
its spreadsheets, JSON first, each group in name order; hidden files, Excel's ``~$`` lock
files, other files and sub-folders are left out; a folder with nothing to import is one
clear error.  Spreadsheets are written with openpyxl and as GBK CSV by hand (the
importer reads them with python-calamine)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from credx_tui.cli import import_files, main
from credx_tui.store import Store

STUDENTS = [
    ["学生名单"],
    ["学号", "姓名", "学院", "专业", "年级", "班级"],
    ["2023110101", "林书远", "智能制造学院", "云计算技术应用", 2023, "云计算2301"],
]
PLAN = [
    ["专业", "年级", "课程代码", "课程名称", "课程类别", "学分", "学院"],
    ["云计算技术应用", 2023, "G0101", "高等数学", "公共基础课", 4, "智能制造学院"],
    ["云计算技术应用", 2023, "T2301", "音乐鉴赏", "通识选修课", 2, "智能制造学院"],
]
GRADES_CSV = (
    "学年,学期,学号,姓名,课程代码,课程名称,课程性质,学分,成绩,考试性质\r\n"
    "2023-2024,1,2023110101,林书远,G0101,高等数学,必修,4,40,正常考试\r\n"
    "2023-2024,2,2023110101,林书远,G0101,高等数学,必修,4,45,补考\r\n"
    "2023-2024,1,2023110101,林书远,T2301,音乐鉴赏,通识选修,2,良好,\r\n"
)
ACCOUNTS = {
    "format": "credx-import",
    "version": 1,
    "documents": [
        {
            "type": "account",
            "username": "rev_zn",
            "role": "reviewer",
            "display_name": "唐敏",
            "colleges": ["智能制造学院"],
            "password": "demo-pass-1",
        }
    ],
}


def _book(path: Path, rows: list[list[object]], title: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)


def _college_folder(folder: Path) -> Path:
    folder.mkdir()
    _book(folder / "1-学生名单.xlsx", STUDENTS, "学生名单")
    _book(folder / "2-人才培养方案.XLSX", PLAN, "人才培养方案")
    (folder / "3-成绩.csv").write_bytes(GRADES_CSV.encode("gbk"))
    (folder / "accounts.json").write_text(json.dumps(ACCOUNTS, ensure_ascii=False))
    # What a registrar's folder also holds, none of it to be read:
    (folder / "~$1-学生名单.xlsx").write_bytes(b"\x00owner-file of an open workbook")
    (folder / ".~lock.3-成绩.csv#").write_text("LibreOffice lock")
    (folder / ".hidden.csv").write_text("not,a,sheet\r\n")
    (folder / "说明.txt").write_text("从正方导出，2026-12-01")
    (folder / "old").mkdir()
    (folder / "old" / "broken.json").write_text("{")
    return folder


def test_a_folder_is_its_json_then_its_spreadsheets(tmp_path: Path) -> None:
    folder = _college_folder(tmp_path / "export")
    assert [p.name for p in import_files([folder])] == [
        "accounts.json",
        "1-学生名单.xlsx",
        "2-人才培养方案.XLSX",
        "3-成绩.csv",
    ]
    # A file named beside the folder keeps its place.
    lone = tmp_path / "extra.json"
    lone.write_text("{}")
    assert [p.name for p in import_files([lone, folder])][:2] == ["extra.json", "accounts.json"]


def test_import_a_folder_of_exports(tmp_path: Path, capsys) -> None:
    folder = _college_folder(tmp_path / "export")
    root = tmp_path / "db"
    assert main(["import", "--dry-run", "--db", str(root), str(folder)]) == 0
    assert "学生：新增 1，变更 0" in capsys.readouterr().out and not root.exists()
    assert main(["import", "--db", str(root), str(folder)]) == 0, capsys.readouterr().err
    store = Store(root)
    assert [s.id for s in store.students()] == ["2023110101"]
    math = store.transcript("2023110101").record("G0101")
    assert [(a.kind.value, a.result) for a in math.attempts] == [("正常考试", "40"), ("补考", "45")]
    assert store.account("rev_zn") is not None
    capsys.readouterr()
    # The same folder again changes nothing.
    assert main(["import", "--db", str(root), str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(": 0 written," in line for line in lines), lines


def test_a_folder_with_nothing_to_import_is_refused(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "说明.txt").write_text("nothing here")
    (empty / "~$lock.xlsx").write_bytes(b"x")
    root = tmp_path / "db"
    for argv in (
        ["import", "--db", str(root), str(empty)],
        ["import", "--dry-run", "--db", str(root), str(empty)],
    ):
        assert main(argv) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (
            f"credx: folder {empty} holds no file to import (*.json, *.xlsx, *.xls, *.ods, "
            "*.csv); nothing was imported\n"
        )
    assert not root.exists()
