"""The student's header line (学号, 姓名, 学生类别, 学院, 年度, 专业), as the 学分兑换
page heads it (S3)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from credx_tui.i18n import t, term
from policy.models import Student


def student_header(
    student: Student,
    lang: str,
    kind: bool = True,
    width: int = 0,
    extra: tuple[tuple[str, str], ...] = (),
) -> Text:
    """The header as plain text (student data never reaches markup).  With ``width``
    (cells) a field that does not fit on the line starts the next one whole, so a
    major is never cut in two at 80 columns (``专业 云计算技术应`` / ``用``, ux15b);
    ``extra`` are more (catalogue key, value) fields after these."""
    fields = [("field.id", student.id), ("field.name", student.name)]
    if kind:
        fields.append(("field.kind", term(student.kind, lang)))
    fields += [
        ("field.college", student.college),
        ("field.year", str(student.grade_year)),
        ("field.major", student.major),
        *extra,
    ]
    text = Text()
    used = 0
    for i, (key, value) in enumerate(fields):
        label = f"{t(key, lang)} "
        cells = cell_len(label + value)
        if i and width and used + 2 + cells > width:
            text.append("\n")
            used = 0
        elif i:
            text.append("  ")
            used += 2
        text.append(label, style="bold")
        text.append(value)
        used += cells
    return text
