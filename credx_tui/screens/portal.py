"""Portal home: the student's header, decisions since the last visit, and the two
menus of the guide: 信息查询 -> 学生成绩总表打印, 报名申请 -> 学分兑换."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from credx_tui.describe import event_action, event_step_name, status_text
from credx_tui.linebreak import wrap
from credx_tui.live_screen import LiveScreen
from credx_tui.localize import bind
from credx_tui.services import ServiceError
from credx_tui.services.live import Interest, student_interest
from credx_tui.ui import CredxScreen
from credx_tui.widgets.student_header import student_header
from policy.models import ExchangeApplication, ReviewEvent, Status


class PortalScreen(LiveScreen, CredxScreen):
    """信息门户: where a signed-in student starts."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("f3", "app.open_transcript", "transcript"),
        bind("f4", "app.open_exchange", "exchange"),
        bind("f5", "refresh", "refresh"),
        bind("f10", "app.logout", "logout"),
    ]

    def __init__(self) -> None:
        super().__init__(id="portal")
        self._apps: dict[str, ExchangeApplication] = {}
        """The student's applications by id (a notice says where one stands now)."""
        self._shown: tuple[object, ...] | None = None
        """What :meth:`live_read` last returned and is drawn."""

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with Vertical(id="portal-body"):
            yield Static("", id="portal-student", markup=False)
            yield Static(self.t("portal.notices"), classes="section-title")
            yield Static("", id="portal-notices", markup=False)
            yield OptionList(
                Option(self.t("portal.menu.query"), disabled=True),
                Option("  " + self.t("portal.menu.transcript"), id="transcript"),
                Option(self.t("portal.menu.apply"), disabled=True),
                Option("  " + self.t("portal.menu.exchange"), id="exchange"),
                id="portal-menu",
            )
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()
        self.query_one("#portal-menu", OptionList).focus()

    def after_recompose(self) -> None:
        self.reload()

    def reload(self) -> None:
        try:
            shown = self.live_read()
        except ServiceError as exc:
            self.show_error(exc)
            return
        self._show(shown)

    # -- live (issue 13): a decision made elsewhere becomes a notice without a key ----

    def live_interest_for(self) -> Interest | None:
        return student_interest(self.services, self.actor)

    def live_read(self) -> tuple[object, ...]:
        """What the portal shows, through the services (in a thread when live)."""
        student = self.services.student(self.actor)
        notices = self.services.notices(self.actor, self.credx.last_seen)
        dossier = self.services.dossier(self.actor)
        names = {}
        for app in dossier.applications:
            record = dossier.transcript.record(app.target)
            names[app.id] = record.name if record else app.target
        return student, notices, names, {a.id: a for a in dossier.applications}

    def live_show(self, shown: tuple[object, ...]) -> None:
        if shown != self._shown:
            self._show(shown)

    def _show(self, shown: tuple[object, ...]) -> None:
        student, notices, names, apps = shown
        self._shown = shown
        self._apps = apps  # type: ignore[assignment]
        self.query_one("#portal-student", Static).update(
            student_header(student, self.lang, kind=False, width=self.app.size.width - 2)  # type: ignore[arg-type]
        )
        self._notices: tuple[list[ReviewEvent], dict[str, str]] = (notices, names)  # type: ignore[assignment]
        self._draw_notices()

    def on_resize(self) -> None:
        self.call_after_refresh(self._draw_notices)

    def _draw_notices(self) -> None:
        if not self.is_mounted or not hasattr(self, "_notices"):
            return
        self.query_one("#portal-notices", Static).update(self._notices_text(*self._notices))

    def _notices_text(self, notices: list[ReviewEvent], names: dict[str, str]) -> Text:
        if not notices:
            key = "portal.notices.first" if self.credx.last_seen is None else "portal.notices.none"
            return Text(self.t(key))
        # Broken as Chinese is set, to the notices' width: the date starts the line
        # its notice fills, never alone on it, and no line starts with 。 (issue 15).
        width = self.query_one("#portal-notices", Static).size.width or self.app.size.width - 2
        text = Text()
        # The latest notice of each application says where it stands now.
        last = {e.application_id: e for e in notices}
        for event in notices:
            said = event.reason or event.comment
            reason = self.t("portal.notice.reason", reason=said) if said else ""
            line = self.t(
                "portal.notice",
                at=f"{event.at.astimezone():%Y-%m-%d %H:%M}",
                course=names.get(event.application_id, event.application_id),
                action=event_action(
                    event, self.lang, event_step_name(event, self.services.rules, self.lang)
                ),
                who=event.actor,
                reason=reason,
            )
            now = self._apps.get(event.application_id)
            if (
                now is not None
                and now.status == Status.UNDER_REVIEW
                and event.status_after == Status.UNDER_REVIEW
                and last.get(event.application_id) is event
            ):
                # R11: a step approved, the application waits at the next one.
                line += self.t(
                    "portal.notice.now", status=status_text(now, self.services.rules, self.lang)
                )
            if text:
                text.append("\n")
            text.append("\n".join(wrap(line, max(20, width), "", "  ")))
        return text

    @on(OptionList.OptionSelected, "#portal-menu")
    def _menu(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == "transcript":
            self.credx.open_transcript()
        elif event.option.id == "exchange":
            self.credx.open_exchange()
