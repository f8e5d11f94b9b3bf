"""审核队列 (R11): every application of the reviewer's colleges, oldest first, filtered
by status, major and free text (class, course, student), counted per status, shown a
page of rows at a time so thousands stay fast."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Select, Static
from textual.widgets.data_table import ColumnKey

from credx_tui.describe import joined, step_name
from credx_tui.live_screen import LiveScreen, kept_place
from credx_tui.localize import bind
from credx_tui.printing import clip
from credx_tui.services import QueueItem, ServiceError
from credx_tui.services.live import Interest, queue_interest
from credx_tui.ui import CredxScreen
from credx_tui.working import gone
from policy.eligibility import fmt
from policy.models import Status

PAGE_SIZE = 100
"""Rows drawn at once; filtering narrows thousands, paging shows the rest."""

COLUMNS = (
    ("at", "queue.col.at"),
    ("student", "queue.col.student"),
    ("name", "queue.col.name"),
    ("course", "queue.col.course"),
    ("status", "queue.col.status"),
    ("step", "queue.col.step"),
    ("credits", "queue.col.credits"),
    ("class", "queue.col.class"),
    ("major", "queue.col.major"),
    ("id", "queue.col.id"),
)
"""(ASCII column key, catalogue key), in display order: what a reviewer needs first
fits in 80 columns; the rest scrolls sideways."""

NARROW = 100
"""Below this many columns the queue uses :data:`CAPS` ``narrow`` and a short date, so
that everything up to 审核环节 fits an 80-column terminal whole (issue 15)."""

CAPS = {
    True: {"name": 8, "course": 14, "step": 12, "class": 12, "major": 14},
    False: {"name": 12, "course": 28, "step": 24, "class": 20, "major": 24},
}
"""Most cells a column's text may take (narrow screen or not): a longer name is cut
with :data:`CUT`, so a cut always shows, whatever the filter.  On a narrow screen the
step gets what the columns before it leave (:meth:`ReviewQueueScreen._fit`)."""

STEP_INDEX = [key for key, _ in COLUMNS].index("step")
"""Where 审核环节 is in :data:`COLUMNS`: the last column a narrow screen shows whole."""

CUT = "~"
"""The mark of a cut cell (ASCII, never an ambiguous-width glyph)."""

ALL = "all"
"""The Select value meaning 'no filter'."""
MINE = "mine"
"""The status filter meaning 'under review at a step this reviewer decides'."""

STATUS_CHOICES = (Status.UNDER_REVIEW, Status.APPROVED, Status.RETURNED)
"""Statuses a reviewer filters by (drafts are the student's own business)."""


class ReviewQueueScreen(LiveScreen, CredxScreen):
    """Where a reviewer (or admin) starts: the applications to decide."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("enter", "open", "review_open"),
        bind("f6", "focus_filter", "review_filter"),
        bind("ctrl+f", "next_page", "next_page"),
        bind("ctrl+b", "prev_page", "prev_page"),
        bind("f5", "refresh", "refresh"),
        bind("f10", "logout", "logout"),
    ]

    def __init__(self) -> None:
        super().__init__(id="review-queue")
        self.items: list[QueueItem] = []
        """Every non-draft application of the reviewer's colleges, oldest first."""
        self.shown: list[QueueItem] = []
        """``items`` after the filters, in the same order."""
        self.status_filter: str = MINE
        """Status shown: ``mine`` (waiting for this reviewer, the default), a Status
        value, or ``all``."""
        self.major_filter: str = ALL
        """Major shown, or ``all``."""
        self.search: str = ""
        """Free text matched against class, course, student ID and name."""
        self.page = 0
        """Zero-based page of ``shown``."""
        self.loaded = False
        """Whether ``items`` holds the store's queue yet (until then the screen says
        正在读取, never a false "0")."""
        self._narrow = True
        """Whether the columns were laid out for a narrow screen (:data:`NARROW`)."""
        self._tally: dict[str, int] = {}
        """The counts line's figures of ``items``, made with them in one pass
        (:meth:`_loaded`), not again at every refill (issue 13)."""
        self._majors: list[str] = []
        """The majors of ``items``, sorted, made in the same pass."""
        self._changed_shown = False
        """Whether a row of ``shown`` has the "!" mark (the pager line's key), found
        when filtering, not again at every page turn."""

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with Vertical(id="queue-body"):
            yield Static(self.t("queue.title"), classes="page-title")
            yield Static(self._who(), id="queue-who", markup=False)
            with Horizontal(id="queue-filters"):
                yield Select(
                    [(self.t("queue.status.mine"), MINE)]
                    + [(self.t(f"status.{s.value}"), s.value) for s in STATUS_CHOICES]
                    + [(self.t("queue.status.all"), ALL)],
                    value=self.status_filter,
                    allow_blank=False,
                    id="queue-status",
                )
                yield Select(
                    self._major_options(),
                    value=self.major_filter,
                    allow_blank=False,
                    id="queue-major",
                )
                yield Input(
                    value=self.search,
                    placeholder=self.t("queue.search.placeholder"),
                    id="queue-search",
                )
            yield Static("", id="queue-counts", markup=False)
            yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="queue-pager", markup=False)
        yield Footer()

    def _who(self) -> str:
        actor = self.actor
        colleges = joined(list(actor.colleges), self.lang) or self.t("queue.all_colleges")
        steps = ""
        if actor.review_steps:
            names = [s.name.text(self.lang) for s in self.services.rules.review_steps]
            ids = [s.id for s in self.services.rules.review_steps]
            mine = [names[ids.index(s)] if s in ids else s for s in actor.review_steps]
            steps = self.t("queue.who.steps", steps=joined(mine, self.lang))
        return self.t(
            "queue.who",
            name=actor.display_name or actor.username,
            role=self.t(f"role.{actor.role.value}"),
            colleges=colleges,
            steps=steps,
        )

    def _major_options(self) -> list[tuple[str, str]]:
        majors = list(self._majors)
        if self.major_filter != ALL and self.major_filter not in majors:
            majors.append(self.major_filter)
        return [(self.t("queue.major.all"), ALL)] + [(m, m) for m in majors]

    def on_mount(self) -> None:
        super().on_mount()
        self._columns()
        # No read here: the ScreenResume that follows the mount reads the queue
        # (BaseScreen.on_screen_resume).  Reading in both made two workers read every
        # row at once on a 2-core machine; the first, cancelled, still ran to its end
        # and delayed the first paint (issue 13).
        self._counts()  # 正在读取 until the worker's rows arrive
        self.query_one(DataTable).focus()

    def after_recompose(self) -> None:
        self._columns()
        self._fill()
        # Fitted again once the new table has its width: after F2 the next column
        # peeked in at the right edge (ux15b item 6).
        self.call_after_refresh(self._fill)

    def _columns(self) -> None:
        table = self.query_one(DataTable)
        self._narrow = self.app.size.width < NARROW
        for key, label in COLUMNS:
            table.add_column(self.t(label), key=key)

    def on_resize(self) -> None:
        """Another width: the columns are fitted again (:meth:`_fit`); crossing
        :data:`NARROW` changes the caps, so they are laid out anew (a DataTable column
        never shrinks by itself)."""
        if not self.is_mounted:
            return
        if (self.app.size.width < NARROW) != self._narrow:
            self.query_one(DataTable).clear(columns=True)
            self._columns()
        self.call_after_refresh(self._fill)

    # -- data -----------------------------------------------------------------------

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="queue-load")
    def load(self) -> None:
        """Read the queue in a worker (a writer may hold a lock for a moment)."""
        try:
            items = self.services.queue(self.actor, status=None)
        except ServiceError as exc:
            self.app.call_from_thread(self.show_error, exc)
            return
        self.app.call_from_thread(self._loaded, items)

    def _loaded(self, items: list[QueueItem]) -> None:
        if gone(self):  # logged out while the queue loaded: nothing to draw in
            return
        self.items = items
        self.loaded = True
        self._tally, majors = _tally(items)
        if self.is_mounted and majors != self._majors:
            self._majors = majors
            select = self.query_one("#queue-major", Select)
            with select.prevent(Select.Changed):
                select.set_options(self._major_options())
                select.value = self.major_filter
        self._majors = majors
        self._filter()

    # -- live (issue 13, item 3) ------------------------------------------------------

    def live_interest_for(self) -> Interest:
        """Every hot file of the reviewer's colleges."""
        return queue_interest(self.services, self.actor)

    def live_read(self) -> list[QueueItem]:
        """In a worker: the queue as it is now (a new application, a decision by a
        colleague, a withdrawal)."""
        self.live_interest = queue_interest(self.services, self.actor)
        return self.services.queue(self.actor, status=None)

    def live_show(self, items: list[QueueItem]) -> None:
        """Redraw the queue only if it changed, the cursor on the same application
        and the scroll as it was; the filters stay as the reviewer set them."""
        if items == self.items:
            return
        with kept_place(self.query_one("#queue-table", DataTable)):
            self._loaded(items)

    def mine(self, item: QueueItem) -> bool:
        """Whether this reviewer may decide the item now (under review, at their step):
        the services' answer (:attr:`QueueItem.mine`)."""
        return item.mine

    def _filter(self) -> None:
        """``shown`` from ``items``: a pass per filter that is set, none for one that
        is not (at 10,000 rows the default 待我审核 is one attribute per row, issue 13);
        whether any row shown has the "!" mark is known from then on."""
        items, status = self.items, self.status_filter
        if status == MINE:
            items = [i for i in items if self.mine(i)]
        elif status != ALL:
            items = [i for i in items if i.application.status.value == status]
        if self.major_filter != ALL:
            major = self.major_filter
            items = [i for i in items if i.summary.major == major]
        needle = self.search.strip().lower()
        if needle:
            items = [i for i in items if any(needle in f.lower() for f in _haystack(i))]
        self.shown = items
        self._changed_shown = any(i.transcript_changed for i in items)
        self.page = min(self.page, self.pages - 1)
        self._fill()

    @property
    def pages(self) -> int:
        """Pages of the filtered queue (at least one)."""
        return max(1, -(-len(self.shown) // PAGE_SIZE))

    def _fill(self) -> None:
        # A refill queued before a logout (the trainer's walk switching roles) finds
        # no one signed in: there is no queue to show then.
        if not self.is_mounted or self.credx.actor is None:
            return
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        caps = CAPS[self._narrow]
        date = "%y-%m-%d" if self._narrow else "%Y-%m-%d"
        rows: list[tuple[str, list[str], str]] = []
        for item in self.shown[self.page * PAGE_SIZE : (self.page + 1) * PAGE_SIZE]:
            app, summary = item.application, item.summary
            step = ""
            if item.step is not None:
                # Only the name here: the decision screen says "step n of total".
                step = step_name(item.step, self.lang)
                if self.actor.review_steps and self.mine(item):
                    step += self.t("queue.step.mine")
            cells = [
                f"{(app.submitted_at or app.updated_at).astimezone():{date}}",
                app.student_id,
                clip(summary.student_name, caps["name"], CUT),
                clip(summary.course_name, caps["course"], CUT),
                # "!": the transcript changed after submission (issue 12); the
                # pager line says so, the decision screen says what moved.
                self.t(f"status.{app.status.value}")
                + (self.t("queue.changed.mark") if item.transcript_changed else ""),
                step,
                fmt(summary.course_credits),
                clip(summary.class_name, caps["class"], CUT),
                clip(summary.major, caps["major"], CUT),
                app.id,
            ]
            style = "" if app.status != Status.UNDER_REVIEW or self.mine(item) else "dim"
            rows.append((app.id, cells, style))
        last, width = self._fit(table, [cells for _, cells, _ in rows])
        for key, cells, style in rows:
            cells[last] = clip(cells[last], width, CUT)
            # Text cells: a student or course named "[b]" must stay literal.
            table.add_row(*(Text(c, style=style) for c in cells), key=key)
        if table.row_count:
            table.move_cursor(row=min(max(cursor, 0), table.row_count - 1))
        self._counts()

    def _fit(self, table: DataTable, rows: list[list[str]]) -> tuple[int, int]:
        """Lay the columns out so that the row ends exactly at the table's right edge:
        every column before the last one seen is whole, the last one seen takes the room
        left (its cells cut with :data:`CUT`), and nothing of the next column peeks in
        cut (it is reached by scrolling sideways).  On a narrow screen the last one seen
        is 审核环节.  Returns (index, width) of the last column seen."""
        pad = 2 * table.cell_padding
        room = table.size.width or self.app.size.width - 2
        if len(rows) > max(table.size.height - 2, 0):
            room -= table.styles.scrollbar_size_vertical  # the scrollbar will take it
        natural = []
        for index, (key, label) in enumerate(COLUMNS):
            column = table.columns[ColumnKey(key)]
            column.auto_width = True
            widest = max([cell_len(r[index]) for r in rows] + [cell_len(self.t(label))])
            natural.append(max(widest, column.content_width))
        last, used = len(COLUMNS) - 1, 0
        for index, width in enumerate(natural):
            if (self._narrow and index == STEP_INDEX) or used + width + pad > room:
                last = index
                break
            used += width + pad
        left = room - used - pad
        header = cell_len(self.t(COLUMNS[last][1]))
        if left < max(6, header) and last > 0:
            # Too little for this one: the one before takes the room instead.
            last -= 1
            left += natural[last] + pad
        if last == len(COLUMNS) - 1 and left >= natural[last]:
            return last, natural[last]  # everything fits
        column = table.columns[ColumnKey(COLUMNS[last][0])]
        column.auto_width = False
        column.width = max(left, 1)
        return last, max(left, 1)

    def _counts(self) -> None:
        if not self.loaded:
            self.query_one("#queue-counts", Static).update(self.t("queue.loading"))
            self.query_one("#queue-pager", Static).update("")
            return
        self.query_one("#queue-counts", Static).update(self.t("queue.counts", **self._tally))
        pager = self.t("queue.pager", shown=len(self.shown), page=self.page + 1, pages=self.pages)
        if self._changed_shown:
            pager += "  " + self.t("queue.changed.key")
        if not self.shown:
            pager = self.t("queue.empty")
        self.query_one("#queue-pager", Static).update(pager)

    # -- filters --------------------------------------------------------------------

    @on(Select.Changed, "#queue-status")
    def _status_changed(self, event: Select.Changed) -> None:
        if str(event.value) == self.status_filter:
            return  # the Select saying its value once more: nothing to filter again
        self.status_filter = str(event.value)
        self.page = 0
        self._filter()

    @on(Select.Changed, "#queue-major")
    def _major_changed(self, event: Select.Changed) -> None:
        if str(event.value) == self.major_filter:
            return  # the Select saying its value once more: nothing to filter again
        self.major_filter = str(event.value)
        self.page = 0
        self._filter()

    @on(Input.Changed, "#queue-search")
    def _search_changed(self, event: Input.Changed) -> None:
        if event.value == self.search:
            return
        self.search = event.value
        self.page = 0
        self._filter()

    @on(Input.Submitted, "#queue-search")
    def _search_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_focus_filter(self) -> None:
        """F6: type a class, course, student ID or name."""
        self.query_one("#queue-search", Input).focus()

    def action_next_page(self) -> None:
        """Ctrl+F: the next page of the filtered queue."""
        if self.page + 1 < self.pages:
            self.page += 1
            self._fill()

    def action_prev_page(self) -> None:
        """Ctrl+B: the previous page."""
        if self.page > 0:
            self.page -= 1
            self._fill()

    # -- open -----------------------------------------------------------------------

    def current_index(self) -> int | None:
        """Index in ``shown`` of the row under the cursor."""
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return self.page * PAGE_SIZE + table.cursor_row

    @on(DataTable.RowSelected, "#queue-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        """Enter: the decision screen, with next/previous over the filtered queue."""
        from credx_tui.screens.review_decision import ReviewDecisionScreen

        if isinstance(self.focused, Input | Select):
            return
        index = self.current_index()
        if index is None:
            return
        ids = [i.application.id for i in self.shown]
        self.app.push_screen(ReviewDecisionScreen(ids, index))

    def action_logout(self) -> None:
        """F10: back to the login screen (not offered when the OS account logged in)."""
        self.credx.action_logout()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "logout":
            # With --os-user there is no login screen to go back to.
            return len(self.app.screen_stack) > 2
        return True


def _haystack(item: QueueItem) -> tuple[str, ...]:
    """What the free-text filter looks in: class, course, student, major, ids."""
    app, summary = item.application, item.summary
    return (
        app.id,
        app.student_id,
        app.target,
        summary.student_name,
        summary.class_name,
        summary.course_name,
        summary.major,
    )


def _tally(items: list[QueueItem]) -> tuple[dict[str, int], list[str]]:
    """The counts line's figures (待我审核, 审核中, 审核通过, 被退回, 共) and the sorted
    majors of the queue, in one pass over its rows (issue 13: at 10,000 rows each
    extra pass was felt)."""
    mine = review = approved = returned = 0
    majors: set[str] = set()
    for item in items:
        status = item.application.status
        mine += item.mine
        if status == Status.UNDER_REVIEW:
            review += 1
        elif status == Status.APPROVED:
            approved += 1
        elif status == Status.RETURNED:
            returned += 1
        majors.add(item.summary.major)
    majors.discard("")
    tally = {
        "mine": mine,
        "review": review,
        "approved": approved,
        "returned": returned,
        "total": len(items),
    }
    return tally, sorted(majors)
