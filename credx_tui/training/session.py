"""One training session: the scenario being walked, its sandbox and the services on it.

The CLI (``credx train``) and the tests build a :class:`Training` and hand it to the
composition root (``make_app(..., training=...)``).  Nothing here opens the real store:
the only store is the sandbox's.  This module imports neither Textual nor Rich."""

from __future__ import annotations

from pathlib import Path

from credx_tui.services import make_services
from credx_tui.training.sandbox import Sandbox
from credx_tui.training.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    shipped_scenarios,
)
from credx_tui.training.walk import Walk
from policy.rules import Rules

DEFAULT_SCENARIO = "guide-example"
"""The scenario ``credx train`` starts with when none is named: the guide's own example."""


def find_scenario(name: str | None) -> tuple[Scenario, Path]:
    """A scenario by file path or by the id of a shipped one; :class:`ScenarioError`
    names the file and field of a malformed one, or lists the shipped ids."""
    name = name or DEFAULT_SCENARIO
    path = Path(name).expanduser()
    if path.suffix == ".toml" or path.exists() or "/" in name:
        return load_scenario(path), path
    for shipped in shipped_scenarios():
        scenario = load_scenario(shipped)
        if scenario.id == name or shipped.stem == name:
            return scenario, shipped
    ids = ", ".join(p.stem for p in shipped_scenarios())
    raise ScenarioError(f"{name}: no such scenario file or shipped scenario (shipped: {ids})")


def scenario_fixture(scenario: Scenario, path: Path) -> list[Path] | None:
    """The import files a scenario names, relative to its file (None: the demo college)."""
    if scenario.fixture is None:
        return None
    fixture = (path.parent / scenario.fixture).resolve()
    if not fixture.exists():
        raise ScenarioError(f"{path}: field fixture: no such file or folder {fixture}")
    return [fixture]


class Training:
    """A scenario walked on a sandbox; :meth:`close` deletes the sandbox."""

    def __init__(
        self,
        scenario: Scenario,
        rules: Rules,
        sandbox: Sandbox | None = None,
        fixture: list[Path] | None = None,
    ) -> None:
        self.rules = rules
        """The college's rules (the same file the real app would use)."""
        self.fixture = fixture
        """Import files of the sandbox (None: the demo college)."""
        self.sandbox = sandbox or Sandbox(rules, fixture)
        """The throwaway store; the only store of the trainer's app."""
        self.owns_sandbox = sandbox is None
        """Whether :meth:`close` deletes the sandbox (tests share one across cases)."""
        self.services = make_services(self.sandbox.store, rules)
        """The use cases on the sandbox."""
        self.walk = Walk(scenario, self.services)
        """Where the class is in the scenario."""
        self.large_text = False
        """Start with the panel's large-text mode on (``credx train --large``)."""

    @property
    def scenario(self) -> Scenario:
        """The scenario being walked."""
        return self.walk.scenario

    def reset(self) -> None:
        """The sandbox back to its start and the walk back to its first step."""
        self.sandbox.reset()
        self.walk.restart()

    def switch(self, scenario: Scenario) -> None:
        """Walk another scenario of the same sandbox, from a fresh start."""
        self.walk = Walk(scenario, self.services)
        self.reset()

    def close(self) -> None:
        """Delete the sandbox folder (when this session made it)."""
        if self.owns_sandbox:
            self.sandbox.close()
