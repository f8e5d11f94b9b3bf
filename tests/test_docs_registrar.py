"""The registrar's walk-through in docs/spreadsheets.md ("A term, step by step") is true:
its files are written as the page shows them and its `credx` commands are run in order
(issue 12: "Done when a registrar with only the academic system's exports loads a
college, updates it next term, and hands the approved exchanges back")."""

from __future__ import annotations

import io
import re
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import openpyxl

from credx_tui import cli
from credx_tui.demo import DEMO_SCREENSHOT
from credx_tui.services import make_services
from credx_tui.store import Store
from policy.rules import load_rules

DOC = Path(__file__).parents[1] / "docs" / "spreadsheets.md"
SECTION = "## A term, step by step (copy this)"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(SECTION)
    return text[start : text.index("\n## ", start + 1)]


def _steps(section: str) -> list[tuple[str, str]]:
    """("file", "path\\ncontent") and ("run", "credx ...") in the page's order."""
    steps: list[tuple[str, str]] = []
    pattern = re.compile(r"<!-- file: (.+?) -->\n```csv\n(.*?)```|```sh\n(.*?)```", re.S)
    for match in pattern.finditer(section):
        if match.group(1):
            steps.append(("file", f"{match.group(1)}\n{match.group(2)}"))
        else:
            for line in match.group(3).splitlines():
                command = line.split("#", 1)[0].strip()
                if command:
                    steps.append(("run", command))
    return steps


def test_the_walk_through_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "store"
    outputs: list[tuple[str, str]] = []
    steps = _steps(_section())
    assert [kind for kind, _ in steps].count("file") == 4
    approved = False
    for kind, body in steps:
        if kind == "file":
            name, content = body.split("\n", 1)
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            continue
        argv = shlex.split(body.replace("/srv/credx/store", str(root)))
        assert argv[0] == "credx"
        if "export" in argv and not approved:
            _apply_and_approve(root, monkeypatch, capsys)
            approved = True
        if argv[1:] and "user" in argv:
            monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password\n"))
        code = cli.main(argv[1:])
        captured = capsys.readouterr()
        assert code == 0, (body, captured.err)
        outputs.append((body, captured.out))

    def out(fragment: str) -> list[str]:
        return [o for cmd, o in outputs if fragment in cmd]

    first_check, second_check = out("check")
    math = next(x for x in first_check.splitlines() if "高等数学" in x)
    assert "可兑换" not in math and "R1" in math
    [dry] = out("--dry-run")
    assert "将变为可兑换的课程：1" in dry and "2025110101 G0101 高等数学" in dry
    math = next(x for x in second_check.splitlines() if "高等数学" in x)
    assert "可兑换" in math
    [exported] = out("export")
    assert "wrote 1 row(s)" in exported
    rows = list(
        openpyxl.load_workbook(tmp_path / "审核通过.xlsx").active.iter_rows(values_only=True)
    )
    header = list(rows[2])
    record = dict(zip(header, rows[3], strict=False))
    assert record["学号"] == "2025110101" and record["课程代码"] == "G0101"
    assert record["认定关系"] == "音乐鉴赏(2)、书法艺术(2)"


def _apply_and_approve(root: Path, monkeypatch, capsys) -> None:
    """What happens in the app between the commands: the student applies with the
    suggested sources in spring 2026, the college's reviewer approves."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("another-long-password\n"))
    argv = ["user", "add", "rev_zn", "--db", str(root), "--role", "reviewer"]
    assert cli.main([*argv, "--college", "智能制造学院"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    spring = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    services = make_services(Store(root), load_rules(), clock=lambda: spring)
    me = services.actor_for("2025110101")
    suggestion = services.suggest(me, "G0101")
    assert suggestion is not None
    app = services.save(
        me, "G0101", suggestion.offer.sources, attachments=[services.attach(me, DEMO_SCREENSHOT)]
    )
    app = services.submit(me, app.id)
    reviewer = services.actor_for("rev_zn")
    services.approve(reviewer, app.id, expected_revision=app.revision)
