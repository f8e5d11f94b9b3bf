"""Issue 12, item 1: spreadsheets read in bounded memory give what the whole read gives.

A big xlsx sheet is handed to calamine a slice at a time (``credx_tui.xlsx_rows``) and
the rows of 成绩 and certificate sheets are spilled grouped by shard and converted a
shard at a time (``credx_tui.sheets.RowSpill``).  Here both paths are forced on the
test workbooks (slices of a few hundred bytes, every sheet "big") and must give the
same rows, the same stored college, the same problems in the same order, and a dry run
at that path must report what a real import does and write nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter
from test_sheets import GRADES, PLAN, STUDENTS, _book
from test_sheets_irregular import _xlsxwriter_college

from credx_tui import sheets, xlsx_rows
from credx_tui.cli import main


def _rows(path: Path) -> dict[str, list[tuple[int, list[str]]]]:
    """Every non-blank row of every sheet, as credx reads the cells (text)."""
    problems: list[sheets.SheetProblem] = []
    out = {}
    for name, rows in sheets._raw_sheets(path, str(path), problems):
        kept = []
        for number, cells in rows:
            texts = [sheets._text(c) for c in cells]
            while texts and not texts[-1]:
                texts.pop()
            if texts:
                kept.append((number, texts))
        out[name] = kept
    assert problems == []
    return out


@pytest.fixture
def sliced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every xlsx sheet read a slice at a time, slices of a few rows."""
    monkeypatch.setattr(xlsx_rows, "STREAM_XML_BYTES", -1)
    monkeypatch.setattr(xlsx_rows, "SLICE_BYTES", 700)


def _workbooks(tmp_path: Path) -> list[Path]:
    irregular = _xlsxwriter_college(tmp_path / "正方导出.xlsx")
    plain = _book(tmp_path / "college.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": GRADES})
    merged = _book(tmp_path / "merged.xlsx", {"成绩": GRADES}, merge="A1:J1")
    offset = tmp_path / "offset.xlsx"  # data starting at C5, a date, a bool, an empty sheet
    book = xlsxwriter.Workbook(str(offset))
    sheet = book.add_worksheet("成绩")
    for r, row in enumerate(GRADES):
        sheet.write_row(4 + r, 2, row)
    sheet.write_datetime(
        40, 2, datetime(2025, 5, 18), book.add_format({"num_format": "yyyy-mm-dd"})
    )
    sheet.write_boolean(41, 3, True)
    sheet.write_string(42, 4, 'a&b <c> "d"')
    book.add_worksheet("空")
    book.close()
    return [irregular, plain, merged, offset]


def test_slices_read_what_calamine_reads_whole(tmp_path: Path, monkeypatch) -> None:
    books = _workbooks(tmp_path)
    whole = [_rows(b) for b in books]
    monkeypatch.setattr(xlsx_rows, "STREAM_XML_BYTES", -1)
    for size in (300, 700, 1 << 20):
        monkeypatch.setattr(xlsx_rows, "SLICE_BYTES", size)
        assert [_rows(b) for b in books] == whole, size
    assert any(len(rows) > 5 for found in whole for rows in found.values())


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for folder, dirs, names in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def _store_json(root: Path) -> dict[str, object]:
    """The stored students, transcripts and programmes (ids and stamps left out)."""
    out: dict[str, object] = {}
    for path in sorted((root / "bulk").rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for table, docs in data.items():
            if table != "_meta":
                out.setdefault(table, []).extend(  # type: ignore[union-attr]
                    sorted(json.dumps(d, sort_keys=True, ensure_ascii=False) for d in docs.values())
                )
    return out


def test_the_streamed_import_stores_what_the_whole_read_stores(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    book = _xlsxwriter_college(tmp_path / "正方导出.xlsx")
    assert main(["import", "--db", str(tmp_path / "whole"), str(book)]) == 0
    monkeypatch.setattr(xlsx_rows, "STREAM_XML_BYTES", -1)
    monkeypatch.setattr(xlsx_rows, "SLICE_BYTES", 500)
    monkeypatch.setattr(sheets, "SPILL_ROWS", 3)  # the row spill flushed many times
    assert main(["import", "--db", str(tmp_path / "sliced"), str(book)]) == 0
    assert _store_json(tmp_path / "sliced") == _store_json(tmp_path / "whole")


def test_problems_of_spilled_rows_come_in_the_sheets_order(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    grades = [row[:] for row in GRADES]
    grades[2][2] = "2.0231E+09"  # 学号 lost in scientific notation
    grades[3][8] = "A+"
    grades[4][9] = "缓考"
    grades[5][7] = "x"
    book = _book(tmp_path / "college.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": grades})
    assert main(["import", "--db", str(tmp_path / "a"), str(book)]) == 1
    whole = capsys.readouterr().err
    monkeypatch.setattr(xlsx_rows, "STREAM_XML_BYTES", -1)
    monkeypatch.setattr(xlsx_rows, "SLICE_BYTES", 400)
    monkeypatch.setattr(sheets, "SPILL_ROWS", 2)
    assert main(["import", "--db", str(tmp_path / "b"), str(book)]) == 1
    assert capsys.readouterr().err == whole
    assert "(C3)" in whole and not (tmp_path / "b" / "bulk").exists()


def test_a_spreadsheet_dry_run_at_the_big_file_path_writes_nothing(
    tmp_path: Path, sliced, monkeypatch, capsys
) -> None:
    root = tmp_path / "store"
    first = _book(tmp_path / "college.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": GRADES})
    assert main(["import", "--db", str(root), str(first)]) == 0
    sid, name = "2023110101", "林书远"
    update = _book(
        tmp_path / "next.xlsx",
        {
            "成绩": [
                *GRADES[:2],
                ["2024-2025", 1, sid, name, "G0101", "高等数学", "必修", 4, 45, "重修"],
            ]
        },
    )
    monkeypatch.setattr(sheets, "SPILL_ROWS", 1)
    capsys.readouterr()
    before = _digest(root)
    assert main(["import", "--db", str(root), "--dry-run", "--json", str(update)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert _digest(root) == before
    assert report["written"] is False
    changed = [t for t in report["transcripts"] if t["student_id"] == str(sid)]
    assert changed and any("重修 45" in s for s in changed[0]["sittings_added"])
    assert main(["import", "--db", str(root), str(update)]) == 0
    assert "transcripts: 1 written" in capsys.readouterr().out
