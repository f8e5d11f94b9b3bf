"""Issue 10, item 4 (the printer part): where the college's rules set ``[service]
printer``, the 打印 dialog also offers sending the PDF to that ``lp`` destination; a
fake ``lp`` on PATH records the job, a missing or failing lp is one clear message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from credx_tui.dialogs.print_options import PrintDialog
from credx_tui.printing import PrinterError, send_to_printer
from credx_tui.screens.transcript import TranscriptScreen
from credx_tui.services import make_services
from credx_tui.widgets.plain import PlainCheckbox
from policy.rules import ServiceRules

from .conftest import HAPPY_STUDENT, login, settle
from .test_print_pdf import cjk_font, printed  # noqa: F401 (the font fixture)


def fake_lp(folder: Path, status: int = 0) -> Path:
    """An ``lp`` that writes its arguments to ``lp.args`` and answers like CUPS."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "lp"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{folder}/lp.args"\n'
        f"if [ {status} -ne 0 ]; then echo 'lp: The printer or class does not exist.' >&2; exit {status}; fi\n"
        "echo 'request id is lab1-7 (1 file(s))'\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return folder


def test_lp_missing_failing_and_working(tmp_path, monkeypatch):
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PrinterError) as missing:
        send_to_printer(pdf, "lab1")
    assert "lp" in missing.value.zh and "cups-client" in missing.value.en
    bad = fake_lp(tmp_path / "bad", status=1)
    monkeypatch.setenv("PATH", str(bad))
    with pytest.raises(PrinterError) as refused:
        send_to_printer(pdf, "nosuch")
    assert "does not exist" in refused.value.en and "nosuch" in refused.value.zh
    good = fake_lp(tmp_path / "good")
    monkeypatch.setenv("PATH", str(good))
    assert send_to_printer(pdf, "lab1") == "request id is lab1-7 (1 file(s))"
    assert (good / "lp.args").read_text().split("\n")[:4] == ["-d", "lab1", "--", str(pdf)]


@pytest.mark.parametrize("status", [0, 1])
async def test_print_dialog_sends_to_the_colleges_printer(
    make, store, rules, tmp_path, monkeypatch, status
):
    bin_dir = fake_lp(tmp_path / "bin", status=status)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    services = make_services(
        store, rules.model_copy(update={"service": ServiceRules(printer="lab1")})
    )
    app = make(svc=services)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, TranscriptScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, PrintDialog)
        box = app.screen.query_one("#to-printer", PlainCheckbox)
        assert "lab1" in str(box.label)
        box.focus()
        await pilot.press("space")
        assert box.value
        await pilot.press("f6")
        await printed(pilot)
        notes = [n.message for n in app._notifications]
    [pdf] = list((tmp_path / "prints").glob("transcript-*.pdf"))
    args = (bin_dir / "lp.args").read_text().split("\n")
    assert args[:4] == ["-d", "lab1", "--", str(pdf)]
    if status == 0:
        assert any("已送打印机 lab1" in n for n in notes)
    else:
        assert any("未能送打印机" in n and "does not exist" in n for n in notes)


async def test_no_printer_no_offer(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, HAPPY_STUDENT)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, PrintDialog)
        assert not app.screen.query("#to-printer")
