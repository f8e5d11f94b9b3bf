"""The guided walk's logic, apart from the screens: where we are, whether the step's
expectation holds, and doing the step in the trainer's place ("skip ahead").

The screens tell the walk which screen is showing and which dialogs have been shown;
everything about applications is asked of the services, so what the panel says is
what the store holds."""

from __future__ import annotations

import struct
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from credx_tui.demo import DEMO_SCREENSHOT
from credx_tui.services import Actor, NotFound, Services
from credx_tui.training.scenario import Scenario, Step
from policy import workflow
from policy.models import Attachment, ExchangeApplication, SourceKind, SourceRef


@dataclass
class Walk:
    """A scenario being walked on one sandbox's services."""

    scenario: Scenario
    services: Services
    index: int = 0
    screen: str = "login"
    """The screen showing now (set by the UI)."""
    dialogs_seen: set[str] = field(default_factory=set)
    """Dialogs shown since the step began (set by the UI)."""
    screens_seen: set[str] = field(default_factory=set)
    """Screens shown since the step began (set by the UI): a step that asks for the
    portal is done once the trainer got there, even if they went on to the next page."""

    @property
    def step(self) -> Step:
        """The current step."""
        return self.scenario.steps[self.index]

    @property
    def at_end(self) -> bool:
        """Whether the current step is the last one."""
        return self.index == len(self.scenario.steps) - 1

    def next(self) -> Step:
        """Move to the next step (stays on the last)."""
        self.index = min(self.index + 1, len(self.scenario.steps) - 1)
        self.dialogs_seen.clear()
        self.screens_seen.clear()
        return self.step

    def previous(self) -> Step:
        """Move to the previous step (stays on the first)."""
        self.index = max(self.index - 1, 0)
        self.dialogs_seen.clear()
        self.screens_seen.clear()
        return self.step

    def restart(self) -> Step:
        """Back to the first step (after a sandbox reset)."""
        self.index = 0
        self.screen = "login"
        self.dialogs_seen.clear()
        self.screens_seen.clear()
        return self.step

    # -- who acts --------------------------------------------------------------------

    def student(self) -> Actor:
        """The scenario's student, as the services know them."""
        return self.services.actor_for(self.scenario.student)

    def reviewer(self) -> Actor:
        """The scenario's reviewer."""
        return self.services.actor_for(self.scenario.reviewer)

    # -- expectations ------------------------------------------------------------------

    def application(self, target: str) -> ExchangeApplication | None:
        """The student's newest application for ``target``."""
        apps = [a for a in self.services.applications(self.student()) if a.target == target]
        return apps[0] if apps else None

    def done(self) -> bool:
        """Whether the current step's expectation holds now."""
        expect = self.step.expect
        if expect.kind == "none":
            return True
        if expect.kind == "screen":
            return self.screen == expect.screen or expect.screen in self.screens_seen
        if expect.kind == "dialog":
            return expect.dialog in self.dialogs_seen
        app = self.application(expect.target or "")
        return app is not None and (not expect.status or app.status.value == expect.status)

    # -- skip ahead --------------------------------------------------------------------

    def perform(self) -> ExchangeApplication | None:
        """Do the step in the trainer's place, through the services; returns the
        application it touched, if any.  Raises the services' refusals unchanged (a
        scenario that performs an impossible step is wrong, and the panel says so)."""
        act = self.step.perform
        if act.action in ("none", "open"):
            return None
        target = act.target or ""
        if act.action in ("save", "apply"):
            student = self.student()
            existing = self.application(target)
            editable = existing is not None and workflow.editable(existing)
            app_id = existing.id if editable and existing is not None else None
            sources = [self._source(student, target, ref, app_id) for ref in act.sources]
            # S4: the sandbox's student attaches the demo college's grade screenshot.
            shots = (
                list(existing.attachments)
                if editable and existing is not None and existing.attachments
                else [self.services.attach(student, DEMO_SCREENSHOT)]
            )
            if act.attach and not any(a.filename == act.attach for a in shots):
                shots.append(self._attach_sample(student, act.attach))
            saved = self.services.save(
                student, target, sources, application_id=app_id, attachments=shots
            )
            return saved if act.action == "save" else self.services.submit(student, saved.id)
        app = self.application(target)
        if app is None:
            raise NotFound(f"没有《{target}》的申请", f"no application for {target}")
        if act.action == "submit":
            return self.services.submit(self.student(), app.id)
        if act.action == "approve":
            return self.services.approve(self.reviewer(), app.id, expected_revision=app.revision)
        return self.services.return_(
            self.reviewer(), app.id, act.reason, expected_revision=app.revision
        )

    def _attach_sample(self, student: Actor, filename: str) -> Attachment:
        """The bundled sample screenshot, attached as ``filename`` through the
        services (the same content and size checks as a student's own file).

        The picture is the sample's, marked with the file name in a PNG text chunk:
        attachments are told apart by their SHA-256 (the reviewer's list, the store),
        so a second file must not be the first one's bytes again."""
        with tempfile.TemporaryDirectory(prefix="credx-train-attach-") as folder:
            copy = Path(folder) / filename
            copy.write_bytes(marked_png(DEMO_SCREENSHOT.read_bytes(), filename))
            return self.services.attach(student, copy)

    def _source(
        self, student: Actor, target: str, ref: str, application_id: str | None
    ) -> SourceRef:
        for option in self.services.sources(student, target, application_id):
            if option.ref.ref == ref:
                return option.ref
        return SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=ref)


def marked_png(png: bytes, note: str) -> bytes:
    """``png`` with a ``tEXt`` chunk (keyword ``Comment``) carrying ``note`` inserted
    before its ``IEND`` chunk: the same picture, other bytes."""
    end = png.rindex(b"IEND") - 4  # the chunk's length field comes first
    data = b"Comment\x00credx trainer sample " + note.encode("utf-8").hex().encode("ascii")
    chunk = b"tEXt" + data
    return (
        png[:end]
        + struct.pack(">I", len(data))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
        + png[end:]
    )
