"""The 教务处 desk hands the decisions out (issue 12): F8 writes the approved sheet and
F9 the whole register, the same sheets as ``credx export`` (read back with openpyxl),
beside the file named in the path field; the file reaches a browser as a download, and
in a terminal the copy on the server is said; each export is in ``credx audit``."""

from __future__ import annotations

import json

import openpyxl
import pytest
from textual.widgets import Input

from credx_tui.screens.admin_desk import AdminDeskScreen
from credx_tui.services.exports import approved_sheet, register_sheet
from credx_tui.store.admin import AUDIT_FILE
from credx_tui.widgets.download_link import DownloadLinkDialog

from .conftest import SIZES, login, settle


async def _export(pilot, key: str) -> None:
    await pilot.press(key)
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return f"{value:g}"
    return str(value)


def _rows(path) -> list[list[str]]:
    ws = openpyxl.load_workbook(path).active
    return [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]


def _plain(rows) -> list[list[str]]:
    return [[_cell(v) for v in row] for row in rows]


def _footer(app) -> list[str]:
    """The key labels the footer shows."""
    from textual.widgets._footer import FooterKey

    return [k.description for k in app.screen.query(FooterKey)]


def _audit(store) -> list[dict]:
    path = store.root / AUDIT_FILE
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("size", SIZES)
async def test_f8_and_f9_write_the_sheets_of_credx_export(make, services, tmp_path, size):
    admin = services.actor_for("admin")
    approved = approved_sheet(services, admin)
    register = register_sheet(services, admin)
    assert len(approved.rows) == 2 and len(register.rows) == 7  # the demo college
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, "admin")
        assert isinstance(app.screen, AdminDeskScreen)
        assert {"导出通过名单", "导出申请总表"} <= set(_footer(app))
        await _export(pilot, "f8")
        first = app.screen.last_export
        assert first is not None and first.parent == tmp_path / "prints"
        assert first.name.startswith("审核通过名单-") and first.suffix == ".xlsx"
        rows = _rows(first)
        assert rows[0][0] == approved.title
        assert rows[2] == [c.zh for c in approved.columns]
        assert rows[3:] == _plain(approved.rows)
        messages = [str(n.message) for n in app._notifications]
        assert any(f"已导出 2 行：{first}" in m for m in messages)
        # The register, as .csv when the field names a .csv.
        app.screen.query_one("#desk-path", Input).value = str(tmp_path / "prints" / "x.csv")
        await _export(pilot, "f9")
        second = app.screen.last_export
        assert second.name.startswith("申请登记表-") and second.suffix == ".csv"
        lines = second.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].split(",") == [c.zh for c in register.columns]
        assert len(lines) == 1 + 7
        assert isinstance(app.screen, AdminDeskScreen)
    actions = [(e["action"], e["via"], e["detail"]["rows"]) for e in _audit(services.store)]
    assert actions == [("export.approved", "app:admin", 2), ("export.applications", "app:admin", 7)]


async def test_english_keys_and_a_missing_folder(make, services, tmp_path):
    app = make(lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "admin")
        assert {"Export approved", "Export register"} <= set(_footer(app))
        app.screen.query_one("#desk-path", Input).value = str(tmp_path / "gone" / "x.xlsx")
        await _export(pilot, "f8")
        assert app.screen.last_export is None and not (tmp_path / "gone").exists()
        assert any("does not exist" in str(n.message) for n in app._notifications)
    assert _audit(services.store) == []


async def test_in_a_browser_the_sheet_is_a_download(make, tmp_path, monkeypatch):
    app = make()
    sent: list[tuple[object, str, str]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "admin")
        monkeypatch.setattr(type(app._driver), "is_web", property(lambda self: True))
        monkeypatch.setattr(
            app,
            "deliver_binary",
            lambda source, save_filename, mime_type: sent.append(
                (source, save_filename, mime_type)
            ),
        )
        await _export(pilot, "f8")
        [(source, name, media)] = sent
        assert source == app.screen.last_export and name == source.name
        assert media == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert any("已发送到浏览器下载" in str(n.message) for n in app._notifications)


async def test_no_link_for_the_desk_in_a_terminal(make, services, tmp_path):
    """With the college's public_url set, students and reviewers get a link; the
    教务处's sheets have none (links live in a student's file): the server copy is said,
    and no refusal shows."""
    rules = services.rules
    services.rules = rules.model_copy(
        update={"service": rules.service.model_copy(update={"public_url": "https://x.edu.cn/"})}
    )
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "admin")
        await _export(pilot, "f9")
        assert not isinstance(app.screen, DownloadLinkDialog)
        assert isinstance(app.screen, AdminDeskScreen)
        messages = [str(n.message) for n in app._notifications]
        assert any(str(app.screen.last_export) in m for m in messages)
        assert not any(n.severity == "error" for n in app._notifications)


@pytest.mark.parametrize("size", SIZES)
async def test_the_desk_shows_the_known_figures(tmp_path, size):
    """The college of tests/exports/export_college.py, whose counts and days are known
    (甲学院: 2 approved after 2 and 4 days, 1 returned after 1, 1 审核中, 1 draft;
    乙学院: 1 approved after 10 days, 1 审核中), on the desk as a person reads it."""
    from credx_tui.app import make_app
    from credx_tui.settings import Settings
    from tests.exports.export_college import A, B, build

    services, _ = build(tmp_path / "known")
    app = make_app(Settings(db=services.store.root), services, print_dir=tmp_path / "prints")
    async with app.run_test(size=size) as pilot:
        await login(pilot, "admin", "pw")
        assert isinstance(app.screen, AdminDeskScreen)
        shown = {r[1]: r[2:] for r in _table(app)}
        # 无流程, 审核中, 审核通过, 被退回, 合计
        assert shown == {B: ["0", "1", "1", "0", "2"], A: ["1", "1", "2", "1", "5"]}
        app.screen.query_one("#desk-figures").focus()
        await pilot.press("down")
        await settle(pilot)
        days = {r[1]: r[2:] for r in _table(app)}
        # decided, median, P90 (days from the last 提交 to the decision)
        assert days[A] == ["3", "2", "3.6"] and days[B] == ["1", "10", "10"]
        assert ["4", "3", "8.2"] in days.values()  # every college
        await pilot.press("down", "down", "down")
        await settle(pilot)
        queues = {r[1]: r for r in _table(app)}
        assert set(queues) == {"rev_a", "rev_b"}
        assert all(row[-2:] == ["1", "5"] for row in queues.values())  # open, oldest days


def _table(app) -> list[list[str]]:
    from textual.widgets import DataTable

    grid = app.screen.query_one("#desk-table", DataTable)
    return [[str(c) for c in grid.get_row_at(r)] for r in range(grid.row_count)]
