"""The reviewer's desk (issue 4, R11) with the demo college, pressing the real keys at
80x24 and 120x40: the queue, approve, return with a reason, next/previous, two
reviewers racing, and the student seeing the decision in 流程跟踪."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select

from credx_tui.app import make_app
from credx_tui.demo import DEMO_SCREENSHOT
from credx_tui.dialogs.approve_comment import ApproveDialog
from credx_tui.dialogs.return_reason import ReturnReasonDialog
from credx_tui.screens.exchange import ExchangeScreen
from credx_tui.screens.login import LoginScreen
from credx_tui.screens.review_decision import ReviewDecisionScreen
from credx_tui.screens.review_queue import ReviewQueueScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.services import Services, make_services
from credx_tui.settings import Settings
from credx_tui.store import Store
from policy.models import Account, ReviewAction, Role, Status

from .conftest import (
    HAPPY_STUDENT,
    SIZES,
    UNDER_REVIEW_STUDENT,
    actor,
    login,
    open_exchange,
    screen_text,
    settle,
)


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
ZN_UNDER_REVIEW = "XF2026-0002"
"""周雨桐's 虚拟化技术, waiting for rev_zn."""


def row_keys(app) -> list[str]:
    table = app.screen.query_one("#queue-table", DataTable)
    return [table.coordinate_to_cell_key((r, 0)).row_key.value for r in range(table.row_count)]


async def open_queue(pilot, username: str = "rev_zn") -> None:
    await login(pilot, username)
    assert isinstance(pilot.app.screen, ReviewQueueScreen)


async def open_first(pilot) -> ReviewDecisionScreen:
    pilot.app.screen.query_one("#queue-table", DataTable).focus()
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReviewDecisionScreen)
    return screen


def submit_suggested(services: Services, username: str, course: str, attach: Path | None = None):
    """The student's own way in: save the suggested offer and submit it (S4)."""
    me = actor(services, username)
    dossier = services.dossier(me)
    code = next(r.code for r in dossier.transcript.records if r.name == course)
    suggestion = services.suggest(me, code)
    assert suggestion is not None
    attachments = [services.attach(me, attach or DEMO_SCREENSHOT)]
    app = services.save(me, code, suggestion.offer.sources, attachments=attachments)
    return services.submit(me, app.id)


# -- the queue -----------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_queue_shows_own_college_only_oldest_first(make, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot)
        assert row_keys(app) == [ZN_UNDER_REVIEW]
        shown = screen_text(app)
        assert "周雨桐" in shown and "虚拟化技术" in shown
        assert "审核中 1  审核通过 1  被退回 1  共 3" in shown
        assert "赵一鸣" not in shown  # 化工与制药工程学院: rev_hg's
        app.screen.query_one("#queue-status", Select).value = "all"
        await settle(pilot)
        # 0004 is a draft (the student's own business); 0005-0007 are another college's.
        assert set(row_keys(app)) == {"XF2026-0001", ZN_UNDER_REVIEW, "XF2026-0003"}
        dates = [i.application.updated_at for i in app.screen.shown]
        assert dates == sorted(dates)  # oldest first
        await pilot.press("f6")
        await pilot.press(*"0106")  # part of 马骏's 学号
        await settle(pilot)
        assert row_keys(app) == ["XF2026-0003"]
        app.screen.query_one("#queue-search", Input).value = "云计算2301"  # a class
        await settle(pilot)
        assert len(row_keys(app)) == 3
        app.screen.query_one("#queue-search", Input).value = "计算机应用基础"  # a course
        await settle(pilot)
        assert row_keys(app) == ["XF2026-0003"]
        app.screen.query_one("#queue-major", Select).value = "云计算技术应用"
        await settle(pilot)
        assert row_keys(app) == ["XF2026-0003"]
        app.screen.query_one("#queue-search", Input).value = "没有这门课"
        await settle(pilot)
        assert row_keys(app) == []
        assert "没有符合条件的申请" in screen_text(app)


async def test_admin_queue_spans_every_college(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "admin")  # the 教务处 desk first (issue 12); F7: the queue
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReviewQueueScreen)
        assert set(row_keys(app)) == {ZN_UNDER_REVIEW, "XF2026-0005"}


async def test_queue_pages_thousands(make, store, services):
    """Thousands of applications: one page of rows drawn, paging with Ctrl+F/Ctrl+B."""
    from datetime import UTC, datetime, timedelta

    from policy.models import ApplicationSummary, ExchangeApplication, Term

    start = datetime(2026, 3, 1, tzinfo=UTC)
    with store.hot("智能制造学院", HAPPY_STUDENT) as tx:
        for i in range(2500):
            at = start + timedelta(minutes=i)
            tx.put_application(
                ExchangeApplication(
                    id=f"BULK-{i:05d}",
                    student_id=HAPPY_STUDENT,
                    college="智能制造学院",
                    target="G0101",
                    status=Status.UNDER_REVIEW,
                    term=Term(year="2025-2026", semester=2),
                    created_at=at,
                    updated_at=at,
                    summary=ApplicationSummary(student_name="江浩宇", course_name="高等数学(2-1)"),
                )
            )
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_queue(pilot)
        keys = row_keys(app)
        assert len(keys) == 100 and keys[0] == "BULK-00000"  # oldest first
        assert "筛选出 2501 条  第 1/26 页" in screen_text(app)
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert row_keys(app)[0] == "BULK-00100"
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert row_keys(app)[0] == "BULK-00000"


# -- deciding ------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_decision_screen_shows_the_record(make, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot)
        await open_first(pilot)
        shown = screen_text(app)
        for expected in (
            "审核申请 XF2026-0002",
            "环节 1/1：二级学院审核",
            "虚拟化技术（YJ23111）",
            "兑换比例 1.5  需要 6 学分",
            "正常考试",
            "补考",
            "获奖证书",
            "竞赛集训学分",
            "已选 6 学分 / 需要 6 学分",
            "专业核心课",
            "满足全部条件，与提交时一致。",
            "成绩截图.png",
            "流程跟踪",
        ):
            assert expected in shown, expected


@pytest.mark.parametrize("size", SIZES)
async def test_approve_and_the_student_sees_it(make, services, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot)
        await open_first(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ApproveDialog)
        await pilot.press("enter")  # 确定
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        shown = screen_text(app)
        assert "已审核通过：XF2026-0002" in shown
        assert "此申请已审核通过，不再判定。" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReviewQueueScreen)
        assert row_keys(app) == []  # nothing left 审核中
    me = actor(services, UNDER_REVIEW_STUDENT)
    assert services.application(me, ZN_UNDER_REVIEW).status == Status.APPROVED

    student = make()
    async with student.run_test(size=size) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        assert isinstance(student.screen, ExchangeScreen)
        assert "审核通过" in screen_text(student)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(student.screen, TrailScreen)
        shown = screen_text(student)
        assert "rev_zn" in shown and "二级学院审核" in shown and "审核通过" in shown


@pytest.mark.parametrize("size", SIZES)
async def test_return_with_a_ready_reason(make, services, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot)
        await open_first(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, ReturnReasonDialog)
        await pilot.press("enter")  # the first ready reason goes into the text field
        await settle(pilot)
        picked = app.screen.query_one("#return-reason", Input).value
        assert picked.startswith("缺少补考或重修成绩截图")
        await pilot.press("enter")  # 退回
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        assert "已退回：XF2026-0002" in screen_text(app)
    me = actor(services, UNDER_REVIEW_STUDENT)
    assert services.application(me, ZN_UNDER_REVIEW).status == Status.RETURNED
    last = services.trail(me, ZN_UNDER_REVIEW)[-1]
    assert last.action == ReviewAction.RETURN and last.reason == picked

    student = make()
    async with student.run_test(size=size) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        assert "被退回" in screen_text(student)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(student.screen, TrailScreen)
        assert "缺少补考或重修成绩截图" in screen_text(student)


@pytest.mark.parametrize("size", SIZES)
async def test_return_with_free_text_and_empty_refused(make, services, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot)
        await open_first(pilot)
        await pilot.press("f9")
        await settle(pilot)
        field = app.screen.query_one("#return-reason", Input)
        field.focus()
        await pilot.press("enter")  # empty: refused in the dialog
        await settle(pilot)
        assert isinstance(app.screen, ReturnReasonDialog)
        assert "必须填写退回原因" in screen_text(app)
        field.value = "证书复印件缺少盖章"
        await pilot.press(*" [b]")  # typed; user text never becomes markup
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)
        assert "证书复印件缺少盖章 [b]" in screen_text(app)
    last = services.trail(actor(services, UNDER_REVIEW_STUDENT), ZN_UNDER_REVIEW)[-1]
    assert last.reason == "证书复印件缺少盖章 [b]"


@pytest.mark.parametrize("size", SIZES)
async def test_next_and_previous(make, services, size):
    submit_suggested(services, HAPPY_STUDENT, "高等数学(2-1)")
    submit_suggested(services, "2023110104", "乒乓球")
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_queue(pilot)
        assert len(row_keys(app)) == 3
        ids = row_keys(app)
        screen = await open_first(pilot)
        assert screen.application_id == ids[0]
        assert "（第 1/3 条）" in screen_text(app)
        await pilot.press("f7")
        await settle(pilot)
        assert screen.application_id == ids[1] and "（第 2/3 条）" in screen_text(app)
        await pilot.press("f7")
        await settle(pilot)
        assert screen.application_id == ids[2]
        assert "乒乓球" in screen_text(app) or "高等数学(2-1)" in screen_text(app)
        await pilot.press("f7")  # the last one: stays
        await settle(pilot)
        assert screen.application_id == ids[2]
        await pilot.press("f6")
        await settle(pilot)
        assert screen.application_id == ids[1]


@pytest.mark.parametrize("size", SIZES)
async def test_two_reviewers_one_wins_the_other_is_told(
    make, store, services, rules, size, monkeypatch
):
    # The race of two key presses, decided by the services: the second app must not see
    # the first one's decision before its own key (test_live.py shows that it would).
    monkeypatch.setenv("CREDX_WATCH", "off")
    services.add_account(
        services.actor_for("admin"),
        Account(
            username="rev_zn2",
            role=Role.REVIEWER,
            display_name="第二审核人",
            password_hash="-",
            colleges=["智能制造学院"],
        ),
        "demo",
    )
    other = make_services(Store(store.root), rules)  # another process's view of the store
    first, second = make(), make(svc=other)
    async with first.run_test(size=size) as p1, second.run_test(size=size) as p2:
        await open_queue(p1)
        await open_queue(p2, "rev_zn2")
        await open_first(p1)
        await open_first(p2)
        await p1.press("f8")
        await settle(p1)
        await p1.press("enter")
        await settle(p1)
        assert "已审核通过" in screen_text(first)
        await p2.press("f9")
        await settle(p2)
        await p2.press("enter", "enter")  # a ready reason, then 退回
        await settle(p2)
        assert isinstance(second.screen, ReviewDecisionScreen)
        shown = screen_text(second)
        assert "未能完成" in shown and "已被他人处理" in shown
        assert "此申请已审核通过" in shown  # reloaded: shows the winner's decision
    events = services.trail(actor(services, UNDER_REVIEW_STUDENT), ZN_UNDER_REVIEW)
    decided = [e for e in events if e.action in (ReviewAction.APPROVE, ReviewAction.RETURN)]
    assert [(e.action, e.actor) for e in decided] == [(ReviewAction.APPROVE, "rev_zn")]


async def test_verdict_changed_since_submission(make, store, services):
    """A certificate withdrawn by the registrar after submission: the policy now says
    no, and the decision screen says that this changed."""
    transcript = store.transcript(UNDER_REVIEW_STUDENT)
    kept = [c for c in transcript.certificates if c.kind.value != "竞赛集训学分"]
    with store.bulk() as tx:
        tx.put_transcript(transcript.model_copy(update={"certificates": kept}))
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        await open_first(pilot)
        shown = screen_text(app)
        assert "提交时已通过系统校验，但现在不再满足" in shown
        assert "学生已没有此项" in shown
        assert "R8" in shown


async def test_attachments_saved_or_viewed(make, services, tmp_path, monkeypatch):
    shot = tmp_path / "补考成绩.png"
    shot.write_bytes(PNG)
    submit_suggested(services, HAPPY_STUDENT, "高等数学(2-1)", attach=shot)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = make()
    app.attachment_dir = tmp_path / "copies"
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        app.screen.query_one("#queue-search", Input).value = HAPPY_STUDENT
        await settle(pilot)
        await open_first(pilot)
        shown = screen_text(app)
        assert "补考成绩.png" in shown and "image/png" in shown
        import hashlib

        digest = hashlib.sha256(PNG).hexdigest()
        assert digest in shown
        await pilot.press("f3")
        await settle(pilot)
        [saved] = list((tmp_path / "copies").rglob("*.png"))
        assert saved.read_bytes() == PNG
        assert "已保存副本" in screen_text(app)
        await pilot.press("f4")  # no xdg-open any more: the viewer in the terminal
        await settle(pilot)
        from credx_tui.screens.attachment_viewer import AttachmentViewerScreen

        assert isinstance(app.screen, AttachmentViewerScreen)


# -- review chain (R11 as policy data) ------------------------------------------------

THREE_STEPS = """
[[review_steps]]
id = "secretary"
zh = "教学秘书审核"
en = "Teaching secretary"

[[review_steps]]
id = "dean"
zh = "教学院长审核"
en = "Dean of teaching"

[[review_steps]]
id = "office"
zh = "教务处审核"
en = "Academic affairs office"
"""


def three_step_rules(tmp_path: Path):
    """A copy of the bundled rules file with a three-step chain."""
    import re

    from policy.rules import load_rules

    default = Path(__file__).parents[2] / "policy" / "rules" / "default.toml"
    text = re.sub(
        r"\[\[review_steps\]\]\n(?:[a-z]+ = .*\n)+", THREE_STEPS, default.read_text("utf-8")
    )
    path = tmp_path / "three-steps.toml"
    path.write_text(text, encoding="utf-8")
    rules = load_rules(path)
    assert [s.id for s in rules.review_steps] == ["secretary", "dean", "office"]
    return rules


async def test_three_step_chain_and_the_student_sees_every_step(store, tmp_path):
    rules = three_step_rules(tmp_path)
    services = make_services(store, rules)
    admin = services.actor_for("admin")
    for name, step, colleges in (
        ("sec_zn", "secretary", ["智能制造学院"]),
        ("dean_zn", "dean", ["智能制造学院"]),
        ("office", "office", ["智能制造学院", "化工与制药工程学院"]),
    ):
        services.add_account(
            admin,
            Account(
                username=name,
                role=Role.REVIEWER,
                password_hash="-",
                colleges=colleges,
                review_steps=[step],
            ),
            "demo",
        )

    def build():
        return make_app(Settings(db=store.root, lang="zh"), services, print_dir=tmp_path)

    for reviewer, step_line in (
        ("sec_zn", "环节 1/3：教学秘书审核"),
        ("dean_zn", "环节 2/3：教学院长审核"),
        ("office", "环节 3/3：教务处审核"),
    ):
        app = build()
        async with app.run_test(size=(80, 24)) as pilot:
            await open_queue(pilot, reviewer)
            await open_first(pilot)
            assert step_line in screen_text(app)
            await pilot.press("f8")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)

    # The secretary cannot decide the dean's step: no keys offered, the reason shown.
    me = actor(services, UNDER_REVIEW_STUDENT)
    assert services.application(me, ZN_UNDER_REVIEW).status == Status.APPROVED

    student = build()
    async with student.run_test(size=(120, 40)) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(student.screen, TrailScreen)
        shown = screen_text(student)
        for step in ("教学秘书审核", "教学院长审核", "教务处审核"):
            assert step in shown
        assert "审核通过" in shown


async def test_a_step_not_yours_is_shown_not_offered(store, tmp_path):
    rules = three_step_rules(tmp_path)
    services = make_services(store, rules)
    services.add_account(
        services.actor_for("admin"),
        Account(
            username="dean_zn",
            role=Role.REVIEWER,
            password_hash="-",
            colleges=["智能制造学院"],
            review_steps=["dean"],
        ),
        "demo",
    )
    app = make_app(Settings(db=store.root), services, print_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, "dean_zn")
        assert "待我审核 0" in screen_text(app)
        assert row_keys(app) == []  # the default filter: waiting for me
        app.screen.query_one("#queue-status", Select).value = Status.UNDER_REVIEW.value
        await settle(pilot)
        assert row_keys(app) == [ZN_UNDER_REVIEW]
        assert "教学秘书审核" in screen_text(app)
        await open_first(pilot)
        assert "您不是此环节的审核人" in screen_text(app)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ReviewDecisionScreen)  # no confirm: not offered
    me = actor(services, UNDER_REVIEW_STUDENT)
    assert services.application(me, ZN_UNDER_REVIEW).status == Status.UNDER_REVIEW


# -- trusted OS account ----------------------------------------------------------------


async def test_os_user_reviewer_skips_the_login(store, services, tmp_path):
    """--os-user: the CLI found the account in the mapping; the queue comes first."""
    app = make_app(
        Settings(db=store.root, os_user="rev_zn"),
        services,
        print_dir=tmp_path,
        actor=services.actor_for("rev_zn"),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReviewQueueScreen)
        assert not any(isinstance(s, LoginScreen) for s in app.screen_stack)
        assert row_keys(app) == [ZN_UNDER_REVIEW]


async def test_network_store_is_warned_about(make, monkeypatch):
    import credx_tui.mounts as mounts

    monkeypatch.setattr(mounts, "network_filesystem", lambda path, *a: "nfs4")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        notes = [n.message for n in app._notifications]
        assert any("网络文件系统（nfs4）" in n for n in notes)
        assert isinstance(app.screen, LoginScreen)  # a warning, not a stop
