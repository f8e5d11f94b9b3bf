"""The demo college (fixtures/demo, docs/demo-college.md) holds what it promises.

Student 2018110101 carries the seed guide's 学业成绩单; its term GPAs are computed here
with procedure.md's formula directly (not with the policy package), so the fixture is
checked independently of the code that will display it.  The other tests make sure
every rule case the demo is for is really in the data.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from credx_tui.importing import ImportBundle, parse_files
from policy.models import AttemptKind, Category, CourseRecord, Role, SourceKind, Status
from policy.rules import load_rules

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
SEED = "2018110101"
ZN, HG = "智能制造学院", "化工与制药工程学院"

LEVEL_POINTS = {
    "优秀": Decimal("4.5"),
    "良好": Decimal("3.5"),
    "中等": Decimal("2.5"),
    "及格": Decimal("1.5"),
    "不及格": Decimal(0),
    "合格": Decimal("2.5"),
    "不合格": Decimal(0),
    "缺考": Decimal(0),
}
PASSING_LEVELS = {"优秀", "良好", "中等", "及格", "合格"}

# The scan, column by column: (term, course name, 课程性质, credits).  Two names are read
# through the OCR (see docs/demo-college.md): 英语教学(2-1) is 高等数学(2-1) (it sorts
# between 大学生领导论 and 个人理财规划), 模块(2-2) is 概论(2-2).
SCAN = [
    ("2018-2019/1", "程序设计基础", "必修", 2),
    ("2018-2019/1", "传统文化与代运营管理(尔雅)", "认识选修", 2),
    ("2018-2019/1", "从草创到繁荣: 流行音乐导论(尔雅)", "认识选修", 2),
    ("2018-2019/1", "大学生的创新基础(尔雅)", "认识选修", 2),
    ("2018-2019/1", "大学生领导论(尔雅)", "认识选修", 3),
    ("2018-2019/1", "高等数学(2-1)", "必修", 4),
    ("2018-2019/1", "个人理财规划(尔雅)", "认识选修", 2),
    ("2018-2019/1", "计算机网络基础", "必修", 3),
    ("2018-2019/1", "计算机应用基础", "必修", 4),
    ("2018-2019/1", "入学教育与军训", "必修", 2.5),
    ("2018-2019/1", "书法鉴赏(尔雅)", "认识选修", 2),
    ("2018-2019/1", "思想道德修养与法律基础", "必修", 3),
    ("2018-2019/1", "体育与健康(一)", "必修", 3),
    ("2018-2019/1", "西方美术欣赏(尔雅)", "认识选修", 2),
    ("2018-2019/1", "戏曲鉴赏(尔雅)", "认识选修", 2),
    ("2018-2019/1", "形势与政策(2-1)", "必修", 1),
    ("2018-2019/1", "英语(2-1)", "必修", 4),
    ("2018-2019/2", "创新创业导论", "必修", 2),
    ("2018-2019/2", "大学生心理健康教育", "必修", 2),
    ("2018-2019/2", "概论(2-1)", "必修", 4),
    ("2018-2019/2", "高等数学(2-2)", "必修", 4),
    ("2018-2019/2", "军事理论", "必修", 2),
    ("2018-2019/2", "数据库应用基础", "必修", 3),
    ("2018-2019/2", "体育与健康(二)", "必修", 2),
    ("2018-2019/2", "形势与政策(2-2)", "必修", 1),
    ("2018-2019/2", "英语(2-2)", "必修", 4),
    ("2018-2019/2", "云计算概论", "必修", 2),
    ("2019-2020/1", "IT新技术", "认识选修", 1.5),
    ("2019-2020/1", "Linux应用技术", "必修", 3),
    ("2019-2020/1", "Tric创新基础", "认识选修", 2),
    ("2019-2020/1", "UI设计", "认识选修", 3),
    ("2019-2020/1", "概论(2-2)", "必修", 2),
    ("2019-2020/1", "建筑材料——石膏涂料", "认识选修", 2),
    ("2019-2020/1", "路由与交换技术", "必修", 5),
    ("2019-2020/1", "企业体验实习", "必修", 3),
    ("2019-2020/1", "水泥与混凝土", "认识选修", 2),
    ("2019-2020/1", "体育与健康(三)", "必修", 2),
    ("2019-2020/1", "网络应用", "专业拓展", 3),
    ("2019-2020/1", "职业沟通技巧", "必修", 3),
    ("2019-2020/2", "大学生就业指导", "必修", 1.5),
    ("2019-2020/2", "公共法律理论与实践", "必修", 3),
    ("2019-2020/2", "计算机基础", "认识选修", 2),
    ("2019-2020/2", "软件实施与运维", "专业拓展", 4),
    ("2019-2020/2", "数据中心技术", "必修", 3),
    ("2019-2020/2", "网络商务实训", "必修", 3),
    ("2019-2020/2", "云计算理论与应用", "专业拓展", 3),
    ("2019-2020/2", "英语听力视听说", "必修", 4),
    ("2019-2020/2", "桌面云技术与应用", "专业拓展", 3),
    ("2020-2021/1", "毕业设计(论文)", "必修", 8),
    ("2020-2021/1", "公共英语实训", "专业拓展", 4),
    ("2020-2021/1", "数字存储技术", "必修", 3),
    ("2020-2021/1", "无人机技术", "认识选修", 2),
    ("2020-2021/1", "新媒体制作", "认识选修", 3),
    # The scan's first "2020-2021学年 第2学期" heading is a column break of term 1.
    ("2020-2021/1", "云安全技术", "必修", 2),
    ("2020-2021/1", "安全技术实训", "必修", 2),
    ("2020-2021/2", "毕业跟岗实习", "必修", 17),
    ("2020-2021/2", "毕业教育", "必修", 0.5),
    ("2020-2021/2", "普通话水平证书", "必修", 1),
    ("2020-2021/2", "英语应用能力", "必修", 1),
    ("2020-2021/2", "职业技能证书", "必修", 1),
]

PRINTED_GPA = {
    "2018-2019/1": "2.09",
    "2018-2019/2": "0.80",
    "2019-2020/1": "0.66",
    "2019-2020/2": "2.18",
    "2020-2021/1": "1.97",
    "2020-2021/2": "1.16",
}

# The seed's visible scores that are kept (the others are garbled in the scan).
VISIBLE = {
    "程序设计基础": "85",
    "传统文化与代运营管理(尔雅)": "93",
    "西方美术欣赏(尔雅)": "87",
    "戏曲鉴赏(尔雅)": "62",
}


@pytest.fixture(scope="module")
def demo() -> ImportBundle:
    return parse_files([DEMO])


def term_label(record: CourseRecord) -> str:
    return f"{record.term.year}/{record.term.semester}"


def passes(result: str) -> bool:
    return result in PASSING_LEVELS if result in LEVEL_POINTS else Decimal(result) >= 60


def grade_point(result: str) -> Decimal:
    if result in LEVEL_POINTS:
        return LEVEL_POINTS[result]
    score = Decimal(result)
    return (score - 50) / 10 if score >= 60 else Decimal(0)


def counted(record: CourseRecord) -> str:
    """The result that counts: the first passing attempt, else the last one."""
    results = [a.result for a in record.attempts]
    return next((r for r in results if passes(r)), results[-1])


def passed(record: CourseRecord) -> bool:
    return bool(record.attempts) and passes(counted(record))


def still_failed(record: CourseRecord) -> bool:
    """Failed, and the 补考 or 重修 was sat and failed too (R1: exchangeable)."""
    kinds = {a.kind for a in record.attempts}
    return not passed(record) and bool(kinds & {AttemptKind.MAKEUP, AttemptKind.RETAKE})


def transcript(demo: ImportBundle, student_id: str):
    return next(t for t in demo.transcripts if t.student_id == student_id)


def named(demo: ImportBundle, student_id: str, name: str) -> CourseRecord:
    return next(r for r in transcript(demo, student_id).records if r.name == name)


def passed_credits(demo: ImportBundle, student_id: str, category: Category) -> float:
    return sum(
        r.credits
        for r in transcript(demo, student_id).records
        if r.category == category and passed(r)
    )


# --- the seed's 学业成绩单 ----------------------------------------------------------


def test_seed_student_has_exactly_the_scanned_courses(demo: ImportBundle) -> None:
    records = transcript(demo, SEED).records
    assert [(term_label(r), r.name, r.credits) for r in records] == [
        (term, name, credits) for term, name, _, credits in SCAN
    ]
    nature = {"认识选修": Category.GENERAL_ELECTIVE, "专业拓展": Category.PROFESSIONAL_EXTENSION}
    for record, (_, _, printed, _) in zip(records, SCAN, strict=True):
        if printed in nature:
            assert record.category == nature[printed], record.name
        else:  # 必修: a compulsory category of the training plan
            assert record.category not in nature.values(), record.name


def test_seed_categories_follow_a_training_plan(demo: ImportBundle) -> None:
    category = {r.name: r.category for r in transcript(demo, SEED).records}
    expected = {
        "英语(2-1)": Category.PUBLIC_FOUNDATION,
        "高等数学(2-2)": Category.PUBLIC_FOUNDATION,
        "计算机应用基础": Category.PUBLIC_FOUNDATION,
        "体育与健康(一)": Category.PE,
        "思想道德修养与法律基础": Category.IDEOLOGY,
        "形势与政策(2-1)": Category.IDEOLOGY,
        "概论(2-1)": Category.IDEOLOGY,
        "入学教育与军训": Category.PRACTICE,
        "毕业设计(论文)": Category.PRACTICE,
        "毕业跟岗实习": Category.PRACTICE,
        "毕业教育": Category.PRACTICE,
        "程序设计基础": Category.PROFESSIONAL_FOUNDATION,
        "路由与交换技术": Category.PROFESSIONAL_CORE,
    }
    assert {name: category[name] for name in expected} == expected


def test_seed_term_gpas_match_the_printed_ones(demo: ImportBundle) -> None:
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for record in transcript(demo, SEED).records:
        credits = Decimal(str(record.credits))
        if credits <= 0:
            continue
        weighted, total = sums.get(term_label(record), (Decimal(0), Decimal(0)))
        sums[term_label(record)] = (
            weighted + credits * grade_point(counted(record)),
            total + credits,
        )
    gpas = {
        term: str((weighted / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        for term, (weighted, total) in sums.items()
    }
    assert gpas == PRINTED_GPA


def test_seed_keeps_the_visible_scores(demo: ImportBundle) -> None:
    for name, score in VISIBLE.items():
        assert named(demo, SEED, name).attempts[0].result == score


def test_seed_level_exam_and_header(demo: ImportBundle) -> None:
    assert [e.name for e in transcript(demo, SEED).level_exams] == ["PROTE8"]
    student = next(s for s in demo.students if s.id == SEED)
    assert (student.college, student.major, student.grade_year) == (ZN, "云计算技术应用", 2018)


def test_guide_example_two_public_courses_one_after_another(demo: ImportBundle) -> None:
    """R3: 高等数学(2-1) and 英语(2-2), both still failed after 补考, with enough passed
    通识选修课 credits to pay for both in turn at ratio 1.0."""
    maths = named(demo, SEED, "高等数学(2-1)")
    english = named(demo, SEED, "英语(2-2)")
    for record in (maths, english):
        assert still_failed(record) and record.category == Category.PUBLIC_FOUNDATION
        assert [a.kind for a in record.attempts] == [AttemptKind.REGULAR, AttemptKind.MAKEUP]
    electives = passed_credits(demo, SEED, Category.GENERAL_ELECTIVE)
    assert electives >= maths.credits + english.credits


def test_seed_person_is_nowhere_in_the_demo() -> None:
    for path in DEMO.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert "刘医莹" not in text and "2019032106" not in text, path.name


# --- accounts -------------------------------------------------------------------------


def test_every_student_can_log_in_with_demo(demo: ImportBundle) -> None:
    accounts = {a.username: a for a in demo.accounts}
    assert len(demo.students) >= 12
    for student in demo.students:
        account = accounts[student.id]
        assert account.role == Role.STUDENT and account.password == "demo"
        assert len(student.id) == 10 and student.id.isdigit()
        assert student.class_name and student.enrollment_no and student.kind
    assert accounts["rev_zn"].colleges == [ZN] and accounts["rev_hg"].colleges == [HG]
    assert accounts["admin"].role == Role.ADMIN
    assert {a.password for a in demo.accounts} == {"demo"}


def test_three_majors_in_two_colleges(demo: ImportBundle) -> None:
    majors = {(p.college, p.major) for p in demo.programmes}
    assert {(ZN, "云计算技术应用"), (ZN, "计算机网络技术"), (HG, "精细化工技术")} <= majors
    for programme in demo.programmes:
        assert Category.PROFESSIONAL_EXTENSION in programme.graduation
        assert {c.category for c in programme.courses} >= {
            Category.PUBLIC_FOUNDATION,
            Category.PROFESSIONAL_FOUNDATION,
            Category.PROFESSIONAL_CORE,
            Category.PROFESSIONAL_EXTENSION,
            Category.GENERAL_ELECTIVE,
            Category.PE,
            Category.IDEOLOGY,
            Category.PRACTICE,
        }
    assert any(s.college == HG for s in demo.students)


# --- the rule cases ---------------------------------------------------------------------


def all_records(demo: ImportBundle):
    for t in demo.transcripts:
        for record in t.records:
            yield t, record


def test_failed_courses_in_every_state(demo: ImportBundle) -> None:
    def kinds(record: CourseRecord) -> list[AttemptKind]:
        return [a.kind for a in record.attempts]

    records = [r for _, r in all_records(demo)]
    # R1 met: failed after 补考, and failed after 重修
    assert any(still_failed(r) and kinds(r)[-1] == AttemptKind.MAKEUP for r in records)
    assert any(still_failed(r) and kinds(r)[-1] == AttemptKind.RETAKE for r in records)
    # R1 not met: failed, 补考 not sat yet; and passed at the 补考
    assert any(not passed(r) and kinds(r) == [AttemptKind.REGULAR] for r in records)
    assert any(passed(r) and AttemptKind.MAKEUP in kinds(r) for r in records)


def test_every_r5_clause_has_a_failed_course(demo: ImportBundle) -> None:
    rules = load_rules()
    for clause in rules.excluded:
        assert any(
            still_failed(r) and clause.matches(r.name, r.category) for _, r in all_records(demo)
        ), clause.id


def test_pe_options_with_and_without_certificates(demo: ImportBundle) -> None:
    with_cert, without = set(), set()
    for t, record in all_records(demo):
        if record.name in {"乒乓球", "排球", "健身瑜伽"} and still_failed(record):
            assert record.category == Category.PE
            (with_cert if t.certificates else without).add(record.name)
    assert with_cert and without
    assert with_cert | without == {"乒乓球", "排球", "健身瑜伽"}


def test_core_course_with_a_certificate(demo: ImportBundle) -> None:
    factor = load_rules().ratio.factor(Category.PROFESSIONAL_CORE)
    assert any(
        still_failed(r)
        and r.category == Category.PROFESSIONAL_CORE
        and sum(c.credits for c in t.certificates) >= factor * r.credits
        for t, r in all_records(demo)
    )


def test_r7_spending_extension_credits_leaves_too_few(demo: ImportBundle) -> None:
    """A 专业基础课 payable with 专业拓展课 credits the student barely has."""
    students = {s.id: s for s in demo.students}
    programmes = {(p.major, p.grade_year): p for p in demo.programmes}
    cases = []
    for t, record in all_records(demo):
        if not (still_failed(record) and record.category == Category.PROFESSIONAL_FOUNDATION):
            continue
        student = students[t.student_id]
        needed = programmes[(student.major, student.grade_year)].graduation[
            Category.PROFESSIONAL_EXTENSION
        ]
        have = passed_credits(demo, t.student_id, Category.PROFESSIONAL_EXTENSION)
        if needed <= have < needed + record.credits:
            cases.append(t.student_id)
    assert cases == ["2023110101"]


def test_r8_electives_enough_and_not_enough(demo: ImportBundle) -> None:
    spent = {
        (spec.application.student_id, source.ref)
        for spec in demo.applications
        if spec.application.status in (Status.UNDER_REVIEW, Status.APPROVED)
        for source in spec.application.sources
    }
    approved_targets = {
        (spec.application.student_id, spec.application.target)
        for spec in demo.applications
        if spec.application.status == Status.APPROVED
    }
    enough, short = False, False
    for t, record in all_records(demo):
        if record.category != Category.PUBLIC_FOUNDATION or not still_failed(record):
            continue
        if (t.student_id, record.code) in approved_targets:
            continue
        free = sum(
            r.credits
            for r in t.records
            if r.category == Category.GENERAL_ELECTIVE
            and passed(r)
            and (t.student_id, r.code) not in spent
        )
        enough = enough or free >= record.credits
        short = short or free < record.credits
    assert enough and short


def test_applications_in_every_status(demo: ImportBundle) -> None:
    students = {s.id: s for s in demo.students}
    assert {spec.application.status for spec in demo.applications} == set(Status)
    for spec in demo.applications:
        app = spec.application
        assert app.college == students[app.student_id].college
        assert spec.events and all(e.at.year == 2026 for e in spec.events)
        assert spec.events[-1].status_after == app.status
    returned = [s for s in demo.applications if s.application.status == Status.RETURNED]
    assert all(s.events[-1].reason for s in returned)
    approved = [s for s in demo.applications if s.application.status == Status.APPROVED]
    assert {s.application.college for s in approved} == {ZN, HG}


def test_approved_application_spends_credits_still_needed(demo: ImportBundle) -> None:
    """孙嘉怡: 高等数学(2-1) exchanged with two electives; 英语(2-1) then lacks credits."""
    (spec,) = [s for s in demo.applications if s.application.student_id == "2023110105"]
    assert spec.application.status == Status.APPROVED
    assert {src.kind for src in spec.application.sources} == {SourceKind.GENERAL_ELECTIVE}
    english = named(demo, "2023110105", "英语(2-1)")
    assert still_failed(english)
    total = passed_credits(demo, "2023110105", Category.GENERAL_ELECTIVE)
    used = sum(
        transcript(demo, "2023110105").record(src.ref).credits for src in spec.application.sources
    )
    assert total >= english.credits > total - used
