"""Issue 10, item 1 in the TUI: Ctrl+U on 申请 (and on a returned application's 流程跟踪)
shows the draft's one-time upload link and the same link as a QR code that scans from
the screen cells; files posted to the link (services.links.accept_upload, what credx
serve runs in its own process) appear without a key press, and a save keeps them.
The path picker (F6) is offered only on a workstation install (credx_tui/doors.py)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
from textual.widgets import Button, Static

from credx_tui.app import make_app
from credx_tui.dialogs.attach_file import AttachDialog
from credx_tui.screens.apply import ApplyScreen
from credx_tui.screens.trail import TrailScreen
from credx_tui.services import Services, make_services
from credx_tui.services.links import accept_upload
from credx_tui.settings import Settings
from credx_tui.widgets.upload_link import UploadLinkDialog

from .conftest import (
    HAPPY_STUDENT,
    RETURNED_STUDENT,
    SIZES,
    UNDER_REVIEW_STUDENT,
    actor,
    open_exchange,
    screen_text,
    settle,
)
from .qr_cells import decoded, screen_cells
from .test_journey import pick_target

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from service_college import png_bytes

PUBLIC = "https://credx.example.edu.cn/"


@pytest.fixture
def linked(services: Services) -> Services:
    rules = services.rules
    services.rules = rules.model_copy(
        update={"service": rules.service.model_copy(update={"public_url": PUBLIC})}
    )
    return services


def server_side(services: Services) -> Services:
    """Services of another process on the same store (credx serve's)."""
    return make_services(services.store, services.rules)


async def wait_for_poll(pilot, seen) -> None:
    """Let the screens' store watcher run (no key is pressed) until ``seen()``, at most
    20 s (how fast is measured by benchmarks, never here)."""
    deadline = time.monotonic() + 20
    while not seen() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await settle(pilot)


async def open_apply(pilot, course: str = "高等数学(2-1)") -> None:
    await open_exchange(pilot, HAPPY_STUDENT)
    await pilot.press("f7")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ApplyScreen)
    await pick_target(pilot, course)
    await pilot.press("f4")  # the suggested offer
    await settle(pilot)


@pytest.mark.parametrize(
    ("size", "lang"), [*((s, "zh") for s in SIZES), ((80, 24), "en"), ((120, 40), "en")]
)
async def test_ctrl_u_shows_a_link_that_scans_and_files_arrive(make, linked, size, lang) -> None:
    app = make(lang, svc=linked)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot)
        apply = app.screen
        assert apply.application_id is None  # not saved yet
        await pilot.press("ctrl+u")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, UploadLinkDialog)
        # Saved first: the link belongs to a stored draft.
        assert apply.application_id is not None and dialog.application_id == apply.application_id
        me = actor(linked, HAPPY_STUDENT)
        assert linked.application(me, apply.application_id).status.value == "无流程"
        assert dialog.url.startswith(PUBLIC + "u/")
        screen = app.screen.region
        for part in ("#upload-qr", "#upload-url", "#upload-hint", "#upload-files", "#upload-close"):
            assert screen.contains_region(dialog.query_one(part).region), (part, size)
        assert decoded(screen_cells(dialog.query_one("#upload-qr"))) == dialog.url
        assert "upload-open" not in {b.id for b in dialog.query(Button)}  # a terminal
        waiting = "等待上传" if lang == "zh" else "Waiting for files"
        assert waiting in str(dialog.query_one("#upload-files", Static).render())

        # credx serve (another process) takes a file: the dialog lists it, no key pressed.
        token = dialog.url.rsplit("/", 1)[1]
        att = accept_upload(server_side(linked), token, png_bytes("phone"), "手机截图.png")
        files = dialog.query_one("#upload-files", Static)
        # The dialog and the screen behind it each read again when the watcher tells them.
        await wait_for_poll(
            pilot, lambda: bool(apply.attachments) and "手机截图.png" in str(files.render())
        )
        assert app.screen is dialog
        assert "手机截图.png" in str(dialog.query_one("#upload-files", Static).render())
        # The 申请 screen behind it took it too.
        assert [a.sha256 for a in apply.attachments] == [att.sha256]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is apply
        assert "手机截图.png" in screen_text(app)
        assert "【S4】" not in screen_text(app)  # the attachment S4 asks for is there
        assert not apply.unsaved_changes()  # it is stored already: Esc need not ask

        # A save keeps it.
        await pilot.press("f7")
        await settle(pilot)
        stored = linked.application(me, apply.application_id).attachments
        assert [a.sha256 for a in stored] == [att.sha256]


@pytest.mark.parametrize("size", SIZES)
async def test_the_dialog_follows_the_watcher_and_never_reads_on_the_event_loop(
    make, linked, size
) -> None:
    """Issue 13, item 3: the dialog no longer polls.  A file that credx serve's services
    take in another thread appears in the open dialog with no key pressed, read when
    the store watcher reports the student's hot file; meanwhile the services never
    read the application on the event loop (the 0.5 s poll did, every half second)."""
    app = make(svc=linked)
    async with app.run_test(size=size) as pilot:
        await open_apply(pilot)
        await pilot.press("ctrl+u")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, UploadLinkDialog)
        files = dialog.query_one("#upload-files", Static)
        assert "等待上传" in str(files.render())
        on_loop: list[str] = []
        read = linked.application

        def application(actor, app_id, *args, **kwargs):
            if threading.current_thread() is threading.main_thread():
                on_loop.append(app_id)
            return read(actor, app_id, *args, **kwargs)

        linked.application = application  # type: ignore[method-assign]
        token = dialog.url.rsplit("/", 1)[1]
        done: list[object] = []
        # credx serve's side, in another thread: the services alone, as its process would.
        sender = threading.Thread(
            target=lambda: done.append(
                accept_upload(server_side(linked), token, png_bytes("thread"), "线程截图.png")
            )
        )
        sender.start()
        await wait_for_poll(pilot, lambda: "线程截图.png" in str(files.render()))
        sender.join(20)
        assert done, "the upload did not finish"
        assert app.screen is dialog
        assert "线程截图.png" in str(files.render())
        assert [a.filename for a in dialog.arrived] == ["线程截图.png"]
        assert on_loop == []


async def test_a_save_right_after_an_upload_keeps_it(make, linked) -> None:
    """The upload lands between two polls and the student saves at once: the screen's
    list does not hold it yet, and the save keeps it (services merge under the lock)."""
    app = make(svc=linked)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_apply(pilot)
        await pilot.press("ctrl+u")
        await settle(pilot)
        dialog = app.screen
        token = dialog.url.rsplit("/", 1)[1]
        await pilot.press("escape")
        await settle(pilot)
        apply = app.screen
        assert isinstance(apply, ApplyScreen)
        apply.live_refresh = lambda: None  # type: ignore[method-assign]  # never sees it
        att = accept_upload(server_side(linked), token, png_bytes("between"), "b.png")
        assert apply.attachments == []
        await pilot.press("f7")
        await settle(pilot)
        me = actor(linked, HAPPY_STUDENT)
        assert [a.sha256 for a in linked.application(me, apply.application_id).attachments] == [
            att.sha256
        ]
        assert [a.sha256 for a in apply.attachments] == [att.sha256]  # and shows it now


async def test_ctrl_u_says_what_is_missing(make, services) -> None:
    """No course picked: Ctrl+U says to pick one; no public_url: the setting is named."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, HAPPY_STUDENT)
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        assert "请先选择拟兑换课程" in app.screen.message
        await pick_target(pilot, "高等数学(2-1)")
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        shown = [n.message for n in app._notifications]
        assert any("[service] public_url" in m and "credx rules" in m for m in shown), shown


async def test_a_returned_application_takes_files_from_the_trail(make, linked) -> None:
    app = make(svc=linked)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, RETURNED_STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        trail = app.screen
        assert isinstance(trail, TrailScreen)
        assert "upload" in {
            b.action for _, b, enabled, _ in trail.active_bindings.values() if enabled
        }
        await pilot.press("ctrl+u")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, UploadLinkDialog)
        assert dialog.application_id == trail.application_id
        assert decoded(screen_cells(dialog.query_one("#upload-qr"))) == dialog.url
        await pilot.press("escape")
        await settle(pilot)
        token = dialog.url.rsplit("/", 1)[1]
        accept_upload(server_side(linked), token, png_bytes("returned"), "补交截图.png")
        await wait_for_poll(pilot, lambda: "补交截图.png" in screen_text(app))
        assert app.screen is trail
        assert "补交截图.png" in screen_text(app)  # the summary, read again by the poll


async def test_no_upload_link_for_an_application_under_review(make, linked) -> None:
    app = make(svc=linked)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_exchange(pilot, UNDER_REVIEW_STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)
        enabled = {b.action for _, b, on, _ in app.screen.active_bindings.values() if on}
        assert "upload" not in enabled
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert isinstance(app.screen, TrailScreen)


@pytest.mark.parametrize("local", [True, False])
async def test_the_path_picker_only_on_a_workstation(store, linked, tmp_path, local) -> None:
    """Settings.local_files (the CLI decides with credx_tui/doors.py): with it F6 opens
    the picker; without it F6 is not in the footer and, pressed anyway, names Ctrl+U."""
    app = make_app(
        Settings(db=store.root, local_files=local), linked, print_dir=tmp_path / "prints"
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await open_apply(pilot)
        enabled = {b.action for _, b, on, _ in app.screen.active_bindings.values() if on}
        assert ("attach" in enabled) is local
        assert "upload" in enabled
        shown = screen_text(app)
        assert ("F6" in shown) is local and "Ctrl+U" in shown
        await pilot.press("f6")
        await settle(pilot)
        if local:
            assert isinstance(app.screen, AttachDialog)
        else:
            assert isinstance(app.screen, ApplyScreen)
            assert "Ctrl+U" in app.screen.message and "磁盘" in app.screen.message


async def test_in_the_browser_no_picker_and_the_page_opens(make, linked, monkeypatch) -> None:
    """Under credx serve (App.is_web) the picker is never offered, whatever the
    settings; the upload dialog offers to open the page in a new tab."""
    from credx_tui.app import CredxApp

    monkeypatch.setattr(CredxApp, "is_web", property(lambda self: True))
    opened: list[str] = []
    app = make(svc=linked)
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_apply(pilot)
        assert not app.local_files
        enabled = {b.action for _, b, on, _ in app.screen.active_bindings.values() if on}
        assert "attach" not in enabled
        await pilot.press("ctrl+u")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, UploadLinkDialog)
        assert app.focused is dialog.query_one("#upload-open", Button)
        await pilot.press("enter")
        await settle(pilot)
        assert opened == [dialog.url]


@pytest.mark.parametrize("base", ["https://credx.example.edu.cn/", "https://" + "x" * 56 + ".cn/"])
async def test_the_code_fits_80x24_for_a_long_public_url(make, services, base) -> None:
    """A public_url of 72 characters makes a larger code (version 6, 23 rows): the
    dialog drops its frame and the whole code is still on screen and scans."""
    assert len(base) <= 72
    rules = services.rules
    services.rules = rules.model_copy(
        update={"service": rules.service.model_copy(update={"public_url": base})}
    )
    app = make(svc=services)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_apply(pilot)
        await pilot.press("ctrl+u")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, UploadLinkDialog)
        qr = dialog.query_one("#upload-qr")
        assert app.screen.region.contains_region(qr.region), qr.region
        assert decoded(screen_cells(qr)) == dialog.url
        assert dialog.query_one("#upload-dialog").has_class("qr-tight") == (qr.size.height > 22)


async def test_no_upload_link_where_credx_serve_does_not_serve_the_store(
    make, linked, monkeypatch
) -> None:
    """The trainer's sandbox (``download_links`` off): Ctrl+U is not offered on 申请 or
    流程跟踪, and the page names F6 alone."""
    from credx_tui.app import CredxApp

    monkeypatch.setattr(CredxApp, "download_links", False)
    app = make(svc=linked)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_apply(pilot)
        enabled = {b.action for _, b, on, _ in app.screen.active_bindings.values() if on}
        assert "upload" not in enabled and "attach" in enabled
        assert "练习环境没有上传链接" in screen_text(app)
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
