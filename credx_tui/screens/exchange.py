"""学分兑换 (S3, S5): the student's header, the 申请结果 table with the guide's fifteen
columns, 15 rows a page, and the buttons 申请 and 删除 (R10 enforced by the services)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.widgets import Button, DataTable, Footer, Header, Static

from credx_tui.describe import course_name, offered_credits, relation, status_text
from credx_tui.dialogs.confirm import ConfirmDialog
from credx_tui.i18n import term
from credx_tui.live_screen import LiveScreen, kept_place
from credx_tui.localize import bind
from credx_tui.printing import clip
from credx_tui.services import Refused, ServiceError
from credx_tui.services.live import Interest, student_interest
from credx_tui.ui import CredxScreen
from credx_tui.widgets.student_header import student_header
from credx_tui.working import ApplicationsDeleted, gone
from policy import workflow
from policy.dossier import Dossier
from policy.eligibility import fmt
from policy.grades import effective_records, paid_sources
from policy.models import (
    EXCHANGE_KIND,
    LIVE_STATUSES,
    ExchangeApplication,
    ReviewAction,
    Role,
    Status,
)

PAGE_SIZE = 15
"""Rows of 申请结果 per page, as the portal pages them."""

COLUMNS = (
    ("sel", "col.select"),
    ("trail", "col.trail"),
    ("status", "col.status"),
    ("year", "col.year"),
    ("semester", "col.semester"),
    ("kind", "col.kind"),
    ("credits", "col.credits"),
    ("relation", "col.relation"),
    ("code", "col.code"),
    ("course", "col.course"),
    ("course_en", "col.course_en"),
    ("nature", "col.nature"),
    ("course_credits", "col.course_credits"),
    ("result", "col.result"),
    ("note", "col.note"),
)
"""The guide's columns of 申请结果, in its order: (ASCII key, catalogue key)."""

NARROW_ORDER = (
    "sel",
    "course",
    "status",
    "credits",
    "relation",
    "year",
    "semester",
    "trail",
    "kind",
    "code",
    "course_en",
    "nature",
    "course_credits",
    "result",
    "note",
)
"""Under 160 columns (80x24, 120x40): what a student looks for first (which course, its status,
the credits that pay) fits on screen; every other column of the guide follows and is
reached by scrolling sideways (issue 15)."""
NARROW_RELATION_CELLS = 16
GUIDE_ORDER_FROM = 160
"""Columns from which the guide's own order shows the course name too."""

RELATION_CELLS = 30
NOTE_CELLS = 24


class ExchangeScreen(LiveScreen, CredxScreen):
    """报名申请 -> 学分兑换."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("f7", "apply", "apply"),
        bind("f8", "delete", "delete"),
        bind("space", "toggle_mark", "select"),
        bind("f9", "open_trail", "open_trail"),
        bind("ctrl+f", "next_page", "next_page"),
        bind("ctrl+b", "prev_page", "prev_page"),
        bind("f5", "refresh", "refresh"),
        bind("escape", "back", "back"),
    ]

    def __init__(self) -> None:
        super().__init__(id="exchange")
        self.page = 0
        """Zero-based page of 申请结果 shown."""
        self.marked: set[str] = set()
        """Ids of the rows ticked in the 选择 column."""
        self.applications: list[ExchangeApplication] = []
        """What the services returned at the last reload, newest first."""
        self.dossier: Dossier | None = None
        self.message = ""
        """The last refusal or result shown under the table."""

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with Vertical(id="exchange-body"):
            yield Static(self.t("exchange.title"), classes="page-title")
            yield Static("", id="exchange-student", markup=False)
            yield Static(
                Text(self.t("exchange.results"), style="bold") + Text(self.t("exchange.note")),
                id="exchange-caption",
            )
            yield DataTable(id="applications", cursor_type="row", zebra_stripes=True)
            yield Static("", id="exchange-empty", markup=False)
            yield Static("", id="exchange-spent", markup=False)
            with Horizontal(id="exchange-bar"):
                yield Static("", id="exchange-pager", markup=False)
                yield Button(self.t("exchange.apply"), id="apply-button", variant="primary")
                yield Button(self.t("exchange.delete"), id="delete-button", variant="error")
            yield Static("", id="exchange-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self._setup_columns()
        self.reload()
        self.query_one(DataTable).focus()

    def on_screen_suspend(self) -> None:
        # A refusal (R10) or result line belongs to what was just done here: it is not
        # left on the screen for the student's return from 流程跟踪 or 申请 (issue 15).
        self._say("")

    def after_recompose(self) -> None:
        self._setup_columns()
        self._fill()
        self._say(self.message)

    @property
    def narrow(self) -> bool:
        """Whether the compact column order is on: whenever the guide's fifteen
        columns in its order would push 校内课程名称 off the screen (80 and 120 wide)."""
        return self.app.size.width < GUIDE_ORDER_FROM

    def _setup_columns(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        labels = dict(COLUMNS)
        order = NARROW_ORDER if self.narrow else [key for key, _ in COLUMNS]
        for key in order:
            table.add_column(self.t(labels[key]), key=key)
        self._columns_narrow = self.narrow

    def on_resize(self) -> None:
        if self.is_mounted and getattr(self, "_columns_narrow", None) != self.narrow:
            self._setup_columns()
            self._fill()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # 下一页/上一页 only when there is another page: the footer keeps its room for
        # the keys that matter at 80 columns.
        if action in ("next_page", "prev_page"):
            return self.pages > 1
        return True

    # -- data ---------------------------------------------------------------------

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="exchange-load")
    def load(self) -> None:
        """Read the student's applications in a worker (the store may be locked by
        another terminal for a moment); the table is filled on the UI thread."""
        try:
            dossier = self.services.dossier(self.actor)
            apps = self.services.applications(self.actor)
        except ServiceError as exc:
            self.app.call_from_thread(self.show_error, exc)
            return
        self.app.call_from_thread(self._loaded, dossier, apps)

    def _loaded(self, dossier: Dossier, apps: list[ExchangeApplication]) -> None:
        if gone(self):
            return  # Esc closed 学分兑换 while it loaded (a burst of keys): no table left
        self.dossier = dossier
        self.applications = apps
        ids = {a.id for a in apps}
        self.marked &= ids
        self.page = min(self.page, max(0, self.pages - 1))
        self._fill()

    # -- live (issue 13, item 3) ------------------------------------------------------

    def live_interest_for(self) -> Interest:
        """The student's own files (their hot file, their transcript, the rules)."""
        return student_interest(self.services, self.actor)

    def live_read(self) -> tuple[Dossier, list[ExchangeApplication]]:
        """In a worker: the student's file and applications as they are now."""
        self.live_interest = student_interest(self.services, self.actor)
        return self.services.dossier(self.actor), self.services.applications(self.actor)

    def live_show(self, shown: tuple[Dossier, list[ExchangeApplication]]) -> None:
        """A decision, an upload or an import elsewhere changed 申请结果: redraw it,
        the cursor on the same application, the page and the scroll as they were."""
        dossier, apps = shown
        if (dossier, apps) == (self.dossier, self.applications):
            return
        with kept_place(self.query_one(DataTable)):
            self._loaded(dossier, apps)

    @property
    def pages(self) -> int:
        """How many pages 申请结果 has (at least one)."""
        return max(1, -(-len(self.applications) // PAGE_SIZE))

    def _fill(self) -> None:
        if not self.is_mounted:
            return
        table = self.query_one(DataTable)
        dossier = self.dossier
        cursor = table.cursor_row
        table.clear()
        self.query_one("#exchange-student", Static).update(
            student_header(dossier.student, self.lang, width=self.app.size.width - 2)
            if dossier
            else ""
        )
        if dossier is None:
            return
        shown = {r.record.code: r for r in effective_records(dossier, self.services.rules)}
        rows = self.applications[self.page * PAGE_SIZE : (self.page + 1) * PAGE_SIZE]
        for app in rows:
            record = dossier.transcript.record(app.target)
            eff = shown.get(app.target)
            result = term(eff.shown_result, self.lang) if eff else ""
            if eff and eff.exchanged:
                ex = self.services.rules.exchange_record
                result = ex.result_text.text(self.lang)
            relation_cells = NARROW_RELATION_CELLS if self.app.size.width < 100 else RELATION_CELLS
            cells = [
                "[x]" if app.id in self.marked else "[ ]",
                self.t("exchange.trail"),
                status_text(app, self.services.rules, self.lang),
                app.term.year,
                str(app.term.semester),
                self.t("kind.exchange") if app.kind == EXCHANGE_KIND else app.kind,
                fmt(offered_credits(dossier, app)),
                clip(relation(dossier, app, self.lang), relation_cells),
                app.target,
                course_name(dossier, app.target),
                record.name_en if record else "",
                term(record.category.value, self.lang) if record else "",
                fmt(record.credits) if record else "",
                result,
                clip(app.note, NOTE_CELLS),
            ]
            # Every cell as Text: a course or note with [b] in it must stay literal.
            by_key = dict(zip((key for key, _ in COLUMNS), cells, strict=True))
            order = NARROW_ORDER if self.narrow else by_key
            table.add_row(*(Text(by_key[k]) for k in order), key=app.id)
        if rows:
            table.move_cursor(row=min(max(cursor, 0), len(rows) - 1))
        self.refresh_bindings()
        # The credits that paid (approved) or are held (under review), each with its
        # application: spent once, so they are not counted again (issue 15, item 7).
        paid = paid_sources(dossier, LIVE_STATUSES)
        spent = self.query_one("#exchange-spent", Static)
        spent.update(
            self.t(
                "exchange.spent",
                items=self.t("transcript.spent.sep").join(
                    self.t(
                        "exchange.spent.item",
                        name=p.name,
                        credits=fmt(p.credits),
                        id=p.application_id,
                        status=self.t(f"status.{p.status.value}"),
                    )
                    for p in paid
                ),
            )
            if paid
            else ""
        )
        spent.display = bool(paid)
        empty = self.query_one("#exchange-empty", Static)
        empty.update(self.t("exchange.empty") if not self.applications else "")
        empty.display = not self.applications
        self.query_one("#exchange-pager", Static).update(
            self.t(
                "exchange.pager", page=self.page + 1, pages=self.pages, count=len(self.applications)
            )
        )

    def _say(self, text: str) -> None:
        self.message = text
        if self.is_mounted:
            self.query_one("#exchange-message", Static).update(text)

    def current_id(self) -> str | None:
        """Id of the application under the cursor."""
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        return row_key.value

    # -- actions ------------------------------------------------------------------

    def action_apply(self) -> None:
        """申请: one course per application (R3)."""
        from credx_tui.screens.apply import ApplyScreen

        try:
            refusal = self.services.start_refusal(self.actor)
        except ServiceError as exc:
            self.show_error(exc)
            return
        draft = next((a for a in self.applications if a.status == Status.DRAFT), None)
        if refusal is not None and draft is not None:
            # R3 at once, not after a whole form: the draft waiting is opened instead,
            # with the reason (issue 15, item 3).
            self.app.push_screen(ApplyScreen(draft, notice=refusal.text(self.lang)))
            return
        self.app.push_screen(ApplyScreen())

    @on(Button.Pressed, "#apply-button")
    def _apply_button(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#delete-button")
    def _delete_button(self) -> None:
        self.action_delete()

    def action_toggle_mark(self) -> None:
        """Tick or untick the row under the cursor (选择)."""
        app_id = self.current_id()
        if app_id is None:
            return
        self.marked ^= {app_id}
        table = self.query_one(DataTable)
        table.update_cell(app_id, "sel", Text("[x]" if app_id in self.marked else "[ ]"))

    def action_next_page(self) -> None:
        if self.page + 1 < self.pages:
            self.page += 1
            self._fill()

    def action_prev_page(self) -> None:
        if self.page > 0:
            self.page -= 1
            self._fill()

    @on(DataTable.RowSelected, "#applications")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_trail(event.row_key.value)

    def action_open_trail(self) -> None:
        app_id = self.current_id()
        if app_id is not None:
            self.open_trail(app_id)

    def open_trail(self, app_id: str | None) -> None:
        """流程跟踪 of one application."""
        from credx_tui.screens.trail import TrailScreen

        if app_id:
            self.app.push_screen(TrailScreen(app_id))

    def action_delete(self) -> None:
        """删除 the ticked rows (or the current one), after confirmation; R10 refusals
        are shown with the rule."""
        ids = [a.id for a in self.applications if a.id in self.marked]
        if not ids and (current := self.current_id()) is not None:
            ids = [current]
        if not ids or self.dossier is None:
            self._say(self.t("delete.none"))
            return
        dossier = self.dossier
        by_id = {a.id: a for a in self.applications}
        # R10 first: refuse at once what may not be deleted, and ask to confirm only
        # the rest (the service checks again under the lock).
        refusals: list[str] = []
        deletable: list[str] = []
        for app_id in ids:
            app = by_id.get(app_id)
            refusal = (
                None if app is None else workflow.allowed(ReviewAction.DELETE, app, Role.STUDENT)
            )
            if app is not None and refusal is not None:
                course = course_name(dossier, app.target)
                refusals.append(
                    self.t(
                        "delete.refused", course=course, id=app_id, reason=refusal.text(self.lang)
                    )
                )
            else:
                deletable.append(app_id)
        if not deletable:
            self._say("\n".join(refusals))
            return
        items = "\n".join(
            f"{app_id}  {course_name(dossier, by_id[app_id].target)}"
            for app_id in deletable
            if app_id in by_id
        )

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(deletable, refusals)

        self.app.push_screen(ConfirmDialog(self.t("delete.confirm", items=items)), done)

    def _delete(self, ids: list[str], refusals: list[str]) -> None:
        by_id = {a.id: a for a in self.applications}
        actor, dossier = self.actor, self.dossier

        def delete() -> int:  # in a thread (issue 13): each delete takes a store lock
            deleted = 0
            for app_id in ids:
                try:
                    self.services.delete(actor, app_id)
                    deleted += 1
                except Refused as exc:
                    app = by_id.get(app_id)
                    course = course_name(dossier, app.target) if app and dossier else app_id
                    refusals.append(
                        self.t(
                            "delete.refused", course=course, id=app_id, reason=exc.text(self.lang)
                        )
                    )
                except ServiceError as exc:
                    refusals.append(exc.text(self.lang))
            return deleted

        self.in_thread(delete, ApplicationsDeleted, "working.delete", (ids, refusals))

    def on_applications_deleted(self, event: ApplicationsDeleted) -> None:
        deleted = event.result
        ids, refusals = event.context
        lines = [self.t("delete.done", count=deleted)] if deleted else []
        lines += refusals
        self._say("\n".join(lines))
        if refusals:
            self.notify("\n".join(refusals), severity="error", timeout=8, markup=False)
        self.marked -= set(ids)
        self.reload()
