"""The student's header line (学号, 姓名, 学生类别, 学院, 年度, 专业), as the 学分兑换
page heads it (S3)."""

from __future__ import annotations

from rich.text import Text

from credx_tui.i18n import t, term
from policy.models import Student


def student_header(student: Student, lang: str, kind: bool = True) -> Text:
    """The header as plain text (student data never reaches markup)."""
    fields = [("field.id", student.id), ("field.name", student.name)]
    if kind:
        fields.append(("field.kind", term(student.kind, lang)))
    fields += [
        ("field.college", student.college),
        ("field.year", str(student.grade_year)),
        ("field.major", student.major),
    ]
    text = Text()
    for i, (key, value) in enumerate(fields):
        if i:
            text.append("  ")
        text.append(f"{t(key, lang)} ", style="bold")
        text.append(value)
    return text
