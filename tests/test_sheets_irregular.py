"""Every irregularity of real academic-system exports that issue 12 lists, in files
written with xlsxwriter, openpyxl and by hand (the importer reads them with
python-calamine, another library): title rows and merged title cells, columns in any
order, extra columns (绩点, 开课学院), blank rows, numbers stored as text, 学号 that Excel
turned into a number or into scientific notation, 年度 for 年级, 补考二/重修一, a filled
课程类别 that wins over 课程性质, the 毕业学分 and 证书 sheets, GBK and UTF-8-with-BOM CSV,
a mapping file that renames columns and values; every problem at once, all or nothing."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

import openpyxl
import xlsxwriter

from credx_tui.cli import main
from credx_tui.store import Store

COLLEGE = "智能制造学院"
MAJOR = "云计算技术应用"


def _digest(root: Path) -> dict[str, tuple[int, str]]:
    """Every path of the store with its mode and the SHA-256 of a file's bytes."""
    found = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        found[str(path.relative_to(root))] = (
            st.st_mode,
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "",
        )
    return found


def _xlsxwriter_college(path: Path) -> Path:
    """A college as 正方 writes it, made with xlsxwriter: merged title rows, a blank
    row, columns in another order, 学号 as numbers, credits and years as text, 年度."""
    book = xlsxwriter.Workbook(str(path))
    roster = book.add_worksheet("学生名单")
    roster.merge_range("A1:H1", "示范职业技术学院 2023级学生名单")
    roster.merge_range("A2:H2", "导出时间：2026-12-01 09:00")
    header = ["序号", "姓名", "学号", "班级", "专业", "学院", "年度", "学籍号"]
    roster.write_row(3, 0, header)  # row 3 (Excel row 4): a blank row above it
    roster.write_row(4, 0, [1, "林书远", 2023110101, "云计算2301", MAJOR, COLLEGE])
    roster.write_string(4, 6, "2023")  # a number stored as text
    roster.write_string(4, 7, "G3204231101015")
    roster.write_row(6, 0, [2, "陈一鸣", 2023110102.0, "云计算2301", MAJOR, COLLEGE, 2023])
    plan = book.add_worksheet("人才培养方案")
    plan.write_row(0, 0, ["课程名称", "课程代码", "学分", "课程类别", "专业", "年级"])
    plan.write_row(1, 0, ["高等数学", "G0101", "4", "公共基础", MAJOR, "2023"])
    plan.write_row(2, 0, ["音乐鉴赏", "T2301", 2, "通识选修课", MAJOR, 2023])
    plan.write_row(3, 0, ["书法艺术", "T2302", "2.0", "通识选修课", MAJOR, 2023])
    graduation = book.add_worksheet("毕业学分")
    graduation.write_row(0, 0, ["专业", "年级", "课程类别", "最低学分"])
    graduation.write_row(1, 0, [MAJOR, 2023, "通识选修课", "4"])
    graduation.write_row(2, 0, [MAJOR, 2023, "公共基础课", 20])
    grades = book.add_worksheet("成绩")
    grades.merge_range("A1:L1", "学生成绩（含补考、重修）")
    grades.write_row(
        1,
        0,
        [
            "学号",
            "姓名",
            "学年",
            "学期",
            "课程代码",
            "课程名称",
            "课程性质",
            "课程类别",
            "学分",
            "成绩",
            "绩点",
            "考试性质",
            "开课学院",
        ],
    )
    rows = [
        [2023110101, "林书远", "2023-2024", "第一学期", "G0101", "高等数学", "必修", "", 4, 40],
        [2023110101, "林书远", "2023-2024", "第二学期", "G0101", "高等数学", "必修", "", 4, "45"],
        [2023110101, "林书远", "2024-2025", 1, "G0101", "高等数学", "必修", "", "4", 48],
        [2023110101, "林书远", "2023-2024", "1", "T2301", "音乐鉴赏", "认识选修", "", 2, "良好"],
        # 课程性质 says 必修 but the filled 课程类别 wins: 通识选修课.
        [2023110101, "林书远", "2023-2024", 2, "T2302", "书法艺术", "必修", "通识选修", 2, 78],
        [2023110102, "陈一鸣", "2023-2024", 1, "G0101", "高等数学", "必修", "", 4, 88],
    ]
    kinds = ["正常考试", "补考二", "重修一", "", "正常", "正常考试"]
    for i, (row, kind) in enumerate(zip(rows, kinds, strict=True)):
        grades.write_row(2 + i, 0, row)
        grades.write_row(2 + i, 10, ["1.0", kind, "基础部"])
    certificates = book.add_worksheet("竞赛集训学分")
    certificates.write_row(0, 0, ["证书编号", "学号", "名称", "类别", "学分", "获得日期"])
    certificates.write_row(
        1, 0, ["JS-2025-001", 2023110101, "云计算赛项校集训队", "竞赛集训", "2", "2025-04-30"]
    )
    certificates.write_row(
        2, 0, ["HJ-2025-002", "2023110102", "技能大赛省赛三等奖", "获奖", 3, "2025-05-18"]
    )
    book.close()
    return path


def test_an_xlsxwriter_college_with_every_irregularity(tmp_path: Path, capsys) -> None:
    book = _xlsxwriter_college(tmp_path / "正方导出.xlsx")
    root = tmp_path / "db"
    assert main(["import", "--db", str(root), str(book)]) == 0, capsys.readouterr().err
    store = Store(root)
    students = {s.id: s for s in store.students()}
    assert sorted(students) == ["2023110101", "2023110102"]
    assert students["2023110101"].grade_year == 2023
    assert students["2023110101"].enrollment_no == "G3204231101015"
    [programme] = store.programmes()
    assert programme.college == COLLEGE
    assert [(c.code, c.category.value, c.credits) for c in programme.courses] == [
        ("G0101", "公共基础课", 4.0),
        ("T2301", "通识选修课", 2.0),
        ("T2302", "通识选修课", 2.0),
    ]
    assert {k.value: v for k, v in programme.graduation.items()} == {
        "通识选修课": 4.0,
        "公共基础课": 20.0,
    }
    transcript = store.transcript("2023110101")
    math = transcript.record("G0101")
    assert [(a.kind.value, a.result, a.term.year, a.term.semester) for a in math.attempts] == [
        ("正常考试", "40", "2023-2024", 1),
        ("补考", "45", "2023-2024", 2),
        ("重修", "48", "2024-2025", 1),
    ]
    assert math.category.value == "公共基础课"  # 必修: the plan's category
    assert transcript.record("T2301").category.value == "通识选修课"
    assert transcript.record("T2302").category.value == "通识选修课"
    assert [a.kind.value for a in transcript.record("T2302").attempts] == ["正常考试"]
    assert [(c.id, c.kind.value, c.credits, c.date) for c in transcript.certificates] == [
        ("JS-2025-001", "竞赛集训学分", 2.0, "2025-04-30")
    ]
    other = store.transcript("2023110102").certificates
    assert [(c.id, c.kind.value) for c in other] == [("HJ-2025-002", "获奖证书")]
    # A failed 重修 after 补考: 高等数学 is now exchangeable (R1), as `credx check` says.
    capsys.readouterr()
    assert main(["check", "--db", str(root), "--student", "2023110101"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "高等数学" in x)
    assert "可兑换" in line


def test_certificates_merge_by_number_next_term(tmp_path: Path, capsys) -> None:
    root = tmp_path / "db"
    assert main(["import", "--db", str(root), str(_xlsxwriter_college(tmp_path / "a.xlsx"))]) == 0
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "获奖证书"
    ws.append(["学号", "证书编号", "证书名称", "证书类别", "学分", "发证日期"])
    ws.append(["2023110101", "JS-2025-001", "云计算赛项校集训队（更正）", "竞赛集训学分", 2, None])
    ws.append(["2023110101", "HJ-2026-010", "创新创业大赛校赛一等奖", "获奖证书", "1", None])
    ws["F2"] = "2025-04-30"
    ws["F3"] = datetime(2026, 3, 1)  # a real date cell, as Excel stores dates
    wb.save(tmp_path / "证书.xlsx")
    assert main(["import", "--db", str(root), str(tmp_path / "证书.xlsx")]) == 0, (
        capsys.readouterr().err
    )
    certs = Store(root).transcript("2023110101").certificates
    assert [(c.id, c.title, c.date) for c in certs] == [
        ("JS-2025-001", "云计算赛项校集训队（更正）", "2025-04-30"),
        ("HJ-2026-010", "创新创业大赛校赛一等奖", "2026-03-01"),
    ]


def test_csv_exports_in_gbk_and_utf8_bom_with_scientific_ids(tmp_path: Path, capsys) -> None:
    root = tmp_path / "db"
    assert main(["import", "--db", str(root), str(_xlsxwriter_college(tmp_path / "a.xlsx"))]) == 0
    text = (
        "学生成绩,,,,,,,,\r\n"
        ",,,,,,,,\r\n"
        "学号,学年,学期,课程代码,课程名称,课程性质,学分,成绩,考试性质\r\n"
        "2.023110102E+09,2024-2025,第2学期,T2301,音乐鉴赏,通识选修,2.0,中等,正常考试\r\n"
        ",,,,,,,,\r\n"
    )
    for encoding in ("gbk", "utf-8-sig"):
        path = tmp_path / f"成绩-{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        assert main(["import", "--db", str(root), str(path)]) == 0, capsys.readouterr().err
        record = Store(root).transcript("2023110102").record("T2301")
        assert [(a.result, a.term.semester) for a in record.attempts] == [("中等", 2)]


def test_a_mapping_file_renames_columns_and_values(tmp_path: Path, capsys) -> None:
    """Another system: 学生编号, 总评, 修读方式 '重修(一)', 学期 '秋'/'春', 课程性质 '公选'."""
    root = tmp_path / "db"
    assert main(["import", "--db", str(root), str(_xlsxwriter_college(tmp_path / "a.xlsx"))]) == 0
    default = (Path(__file__).parents[1] / "credx_tui" / "mappings" / "zhengfang.toml").read_text()
    mapping = tmp_path / "other-system.toml"
    mapping.write_text(
        default.replace('student_id = ["学号"]', 'student_id = ["学号", "学生编号"]')
        .replace('result = ["成绩", "总评成绩"]', 'result = ["成绩", "总评"]')
        .replace('exam_kind = ["考试性质", "成绩性质"]', 'exam_kind = ["修读方式"]')
        .replace('"重修二" = "重修"', '"重修二" = "重修"\n"重修(一)" = "重修"')
        .replace('"下" = 2', '"下" = 2\n"秋" = 1\n"春" = 2')
        .replace('"公共选修" = "通识选修课"', '"公共选修" = "通识选修课"\n"公选" = "通识选修课"')
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["学生编号", "学年", "学期", "课程代码", "课程名称", "课程性质", "学分", "总评", "修读方式"]
    )
    ws.append(["2023110102", "2024-2025", "春", "G0101", "高等数学", "必修", 4, 91, "重修(一)"])
    ws.append(["2023110102", "2024-2025", "秋", "T2399", "茶文化", "公选", 1, 85, "正常考试"])
    wb.save(tmp_path / "other.xlsx")
    capsys.readouterr()
    # With the default mapping the sheet is not recognised (no 学号 column)...
    assert main(["import", "--db", str(root), str(tmp_path / "other.xlsx")]) == 1
    assert "nothing was imported" in capsys.readouterr().err
    # ...with the registrar's mapping it is.
    argv = ["import", "--db", str(root), "--mapping", str(mapping), str(tmp_path / "other.xlsx")]
    assert main(argv) == 0, capsys.readouterr().err
    transcript = Store(root).transcript("2023110102")
    assert [(a.kind.value, a.result) for a in transcript.record("G0101").attempts] == [
        ("正常考试", "88"),
        ("重修", "91"),
    ]
    assert transcript.record("T2399").category.value == "通识选修课"
    # A broken mapping file is one line, nothing read.
    broken = tmp_path / "broken.toml"
    broken.write_text("[columns\n")
    capsys.readouterr()
    assert (
        main(["import", "--db", str(root), "--mapping", str(broken), str(tmp_path / "other.xlsx")])
        == 1
    )
    err = capsys.readouterr().err
    assert "broken.toml" in err and "nothing was imported" in err and err.count("\n") == 1


def test_every_problem_of_every_file_at_once_and_nothing_written(tmp_path: Path, capsys) -> None:
    root = tmp_path / "db"
    assert main(["import", "--db", str(root), str(_xlsxwriter_college(tmp_path / "a.xlsx"))]) == 0
    before = _digest(root)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成绩"
    ws.append(
        ["学号", "学年", "学期", "课程代码", "课程名称", "课程性质", "学分", "成绩", "考试性质"]
    )
    ws.append(["2023110101", "2025-2026", 1, "G0101", "高等数学", "必修", 4, 61, "重修"])  # good
    ws.append(["2.0231E+09", "2025-2026", 1, "G0101", "高等数学", "必修", 4, 70, "重修"])  # A3
    ws.append(["2023110101", "2025-2026", 9, "T2301", "音乐鉴赏", "认识选修", 2, 80, ""])  # C4
    wb.save(tmp_path / "b.xlsx")
    csv = tmp_path / "c.csv"
    csv.write_bytes(
        "学号,学年,学期,课程代码,课程名称,课程性质,学分,成绩,考试性质\r\n"
        "2023110102,2025-2026,1,G0101,高等数学,必修,4,A+,补考\r\n".encode("gbk")
    )
    capsys.readouterr()
    assert main(["import", "--db", str(root), str(tmp_path / "b.xlsx"), str(csv)]) == 1
    err = capsys.readouterr().err
    assert "3 problems in the import; nothing was imported" in err
    assert "b.xlsx: sheet 成绩, row 3, column 学号 (A3)" in err
    assert "b.xlsx: sheet 成绩, row 4, column 学期 (C4)" in err
    assert "c.csv: " in err and "(H2)" in err
    # All or nothing: the good row of b.xlsx was not written either.
    assert _digest(root) == before
    assert len(Store(root).transcript("2023110101").record("G0101").attempts) == 3
    assert not any(".part" in p or p.endswith(".tmp") for p in os.listdir(root))
