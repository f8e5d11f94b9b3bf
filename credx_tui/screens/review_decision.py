"""Deciding one application (R11): the target course and its sittings, the offered
sources with their grades, the ratio, graduation credits before and after, the
policy's verdict now (and whether it changed since submission), the attachments and
流程跟踪; approve, return with a reason, next and previous over the queue."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from credx_tui.describe import event_action, event_step_name, step_name
from credx_tui.dialogs.approve_comment import ApproveDialog
from credx_tui.dialogs.return_reason import ReturnReasonDialog
from credx_tui.i18n import term
from credx_tui.live_screen import LiveScreen
from credx_tui.localize import bind
from credx_tui.screens.attachment_viewer import AttachmentViewerScreen
from credx_tui.services import Conflict, Refused, ServiceError
from credx_tui.services.documents import render_application_pdf
from credx_tui.services.live import Interest, application_interest
from credx_tui.services.review import ReviewFile
from credx_tui.ui import CredxScreen
from credx_tui.widgets.attachment_preview import AttachmentPreview
from credx_tui.widgets.student_header import student_header
from credx_tui.widgets.text_table import text_table
from credx_tui.working import ApplicationDecided, ApplicationOpened, ServiceRefused
from policy import workflow
from policy.eligibility import fmt
from policy.models import Attachment, Attempt, ReviewAction, SourceKind, Status, SubmittedEntry

ATTACHMENT_COLUMNS = (
    ("name", "decision.att.name"),
    ("type", "decision.att.type"),
    ("size", "decision.att.size"),
    ("sha", "decision.att.sha"),
)


def default_attachment_dir() -> Path:
    """Where copies of attachments go: ``~/credx-attachments``."""
    return Path.home() / "credx-attachments"


def safe_name(filename: str) -> str:
    """A student's file name as a harmless local name (no folders, no dot files)."""
    name = Path(filename.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f/]", "_", name).lstrip(".")
    return name or "attachment"


class ReviewDecisionScreen(LiveScreen, CredxScreen):
    """One application of the queue, to approve or return."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("f8", "approve", "review_approve"),
        bind("f9", "return", "review_return"),
        bind("f6", "previous", "review_prev"),
        bind("f7", "next", "review_next"),
        bind("f3", "save_attachment", "att_save"),
        bind("f4", "open_attachment", "att_open"),
        bind("ctrl+e", "print_form", "print_form"),
        bind("f5", "refresh", "refresh"),
        bind("escape", "back", "back"),
    ]

    def __init__(self, application_ids: list[str], index: int) -> None:
        super().__init__(id="review-decision")
        self.application_ids = list(application_ids)
        """The queue as it was filtered when this screen opened (next/previous)."""
        self.index = index
        """Position of the application shown in ``application_ids``."""
        self.file: ReviewFile | None = None
        """What the services returned for the application shown."""
        self.message = ""
        """The last result or refusal, under the title."""

    @property
    def application_id(self) -> str:
        """The application shown."""
        return self.application_ids[self.index]

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Static("", id="decision-title", classes="page-title", markup=False)
        yield Static("", id="decision-message", markup=False)
        with VerticalScroll(id="decision-body"):
            yield Static("", id="decision-student", markup=False)
            yield Static("", id="decision-drift", markup=False)
            yield Static("", id="decision-target", markup=False)
            yield Static("", id="decision-sources", markup=False)
            yield Static("", id="decision-note", markup=False)
            yield Static("", id="decision-credits", markup=False)
            yield Static("", id="decision-verdict", markup=False)
            yield Static(self.t("decision.attachments"), id="decision-att-title", markup=False)
            yield DataTable(id="decision-attachments", cursor_type="row")
            yield AttachmentPreview(id="decision-preview")
            yield Static("", id="decision-trail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self._columns()
        self.reload()
        self.query_one("#decision-body").focus()

    def after_recompose(self) -> None:
        self._columns()
        self._fill()
        self._say(self.message)

    def _columns(self) -> None:
        table = self.query_one("#decision-attachments", DataTable)
        for key, label in ATTACHMENT_COLUMNS:
            table.add_column(self.t(label), key=key)

    # -- data -----------------------------------------------------------------------

    def reload(self) -> None:
        """Read the application shown in a thread (issue 13: its first read may rebuild
        the college's index under a lock).  Another application's decision keys go at
        once: F8 never decides on the one shown before F6/F7."""
        actor, app_id = self.actor, self.application_id
        if self.file is not None and self.file.application.id != app_id:
            self.file = None
            self._fill()
            self.refresh_bindings()
        self.read_in_thread(
            lambda: self.services.review_file(actor, app_id), ApplicationOpened, app_id
        )

    def on_application_opened(self, event: ApplicationOpened) -> None:
        if event.context != self.application_id:
            return  # read for another application (F6/F7 since)
        self.file = event.result
        self._fill()
        self.refresh_bindings()

    # -- live (issue 13, item 3) ------------------------------------------------------

    @property
    def live_interest(self) -> Interest | None:  # type: ignore[override]
        """The files of the application shown (F6/F7 move it: computed, not kept)."""
        f = self.file
        return None if f is None else application_interest(self.services, self.actor, f.application)

    def live_read(self) -> tuple[str, ReviewFile | ServiceError]:
        """In a worker: the application shown, as it is now (or why it cannot be)."""
        app_id = self.application_id
        try:
            return app_id, self.services.review_file(self.actor, app_id)
        except ServiceError as exc:
            return app_id, exc

    def live_show(self, shown: tuple[str, ReviewFile | ServiceError]) -> None:
        """Another reviewer decided (or the student changed it): show it now, say who
        when it was someone else, and offer approve/return only if still allowed."""
        app_id, found = shown
        before = self.file
        if app_id != self.application_id or found == before:
            return  # read for another application (F6/F7 since), or nothing new
        if isinstance(found, ServiceError):
            # The application left the reviewer's sight (the student withdrew it).
            if before is not None:
                self.file = None
                self._say(self.t("live.gone", reason=found.text(self.lang)))
                self.refresh_bindings()
            return
        if (
            before is not None
            and found.application.id == before.application.id
            and found.application.revision < before.application.revision
        ):
            return  # read before this screen's own decision was shown: older news
        self.file = found
        decided = [e for e in found.events if before is None or e not in before.events]
        others = [e for e in decided if e.actor != self.actor.username]
        if before is not None and before.may_decide and not found.may_decide and others:
            last = others[-1]
            self._say(
                self.t(
                    "live.decided_elsewhere",
                    who=last.actor,
                    action=self.t(f"action.{last.action.value}"),
                    status=self.t(f"status.{found.application.status.value}"),
                )
            )
        self._fill()
        self.refresh_bindings()

    def _fill(self) -> None:
        if not self.is_mounted:
            return
        f = self.file
        if f is None:
            self.query_one("#decision-title", Static).update(self.application_id)
            return
        app = f.application
        if f.step is not None:
            name = step_name(f.step, self.lang)
            step = self.t("decision.step", n=app.step + 1, total=len(f.steps), name=name)
        elif app.status == Status.RETURNED:
            # Not over: the student can correct and resubmit it (R10, issue 15).
            step = self.t("decision.step.returned")
        else:
            step = self.t("decision.step.none")
        self.query_one("#decision-title", Static).update(
            self.t(
                "decision.title",
                id=app.id,
                status=self.t(f"status.{app.status.value}"),
                step=step,
                n=self.index + 1,
                total=len(self.application_ids),
            )
        )
        extra = (("field.class", f.student.class_name),) if f.student.class_name else ()
        student = student_header(
            f.student, self.lang, kind=False, width=self.app.size.width - 2, extra=extra
        )
        self.query_one("#decision-student", Static).update(student)
        drift = self._drift()
        self.query_one("#decision-drift", Static).update(drift)
        self.query_one("#decision-drift", Static).display = bool(drift)
        self.query_one("#decision-target", Static).update(self._target())
        self.query_one("#decision-sources", Static).update(self._sources())
        self.query_one("#decision-note", Static).update(self._note())
        self.query_one("#decision-credits", Static).update(self._credits())
        self.query_one("#decision-verdict", Static).update(self._verdict())
        self._attachments(app.attachments)
        self.query_one("#decision-trail", Static).update(self._trail())

    def _drift(self) -> Text:
        """What moved on the transcript since the last submit (issue 12, item 2): empty
        when nothing did, or when no fingerprint was kept then."""
        f = self.file
        assert f is not None
        drift = f.transcript_drift
        text = Text()
        if drift is None or not drift.changed:
            return text
        if not drift.entries:
            text.append(self.t("decision.drift.other"), style="bold yellow")
            return text
        text.append(self.t("decision.drift"), style="bold yellow")
        for then, now in drift.entries:
            text.append("\n  ")
            added = [a for a in now.attempts if a not in then.attempts]
            if (
                then.held
                and now.held
                and added
                and all(a in now.attempts for a in then.attempts)
                and (then.name, then.credits, then.category)
                == (now.name, now.credits, now.category)
            ):
                # The usual term update: new sittings and nothing else.
                sep = self.t("list.comma")
                text.append(
                    self.t(
                        "decision.drift.added",
                        role=self.t(f"decision.drift.{then.role}"),
                        ref=then.ref,
                        name=now.name,
                        added=sep.join(self._sitting(a) for a in added),
                    ),
                    style="yellow",
                )
                continue
            text.append(
                self.t(
                    "decision.drift.line",
                    role=self.t(f"decision.drift.{then.role}"),
                    ref=then.ref,
                    name=now.name or then.name,
                    then=self._entry_text(then),
                    now=self._entry_text(now),
                ),
                style="yellow",
            )
        return text

    def _entry_text(self, entry: SubmittedEntry) -> str:
        """One transcript entry in a line: credits and every sitting (or the date)."""
        if not entry.held:
            return self.t("decision.drift.absent")
        parts = [self.t("decision.drift.credits", credits=fmt(entry.credits))]
        if entry.kind in (SourceKind.COMPETITION, SourceKind.AWARD):
            parts.append(entry.date or "-")
        else:
            parts.extend(self._sitting(a) for a in entry.attempts)
        return self.t("list.comma").join(parts)

    @staticmethod
    def _sitting(attempt: Attempt) -> str:
        return (
            f"{attempt.kind.value} {attempt.result} ({attempt.term.year}-{attempt.term.semester})"
        )

    def _target(self) -> Text:
        f = self.file
        assert f is not None
        text = Text(self.t("decision.target"), style="bold")
        text.append("\n  ")
        record = f.target
        if record is None:
            text.append(self.t("decision.target.missing", code=f.application.target))
            return text
        text.append(
            self.t(
                "decision.target.line",
                name=record.name,
                code=record.code,
                category=term(record.category.value, self.lang),
                credits=fmt(record.credits),
                factor=fmt(f.factor),
                needed=fmt(f.needed),
            )
        )
        text.append("\n")
        text.append_text(
            text_table(
                [
                    self.t("decision.attempt.kind"),
                    self.t("decision.attempt.term"),
                    self.t("decision.attempt.result"),
                ],
                [
                    [
                        term(a.kind.value, self.lang),
                        a.term.label.text(self.lang),
                        term(a.result, self.lang),
                    ]
                    for a in f.attempts
                ],
            )
        )
        return text

    def _sources(self) -> Text:
        f = self.file
        assert f is not None
        text = Text(self.t("decision.sources"), style="bold")
        text.append("\n")
        rows = []
        for line in f.sources:
            if not line.found:
                result = self.t("decision.source.missing")
            elif line.passed is False:
                result = f"{term(line.result, self.lang)} {self.t('decision.source.failed')}"
            else:
                result = term(line.result, self.lang)
            # The name last: a long certificate title wraps without shifting columns.
            kind = term(line.ref.kind.value, self.lang)
            rows.append([kind, fmt(line.credits), result, line.name])
        text.append_text(
            text_table(
                [
                    self.t("decision.source.kind"),
                    self.t("decision.source.credits"),
                    self.t("decision.source.result"),
                    self.t("decision.source.name"),
                ],
                rows,
                # the Static's own width once laid out (a scrollbar may take a cell)
                width=self.query_one("#decision-sources").content_size.width
                or self.app.size.width - 4,
            )
        )
        text.append("\n  ")
        text.append(self.t("decision.offered", offered=fmt(f.offered), needed=fmt(f.needed)))
        return text

    def _note(self) -> Text:
        """The student's 备注 in full: what they wrote to the reviewer (issue 10)."""
        f = self.file
        assert f is not None
        if not f.application.note:
            return Text(self.t("decision.note.none"), style="dim")
        text = Text(self.t("decision.note", note=""), style="bold")
        text.append(f.application.note, style="not bold")
        return text

    def _credits(self) -> Text:
        f = self.file
        assert f is not None
        text = Text(self.t("decision.credits"), style="bold")
        text.append("\n")
        text.append_text(
            text_table(
                [
                    self.t("decision.credits.category"),
                    self.t("decision.credits.required"),
                    self.t("decision.credits.before"),
                    self.t("decision.credits.after"),
                ],
                [
                    [
                        term(c.category.value, self.lang),
                        fmt(c.required),
                        fmt(c.before),
                        fmt(c.after),
                    ]
                    for c in f.credits
                ],
            )
        )
        return text

    def _verdict(self) -> Text:
        f = self.file
        assert f is not None
        text = Text(self.t("decision.verdict"), style="bold")
        text.append("\n  ")
        check = f.check
        if check is None:
            status = self.t(f"status.{f.application.status.value}")
            text.append(self.t("decision.verdict.closed", status=status))
        elif check.acceptable:
            text.append(self.t("decision.verdict.ok"), style="green")
        else:
            text.append(self.t("decision.verdict.changed"), style="bold red")
            for reason in check.reasons:
                # The reviewer reads about the student (该生), not to them (你).
                text.append(f"\n  {reason.text(self.lang, staff=True)}", style="red")
        if check is not None:
            for warning in check.warnings:
                text.append(f"\n  {self.t('decision.verdict.warning')}")
                text.append(warning.text(self.lang, staff=True), style="yellow")
        then, now = f.application.rules_version, self.services.rules_version
        if then is not None and now is not None and then != now:
            text.append("\n  ")
            text.append(self.t("decision.rules_changed", then=then, now=now), style="bold yellow")
        if f.refusal is not None:
            text.append("\n  ")
            refusal = f.refusal.text(self.lang)
            text.append(self.t("decision.not_yours", reason=refusal), style="bold")
        return text

    def _attachments(self, attachments: list[Attachment]) -> None:
        table = self.query_one("#decision-attachments", DataTable)
        table.clear()
        # Rows are keyed by position: an older store may name the same bytes twice
        # (two file names, one SHA-256), which the services now refuse (S4, issue 15).
        for index, att in enumerate(attachments):
            cells = [att.filename, att.media_type, f"{att.size / 1024:.1f} KB", att.sha256]
            table.add_row(*(Text(c) for c in cells), key=f"att-{index}")
        table.display = bool(attachments)
        self._preview()
        title = self.t("decision.attachments")
        if not attachments:
            title += "\n  " + self.t("decision.attachments.none")
        self.query_one("#decision-att-title", Static).update(Text(title, style="bold"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Moving in the attachment table shows that attachment."""
        if event.data_table.id == "decision-attachments":
            self._preview()

    def _read(self, att: Attachment) -> bytes | None:
        """The attachment's bytes through the services (who may see it is checked
        there), or None with the reason on screen."""
        f = self.file
        assert f is not None
        try:
            return self.services.attachment_bytes(self.actor, f.application.id, att.sha256)
        except ServiceError as exc:
            self.show_error(exc)
        except Exception as exc:  # the store names a damaged file; never crash
            self._say(self.t("decision.att.failed", error=str(exc)))
        return None

    def _preview(self) -> None:
        """Draw the selected attachment under the table (fit to the width)."""
        preview = self.query_one("#decision-preview", AttachmentPreview)
        att = self._selected_attachment()
        if att is None:
            preview.show(None, None, "")
            preview.display = False
            return
        if preview.attachment == att and preview.pages is not None:
            return
        payload = self._read(att)
        preview.display = payload is not None
        if payload is None:
            return
        preview.max_rows = max(self.app.size.height - 8, 6)
        preview.show(att, payload, "")
        try:
            pages = preview.pages.count if preview.pages else 1
            preview.caption_text = self.t("preview.caption", name=att.filename, pages=pages)
        except Exception as exc:
            preview.caption_text = self.t("preview.failed", name=att.filename, error=str(exc))
        preview.show(att, payload, preview.caption_text)

    def _trail(self) -> Text:
        f = self.file
        assert f is not None
        text = Text(self.t("decision.trail"), style="bold")
        text.append("\n")
        rows = [
            [
                f"{e.at.astimezone():%Y-%m-%d %H:%M}",
                event_action(e, self.lang),
                e.actor,
                event_step_name(e, self.services.rules, self.lang),
                self.t(f"status.{e.status_after.value}"),
                e.reason or e.comment,
            ]
            for e in f.events
        ]
        text.append_text(
            text_table(
                [
                    self.t("trail.col.at"),
                    self.t("trail.col.action"),
                    self.t("trail.col.who"),
                    self.t("trail.col.step"),
                    self.t("trail.col.status"),
                    self.t("trail.col.reason"),
                ],
                rows,
            )
        )
        return text

    def _say(self, text: str) -> None:
        self.message = text
        if self.is_mounted:
            self.query_one("#decision-message", Static).update(text)

    # -- keys -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer approve and return only when this reviewer may decide now (the
        services decide again under the lock); next/previous only when there is one."""
        if action in ("approve", "return"):
            wanted = ReviewAction.APPROVE if action == "approve" else ReviewAction.RETURN
            return self.file is not None and wanted in self.file.actions
        if action == "previous":
            return self.index > 0
        if action == "next":
            return self.index + 1 < len(self.application_ids)
        if action in ("save_attachment", "open_attachment"):
            return self.file is not None and bool(self.file.application.attachments)
        if action == "print_form":
            return self.file is not None
        return True

    def action_print_form(self) -> None:
        """Ctrl+E: this application's form as a PDF, for the college's paper file."""
        if self.file is None:
            return
        app_id = self.file.application.id
        render = partial(render_application_pdf, self.services, self.actor, app_id)
        self.print_pdf(
            "application",
            render,
            app_id,
            document=f"application:{app_id}",
            name=self.t("document.name.application", id=app_id),
        )

    def action_previous(self) -> None:
        """F6: the previous application of the queue."""
        if self.index == 0:
            self.notify(self.t("decision.first"), timeout=2)
            return
        self.index -= 1
        self._say("")
        self.reload()
        self._to_top()

    def action_next(self) -> None:
        """F7: the next application of the queue."""
        if self.index + 1 >= len(self.application_ids):
            self.notify(self.t("decision.last"), timeout=2)
            return
        self.index += 1
        self._say("")
        self.reload()
        self._to_top()

    def _to_top(self) -> None:
        """Another application opens at its top, not where the last one was scrolled
        to (issue 15: F6/F7 at 80x24 opened the next one at its trail)."""
        self.query_one("#decision-body", VerticalScroll).scroll_home(animate=False, immediate=True)

    def action_approve(self) -> None:
        """F8: approve at the current step, after confirmation, with an optional
        审核意见."""
        f = self.file
        if f is None:
            return
        question = self.t(
            "decision.approve.confirm",
            id=f.application.id,
            name=f.student.name,
            course=f.target.name if f.target else f.application.target,
        )
        question += "\n" + self._step_question(f)

        def done(comment: str | None) -> None:
            if comment is not None:
                self.approve(comment)

        self.app.push_screen(ApproveDialog(f.application.id, question), done)

    def _step_question(self, f: ReviewFile) -> str:
        """The step being decided and what approval leads to (R11), for the confirmation:
        a chain's earlier step only passes the application on."""
        app = f.application
        if f.step is None:
            return ""
        lines = [
            self.t(
                "decision.approve.step",
                step=step_name(f.step, self.lang),
                n=app.step + 1,
                total=len(f.steps),
            )
        ]
        if f.next_step is not None:
            following = step_name(f.next_step, self.lang)
            lines.append(self.t("decision.approve.then_next", next=following))
        else:
            lines.append(self.t("decision.approve.then_end"))
        return "\n".join(lines)

    def approve(self, comment: str = "") -> None:
        """Approve now with the optional 审核意见 ``comment``, racing any other reviewer:
        the loser is told and reloaded."""
        f = self.file
        if f is None:
            return
        actor, app_id, revision = self.actor, f.application.id, f.application.revision
        self.in_thread(
            lambda: self.services.approve(
                actor, app_id, expected_revision=revision, comment=comment
            ),
            ApplicationDecided,
            "working.approve",
            "approve",
        )

    def on_application_decided(self, event: ApplicationDecided) -> None:
        decided = event.result
        if event.context == "return":
            message = self.t("decision.returned", id=decided.id)
        elif (step := workflow.current_step(decided, self.services.rules)) is not None:
            message = self.t("decision.approved.next_step", step=step_name(step, self.lang))
        else:
            message = self.t("decision.approved", id=decided.id)
        self.notify(message, markup=False)
        self._say(message)
        self.reload()

    def action_return(self) -> None:
        """F9: return to the student with a reason (ready reasons or free text)."""
        f = self.file
        if f is None:
            return

        def done(reason: str | None) -> None:
            if reason:
                self.return_(reason)

        self.app.push_screen(ReturnReasonDialog(f.application.id), done)

    def return_(self, reason: str) -> None:
        """Return now with ``reason``, racing any other reviewer."""
        f = self.file
        if f is None:
            return
        actor, app_id, revision = self.actor, f.application.id, f.application.revision
        self.in_thread(
            lambda: self.services.return_(actor, app_id, reason, expected_revision=revision),
            ApplicationDecided,
            "working.return",
            "return",
        )

    def on_service_refused(self, event: ServiceRefused) -> None:
        if event.event is ApplicationOpened:
            if event.context == self.application_id:
                self.file = None
                self.show_error(event.error)
                self._say(event.error.text(self.lang))
                self._fill()
                self.refresh_bindings()
        elif isinstance(event.error, (Conflict, Refused)):
            self._lost(event.error)
        else:
            self.show_error(event.error)

    def _lost(self, exc: ServiceError) -> None:
        """Someone else decided first (or the student withdrew): say so, show now."""
        message = self.t("decision.conflict", reason=exc.text(self.lang))
        self.notify(message, severity="error", timeout=10, markup=False)
        self.reload()
        self._say(message)

    # -- attachments ----------------------------------------------------------------

    def _selected_attachment(self) -> Attachment | None:
        f = self.file
        if f is None or not f.application.attachments:
            return None
        table = self.query_one("#decision-attachments", DataTable)
        row = min(max(table.cursor_row, 0), len(f.application.attachments) - 1)
        return f.application.attachments[row]

    def _save_copy(self, att: Attachment) -> Path | None:
        """Write the attachment, checked against its SHA-256 by the store, to the
        attachment folder; None (and a message) when that fails."""
        f = self.file
        assert f is not None
        payload = self._read(att)
        if payload is None:
            return None
        folder = getattr(self.credx, "attachment_dir", None) or default_attachment_dir()
        target = Path(folder) / f.application.id / f"{att.sha256[:8]}-{safe_name(att.filename)}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(payload)
        except OSError as exc:
            self._say(self.t("decision.att.failed", error=exc.strerror or str(exc)))
            return None
        return target

    def action_save_attachment(self) -> None:
        """F3: save a copy of the selected attachment to a folder."""
        att = self._selected_attachment()
        if att is None:
            self._say(self.t("decision.att.none"))
            return
        path = self._save_copy(att)
        if path is not None:
            message = self.t("decision.att.saved", path=str(path))
            self.notify(message, markup=False)
            self._say(message)
            # Then to the reviewer's own device (issue 10, item 4); the copy above on
            # the server stays the secondary way.
            assert self.file is not None
            document = f"attachment:{self.file.application.id}:{att.sha256}"
            self.deliver(document, att.filename, att.media_type, path, str(path))

    def action_open_attachment(self) -> None:
        """F4: the selected attachment full screen in the terminal (zoom, pan, pages)."""
        att = self._selected_attachment()
        if att is None:
            self._say(self.t("decision.att.none"))
            return
        payload = self._read(att)
        if payload is not None:
            self.app.push_screen(AttachmentViewerScreen(att, payload))
