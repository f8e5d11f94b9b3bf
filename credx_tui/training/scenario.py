"""Trainer scenarios: a guided walk through S1 to S5 is data, one TOML file each.

A trainer writes a file like ``credx_tui/training/scenarios/guide-example.toml`` and
runs ``credx train --scenario FILE``.  Each step says which procedure step and rules it
shows, what to do and why (zh and en), which widget to highlight, what the walk waits
for (``expect``), and what "skip ahead" does in the trainer's place (``perform``).

A malformed file is refused with the file, the field and what was expected."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from credx_tui.screens.registry import ScreenName
from policy.bilingual import Bilingual
from policy.validation import problem_report

SCENARIO_DIR = Path(str(files("credx_tui.training") / "scenarios"))
"""The scenarios shipped with credx (package data)."""

Screen = ScreenName
"""Screens a step can happen on (the walk shows the panel beside them): the app's
screen registry (credx_tui/screens/registry.py) names them."""


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    """What the walk waits for before the next step counts as done.

    - ``screen``: the trainer is on ``screen``;
    - ``application``: the student has an application for ``target`` in ``status``
      (any status when ``status`` is empty);
    - ``dialog``: the dialog named ``dialog`` was shown (the R8 ratio dialog, the list of
      hidden courses);
    - ``none``: reading the panel is the step; the trainer presses next.
    """

    kind: Literal["screen", "application", "dialog", "none"] = "none"
    screen: Screen | None = None
    target: str | None = None
    status: Literal["", "无流程", "审核中", "审核通过", "被退回"] = ""
    dialog: Literal["ratio", "hidden_courses", "print"] | None = None

    @model_validator(mode="after")
    def _complete(self) -> Expect:
        needs = {"screen": "screen", "application": "target", "dialog": "dialog"}
        field = needs.get(self.kind)
        if field and getattr(self, field) is None:
            raise ValueError(f"expect.kind = {self.kind!r} needs expect.{field}")
        return self


class Perform(_Strict):
    """What skipping ahead does in the trainer's place, through the services.

    ``save``, ``submit`` and ``apply`` (save, then submit) act as the scenario's student,
    ``approve`` and ``return`` as its reviewer; ``open`` shows ``screen`` as the step's
    role (logging that account in); ``none`` does nothing.

    ``save`` and ``apply`` keep the application's attachments; an application without
    one gets the bundled sample grade screenshot (S4 asks for one).  ``attach`` names
    a file under which that sample is attached in addition (a returned application
    "补充成绩截图", issue 15): the student's step done through the services, upload
    check included."""

    action: Literal["none", "open", "save", "submit", "apply", "approve", "return"] = "none"
    screen: Screen | None = None
    target: str | None = None
    sources: list[str] = Field(default_factory=list)
    reason: str = ""
    attach: str = Field(default="", pattern=r"^([^/\\\x00]+\.(png|jpg|jpeg|pdf))?$")
    """File name (PNG, JPEG or PDF, no folder) under which the bundled sample
    screenshot is attached; empty: none."""

    @model_validator(mode="after")
    def _complete(self) -> Perform:
        if self.action == "open" and self.screen is None:
            raise ValueError("perform.action = 'open' needs perform.screen")
        if self.action in ("save", "submit", "apply", "approve", "return") and not self.target:
            raise ValueError(f"perform.action = {self.action!r} needs perform.target")
        if self.action in ("save", "apply") and not self.sources:
            raise ValueError(f"perform.action = {self.action!r} needs perform.sources")
        if self.action == "return" and not self.reason.strip():
            raise ValueError("perform.action = 'return' needs perform.reason (R11)")
        if self.attach and self.action not in ("save", "apply"):
            raise ValueError("perform.attach goes with perform.action = 'save' or 'apply'")
        return self


class Step(_Strict):
    """One step of the walk."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    procedure: Literal["S1", "S2", "S3", "S4", "S5"]
    """The step of procedure.md this shows."""
    rules: list[str] = Field(default_factory=list)
    """Rules of procedure.md that apply (R1 ... R11)."""
    role: Literal["student", "reviewer"] = "student"
    """Whose side the screen shows (the role switch)."""
    screen: Screen
    highlight: str | None = None
    """CSS selector of the widget to use (highlighted beside the panel)."""
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    text_zh: str = Field(min_length=1)
    text_en: str = Field(min_length=1)
    expect: Expect = Expect()
    perform: Perform = Perform()
    notes: str = ""
    """Presenter notes: shown only by ``credx train --notes`` on a second terminal,
    never on the screen the class sees (issue 15)."""

    @model_validator(mode="after")
    def _rule_ids(self) -> Step:
        bad = [r for r in self.rules if r not in {f"R{n}" for n in range(1, 12)}]
        if bad:
            raise ValueError(f"rules must be R1 ... R11, not {bad}")
        return self

    @property
    def title(self) -> Bilingual:
        """The step's title (``title_zh``/``title_en`` of the file)."""
        return Bilingual(self.title_zh, self.title_en)

    @property
    def body(self) -> Bilingual:
        """What to do and why (``text_zh``/``text_en`` of the file)."""
        return Bilingual(self.text_zh, self.text_en)


class Scenario(_Strict):
    """A whole walk: its demo student and reviewer, and its steps."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    summary_zh: str = ""
    summary_en: str = ""
    student: str = Field(min_length=1, description="the demo student's 学号")
    reviewer: str = Field(min_length=1, description="the reviewer account of the role switch")
    password: str = "demo"
    fixture: str | None = None
    """Import files for the sandbox, relative to the scenario file (default: demo college)."""
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_steps(self) -> Scenario:
        seen: set[str] = set()
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"two steps have the id {step.id!r}")
            seen.add(step.id)
        return self

    @property
    def title(self) -> Bilingual:
        """The scenario's title (``title_zh``/``title_en`` of the file)."""
        return Bilingual(self.title_zh, self.title_en)

    @property
    def summary(self) -> Bilingual:
        """What the walk shows (``summary_zh``/``summary_en``; may be empty)."""
        return Bilingual(self.summary_zh, self.summary_en)


def _step_label(name: str, item: object) -> str | None:
    """A step is named by its id beside its index: ``steps[3] (step apply-math)``."""
    if name == "steps" and isinstance(item, dict) and item.get("id"):
        return f"step {item['id']}"
    return None


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file; :class:`ScenarioError` names file and field."""
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read the scenario: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{file}: the scenario is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{file}: not valid TOML: {exc}") from None
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        report = problem_report(str(file), "the scenario", exc, raw=raw, label=_step_label)
        raise ScenarioError(report) from None


def shipped_scenarios() -> list[Path]:
    """The scenario files that come with credx, by name."""
    return sorted(SCENARIO_DIR.glob("*.toml"))
