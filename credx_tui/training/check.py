"""``credx train --check FILE`` (issue 15): a scenario checked against its fixture
before class, each problem named with its place (step number and id, field).

Without it a mistake surfaced late: an unknown student or source only at Ctrl+G in a
toast, a mistyped certificate id as "你的记录中没有通识选修课 ...", a ``highlight``
that matches nothing silently.  The check

1. reads the file (TOML and the format's fields: :func:`load_scenario`);
2. builds the scenario's sandbox from its fixture (the demo college by default);
3. checks the names against it: the student and the reviewer (accounts, roles, the
   scenario's password), each ``target`` on the student's transcript, each source
   among those the student holds for that target (with the near misses named);
4. walks the scenario on that sandbox as Ctrl+G would, headless: each step's screen
   is shown as its role and its ``highlight`` must match a widget there, each
   ``perform`` must be accepted by the services and must reach the step's ``expect``.

Problems of step 3 stop step 4 at the first step they concern (what follows would
only repeat them)."""

from __future__ import annotations

import asyncio
import difflib
from dataclasses import dataclass
from pathlib import Path

from credx_tui.screens.registry import names_of
from credx_tui.services import ServiceError
from credx_tui.training.scenario import Scenario, ScenarioError, Step, load_scenario
from credx_tui.training.session import Training, scenario_fixture
from policy.models import Role
from policy.rules import Rules

REVIEWER_SCREENS = names_of("reviewer")
"""Screens only a reviewer sees."""


@dataclass(frozen=True)
class Problem:
    """One mistake in a scenario: where (``top level`` or ``step 7 (apply-math)``),
    which field, and what is wrong."""

    where: str
    field: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}, field {self.field}: {self.text}"


def _near(ref: str, known: list[str]) -> list[str]:
    """Known ids close to a mistyped one: a letter O or I typed for 0 or 1 first,
    then the nearest by difflib."""
    typed = ref.upper().replace("O", "0").replace("I", "1")
    same = [k for k in known if k.upper().replace("O", "0").replace("I", "1") == typed]
    others = difflib.get_close_matches(ref, known, n=3, cutoff=0.5)
    return (same + [k for k in others if k not in same])[:3]


def _step_place(index: int, step: Step) -> str:
    return f"step {index + 1} ({step.id})"


def check_file(path: Path, rules: Rules, fixture: list[Path] | None = None) -> list[Problem]:
    """Every problem of the scenario in ``path`` (empty: it is fine).  A file that
    does not load raises :class:`ScenarioError` (its message names file and fields)."""
    scenario = load_scenario(path)
    fixture = fixture or scenario_fixture(scenario, path)
    training = Training(scenario, rules, fixture=fixture)
    try:
        problems, stop_at = _names(scenario, training)
        if stop_at is None or stop_at > 0:
            problems += asyncio.run(_walk(training, stop_at))
        return problems
    finally:
        training.close()


def _names(scenario: Scenario, training: Training) -> tuple[list[Problem], int | None]:
    """Step 3: the names against the sandbox; and the first step they make unusable
    (0: none can be walked; None: all can)."""
    services = training.services
    store = training.sandbox.store
    problems: list[Problem] = []
    student = store.student(scenario.student)
    if student is None:
        close = difflib.get_close_matches(scenario.student, [s.id for s in store.students()])
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        problems.append(
            Problem("top level", "student", f"no student {scenario.student} in the fixture{hint}")
        )
    for field, username, role in (
        ("student", scenario.student, Role.STUDENT),
        ("reviewer", scenario.reviewer, Role.REVIEWER),
    ):
        account = store.account(username)
        if account is None:
            if field == "reviewer" or student is not None:
                problems.append(Problem("top level", field, f"no account {username}"))
            continue
        if account.role != role:
            problems.append(
                Problem(
                    "top level", field, f"{username} is a {account.role.value}, not a {role.value}"
                )
            )
            continue
        try:
            services.login(username, scenario.password)
        except ServiceError as exc:
            problems.append(Problem("top level", "password", f"{username}: {exc.en}"))
    if problems:
        return problems, 0

    actor = services.actor_for(scenario.student)
    dossier = services.dossier(actor)
    codes = {r.code: r for r in dossier.transcript.records}
    stop_at: int | None = None
    for index, step in enumerate(scenario.steps):
        place = _step_place(index, step)
        found: list[Problem] = []
        if step.role == "student" and step.screen in REVIEWER_SCREENS:
            found.append(
                Problem(place, "screen", f"{step.screen} is a reviewer's screen; role is student")
            )
        if step.role == "reviewer" and step.screen not in (*REVIEWER_SCREENS, "login"):
            found.append(
                Problem(place, "screen", f"{step.screen} is a student's screen; role is reviewer")
            )
        for field, target in (
            ("expect.target", step.expect.target),
            ("perform.target", step.perform.target),
        ):
            if target and target not in codes:
                close = _near(target, list(codes))
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                found.append(
                    Problem(
                        place, field, f"no course {target} on {scenario.student}'s transcript{hint}"
                    )
                )
        target = step.perform.target
        if step.perform.sources and target in codes:
            options = services.sources(actor, target)
            held = {o.ref.ref: o for o in options}
            record = codes[target]
            for k, ref in enumerate(step.perform.sources):
                if ref in held:
                    continue
                close = _near(ref, list(held))
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                found.append(
                    Problem(
                        place,
                        f"perform.sources[{k}]",
                        f"{ref} is not a source {scenario.student} holds for "
                        f"{record.name} ({record.category.value}): "
                        f"{', '.join(held) or 'none'}{hint}",
                    )
                )
        if found and stop_at is None:
            stop_at = index
        problems += found
    return problems, stop_at


async def _walk(training: Training, stop_at: int | None) -> list[Problem]:
    """Step 4: the walk, headless, as Ctrl+G does it, up to ``stop_at``."""
    from credx_tui.app import make_app
    from credx_tui.settings import Settings
    from credx_tui.training.ui import TrainerMode

    problems: list[Problem] = []
    app = make_app(Settings(db=training.sandbox.root), training.services, training=training)
    mode = app.mode
    assert isinstance(mode, TrainerMode)
    steps = training.scenario.steps
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        for index, step in enumerate(steps[:stop_at]):
            place = _step_place(index, step)
            mode.walk.index = index
            mode.walk_message = None
            if step.highlight:  # only then is the screen needed (showing costs time)
                if not await mode.show_as(step.screen, step.role):
                    problems.append(Problem(place, "role", "the step's role may not log in"))
                    break
                await pilot.pause()
                screen = mode.walk_screen()
                try:
                    matched = bool(screen and screen.query(step.highlight))
                except Exception as exc:  # a malformed selector: Textual's own errors
                    problems.append(
                        Problem(place, "highlight", f"{step.highlight!r} is not a selector: {exc}")
                    )
                else:
                    if not matched:
                        problems.append(
                            Problem(
                                place,
                                "highlight",
                                f"{step.highlight!r} matches nothing on the {step.screen} screen",
                            )
                        )
            try:
                mode.walk.perform()
            except ServiceError as exc:
                problems.append(Problem(place, "perform", f"refused: {exc.en}"))
                break
            if step.expect.kind == "application" and not mode.walk.done():
                shown = mode.walk.application(step.expect.target or "")
                now = shown.status.value if shown else "no application"
                problems.append(
                    Problem(
                        place,
                        "expect",
                        f"after perform {step.expect.target} is {now}, "
                        f"not {step.expect.status or 'any status'}",
                    )
                )
    return problems


__all__ = ["Problem", "ScenarioError", "check_file"]
