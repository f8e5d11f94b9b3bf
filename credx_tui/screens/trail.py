"""流程跟踪 (S5): one application's whole trail, with what the student may do next:
correct and resubmit a returned one, submit a saved one, withdraw one under review."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static
from textual.widgets.data_table import ColumnKey

from credx_tui.describe import (
    course_name,
    event_action,
    event_step_name,
    joined,
    offered_credits,
    relation,
    status_text,
    withdraw_hint,
)
from credx_tui.dialogs.confirm import ConfirmDialog
from credx_tui.linebreak import wrap
from credx_tui.live_screen import LiveScreen, kept_place
from credx_tui.localize import bind
from credx_tui.services import ServiceError
from credx_tui.services.documents import render_application_pdf
from credx_tui.services.live import Interest, student_interest
from credx_tui.services.views import ApplicationView
from credx_tui.ui import CredxScreen
from credx_tui.widgets.attachment_preview import AttachmentPreview
from credx_tui.working import ApplicationSubmitted, ApplicationWithdrawn, ServiceRefused
from policy.dossier import Dossier
from policy.eligibility import fmt
from policy.models import Attachment, ExchangeApplication, ReviewAction, ReviewEvent, Status

TRAIL_COLUMNS = (
    ("at", "trail.col.at"),
    ("action", "trail.col.action"),
    ("who", "trail.col.who"),
    ("step", "trail.col.step"),
    ("status", "trail.col.status"),
    ("reason", "trail.col.reason"),
)


NARROW_ORDER = ("at", "action", "reason", "who", "step", "status")
"""Under 100 columns the 原因 comes third, whole on screen; the rest scrolls sideways."""


def reason_cells(width: int, labels: list[str], rows: list[list[str]]) -> int:
    """Cells left for the 原因 column of a table ``width`` wide after the columns
    before it (``labels``, their ``rows``): each takes its widest cell or heading and
    DataTable's padding of two; the 原因 its own two and the scroll bar two more."""
    used = 4
    for i, label in enumerate(labels):
        used += 2 + max([cell_len(label), *(cell_len(r[i]) for r in rows)])
    return max(12, width - used - 2)


class TrailScreen(LiveScreen, CredxScreen):
    """流程跟踪 of one application."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("f7", "edit", "edit"),
        bind("f8", "resubmit", "resubmit"),
        bind("f9", "withdraw", "withdraw"),
        bind("ctrl+u", "upload", "upload"),
        bind("ctrl+e", "print_form", "print_form"),
        bind("f4", "view_attachment", "trail_att_view"),
        bind("f3", "save_attachment", "trail_att_save"),
        bind("f6", "next_attachment", "trail_att_next"),
        # F5 still reads again; off the footer so f2 and ^q stay on it at 80 columns.
        bind("f5", "refresh", "refresh", show=False),
        bind("escape", "back", "back"),
    ]

    def __init__(self, application_id: str) -> None:
        super().__init__(id="trail")
        self.application_id = application_id
        """The application followed."""
        self.application: ExchangeApplication | None = None
        self.actions: frozenset[ReviewAction] = frozenset()
        """What the student may do to it now, as the services' view says."""
        self.events: list[ReviewEvent] = []
        self.dossier: Dossier | None = None
        self.attachment_index = 0
        """Which of the application's attachments the preview shows."""

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with Vertical(id="trail-body"):
            yield Static(self.t("trail.title"), classes="page-title")
            yield Static("", id="trail-summary", markup=False)
            yield DataTable(id="trail-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="trail-state", markup=False)
            yield AttachmentPreview(id="trail-preview", max_rows=12)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self._columns()
        self.reload()
        self.query_one(DataTable).focus()
        # Files that arrive by link and decisions made elsewhere come through the
        # store watcher (live_read/live_show below, issue 13 item 3), off the UI thread.

    def after_recompose(self) -> None:
        self._columns()
        self._fill()

    def on_resize(self) -> None:
        if getattr(self, "_order", None) != self._column_order():
            self._columns()
        self.call_after_refresh(self._fill)

    def _column_order(self) -> list[str]:
        narrow = self.app.size.width < 100
        return list(NARROW_ORDER) if narrow else [key for key, _ in TRAIL_COLUMNS]

    def _columns(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        labels = dict(TRAIL_COLUMNS)
        self._order = self._column_order()
        for key in self._order:
            table.add_column(self.t(labels[key]), key=key)

    def _reason_width(self, table: DataTable, order: list[str], rows: list[dict[str, str]]) -> int:
        """Cells for the 原因 column so that it and the columns beside it (those before
        it and the one after) end at the table's right edge; the column is set to that
        width."""
        labels = dict(TRAIL_COLUMNS)
        at = order.index("reason")
        pad = 2 * table.cell_padding
        used = sum(
            pad + max([cell_len(self.t(labels[k])), *(cell_len(r[k]) for r in rows)])
            for k in order[:at] + order[at + 1 : at + 2]
        )
        # Before its first layout (a language switch composes the screen anew) the
        # table is as wide as the screen less its margins.
        width = table.scrollable_content_region.width or self.app.size.width - 2
        room = max(12, width - used - pad)
        column = table.columns[ColumnKey("reason")]
        column.auto_width = False
        column.width = room
        return room

    def reload(self) -> None:
        try:
            view = self.services.application_view(self.actor, self.application_id)
            self.application, self.actions = view.application, view.actions
            self.events = self.services.trail(self.actor, self.application_id)
            self.dossier = self.services.dossier(self.actor)
        except ServiceError as exc:
            self.show_error(exc)
            return
        self._fill()
        self.refresh_bindings()

    def _fill(self) -> None:
        app, dossier = self.application, self.dossier
        if app is None or dossier is None:
            return
        summary = [
            self.t(
                "trail.summary",
                id=app.id,
                course=course_name(dossier, app.target),
                code=app.target,
                credits=fmt(offered_credits(dossier, app)),
                status=status_text(app, self.services.rules, self.lang),
            ),
            self.t("trail.sources", relation=relation(dossier, app, self.lang)),
        ]
        if app.attachments:
            summary.append(
                self.t(
                    "trail.attachments",
                    names=joined([a.filename for a in app.attachments], self.lang),
                )
            )
        if app.note:
            summary.append(f"{self.t('col.note')}: {app.note}")
        self.query_one("#trail-summary", Static).update("\n".join(summary))
        table = self.query_one(DataTable)
        table.clear()
        narrow = self.app.size.width < 100
        order = getattr(self, "_order", None) or self._column_order()
        labels = dict(TRAIL_COLUMNS)
        rows = [
            {
                "at": f"{event.at.astimezone():{'%m-%d %H:%M' if narrow else '%Y-%m-%d %H:%M'}}",
                "action": event_action(event, self.lang),
                "who": event.actor,
                "step": event_step_name(event, self.services.rules, self.lang),
                "status": self.t(f"status.{event.status_after.value}"),
                "reason": event.reason or event.comment,
            }
            for event in self.events
        ]
        # The 原因 takes what the columns before it leave and is broken over lines of
        # its row, never cut off the screen; at 80 columns it comes third (issue 15).
        before = order[: order.index("reason")]
        room = reason_cells(
            self.app.size.width - 2,
            [self.t(labels[k]) for k in before],
            [[row[k] for k in before] for row in rows],
        )
        if narrow:
            # The 原因 fills the screen up to the column after it (操作人), kept whole,
            # so the columns that scroll sideways start at the right edge instead of
            # peeking in cut (issue 15, 80x24).
            room = self._reason_width(table, order, rows)
        for event, row in zip(self.events, rows, strict=True):
            reason = wrap(row["reason"], room) if row["reason"] else [""]
            row["reason"] = "\n".join(reason)
            table.add_row(*(Text(row[k]) for k in order), key=event.id, height=len(reason))
        if app.status == Status.UNDER_REVIEW:
            # Where it stands and, from the rules' first step, until when it may be
            # withdrawn (R11; never a hard-coded 二级学院).
            text = withdraw_hint(app, self.services.rules, self.lang)
        else:
            state = {
                Status.RETURNED: "trail.returned",
                Status.DRAFT: "trail.draft",
                Status.APPROVED: "trail.approved",
            }[app.status]
            text = self.t(state)
        returns = [e for e in self.events if e.action == ReviewAction.RETURN and e.reason]
        if app.status == Status.RETURNED and returns:
            # The reviewer's reason in full: the table's column may be cut at 80 cells.
            text = self.t("trail.return_reason", reason=returns[-1].reason) + "\n" + text
        comments = [e for e in self.events if e.action == ReviewAction.APPROVE and e.comment]
        if comments:
            # Each reviewer's 审核意见 in full, as for a return reason above.
            lines = [self.t("trail.comment", who=e.actor, comment=e.comment) for e in comments]
            text = "\n".join(lines) + "\n" + text
        if not self.events:
            text = self.t("trail.empty") + "\n" + text
        self.query_one("#trail-state", Static).update(text)
        self._preview()

    # -- live (issue 13, item 3) ------------------------------------------------------

    def live_interest_for(self) -> Interest:
        """The student's own files (their hot file, their transcript, the rules)."""
        return student_interest(self.services, self.actor)

    def live_read(self) -> tuple[ApplicationView, list[ReviewEvent], Dossier]:
        """In a worker: the application, its trail and the student's file as now."""
        self.live_interest = student_interest(self.services, self.actor)
        view = self.services.application_view(self.actor, self.application_id)
        events = self.services.trail(self.actor, self.application_id)
        return view, events, self.services.dossier(self.actor)

    def live_show(self, shown: tuple[ApplicationView, list[ReviewEvent], Dossier]) -> None:
        """A reviewer's decision (or this student elsewhere) changed the application:
        show the new state and its reason, and offer only what it allows now."""
        view, events, dossier = shown
        application = view.application
        if (application, events, dossier) == (self.application, self.events, self.dossier):
            return
        before = self.application
        self.application, self.events, self.dossier = application, events, dossier
        self.actions = view.actions
        with kept_place(self.query_one(DataTable)):
            self._fill()
        self.refresh_bindings()
        if before is not None and before.status != application.status:
            status = self.t(f"status.{application.status.value}")
            self.notify(self.t("live.status", id=application.id, status=status), markup=False)

    def live_failed(self, error: ServiceError) -> None:
        """The application went (deleted in another terminal): say so, offer nothing."""
        if self.application is None:
            return
        self.application, self.actions = None, frozenset()
        self.query_one("#trail-state", Static).update(
            self.t("live.trail.gone", reason=error.text(self.lang))
        )
        self.refresh_bindings()

    def _attachment_bytes(self) -> tuple[Attachment, bytes] | None:
        """The attachment shown and its bytes (the services check it is the student's)."""
        app = self.application
        if app is None or not app.attachments:
            return None
        att = app.attachments[self.attachment_index % len(app.attachments)]
        try:
            return att, self.services.attachment_bytes(self.actor, app.id, att.sha256)
        except ServiceError as exc:
            self.show_error(exc)
        except Exception as exc:  # a damaged file is named, never a crash
            self.notify(str(exc), severity="error", markup=False)
        return None

    def _preview(self) -> None:
        """The student sees the same preview of their attachment as the reviewer."""
        preview = self.query_one("#trail-preview", AttachmentPreview)
        found = self._attachment_bytes()
        # Under 30 rows the table (with its 原因) gets the room; F4 shows the
        # attachment full screen (issue 15).
        preview.display = found is not None and self.app.size.height >= 30
        if not preview.display or found is None:
            return
        att, payload = found
        preview.show(att, payload, "")
        try:
            pages = preview.pages.count if preview.pages else 1
            caption = self.t("preview.caption", name=att.filename, pages=pages)
        except Exception as exc:
            caption = self.t("preview.failed", name=att.filename, error=str(exc))
        preview.show(att, payload, caption)

    def action_view_attachment(self) -> None:
        """F4: the attachment full screen (zoom, pan, pages)."""
        from credx_tui.screens.attachment_viewer import AttachmentViewerScreen

        found = self._attachment_bytes()
        if found is not None:
            self.app.push_screen(AttachmentViewerScreen(*found))

    def action_next_attachment(self) -> None:
        """F6: preview the next attachment."""
        self.attachment_index += 1
        self._preview()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only what the application's status allows: the view's actions, which
        the services decide again under the lock (R10, R11)."""
        app = self.application
        if action == "upload" and not self.credx.download_links:
            return False  # the trainer's sandbox: credx serve does not serve it
        if action in ("edit", "upload"):
            return ReviewAction.SAVE in self.actions
        if action == "resubmit":
            return ReviewAction.SUBMIT in self.actions
        if action in ("view_attachment", "next_attachment", "save_attachment"):
            count = len(app.attachments) if app is not None else 0
            return count > (1 if action == "next_attachment" else 0)
        if action == "withdraw":
            return ReviewAction.WITHDRAW in self.actions
        return True

    def action_print_form(self) -> None:
        """Ctrl+E: the application form as a PDF (issue 6)."""
        app_id = self.application_id
        render = partial(render_application_pdf, self.services, self.actor, app_id)
        self.print_pdf(
            "application",
            render,
            app_id,
            document=f"application:{app_id}",
            name=self.t("document.name.application", id=app_id),
        )

    def action_save_attachment(self) -> None:
        """F3: the previewed attachment to the person's own device (browser download,
        or a one-time link with its QR code)."""
        found = self._attachment_bytes()
        if found is None:
            return
        att, payload = found
        document = f"attachment:{self.application_id}:{att.sha256}"
        self.deliver(document, att.filename, att.media_type, payload)

    def action_upload(self) -> None:
        """Ctrl+U: the upload link and its QR code, to add grade screenshots to a
        returned (or not yet submitted) application from a phone (S4)."""
        self.open_upload_link(self.application_id)

    def action_edit(self) -> None:
        """F7: correct the application in the apply screen."""
        from credx_tui.screens.apply import ApplyScreen

        if self.application is not None:
            self.app.push_screen(ApplyScreen(self.application))

    def action_resubmit(self) -> None:
        """F8: submit (again) as it stands; a refusal says which rule.  Only a returned
        one is *re*submitted: a draft's first submit says 已提交 (issue 15)."""
        before = self.application
        again = before is not None and before.status == Status.RETURNED
        actor, app_id = self.actor, self.application_id
        self.in_thread(
            lambda: self.services.submit(actor, app_id),
            ApplicationSubmitted,
            "working.submit",
            again,
        )

    def on_application_submitted(self, event: ApplicationSubmitted) -> None:
        key = "trail.resubmitted" if event.context else "trail.submitted"
        self.notify(self.t(key, id=event.result.id), markup=False)
        self.reload()

    def on_service_refused(self, event: ServiceRefused) -> None:
        self.show_error(event.error)
        if event.event is ApplicationSubmitted:
            self.query_one("#trail-state", Static).update(event.error.text(self.lang))

    def on_application_withdrawn(self, event: ApplicationWithdrawn) -> None:
        self.notify(self.t("trail.withdrawn", id=event.result.id), markup=False)
        self.reload()

    def action_withdraw(self) -> None:
        """F9: take back an application still waiting for its first decision."""
        actor, app_id = self.actor, self.application_id

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.in_thread(
                    lambda: self.services.withdraw(actor, app_id),
                    ApplicationWithdrawn,
                    "working.withdraw",
                )

        self.app.push_screen(
            ConfirmDialog(self.t("trail.withdraw.confirm", id=self.application_id)), done
        )
