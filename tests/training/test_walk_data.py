"""Trainer scenarios as data, the sandbox and the walk's logic, without the UI.

The UI tests (tests/ui) walk the same scenarios with Pilot; these prove the data and
the skip-ahead actions are right on their own, and that the real store is untouched."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from credx_tui.services import make_services
from credx_tui.services.loading import load_demo
from credx_tui.training.sandbox import Sandbox
from credx_tui.training.scenario import ScenarioError, load_scenario, shipped_scenarios
from credx_tui.training.walk import Walk
from policy.rules import load_rules

RULES = load_rules()


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(RULES) as box:
        yield box


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_three_scenarios_ship() -> None:
    ids = {load_scenario(p).id for p in shipped_scenarios()}
    assert {"guide-example", "returned-resubmitted", "extension-r7"} <= ids


@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.stem)
def test_each_scenario_skips_through_to_its_end(sandbox: Sandbox, path: Path) -> None:
    sandbox.reset()
    scenario = load_scenario(path)
    walk = Walk(scenario, make_services(sandbox.store, RULES))
    for step in scenario.steps:
        walk.perform()
        if step.expect.kind == "application":
            assert walk.done(), f"{scenario.id}/{step.id}: {step.expect} not met after perform"
        if step.expect.kind == "screen":
            walk.screen = step.expect.screen or ""
            assert walk.done()
        walk.next()
    assert walk.at_end


def test_expectations_wait_for_the_trainer(sandbox: Sandbox) -> None:
    sandbox.reset()
    scenario = load_scenario(shipped_scenarios()[0].with_name("guide-example.toml"))
    walk = Walk(scenario, make_services(sandbox.store, RULES))
    walk.index = [s.id for s in scenario.steps].index("apply-math")
    assert not walk.done()
    walk.perform()
    assert walk.done()
    walk.next()
    assert walk.step.id == "apply-english"
    walk.previous()
    assert walk.step.id == "apply-math"


def test_reset_is_complete(sandbox: Sandbox) -> None:
    sandbox.reset()
    start_state = tree(sandbox.root)
    walk = Walk(
        load_scenario(shipped_scenarios()[0].with_name("guide-example.toml")),
        make_services(sandbox.store, RULES),
    )
    walk.index = [s.id for s in walk.scenario.steps].index("apply-math")
    walk.perform()
    assert tree(sandbox.root) != start_state
    sandbox.reset()  # no timed assert: speed is measured by make bench, not by a test
    assert tree(sandbox.root) == start_state
    assert walk.application("G0101") is None  # services see the reset at once


def test_the_real_store_is_untouched(tmp_path: Path) -> None:
    real, _ = load_demo(tmp_path / "real", RULES)
    before = tree(real.root)
    with Sandbox(RULES) as box:
        walk = Walk(
            load_scenario(shipped_scenarios()[0].with_name("guide-example.toml")),
            make_services(box.store, RULES),
        )
        for _ in walk.scenario.steps:
            walk.perform()
            walk.next()
        assert not str(box.root).startswith(str(real.root))
    assert tree(real.root) == before


def test_sandbox_folder_is_removed(tmp_path: Path) -> None:
    box = Sandbox(RULES)
    folder = box.folder
    assert (folder / "SANDBOX").exists()
    box.close()
    assert not folder.exists()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("id = 'x'\n[[steps]\n", "not valid TOML"),
        ("id = 'x'\ntitle_zh='a'\ntitle_en='a'\nstudent='1'\nreviewer='r'\n", "field steps"),
        (
            "id='x'\ntitle_zh='a'\ntitle_en='a'\nstudent='1'\nreviewer='r'\n"
            "[[steps]]\nid='one'\nprocedure='S9'\nscreen='login'\ntitle_zh='a'\ntitle_en='a'\n"
            "text_zh='a'\ntext_en='a'\n",
            "field steps[0] (step one).procedure",
        ),
        (
            "id='x'\ntitle_zh='a'\ntitle_en='a'\nstudent='1'\nreviewer='r'\n"
            "[[steps]]\nid='one'\nprocedure='S4'\nscreen='apply'\ntitle_zh='a'\ntitle_en='a'\n"
            "text_zh='a'\ntext_en='a'\nperform={action='return', target='G0101'}\n",
            "needs perform.reason",
        ),
    ],
)
def test_malformed_scenario_names_file_and_field(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert str(path) in str(exc.value) and words in str(exc.value)


def test_skip_ahead_attaches_the_sample_screenshot(sandbox: Sandbox) -> None:
    """Issue 15, item 4: the returned application's step says 补充成绩截图; skipping it
    attaches the bundled sample screenshot under the scenario's name, through the
    services, next to the one it had, and submits."""
    from credx_tui.demo import DEMO_SCREENSHOT

    sandbox.reset()
    scenario = load_scenario(shipped_scenarios()[0].with_name("returned-resubmitted.toml"))
    walk = Walk(scenario, make_services(sandbox.store, RULES))
    walk.index = [s.id for s in scenario.steps].index("correct")
    before = walk.application("G0301")
    assert before is not None and [a.filename for a in before.attachments] == ["成绩截图.png"]
    walk.perform()
    after = walk.application("G0301")
    assert after is not None and after.status.value == "审核中"
    names = [a.filename for a in after.attachments]
    assert names == ["成绩截图.png", "补考成绩截图.png"]
    added = after.attachments[1]
    assert added.media_type == "image/png"
    assert added.sha256 != after.attachments[0].sha256  # told apart by their digest
    stored = sandbox.store.read_attachment(added.sha256)
    from PIL import Image

    with Image.open(io.BytesIO(stored)) as shown, Image.open(DEMO_SCREENSHOT) as sample:
        assert shown.size == sample.size and shown.tobytes() == sample.tobytes()


def test_attach_needs_a_save_and_a_file_name(tmp_path: Path) -> None:
    head = (
        "id='x'\ntitle_zh='a'\ntitle_en='a'\nstudent='1'\nreviewer='r'\n"
        "[[steps]]\nid='one'\nprocedure='S4'\nscreen='apply'\ntitle_zh='a'\ntitle_en='a'\n"
        "text_zh='a'\ntext_en='a'\n"
    )
    path = tmp_path / "s.toml"
    for perform, words in [
        ("{action='approve', target='G0101', attach='a.png'}", "perform.attach goes with"),
        ("{action='apply', target='G0101', sources=['T1'], attach='../a.png'}", "perform.attach"),
    ]:
        path.write_text(head + f"perform={perform}\n", encoding="utf-8")
        with pytest.raises(ScenarioError) as exc:
            load_scenario(path)
        assert words in str(exc.value)


def test_the_notes_terminal_follows_the_walk(sandbox: Sandbox, tmp_path: Path, monkeypatch) -> None:
    """`credx train --notes`: waits for a session, shows the current step's notes as
    the walk moves, and says when the session has ended."""
    import io
    import tempfile

    from credx_tui.training import notes

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sandbox.reset()
    scenario = load_scenario(shipped_scenarios()[0].with_name("guide-example.toml"))
    walk = Walk(scenario, make_services(sandbox.store, RULES))
    out = io.StringIO()
    polls = iter(range(6))

    def keep_going() -> bool:
        n = next(polls, None)
        if n == 1:  # the trainer starts
            notes.announce(sandbox.folder)
            notes.write_state(sandbox.folder, notes.walk_state(walk, "zh"))
        elif n == 3:  # and walks on
            walk.index = [s.id for s in scenario.steps].index("ratio")
            notes.write_state(sandbox.folder, notes.walk_state(walk, "zh"))
        elif n == 5:  # and quits
            notes.retract(sandbox.folder)
        return n is not None

    assert notes.follow(out, "zh", interval=0, keep_going=keep_going) == 0
    shown = out.getvalue()
    assert shown.startswith("等待本机的 credx train 开始")
    assert scenario.steps[0].notes in shown and "第 1/11 步  登录" in shown
    ratio = next(s for s in scenario.steps if s.id == "ratio")
    assert ratio.notes in shown and "下一步：申请高等数学(2-1)" in shown
    assert shown.rstrip().endswith("培训已结束")
    assert not notes.pointer_path().exists()


def test_a_pointer_of_another_account_is_ignored(tmp_path: Path, monkeypatch) -> None:
    import io
    import os
    import tempfile

    from credx_tui.training import notes

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pointer = notes.pointer_path()
    pointer.write_text('{"sandbox": "/"}', encoding="utf-8")
    owner = pointer.stat().st_uid
    other = tmp_path / f"credx-train-{owner + 1}.json"
    pointer.rename(other)  # the file the other account's reader looks for ...
    monkeypatch.setattr(os, "getuid", lambda: owner + 1)  # ... owned by someone else
    assert notes.pointer_path() == other
    out = io.StringIO()
    polls = iter(range(2))
    notes.follow(out, "en", interval=0, keep_going=lambda: next(polls, None) is not None)
    assert out.getvalue().startswith("Waiting for credx train")
