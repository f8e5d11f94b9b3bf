"""Print each term's GPA of a demo student and compare it with the printed 学业成绩单.

    .venv/bin/python scripts/check_demo_gpa.py [STUDENT_ID]

The formula is procedure.md's (Grades), applied to the fixture's raw JSON without
the policy package: for each course with credits > 0 the first passing attempt counts,
else the last one; a score s >= 60 gives (s - 50) / 10, below 60 it gives 0; levels
give 优秀 4.5, 良好 3.5, 中等 2.5, 及格 1.5, 合格 2.5, 不及格/不合格/缺考 0.  Term GPA =
sum(credits x grade point) / sum(credits), rounded half-up to 2 decimals.  Exits 1 on
a mismatch with the seed's printed GPAs.
"""

from __future__ import annotations

import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

TRANSCRIPTS = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "transcripts.json"

LEVELS = {
    "优秀": Decimal("4.5"),
    "良好": Decimal("3.5"),
    "中等": Decimal("2.5"),
    "及格": Decimal("1.5"),
    "合格": Decimal("2.5"),
    "不及格": Decimal(0),
    "不合格": Decimal(0),
    "缺考": Decimal(0),
}
PASSING_LEVELS = {"优秀", "良好", "中等", "及格", "合格"}

PRINTED = {
    "2018-2019/1": Decimal("2.09"),
    "2018-2019/2": Decimal("0.80"),
    "2019-2020/1": Decimal("0.66"),
    "2019-2020/2": Decimal("2.18"),
    "2020-2021/1": Decimal("1.97"),
    "2020-2021/2": Decimal("1.16"),
}
"""学期平均学分绩点 as the seed's scan prints them, for student 2018110101."""


def passes(result: str) -> bool:
    return result in PASSING_LEVELS if result in LEVELS else Decimal(result) >= 60


def grade_point(result: str) -> Decimal:
    if result in LEVELS:
        return LEVELS[result]
    score = Decimal(result)
    return (score - 50) / 10 if score >= 60 else Decimal(0)


def counted_result(attempts: list[dict]) -> str:
    """The first passing attempt, else the last one."""
    return next((a["result"] for a in attempts if passes(a["result"])), attempts[-1]["result"])


def term_gpas(transcript: dict) -> dict[str, Decimal]:
    """Term label (``2018-2019/1``) to its GPA, rounded half-up to 2 decimals."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for record in transcript["records"]:
        credits = Decimal(str(record["credits"]))
        if credits <= 0 or not record["attempts"]:
            continue
        label = f"{record['term']['year']}/{record['term']['semester']}"
        weighted, total = sums.get(label, (Decimal(0), Decimal(0)))
        point = grade_point(counted_result(record["attempts"]))
        sums[label] = (weighted + credits * point, total + credits)
    return {
        label: (weighted / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for label, (weighted, total) in sorted(sums.items())
    }


def transcript_of(student_id: str, path: Path = TRANSCRIPTS) -> dict:
    documents = json.loads(path.read_text(encoding="utf-8"))["documents"]
    return next(d for d in documents if d["student_id"] == student_id)


def main(argv: list[str]) -> int:
    student_id = argv[1] if len(argv) > 1 else "2018110101"
    gpas = term_gpas(transcript_of(student_id))
    ok = True
    for label, gpa in gpas.items():
        printed = PRINTED.get(label) if student_id == "2018110101" else None
        mark = "" if printed is None else ("ok" if printed == gpa else f"PRINTED {printed}")
        ok = ok and (printed is None or printed == gpa)
        print(f"{label}  {gpa:>5}  {mark}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
