"""The application form as a PDF (S4, S5): what it prints, read back with pdftotext."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from document_helpers import ADMIN, flat, pdf_fonts, pdf_text

from credx_tui.describe import source_name
from credx_tui.services import Services, make_services
from credx_tui.services.documents import render_application_pdf
from policy.eligibility import fmt

pytestmark = pytest.mark.usefixtures("cjk_font")

TODAY = date(2026, 3, 20)
DEMO_APPLICATIONS = [f"XF2026-000{n}" for n in range(1, 8)]


def _png(text: bytes = b"") -> bytes:
    """A real 1x1 PNG, written by hand with zlib (not by Pillow, which reads it);
    ``text`` goes into a tEXt chunk so that files can differ."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    extra = chunk(b"tEXt", b"Comment\0" + text) if text else b""
    idat = chunk(b"IDAT", zlib.compress(b"\0\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + idat + chunk(b"IEND", b"")


PNG = _png()


def render(services: Services, actor, app_id: str, tmp_path: Path) -> str:
    out = tmp_path / f"{app_id}.pdf"
    assert render_application_pdf(services, actor, app_id, out=out, today=TODAY) == out
    return flat(pdf_text(out))


@pytest.mark.parametrize("app_id", DEMO_APPLICATIONS)
def test_the_form_prints_student_course_sources_ratio_and_trail(
    demo: Services, tmp_path: Path, app_id: str
) -> None:
    text = render(demo, ADMIN, app_id, tmp_path)
    app = demo.application(ADMIN, app_id)
    dossier = demo.dossier(ADMIN, app.student_id)
    student = dossier.student
    record = dossier.transcript.record(app.target)
    assert flat(f"{demo.rules.college.name}学分兑换申请表") in text
    assert flat(f"申请编号：{app.id}") in text
    assert flat(f"审核状态：{app.status.value}") in text
    for label, value in [
        ("学号", student.id),
        ("姓名", student.name),
        ("学院", student.college),
        ("专业", student.major),
        ("校内课程代码", app.target),
        ("校内课程名称", record.name),
        ("校内学分", fmt(record.credits)),
    ]:
        assert flat(f"{label}{value}") in text, label
    offered = 0.0
    for n, ref in enumerate(app.sources, start=1):
        name, credits = source_name(dossier, ref)
        offered += credits
        assert flat(f"{n}{ref.kind.value}{ref.ref}{name}{fmt(credits)}") in text
    needed = demo.rules.ratio.factor(record.category) * record.credits
    assert flat(f"提供 {fmt(offered)} 学分，需要 {fmt(needed)} 学分") in text
    assert "满足兑换比例" in text
    assert flat(f"认定{record.name}（{app.target}") in text
    for event in demo.trail(ADMIN, app_id):
        assert event.status_after.value in text
        if event.reason:
            assert flat(event.reason) in text
    for word in ("流程跟踪", "附件", "学生签名", "审核人签字", "学院盖章"):
        assert word in text
    fonts = pdf_fonts(tmp_path / f"{app_id}.pdf")
    assert fonts and all(f["emb"] == f["sub"] == f["uni"] == "yes" for f in fonts), fonts


def test_a_returned_form_names_the_reviewer_and_the_reason(demo: Services, tmp_path: Path) -> None:
    text = render(demo, ADMIN, "XF2026-0003", tmp_path)
    assert flat("退回唐敏（rev_zn，审核人）二级学院审核被退回") in text
    assert "未上传补考成绩截图" in text


def test_attachments_are_listed_with_their_sha256(fresh_demo: Services, tmp_path: Path) -> None:
    student = fresh_demo.login("2023110106", "demo").actor
    shot = tmp_path / "补考成绩截图.png"
    shot.write_bytes(_png(b"x" * 1000))  # about 1 KB
    attachment = fresh_demo.attach(student, shot)
    app = fresh_demo.application(student, "XF2026-0003")
    fresh_demo.save(
        student, app.target, app.sources, application_id=app.id, attachments=[attachment]
    )
    out = tmp_path / "form.pdf"
    render_application_pdf(fresh_demo, student, app.id, out=out, today=TODAY)
    text = flat(pdf_text(out))
    assert flat(f"1补考成绩截图.pngimage/png1KB{attachment.sha256}") in text
    assert "没有附件" not in text
    for font in pdf_fonts(out):
        assert font["emb"] == "yes" and font["sub"] == "yes", font


def test_a_user_name_cannot_inject_markup(fresh_demo: Services, tmp_path: Path) -> None:
    student = fresh_demo.login("2023110106", "demo").actor
    app = fresh_demo.application(student, "XF2026-0003")
    note = "<b>加粗</b> & <font size=40>大</font>"
    fresh_demo.save(student, app.target, app.sources, application_id=app.id, note=note)
    text = render(fresh_demo, student, app.id, tmp_path)
    assert flat(note) in text


def test_an_emoji_in_the_note_never_makes_the_form_unprintable(
    fresh_demo: Services, tmp_path: Path
) -> None:
    """Issue 11: "font lacks 😀" once made the form unprintable.  A symbol the CJK font
    lacks is drawn with the symbol font; one no font has is printed as its code point."""
    student = fresh_demo.login("2023110106", "demo").actor
    app = fresh_demo.application(student, "XF2026-0003")
    note = "已补交😀 ✓ ♞ 🫠"  # U+1FAE0 is in no font Debian's fonts-dejavu-core has
    fresh_demo.save(student, app.target, app.sources, application_id=app.id, note=note)
    out = tmp_path / "emoji.pdf"
    render_application_pdf(fresh_demo, student, app.id, out=out, today=TODAY)
    text = flat(pdf_text(out))
    assert flat("[U+1FAE0]") in text and "已补交" in text
    if Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file():
        assert "✓" in text and "♞" in text
    for font in pdf_fonts(out):
        assert font["emb"] == "yes", font


# -- issue 15: a signature block per review step (R11) --------------------------------

CHAIN = [
    ("secretary", "教学秘书审核", "Teaching secretary"),
    ("dean", "教学院长审核", "Dean of teaching"),
    ("office", "教务处审核", "Academic affairs office"),
]


def test_the_signature_block_has_a_line_per_review_step(tmp_path: Path, rules) -> None:
    from credx_tui.services.loading import load_demo
    from policy.rules import ReviewStep

    chain = rules.model_copy(
        update={"review_steps": [ReviewStep(id=i, zh=zh, en=en) for i, zh, en in CHAIN]}
    )
    store, _ = load_demo(tmp_path / "store", rules)
    services = make_services(store, chain)
    app = services.application(ADMIN, "XF2026-0002")
    rev = services.actor_for("rev_zn")
    services.approve(rev, app.id, expected_revision=app.revision, comment="材料齐全")
    out = tmp_path / "form.pdf"
    render_application_pdf(services, ADMIN, app.id, out=out, today=TODAY)
    text = flat(pdf_text(out))
    assert flat("审核状态：审核中（教学院长审核）") in text
    assert flat("当前审核环节教学院长审核") in text
    for _, zh, _ in CHAIN:
        assert flat(f"{zh}意见：") in text
    assert text.count(flat("审核人签字：")) == 3
    # The step decided carries its comment and who approved it; the others stay blank.
    assert flat("教学秘书审核意见：材料齐全；同意：唐敏（rev_zn）") in text
    assert "二级学院审核意见" not in text  # not hard-coded any more
    # The trail says the step's consent, not 审核通过 (the process is not over).
    assert flat("本环节同意") in text
    assert text.count("审核通过") == 0


def test_the_default_chain_signs_once(demo: Services, tmp_path: Path) -> None:
    text = render(demo, ADMIN, "XF2026-0002", tmp_path)
    assert flat("二级学院审核意见：") in text
    assert text.count(flat("审核人签字：")) == 1
