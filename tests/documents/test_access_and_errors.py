"""Who may print what, and what happens when a document cannot be made.

The document functions read through the services, so a student prints only their own
transcript and applications and a reviewer only their colleges'; a refusal writes no
file.  Without the CJK font (or with one lacking a character) no PDF is written
either, and the message names the package to install."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from document_helpers import ADMIN, flat, pdf_text

from credx_tui.cli import main
from credx_tui.documents import FontMissing, GlyphsMissing
from credx_tui.documents import fonts as font_module
from credx_tui.services import AccessDenied, NotFound, Services
from credx_tui.services.documents import render_application_pdf, render_transcript_pdf

TODAY = date(2026, 3, 20)


def actor(services: Services, username: str):
    return services.login(username, "demo").actor


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file()]


@pytest.mark.usefixtures("cjk_font")
def test_a_student_prints_only_their_own_transcript(fresh_demo: Services, tmp_path: Path) -> None:
    me = actor(fresh_demo, "2023110101")
    out = tmp_path / "out" / "mine.pdf"
    render_transcript_pdf(fresh_demo, me, out=out, today=TODAY)
    assert "2023110101" in pdf_text(out)
    other = tmp_path / "other.pdf"
    with pytest.raises(AccessDenied):
        render_transcript_pdf(fresh_demo, me, "2018110101", out=other, today=TODAY)
    assert not other.exists()


@pytest.mark.usefixtures("cjk_font")
def test_a_student_prints_only_their_own_applications(fresh_demo: Services, tmp_path: Path) -> None:
    me = actor(fresh_demo, "2023110106")
    render_application_pdf(fresh_demo, me, "XF2026-0003", out=tmp_path / "mine.pdf")
    with pytest.raises(NotFound):
        render_application_pdf(fresh_demo, me, "XF2026-0001", out=tmp_path / "other.pdf")
    assert not (tmp_path / "other.pdf").exists()


@pytest.mark.usefixtures("cjk_font")
def test_a_reviewer_prints_only_their_colleges(fresh_demo: Services, tmp_path: Path) -> None:
    hg = actor(fresh_demo, "rev_hg")
    render_application_pdf(fresh_demo, hg, "XF2026-0005", out=tmp_path / "hg.pdf")
    render_transcript_pdf(fresh_demo, hg, "2023030101", out=tmp_path / "hg-t.pdf")
    with pytest.raises(NotFound):
        render_application_pdf(fresh_demo, hg, "XF2026-0001", out=tmp_path / "zn.pdf")
    with pytest.raises(AccessDenied):
        render_transcript_pdf(fresh_demo, hg, "2018110101", out=tmp_path / "zn-t.pdf")
    assert sorted(p.name for p in leftovers(tmp_path)) == ["hg-t.pdf", "hg.pdf"]


def test_without_the_font_no_pdf_and_the_package_is_named(
    fresh_demo: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(font_module.ENV_FONT, raising=False)
    monkeypatch.setattr(font_module, "CANDIDATES", ())
    out = tmp_path / "t.pdf"
    with pytest.raises(FontMissing) as caught:
        render_transcript_pdf(fresh_demo, ADMIN, "2018110101", out=out)
    assert "fonts-wqy-zenhei" in caught.value.en and "fonts-wqy-zenhei" in caught.value.zh
    assert leftovers(tmp_path) == []


def test_the_command_line_says_which_package_to_install(
    fresh_demo: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv(font_module.ENV_FONT, raising=False)
    monkeypatch.setattr(font_module, "CANDIDATES", ())
    out = tmp_path / "t.pdf"
    db = str(fresh_demo.store.root)
    assert main(["print", "transcript", "--student", "2018110101", "--db", db, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fonts-wqy-zenhei" in err and "Traceback" not in err
    assert not out.exists()


def test_a_font_file_that_is_not_there(
    fresh_demo: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(font_module.ENV_FONT, str(tmp_path / "nope.ttf"))
    with pytest.raises(FontMissing, match=r"nope\.ttf"):
        render_transcript_pdf(fresh_demo, ADMIN, "2018110101", out=tmp_path / "t.pdf")
    assert leftovers(tmp_path) == []


def test_a_font_without_chinese_glyphs_writes_no_boxes(
    fresh_demo: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.is_file():
        pytest.skip("DejaVuSans (fonts-dejavu-core) is not installed")
    monkeypatch.setenv(font_module.ENV_FONT, str(latin))
    out = tmp_path / "t.pdf"
    with pytest.raises(GlyphsMissing) as caught:
        render_transcript_pdf(fresh_demo, ADMIN, "2018110101", out=out)
    assert "U+5B66" in caught.value.en or "(+" in caught.value.en
    assert leftovers(tmp_path) == []


@pytest.mark.usefixtures("cjk_font")
def test_credx_print_on_the_command_line(fresh_demo: Services, tmp_path: Path, capsys) -> None:
    db = str(fresh_demo.store.root)
    t = tmp_path / "t.pdf"
    a = tmp_path / "a.pdf"
    options = ["--student", "2018110101", "--a3", "--passing-only"]
    assert main(["print", "transcript", *options, "--db", db, "-o", str(t)]) == 0
    assert main(["print", "application", "XF2026-0007", "--db", db, "-o", str(a)]) == 0
    assert f"wrote {t}" in capsys.readouterr().out
    assert "补考" in pdf_text(t) and "PROTE8" not in pdf_text(t)
    assert "XF2026-0007" in flat(pdf_text(a))
    for argv in (
        ["print", "transcript", "--student", "99999999", "-o", str(tmp_path / "x.pdf")],
        ["print", "application", "XF2099-0001", "-o", str(tmp_path / "x.pdf")],
    ):
        assert main([*argv, "--db", db]) == 1
        err = capsys.readouterr().err
        assert err.startswith("credx: no ") and err.count("\n") == 1
    assert not (tmp_path / "x.pdf").exists()


def test_importing_the_print_use_cases_does_not_load_reportlab() -> None:
    """The TUI imports them at start-up; ReportLab loads on the first print only."""
    import subprocess
    import sys

    code = (
        "import sys, credx_tui.services.documents, credx_tui.documents;"
        "print('reportlab' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
