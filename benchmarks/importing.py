"""Import benchmark (issue 12, item 5): a whole college in, a term update, decisions out.

Generates once per size (into ``bench-data/import-N/``) the college of ``benchmarks.run``
(N students in 10 colleges, each with the 40 course records of ``benchmarks.college``,
and N/2 approved applications with their 流程跟踪) in two shapes:

- import-format JSON (``json/``): programmes, students, one transcripts file per college
  and the applications;
- the academic system's spreadsheets (``xlsx/`` and ``csv/``): 学生名单, 人才培养方案 with
  毕业学分, and 成绩 with one row per sitting (41 per student, 820,000 for 20,000),
  written with xlsxwriter and the csv module (never with calamine, credx's reader);
- a term update (``term/``): next term's 成绩 export, one 重修 row per student.

Then it times, each as a child process under ``/usr/bin/time`` (wall time and peak RSS
of that process alone): ``credx import`` of the JSON files, of the xlsx files and of the
csv files into empty stores (targets: <= 30 s, <= 500 MB), the term update into the
JSON-loaded store (target <= 30 s), and ``credx export approved`` of the store
(target <= 5 s for 10,000).

``CREDX_BENCH_STUDENTS=2000 python -m benchmarks.importing`` (or ``--students 2000``)
scales it down; the default is the issue's 20,000.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
COLLEGES = 10
RECORDS = 40
STAMP = "generated-v1"
TARGET_SECONDS = 30.0
TARGET_MB = 500.0
EXPORT_SECONDS = 5.0

GRADE_HEADERS = [
    "学年",
    "学期",
    "学号",
    "姓名",
    "课程代码",
    "课程名称",
    "课程性质",
    "课程类别",
    "学分",
    "成绩",
    "考试性质",
]


def sid(n: int) -> str:
    """The 学号 of student ``n`` (same scheme as ``benchmarks.run``)."""
    return f"30{n // 2000:02d}{n % 2000:06d}"


def college(n: int, students: int) -> str:
    """The college of student ``n``: ten colleges of equal size."""
    return f"基准学院{n * COLLEGES // students:02d}"


def _write_import(path: Path, documents: list[dict]) -> None:
    path.write_bytes(orjson.dumps({"format": "credx-import", "version": 1, "documents": documents}))


def generate(folder: Path, students: int) -> None:
    """Write the college as import JSON, xlsx and csv, and the term update."""
    import xlsxwriter

    from benchmarks.college import course_records

    if folder.exists():
        shutil.rmtree(folder)
    for sub in ("json", "xlsx", "csv", "term"):
        (folder / sub).mkdir(parents=True)
    records = [r.model_dump(mode="json") for r in course_records(RECORDS)]
    majors = {c: f"基准专业{c:02d}" for c in range(COLLEGES)}
    programmes = [
        {
            "type": "programme",
            "major": majors[c],
            "college": f"基准学院{c:02d}",
            "grade_year": 2024,
            "courses": [
                {k: r[k] for k in ("code", "name", "category", "credits")} for r in records
            ],
            "graduation": {"通识选修课": 8},
        }
        for c in range(COLLEGES)
    ]
    people = [
        {
            "type": "student",
            "id": sid(n),
            "name": f"学生{n}",
            "college": college(n, students),
            "major": f"基准专业{college(n, students)[-2:]}",
            "grade_year": 2024,
            "class_name": f"{n % 30 + 1}班",
        }
        for n in range(students)
    ]
    _write_import(folder / "json" / "programmes.json", programmes)
    _write_import(folder / "json" / "students.json", people)
    per_college = students // COLLEGES
    for c in range(COLLEGES):
        _write_import(
            folder / "json" / f"transcripts-{c:02d}.json",
            [
                {"type": "transcript", "student_id": sid(n), "records": records}
                for n in range(c * per_college, (c + 1) * per_college)
            ],
        )
    base = datetime(2026, 3, 2, tzinfo=UTC)
    applications = []
    for k in range(students // 2):
        n = (k * 2 + 1) % students
        at = base + timedelta(minutes=k)
        status = "审核通过"  # all approved: the export measures 10,000 of them
        actions = ["save", "submit"] + (
            ["approve"] if status == "审核通过" else ["return"] if status == "被退回" else []
        )
        applications.append(
            {
                "type": "application",
                "id": f"B{k:06d}",
                "student_id": sid(n),
                "college": college(n, students),
                "target": "M1",
                "sources": [{"kind": "通识选修课", "ref": f"C{j:02d}"} for j in (0, 1)],
                "status": status,
                "step": 0,
                "term": {"year": "2025-2026", "semester": 2},
                "created_at": at.isoformat(),
                "updated_at": (at + timedelta(days=2)).isoformat(),
                "events": [
                    {
                        "id": f"BE{k:06d}{i}",
                        "action": action,
                        "actor": "rev" if action in ("approve", "return") else sid(n),
                        "actor_role": "reviewer" if action in ("approve", "return") else "student",
                        "at": (
                            at + timedelta(days=2 * (action in ("approve", "return")))
                        ).isoformat(),
                        "reason": "材料不全" if action == "return" else "",
                        "status_after": "审核中" if action == "submit" else status,
                    }
                    for i, action in enumerate(actions)
                ],
            }
        )
    _write_import(folder / "json" / "applications.json", applications)

    # The spreadsheets: the same students, plans and sittings.
    student_rows = [
        [p["id"], p["name"], p["college"], p["major"], str(p["grade_year"]), p["class_name"]]
        for p in people
    ]
    student_headers = ["学号", "姓名", "学院", "专业", "年级", "班级"]
    plan_headers = ["专业", "年级", "学院", "课程代码", "课程名称", "课程类别", "学分"]
    plan_rows = [
        [p["major"], "2024", p["college"], c["code"], c["name"], c["category"], c["credits"]]
        for p in programmes
        for c in p["courses"]
    ]
    graduation_rows = [[p["major"], "2024", "通识选修课", 8] for p in programmes]

    def grade_rows(n: int) -> list[list[object]]:
        rows = []
        for r in records:
            nature = "认识选修" if r["category"] == "通识选修课" else "必修"
            for a in r["attempts"]:
                rows.append(
                    [
                        a["term"]["year"],
                        str(a["term"]["semester"]),
                        sid(n),
                        f"学生{n}",
                        r["code"],
                        r["name"],
                        nature,
                        r["category"],
                        r["credits"],
                        a["result"],
                        a["kind"],
                    ]
                )
        return rows

    def term_row(n: int) -> list[object]:
        return ["2025-2026", "1", sid(n), f"学生{n}", "M1", "高等数学(2-1)", "必修",
                "公共基础课", 4, "72", "重修"]  # fmt: skip

    def xlsx(path: Path, sheets: list[tuple[str, list[str], object]]) -> None:
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        for name, headers, rows in sheets:
            sheet = book.add_worksheet(name)
            sheet.write_row(0, 0, [f"{name}（基准学院导出）"])
            sheet.write_row(1, 0, headers)
            for index, row in enumerate(rows, start=2):
                sheet.write_row(index, 0, row)
        book.close()

    def csv_file(path: Path, headers: list[str], rows: object) -> None:
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            writer.writerows(rows)  # type: ignore[arg-type]

    def all_grades() -> object:
        return (row for n in range(students) for row in grade_rows(n))

    xlsx(folder / "xlsx" / "学生名单.xlsx", [("学生名单", student_headers, student_rows)])
    xlsx(
        folder / "xlsx" / "人才培养方案.xlsx",
        [
            ("人才培养方案", plan_headers, plan_rows),
            ("毕业学分", ["专业", "年级", "课程类别", "毕业学分"], graduation_rows),
        ],
    )
    xlsx(folder / "xlsx" / "成绩.xlsx", [("成绩", GRADE_HEADERS, all_grades())])
    csv_file(folder / "csv" / "学生名单.csv", student_headers, student_rows)
    csv_file(folder / "csv" / "人才培养方案.csv", plan_headers, plan_rows)
    csv_file(
        folder / "csv" / "毕业学分.csv", ["专业", "年级", "课程类别", "毕业学分"], graduation_rows
    )
    csv_file(folder / "csv" / "成绩.csv", GRADE_HEADERS, all_grades())
    xlsx(
        folder / "term" / "成绩-2025-2026-1.xlsx",
        [("成绩", GRADE_HEADERS, (term_row(n) for n in range(students)))],
    )
    (folder / STAMP).write_text("ok\n")


CPU = {"seconds": 0.0}
"""CPU seconds (user + system) of the last child timed: on a shared machine, where
wall time depends on the others' load, the figure that says what the work costs."""


def timed(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, output) of one child process, by ``/usr/bin/time``:
    the peak of that process alone, not of this one nor of earlier children."""
    with tempfile.NamedTemporaryFile(suffix=".time") as report:
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S", "-o", report.name, *args],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        peak_kb, user, system = (float(x) for x in Path(report.name).read_text().split()[-3:])
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    CPU["seconds"] = user + system
    return seconds, peak_kb / 1024, done.stdout


def _mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def measure(students: int | None = None, shapes: tuple[str, ...] = ("json", "xlsx", "csv")) -> None:
    """Generate (once) and time the imports (of ``shapes``), the term update and the
    export (those two need the JSON import)."""
    students = students or int(os.environ.get("CREDX_BENCH_STUDENTS", "20000"))
    folder = ROOT / "bench-data" / f"import-{students}"
    if not (folder / STAMP).exists():
        print(f"generating the import files ({students} students)...", flush=True)
        start = time.perf_counter()
        generate(folder, students)
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    credx = str(Path(sys.executable).with_name("credx"))
    grades = students * (RECORDS + 1)
    with tempfile.TemporaryDirectory(prefix="credx-import-", dir=folder) as tmp:
        stores = {}
        for shape in shapes:
            store = Path(tmp) / shape
            files = sorted(str(p) for p in (folder / shape).iterdir())
            seconds, mb, _ = timed([credx, "--db", str(store), "import", *files])
            stores[shape] = store
            what = "import files" if shape == "json" else f"{grades:,} grade rows"
            print(
                f"credx import {shape:4} ({students:,} students, {what}): {seconds:6.1f} s "
                f"(CPU {CPU['seconds']:5.1f} s), peak {mb:5.0f} MB   target <= {TARGET_SECONDS:g} s "
                f"(wall {_mark(seconds <= TARGET_SECONDS)}, CPU "
                f"{_mark(CPU['seconds'] <= TARGET_SECONDS)}), <= {TARGET_MB:g} MB "
                f"({_mark(mb <= TARGET_MB)})",
                flush=True,
            )
            if shape != "json":
                shutil.rmtree(store)
        if "json" not in stores:
            return
        store = stores["json"]
        term = [str(p) for p in sorted((folder / "term").iterdir())]
        seconds, mb, _ = timed([credx, "--db", str(store), "import", *term])
        print(
            f"term update ({students:,} 重修 rows into the store): {seconds:6.1f} s "
            f"(CPU {CPU['seconds']:5.1f} s), peak {mb:5.0f} MB   target <= {TARGET_SECONDS:g} s "
            f"(wall {_mark(seconds <= TARGET_SECONDS)}, CPU "
            f"{_mark(CPU['seconds'] <= TARGET_SECONDS)})",
            flush=True,
        )
        for suffix in (".xlsx", ".csv"):
            out = Path(tmp) / f"approved{suffix}"
            seconds, mb, text = timed(
                [credx, "--db", str(store), "export", "approved", "-o", str(out)]
            )
            print(
                f"credx export approved {suffix:5} ({text.split()[1]} rows): {seconds:6.2f} s "
                f"(CPU {CPU['seconds']:5.2f} s), peak {mb:5.0f} MB   target <= {EXPORT_SECONDS:g} s for 10,000 "
                f"(wall {_mark(seconds <= EXPORT_SECONDS)}, CPU "
                f"{_mark(CPU['seconds'] <= EXPORT_SECONDS)})",
                flush=True,
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=None, help="default 20000")
    parser.add_argument(
        "--shapes",
        default="json,xlsx,csv",
        help="imports to time, of json, xlsx, csv (default all three; the term update "
        "and the export need json)",
    )
    args = parser.parse_args()
    measure(args.students, tuple(s for s in args.shapes.split(",") if s))
