"""`credx import --dry-run` (issue 12 item 2): the real import's checks, a report of
what would change, and not one byte of the store touched.  Spreadsheets are written
with openpyxl; the importer reads them with python-calamine."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import openpyxl

from credx_tui.cli import main

HEAD = [
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
]
STUDENTS = [
    ["学生名单（教务处导出）"],
    ["学号", "姓名", "学院", "专业", "年级", "班级"],
    ["2023110101", "林书远", "智能制造学院", "云计算技术应用", 2023, "云计算2301"],
]
PLAN = [
    ["专业", "年级", "课程代码", "课程名称", "课程类别", "学分", "学院"],
    ["云计算技术应用", 2023, "G0101", "高等数学", "公共基础课", 4, "智能制造学院"],
    ["云计算技术应用", 2023, "T2301", "音乐鉴赏", "通识选修课", 2, "智能制造学院"],
    ["云计算技术应用", 2023, "T2302", "书法艺术", "通识选修课", 2, "智能制造学院"],
]
GRADES = [
    HEAD,
    ["2023-2024", 1, "2023110101", "林书远", "G0101", "高等数学", "必修", 4, 40, "正常考试"],
    ["2023-2024", 1, "2023110101", "林书远", "T2301", "音乐鉴赏", "通识选修", 2, "良好", ""],
    ["2023-2024", 2, "2023110101", "林书远", "T2302", "书法艺术", "通识选修", 2, 78, ""],
]
NEXT_STUDENTS = [*STUDENTS, ["2023110109", "赵晓禾", "智能制造学院", "云计算技术应用", 2023, ""]]
NEXT_GRADES = [
    HEAD,
    ["2024-2025", 1, "2023110101", "林书远", "G0101", "高等数学", "必修", 4, 45, "重修"],
    ["2024-2025", 1, "2023110109", "赵晓禾", "G0101", "高等数学", "必修", 4, 82, "正常考试"],
]


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _fingerprint(root: Path) -> dict[str, tuple[int, str]]:
    """Every path under the store with its mode and (for files) the SHA-256 of its bytes."""
    found: dict[str, tuple[int, str]] = {".": (os.stat(root).st_mode, "")}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        found[str(path.relative_to(root))] = (st.st_mode, digest)
    return found


def _loaded(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    first = _book(tmp_path / "c.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": GRADES})
    assert main(["import", "--db", str(root), str(first)]) == 0
    return root


def test_dry_run_reports_and_writes_nothing(tmp_path: Path, capsys) -> None:
    root = _loaded(tmp_path)
    update = _book(tmp_path / "next.xlsx", {"学生名单": NEXT_STUDENTS, "成绩": NEXT_GRADES})
    capsys.readouterr()
    before = _fingerprint(root)
    assert main(["import", "--dry-run", "--db", str(root), str(update)]) == 0
    out = capsys.readouterr().out
    assert _fingerprint(root) == before
    assert "试运行" in out and "未写入任何内容" in out
    assert "学生：新增 1，变更 0" in out and "+ 2023110109 赵晓禾" in out
    assert "+ G0101 高等数学 重修 45 2024-2025学年 第1学期" in out
    assert "将变为可兑换的课程：1" in out and "2023110101 G0101 高等数学" in out
    # English with the global option, the same facts.
    assert main(["--lang", "en", "import", "--dry-run", "--db", str(root), str(update)]) == 0
    out = capsys.readouterr().out
    assert "students: 1 added, 0 changed" in out and "courses that become exchangeable: 1" in out
    assert _fingerprint(root) == before


def test_term_update_makes_a_course_exchangeable_in_check(tmp_path: Path, capsys) -> None:
    """R1: 高等数学 failed only at 正常考试 is not offered; a failed 重修 makes it so."""
    root = _loaded(tmp_path)
    capsys.readouterr()
    assert main(["check", "--db", str(root), "--student", "2023110101"]) == 0
    math = next(line for line in capsys.readouterr().out.splitlines() if "高等数学" in line)
    assert "可兑换" not in math and "R1" in math
    update = _book(tmp_path / "next.xlsx", {"学生名单": NEXT_STUDENTS, "成绩": NEXT_GRADES})
    assert main(["import", "--db", str(root), str(update)]) == 0
    capsys.readouterr()
    assert main(["check", "--db", str(root), "--student", "2023110101"]) == 0
    math = next(line for line in capsys.readouterr().out.splitlines() if "高等数学" in line)
    assert "可兑换" in math
    # Once imported, a second dry run of the same file has nothing left to report.
    assert main(["import", "--dry-run", "--db", str(root), str(update)]) == 0
    out = capsys.readouterr().out
    assert "学生：新增 0，变更 0" in out and "将变为可兑换的课程：0" in out


def test_invalid_file_in_dry_run(tmp_path: Path, capsys) -> None:
    root = _loaded(tmp_path)
    grades = [row[:] for row in NEXT_GRADES]
    grades[1][2] = "2.0231E+09"  # C2: Excel ate the digits
    bad = _book(tmp_path / "bad.xlsx", {"成绩": grades})
    capsys.readouterr()
    before = _fingerprint(root)
    assert main(["import", "--dry-run", "--db", str(root), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "sheet 成绩, row 2, column 学号 (C2)" in err and "nothing was imported" in err
    assert _fingerprint(root) == before
    # The same message a real import gives.
    assert main(["import", "--db", str(root), str(bad)]) == 1
    assert capsys.readouterr().err == err


def test_dry_run_into_no_store_creates_nothing(tmp_path: Path, capsys) -> None:
    root = tmp_path / "new-store"
    book = _book(tmp_path / "c.xlsx", {"学生名单": STUDENTS, "方案": PLAN, "成绩": GRADES})
    assert main(["import", "--dry-run", "--db", str(root), str(book)]) == 0
    out = capsys.readouterr().out
    assert "+ 2023110101 林书远" in out and "人才培养方案：新增 1，变更 0" in out
    assert not root.exists()


def test_submitted_application_whose_target_changes(tmp_path: Path, capsys) -> None:
    """A 重修 on the target of XF2026-0002 (审核中, demo college) is named in the report."""
    from fixtures import DEMO_DIR

    root = tmp_path / "demo"
    assert main(["import", "--db", str(root), str(DEMO_DIR)]) == 0
    grades = [
        HEAD,
        ["2025-2026", 1, "2023110102", "周雨桐", "YJ23111", "虚拟化技术", "必修", 4, 48, "重修"],
    ]
    update = _book(tmp_path / "next.xlsx", {"成绩": grades})
    capsys.readouterr()
    before = _fingerprint(root)
    assert main(["import", "--dry-run", "--db", str(root), str(update)]) == 0
    out = capsys.readouterr().out
    assert _fingerprint(root) == before
    assert "提交后目标课程或认定来源有变化的申请：1" in out
    assert "XF2026-0002 2023110102 审核中 目标课程 YJ23111" in out
    assert main(["--lang", "en", "import", "--dry-run", "--db", str(root), str(update)]) == 0
    assert "XF2026-0002 2023110102 审核中 target YJ23111" in capsys.readouterr().out


def test_summary_block_counts(tmp_path: Path, capsys) -> None:
    """The block a registrar reads first: the counts of everything above it."""
    root = _loaded(tmp_path)
    update = _book(tmp_path / "next.xlsx", {"学生名单": NEXT_STUDENTS, "成绩": NEXT_GRADES})
    capsys.readouterr()
    assert main(["import", "--dry-run", "--db", str(root), str(update)]) == 0
    out = capsys.readouterr().out.splitlines()
    block = out[out.index("== 汇总（试运行，未写入） ==") :]
    assert block == [
        "== 汇总（试运行，未写入） ==",
        "学生：新增 1，变更 0",
        "课程记录：新增 1，变更 1（新增考试记录 2，涉及 2 份成绩单）",
        "证书：新增或变更 0",
        "人才培养方案：新增 0，变更 0",
        "将变为可兑换的课程：1",
        "受影响的已提交申请：0",
    ]
    assert main(["--lang", "en", "import", "--dry-run", "--db", str(root), str(update)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-6:] == [
        "students: 1 added, 0 changed",
        "course records: 1 added, 1 changed (2 sittings added, 2 transcripts)",
        "certificates added or changed: 0",
        "programmes: 0 added, 0 changed",
        "courses that become exchangeable: 1",
        "submitted applications affected: 0",
    ]


def test_dry_run_json_is_one_stable_object(tmp_path: Path, capsys) -> None:
    import json

    from fixtures import DEMO_DIR

    root = tmp_path / "demo"
    assert main(["import", "--db", str(root), str(DEMO_DIR)]) == 0
    grades = [
        HEAD,
        ["2025-2026", 1, "2023110102", "周雨桐", "YJ23111", "虚拟化技术", "必修", 4, 48, "重修"],
    ]
    update = _book(tmp_path / "next.xlsx", {"成绩": grades})
    capsys.readouterr()
    before = _fingerprint(root)
    assert main(["import", "--dry-run", "--json", "--db", str(root), str(update)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert _fingerprint(root) == before
    assert list(data) == [
        "format",
        "version",
        "ok",
        "written",
        "summary",
        "students_added",
        "students_changed",
        "transcripts",
        "courses_become_exchangeable",
        "applications_affected",
        "in_files",
    ]
    assert (data["format"], data["version"], data["ok"], data["written"]) == (
        "credx-dry-run",
        1,
        True,
        False,
    )
    assert data["summary"] == {
        "students_added": 0,
        "students_changed": 0,
        "transcripts_changed": 1,
        "records_added": 0,
        "records_changed": 1,
        "sittings_added": 1,
        "certificates_changed": 0,
        "programmes_added": 0,
        "programmes_changed": 0,
        "courses_become_exchangeable": 0,
        "applications_affected": 1,
    }
    assert data["applications_affected"] == [
        {
            "id": "XF2026-0002",
            "student_id": "2023110102",
            "status": "审核中",
            "changed": [{"role": "target", "ref": "YJ23111"}],
        }
    ]
    [change] = data["transcripts"]
    assert change["student_id"] == "2023110102" and change["sittings"] == 1
    assert change["sittings_added"] == ["YJ23111 虚拟化技术 重修 48 2025-2026学年 第1学期"]


def test_dry_run_json_of_a_refused_file(tmp_path: Path, capsys) -> None:
    import json

    root = _loaded(tmp_path)
    grades = [row[:] for row in NEXT_GRADES]
    grades[1][2] = "2.0231E+09"
    bad = _book(tmp_path / "bad.xlsx", {"成绩": grades})
    capsys.readouterr()
    before = _fingerprint(root)
    assert main(["import", "--dry-run", "--json", "--db", str(root), str(bad)]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["ok"] is False and data["written"] is False
    # The same problems the text gives, one object each, located.
    texts = [p["text"] for p in data["problems"]]
    assert captured.err.splitlines()[1:] == [f"  {t}" for t in texts]
    problem = data["problems"][0]
    assert problem["file"] == str(bad)
    assert problem["location"] == "sheet 成绩, row 2, column 学号 (C2)"
    assert "nothing was imported" in captured.err
    # --json belongs to the dry run: a real import with it is a usage error, nothing read.
    assert main(["import", "--json", "--db", str(root), str(bad)]) == 2
    assert "--json goes with --dry-run" in capsys.readouterr().err
    assert _fingerprint(root) == before
