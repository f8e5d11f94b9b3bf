"""The student's journey S1-S5 with the demo college, pressing the real keys at 80x24
and 120x40; each test asserts on what the screen shows and what the store holds
(read back through the services)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import DataTable, Input, OptionList

from credx_tui.dialogs.confirm import ConfirmDialog
from credx_tui.dialogs.hidden_courses import HiddenCoursesDialog
from credx_tui.dialogs.ratio import RatioDialog
from credx_tui.screens.apply import ApplyScreen
from credx_tui.screens.exchange import ExchangeScreen
from credx_tui.screens.portal import PortalScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.services import Services
from policy.models import ReviewAction, Status

from .conftest import (
    HAPPY_STUDENT,
    PASSWORD,
    RETURNED_STUDENT,
    SIZES,
    UNDER_REVIEW_STUDENT,
    actor,
    attach_shot,
    login,
    open_exchange,
    screen_text,
    settle,
)


def code_of(services: Services, username: str, name: str) -> str:
    """校内课程代码 of a course on the student's transcript."""
    dossier = services.dossier(actor(services, username))
    return next(r.code for r in dossier.transcript.records if r.name == name)


async def pick_target(pilot, name: str) -> None:
    """Move the course picker to ``name`` and press Enter (R9: only offered ones)."""
    targets = pilot.app.screen.query_one("#targets", OptionList)
    targets.focus()
    await pilot.pause()
    prompts = [str(o.prompt) for o in targets.options]
    index = next(i for i, p in enumerate(prompts) if f" {name} " in p)
    targets.highlighted = 0
    await pilot.press(*(["down"] * index), "enter")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
async def test_happy_path_two_applications_one_after_another(make, services, size, tmp_path):
    """R3: 高等数学(2-1) with enough 通识选修课 credits, submitted; then 英语(2-2)."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, HAPPY_STUDENT)
        assert isinstance(app.screen, PortalScreen)
        assert "江浩宇" in screen_text(app)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)
        assert "没有符合表中记录" in screen_text(app)

        for course in ("高等数学(2-1)", "英语(2-2)"):
            await pilot.press("f7")
            await settle(pilot)
            assert isinstance(app.screen, ApplyScreen)
            await pick_target(pilot, course)
            if course == "英语(2-2)":  # credits spent by the first one are marked
                assert "已被申请" in screen_text(app)
            await pilot.press("f4")  # the suggested offer
            await settle(pilot)
            shown = screen_text(app)
            assert "满足兑换比例" in shown
            assert "R7" in shown
            assert "【S4】" in shown  # said before submit: an attachment is needed
            await attach_shot(pilot, tmp_path)
            assert "【S4】" not in screen_text(app)
            await pilot.press("f8")
            await settle(pilot)
            assert isinstance(app.screen, ExchangeScreen)

        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        shown = screen_text(app)
        assert shown.count("审核中") >= 2
        assert "高等数学(2-1)" in shown and "英语(2-2)" in shown

    apps = services.applications(actor(services, HAPPY_STUDENT))
    targets = {a.target: a for a in apps}
    math, english = (code_of(services, HAPPY_STUDENT, n) for n in ("高等数学(2-1)", "英语(2-2)"))
    assert set(targets) == {math, english}
    assert all(a.status == Status.UNDER_REVIEW for a in apps)
    # Credits are spent once: the two applications share no source.
    assert not set(targets[math].sources) & set(targets[english].sources)
    offered = sum(
        services.dossier(actor(services, HAPPY_STUDENT)).transcript.record(r.ref).credits
        for r in targets[math].sources
    )
    assert offered >= 4


async def test_escape_asks_before_dropping_an_unsaved_offer(make, services):
    """Esc on 申请 with a course and a source chosen but not saved asks first; 取消 keeps
    the offer, 确定 goes back and nothing was written."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        await pick_target(pilot, "高等数学(2-1)")
        await pilot.press("enter")  # tick a source
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # 取消
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen) and app.screen.chosen
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")  # 确定
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)
    assert services.applications(actor(services, HAPPY_STUDENT)) == []


@pytest.mark.parametrize("size", SIZES)
async def test_ratio_dialog_and_pick_again(make, services, size, tmp_path):
    """R8: an offer short of the ratio opens the dialog; the student picks again."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        await pick_target(pilot, "高等数学(2-1)")
        await pilot.press("enter")  # tick the first source: 2 credits of the 4 needed
        await settle(pilot)
        assert "不满足兑换比例" in screen_text(app)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, RatioDialog)
        shown = screen_text(app)
        assert "兑换学分不符合兑换比例要求" in shown
        assert "【R8】" in shown
        await pilot.press("enter")  # 重新选择
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        await pilot.press("f4")
        await attach_shot(pilot, tmp_path)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ExchangeScreen)
    [submitted] = services.applications(actor(services, HAPPY_STUDENT))
    assert submitted.status == Status.UNDER_REVIEW


@pytest.mark.parametrize("size", SIZES)
async def test_hidden_courses_with_their_rules(make, size):
    """R9: hidden from the picker, explained on F3 with the rule of each."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        picker = "\n".join(
            str(o.prompt) for o in app.screen.query_one("#targets", OptionList).options
        )
        assert "入学教育与军训" not in picker
        assert "高等数学(2-1)" in picker
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, HiddenCoursesDialog)
        shown = screen_text(app)
        assert "入学教育与军训" in shown and "【R5】" in shown
        assert "【R1】" in shown  # passed courses
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_delete_refused_under_review(make, services, size):
    """R10: an application 审核中 cannot be deleted; the refusal says why."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        assert "审核中" in screen_text(app)
        await pilot.press("space", "f8")
        await settle(pilot)
        # Refused at once, citing R10: no confirmation is asked for what cannot be done.
        assert isinstance(app.screen, ExchangeScreen)
        shown = screen_text(app)
        assert "不能删除" in shown and "【R10】" in shown
    [still] = services.applications(actor(services, UNDER_REVIEW_STUDENT))
    assert still.status == Status.UNDER_REVIEW


@pytest.mark.parametrize("size", SIZES)
async def test_returned_application_corrected_and_resubmitted(make, services, size):
    """S5: a 被退回 application shows the reviewer's reason, is corrected, resubmitted."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, RETURNED_STUDENT)
        assert "被退回" in screen_text(app)
        await pilot.press("enter")  # 流程跟踪 of the row
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        shown = screen_text(app)
        assert "退回" in shown
        [returned] = services.applications(actor(services, RETURNED_STUDENT))
        reason = next(
            e.reason
            for e in services.trail(actor(services, RETURNED_STUDENT), returned.id)
            if e.action == ReviewAction.RETURN
        )
        assert reason and reason[:10] in shown
        await pilot.press("f7")  # 修改
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        await pilot.press("f4", "f8")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        assert "审核中" in screen_text(app)
    again = services.application(actor(services, RETURNED_STUDENT), returned.id)
    assert again.status == Status.UNDER_REVIEW
    actions = [e.action for e in services.trail(actor(services, RETURNED_STUDENT), returned.id)]
    assert actions.index(ReviewAction.RETURN) < len(actions) - 1
    assert actions[-1] == ReviewAction.SUBMIT


@pytest.mark.parametrize("size", SIZES)
async def test_attachments_refused_for_type_and_size(make, services, tmp_path, size):
    """S4: PNG, JPEG or PDF by content and within the size limit; each refusal explained."""
    fake = tmp_path / "grades.png"
    fake.write_text("not really a picture")
    big = tmp_path / "huge.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (services.rules.attachments.max_bytes + 1))
    good = tmp_path / "shot.png"
    good.write_bytes(_png())
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        await pick_target(pilot, "高等数学(2-1)")
        await pilot.press("f4")
        for path, expected in ((fake, "只接受 PNG"), (big, "超过上限"), (good, "已添加附件")):
            await pilot.press("f6")
            await settle(pilot)
            # The path typed (set at once: key-by-key typing of a long path is slow).
            app.screen.query_one("#attach-path", Input).value = str(path)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ApplyScreen)
            assert expected in screen_text(app)
        await pilot.press("f7")  # save as 无流程
        await settle(pilot)
        assert "已保存为无流程" in screen_text(app)
    [saved] = services.applications(actor(services, HAPPY_STUDENT))
    assert saved.status == Status.DRAFT
    assert [a.filename for a in saved.attachments] == ["shot.png"]


@pytest.mark.parametrize("size", SIZES)
async def test_login_failures_each_explained(make, services, size):
    """An unknown 学号 and a wrong password get the same words (issue 9); after 5
    failures even the right password waits a growing delay, and says how long."""
    frozen = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
    services.clock = lambda: frozen
    app = make()
    async with app.run_test(size=size) as pilot:
        await login(pilot, "9999999999")
        unknown = screen_text(app)
        assert "学号或密码错误" in unknown
        await login(pilot, HAPPY_STUDENT, "nope")
        assert "学号或密码错误" in screen_text(app)
        assert "9999999999" not in screen_text(app)
        for _ in range(3):
            await login(pilot, HAPPY_STUDENT, "nope")
        assert "秒后再试" not in screen_text(app)
        await login(pilot, HAPPY_STUDENT, "nope")  # the fifth
        await login(pilot, HAPPY_STUDENT)  # even the right password waits now
        assert "请 1 秒后再试" in screen_text(app)
        assert not isinstance(app.screen, PortalScreen)
    account = services.store.account(HAPPY_STUDENT)
    assert account is not None and account.locked_until is not None


@pytest.mark.parametrize("size", SIZES)
async def test_language_switch_live_and_from_settings(make, size):
    """F2 switches Chinese and English live; ``--lang en`` starts in English."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        assert "Credit exchange: log in" in screen_text(app)
        await login(pilot, HAPPY_STUDENT)
        shown = screen_text(app)
        assert "Print transcript" in shown and "Credit exchange" in shown
        await pilot.press("f2")
        await settle(pilot)
        assert "学生成绩总表打印" in screen_text(app)
        assert any(b.description == "学分兑换" for _, b in app.screen._bindings)
    english = make(lang="en")
    async with english.run_test(size=size) as pilot:
        await settle(pilot)
        assert "Student ID" in screen_text(english)


async def test_f2_halfway_through_the_login_keeps_what_was_typed(make):
    """Switching language on the login screen keeps the 学号 typed so far and the
    cursor in its field, so typing goes on where it stopped."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"20181101")
        await pilot.press("f2")
        await settle(pilot)
        assert "Credit exchange: log in" in screen_text(app)
        await pilot.press(*"01", "enter")
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert app.actor is not None and app.actor.username == HAPPY_STUDENT


@pytest.mark.parametrize("size", SIZES)
async def test_withdraw_an_application_under_review(make, services, size):
    """S5: an application 审核中 at its first step can be withdrawn (back to 无流程)."""
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        await pilot.press("f9")  # 流程跟踪 of the current row
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        await pilot.press("f9")  # 撤回
        await settle(pilot)
        await pilot.press("enter")  # 确定
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        assert "无流程" in screen_text(app)
    [withdrawn] = services.applications(actor(services, UNDER_REVIEW_STUDENT))
    assert withdrawn.status == Status.DRAFT


async def test_graduation_effect_warns_when_extension_credits_run_short(make):
    """R7: paying a 专业基础课 with 专业拓展课 credits that graduation needs is warned."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "2023110101")  # 林书远: 数据库应用基础 failed after 补考
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        await pick_target(pilot, "数据库应用基础")
        await pilot.press("enter")  # tick one 专业拓展课 source
        await settle(pilot)
        shown = screen_text(app)
        assert "专业拓展课" in shown
        assert "【R7】" in shown and "以免无法毕业" in shown


async def test_language_switch_keeps_the_offer_being_built(make):
    """F2 in the middle of an application: the course and the ticked credits stay."""
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        await pick_target(pilot, "高等数学(2-1)")
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        shown = screen_text(app)
        assert "Offered 4 of 4 credits needed" in shown
        assert "(*) 高等数学(2-1)" in shown


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
