"""A small invented college for the store and service tests.

Kept apart from the demo fixtures so that these tests say exactly which facts they
rely on: one major, one student (2099010101, 测试同学) with 高等数学(2-1) and 英语(2-2)
failed after 补考, 6 credits of passed 通识选修课 in three courses, and one reviewer of
the student's college plus one of another college."""

from __future__ import annotations

from pathlib import Path

from credx_tui.importing import AccountSpec, ImportBundle
from credx_tui.services import Actor, Services
from credx_tui.services.loading import apply_bundle
from credx_tui.store import Store
from policy.models import (
    Attachment,
    Attempt,
    AttemptKind,
    Category,
    CourseRecord,
    Programme,
    ProgrammeCourse,
    Student,
    Term,
    Transcript,
)

COLLEGE = "测试学院"
OTHER_COLLEGE = "另一学院"
STUDENT = "2099010101"
OTHER_STUDENT = "2099020101"
T1 = Term(year="2024-2025", semester=1)
T2 = Term(year="2024-2025", semester=2)


def _course(
    code: str, name: str, category: Category, credits: float, *results: str
) -> CourseRecord:
    kinds = [AttemptKind.REGULAR, AttemptKind.MAKEUP, AttemptKind.RETAKE]
    return CourseRecord(
        code=code,
        name=name,
        category=category,
        credits=credits,
        term=T1,
        attempts=[
            Attempt(kind=kinds[i], result=r, term=T1 if i == 0 else T2)
            for i, r in enumerate(results)
        ],
    )


def bundle() -> ImportBundle:
    """The documents of the test college."""
    records = [
        _course("M1", "高等数学(2-1)", Category.PUBLIC_FOUNDATION, 4, "40", "45"),
        _course("E2", "英语(2-2)", Category.PUBLIC_FOUNDATION, 2, "30", "50"),
        _course("G1", "书法鉴赏", Category.GENERAL_ELECTIVE, 2, "80"),
        _course("G2", "戏曲鉴赏", Category.GENERAL_ELECTIVE, 2, "75"),
        _course("G3", "西方美术欣赏", Category.GENERAL_ELECTIVE, 2, "90"),
        _course("X1", "形势与政策(2-1)", Category.IDEOLOGY, 1, "20", "30"),
    ]
    programme = Programme(
        major="测试专业",
        college=COLLEGE,
        grade_year=2024,
        courses=[
            ProgrammeCourse(code=r.code, name=r.name, category=r.category, credits=r.credits)
            for r in records
        ],
        graduation={Category.GENERAL_ELECTIVE: 2},
    )
    other_programme = programme.model_copy(update={"major": "别的专业", "college": OTHER_COLLEGE})
    students = [
        Student(id=STUDENT, name="测试同学", college=COLLEGE, major="测试专业", grade_year=2024),
        Student(
            id=OTHER_STUDENT,
            name="别院同学",
            college=OTHER_COLLEGE,
            major="别的专业",
            grade_year=2024,
        ),
    ]
    transcripts = [
        Transcript(student_id=STUDENT, records=records),
        Transcript(student_id=OTHER_STUDENT, records=records),
    ]
    accounts = [
        AccountSpec(username=STUDENT, role="student", password="pw"),
        AccountSpec(username=OTHER_STUDENT, role="student", password="pw"),
        AccountSpec(username="rev", role="reviewer", colleges=[COLLEGE], password="pw"),
        AccountSpec(username="rev_other", role="reviewer", colleges=[OTHER_COLLEGE], password="pw"),
        AccountSpec(username="admin", role="admin", password="pw"),
    ]
    return ImportBundle(
        programmes=[programme, other_programme],
        students=students,
        transcripts=transcripts,
        accounts=accounts,
    )


def login(services: Services, username: str) -> Actor:
    """Log in a test account (every password is ``pw``)."""
    return services.login(username, "pw").actor


def make_store(root: Path | str) -> Store:
    """A fresh store at ``root`` (a folder, or a PostgreSQL URL) holding the test
    college."""
    from credx_tui.store.opening import open_store

    store = open_store(root, create=True)
    apply_bundle(store, bundle())  # type: ignore[arg-type]
    return store  # type: ignore[return-value]


def png_bytes(tag: str = "") -> bytes:
    """A small valid PNG (Pillow); ``tag`` makes its bytes, and so its SHA-256, differ."""
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    image = Image.new("RGB", (8, 8), "white")
    out = io.BytesIO()

    info = PngInfo()
    info.add_text("credx", tag or "shot")
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def shot(services: Services, actor: Actor, name: str = "成绩截图.png") -> list[Attachment]:
    """One grade screenshot stored for ``actor`` the student's own way (the content
    check, then :meth:`Services.store_upload`): what S4 asks for before a submit."""
    from credx_tui.services import attachment_check

    payload = png_bytes(actor.username)
    detected = attachment_check.check_content(payload, name, services.rules.attachments)
    return [services.store_upload(actor, services.student(actor), payload, detected)]


def location(store: object) -> str:
    """Where another process finds ``store``: its folder, or its database URL."""
    root = getattr(store, "root", None)
    return str(root) if root is not None else store.url  # type: ignore[attr-defined]


def reopen(store: object) -> Store:
    """The same store opened again, as a second terminal would."""
    from credx_tui.store.opening import open_store

    return open_store(location(store))  # type: ignore[return-value]


def hot_text(store: object, college: str, student_id: str) -> str:
    """Everything stored in the student's hot bucket, as text: the hot file, or the
    bucket's rows of the database (to prove what is, or is not, kept there)."""
    if getattr(store, "root", None) is not None:
        return store.hot_path(college, student_id).read_text()  # type: ignore[attr-defined]
    from credx_tui.store.store import college_key, hot_bucket

    key = (college_key(college), hot_bucket(student_id))
    parts = []
    for table in ("applications", "events", "uploads", "links"):
        rows = store._fetch(  # type: ignore[attr-defined]
            f"SELECT doc::text FROM {table} WHERE key = %s AND bucket = %s ORDER BY 1", key
        )
        parts.extend(r[0] for r in rows)
    return "\n".join(parts)
