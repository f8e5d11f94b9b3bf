"""Apply (S4): one target course (R3), the credits that pay for it, attachments;
save as 无流程 or submit.

The picker lists only exchangeable courses (R9); F3 shows the hidden ones with the
rule that hides each.  Sources are only the kinds the target allows, each with its
credits and marked when already spent.  A live line shows offered against needed
credits and the graduation effect (R7); F4 fills in the suggested offer; an offer
that fails the ratio opens the dialog of R8.  Every decision is the services'."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from credx_tui.dialogs.attach_file import AttachDialog
from credx_tui.dialogs.confirm import ConfirmDialog
from credx_tui.dialogs.hidden_courses import HiddenCoursesDialog
from credx_tui.dialogs.ratio import RatioDialog
from credx_tui.dialogs.submit_warning import SubmitWarningDialog
from credx_tui.i18n import term
from credx_tui.live_screen import LiveScreen
from credx_tui.localize import bind
from credx_tui.services import BadAttachment, Refused, ServiceError
from credx_tui.services.live import Interest, student_interest
from credx_tui.ui import CredxScreen
from credx_tui.working import (
    ApplicationSaved,
    ApplicationSubmitted,
    AttachmentAdded,
    ServiceRefused,
    gone,
)
from policy import workflow
from policy.eligibility import SourceOption, Verdict, fmt
from policy.grades import record_passed
from policy.models import Attachment, ExchangeApplication, SourceRef
from policy.offers import Offer, OfferCheck
from policy.reasons import Reason
from policy.text import NOTE_MAX
from policy.workflow import EVIDENCE_REQUIRED


def _ref_id(ref: SourceRef) -> str:
    """An option id for a source (ASCII-safe: certificate ids may hold anything)."""
    return f"src-{abs(hash((ref.kind.value, ref.ref)))}"


class ApplyScreen(LiveScreen, CredxScreen):
    """申请: a new application, or a 无流程/被退回 one being corrected."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Save and submit first: at 80 columns the footer shows what fits (issue 15).
        bind("f7", "save", "save"),
        bind("f8", "submit", "submit"),
        bind("f6", "attach", "attach"),
        bind("ctrl+r", "detach", "detach"),
        bind("ctrl+u", "upload", "upload"),
        bind("f4", "suggest", "suggest"),
        bind("f3", "hidden", "hidden"),
        # F5 still reads again; not in the footer, which keeps room at 80 columns.
        bind("f5", "refresh", "refresh", show=False),
        bind("escape", "back", "back"),
    ]

    def __init__(
        self,
        application: ExchangeApplication | None = None,
        start_dir: Path | None = None,
        notice: str = "",
    ) -> None:
        super().__init__(id="apply")
        self.notice = notice
        """Said when the screen opens (R3: why this draft was opened, not a new form)."""
        self.taken: list[ExchangeApplication] = []
        """The student's other 无流程/被退回 applications: their courses are corrected
        there, never offered a second time here."""
        self.application_id: str | None = application.id if application else None
        """The application being edited; None until a new one is first saved."""
        self.target: str | None = application.target if application else None
        """校内课程代码 of the course to exchange (one only: R3)."""
        self.chosen: list[SourceRef] = list(application.sources) if application else []
        """The sources ticked, in the order ticked."""
        self.attachments: list[Attachment] = list(application.attachments) if application else []
        """Screenshots checked and stored by the services."""
        self.known: set[str] = {a.sha256 for a in self.attachments}
        """SHA-256 of the attachments the stored application had when this screen last
        read it: one stored that is not here arrived by link since, and a save keeps it
        (services.save's ``known_attachments``)."""
        self.note = application.note if application else ""
        self.verdicts: list[Verdict] = []
        self.options: list[SourceOption] = []
        self.check: OfferCheck | None = None
        """The services' verdict on the offer as it stands."""
        self.message = ""
        """The last result or refusal, shown at the bottom."""
        self.start_dir = start_dir
        """Where the attachment tree opens (default: home)."""
        self._saved = self._state()
        """The offer as last saved (or as opened): Esc asks before dropping changes."""

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with VerticalScroll(id="apply-body"):
            title = (
                self.t("apply.edit_title", id=self.application_id)
                if self.application_id
                else self.t("apply.title")
            )
            yield Static(title, classes="page-title", markup=False)
            yield Static(self.t("apply.one_course"), classes="hint")
            yield Static(self.t("apply.target"), classes="section-title")
            yield OptionList(id="targets")
            yield Static("", id="targets-none", markup=False)
            yield Static("", id="targets-taken", classes="hint", markup=False)
            yield Static(self.t("apply.sources"), classes="section-title")
            yield OptionList(id="sources")
            yield Static("", id="offer-line", markup=False)
            yield Static("", id="evidence-line", markup=False)
            yield Static("", id="effect-lines", markup=False)
            limits = self.services.rules.attachments
            yield Static(
                self.t(
                    "apply.attachments", count=limits.max_count, mb=fmt(limits.max_bytes / 1048576)
                ),
                classes="section-title",
            )
            yield Static("", id="attachment-list", markup=False)
            yield Static(self.t(self._how_key()), id="attach-how", classes="hint", markup=False)
        # 备注, 保存 and 提交 and the last message stay under the scrolling part, so
        # they are on screen at 80x24 however long the lists are (issue 15).
        with Vertical(id="apply-bottom"):
            yield Static("", id="apply-message", markup=False)
            with Horizontal(id="note-row"):
                yield Label(self.t("apply.note"))
                yield Input(
                    self.note,
                    placeholder=self.t("apply.note.placeholder"),
                    id="note",
                    max_length=NOTE_MAX,
                )
                yield Button(self.t("apply.save"), id="save-button")
                yield Button(self.t("apply.submit"), id="submit-button", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()
        self.query_one("#targets").focus()
        if self.notice:
            self._say(self.notice)
        elif self.application_id is None:
            # R3 when the form opens, not when it is saved (issue 15, item 3).
            try:
                refusal = self.services.start_refusal(self.actor)
            except ServiceError as exc:
                self.show_error(exc)
                return
            if refusal is not None:
                self._say(refusal.text(self.lang), error=True)

    def after_recompose(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        # Dialogs return here; do not reset what the student is choosing.
        pass

    # -- data -----------------------------------------------------------------------

    def reload(self) -> None:
        try:
            self.verdicts = self.services.verdicts(self.actor)
            self.taken = [
                a
                for a in self.services.applications(self.actor)
                if workflow.editable(a) and a.id != self.application_id
            ]
        except ServiceError as exc:
            self.show_error(exc)
            return
        self._fill_targets()
        self._load_sources()
        self._fill_attachments()

    def offered_verdicts(self) -> list[Verdict]:
        """What the picker offers (R9): exchangeable courses, plus the course of the
        application being corrected."""
        taken = {a.target for a in self.taken}
        return [
            v
            for v in self.verdicts
            if (v.exchangeable and v.code not in taken) or v.code == self.target
        ]

    def _fill_targets(self) -> None:
        targets = self.query_one("#targets", OptionList)
        targets.clear_options()
        offered = self.offered_verdicts()
        for v in offered:
            mark = "(*)" if v.code == self.target else "( )"
            prompt = self.t(
                "apply.target.option",
                name=v.course,
                category=term(v.category.value, self.lang),
                credits=fmt(v.credits),
                needed=fmt(v.needed_credits),
            )
            targets.add_option(Option(Text(f"{mark} {prompt}"), id=f"t-{v.code}"))
        names = {v.code: v.course for v in self.verdicts}
        taken = self.query_one("#targets-taken", Static)
        taken.update(
            self.t(
                "apply.target.taken",
                items=self.t("apply.target.taken.sep").join(
                    self.t(
                        "apply.target.taken.item",
                        course=names.get(a.target, a.target),
                        id=a.id,
                        status=self.t(f"status.{a.status.value}"),
                    )
                    for a in self.taken
                ),
            )
            if self.taken
            else ""
        )
        taken.display = bool(self.taken)
        none = self.query_one("#targets-none", Static)
        none.update(self.t("apply.target.none") if not offered else "")
        none.display = not offered
        targets.display = bool(offered)  # no empty frame: the line above says why
        if offered:
            targets.highlighted = next(
                (i for i, v in enumerate(offered) if v.code == self.target), 0
            )

    def _load_sources(self) -> None:
        if self.target is None:
            self.options = []
        else:
            try:
                self.options = self.services.sources(self.actor, self.target, self.application_id)
            except ServiceError as exc:
                self.options = []
                self.show_error(exc)
        held = {o.ref for o in self.options}
        self.chosen = [r for r in self.chosen if r in held]
        self._fill_sources()
        self._evaluate()

    def _source_prompt(self, option: SourceOption) -> Text:
        mark = "[x]" if option.ref in self.chosen else "[ ]"
        spent = self.t("apply.source.spent", id=option.spent_by) if option.spent else ""
        return Text(
            self.t(
                "apply.source.option",
                mark="[-]" if option.spent else mark,
                name=option.name,
                kind=term(option.ref.kind.value, self.lang),
                credits=fmt(option.credits),
                spent=spent,
            ),
            style="dim" if option.spent else "",
        )

    def _fill_sources(self) -> None:
        sources = self.query_one("#sources", OptionList)
        highlighted = sources.highlighted
        sources.clear_options()
        if self.target is None:
            sources.add_option(Option(self.t("apply.sources.pick_target"), disabled=True))
            return
        if not self.options:
            sources.add_option(Option(self.t("apply.sources.none"), disabled=True))
            return
        # Free sources first: the ones other applications hold go under them, so they
        # never push the free ones out of the list's view (issue 15).
        self.options = sorted(self.options, key=lambda o: o.spent)
        for option in self.options:
            # A spent source stays reachable (dimmed): Space on it says which
            # application holds it, instead of doing nothing (issue 15, item 4).
            sources.add_option(Option(self._source_prompt(option), id=_ref_id(option.ref)))
        sources.highlighted = (
            highlighted if highlighted is not None and highlighted < len(self.options) else 0
        )

    def _evaluate(self) -> None:
        """The live line: offered against needed (R8) and the graduation effect (R7)."""
        line = self.query_one("#offer-line", Static)
        effects = self.query_one("#effect-lines", Static)
        if self.target is None:
            self.check = None
            line.update("")
            effects.update("")
            return
        try:
            self.check = self.services.evaluate(
                self.actor,
                Offer(target=self.target, sources=self.chosen, application_id=self.application_id),
            )
        except ServiceError as exc:
            self.show_error(exc)
            return
        check = self.check
        record_credits = next((v.credits for v in self.verdicts if v.code == self.target), 0.0)
        ok = check.ratio_met and bool(self.chosen)
        line.update(
            Text(
                self.t(
                    "apply.offered",
                    offered=fmt(check.offered),
                    needed=fmt(check.needed),
                    credits=fmt(record_credits),
                    factor=fmt(check.factor),
                    verdict=self.t("apply.offered.ok" if ok else "apply.offered.short"),
                ),
                style="bold green" if ok else "bold red",
            )
        )
        lines = []
        for effect in check.effects:
            if effect.short_by > 0:
                continue  # the policy's R7 warning below says it, with the advice
            short = (
                self.t("apply.effect.short", short=fmt(effect.short_by))
                if effect.short_by > 0
                else ""
            )
            lines.append(
                self.t(
                    "apply.effect",
                    after=fmt(effect.available_after),
                    required=fmt(effect.required),
                    category=term(effect.category.value, self.lang),
                    short=short,
                )
            )
        lines += [w.text(self.lang) for w in check.warnings]
        effects.update(Text("\n".join(lines), style="yellow" if check.warnings else ""))
        self._fill_attachments()

    def _fill_attachments(self) -> None:
        self.refresh_bindings()
        text = "\n".join(
            self.t(
                "apply.attachment",
                name=a.filename,
                type=a.media_type,
                size=fmt(a.size / 1024),
            )
            for a in self.attachments
        )
        self.query_one("#attachment-list", Static).update(text or self.t("apply.attachments.none"))
        # S4: say before submit that an attachment is needed (the services refuse it too).
        missing = (
            EVIDENCE_REQUIRED
            if self.services.rules.attachments.required and not self.attachments
            else None
        )
        line = self.query_one("#evidence-line", Static)
        line.update(Text(missing.text(self.lang), style="bold red") if missing else "")
        line.display = missing is not None

    def _say(self, text: str, error: bool = False) -> None:
        self.message = text
        self.query_one("#apply-message", Static).update(Text(text, style="red" if error else ""))
        if error:  # laid out first: is the line on screen?
            self.call_after_refresh(self._toast_unless_seen, text)

    def _toast_unless_seen(self, text: str) -> None:
        """Toast an error only where its line is out of sight or cut short: at 80x24
        the line shows it, and the toast covered the 保存/提交 buttons (ux15b item 6)."""
        if gone(self):
            return  # Esc closed 申请 before this refresh (a burst of keys): no line left
        line = self.query_one("#apply-message", Static)
        region = line.region
        whole = line.virtual_size.height <= region.height  # max-height may cut it
        if not (region.height and whole and self.region.contains_region(region)):
            self.notify(text, severity="error", timeout=8, markup=False)

    # -- choosing -------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#targets")
    def _target_picked(self, event: OptionList.OptionSelected) -> None:
        code = (event.option.id or "")[2:]
        if code and code != self.target:
            old = self.target
            self.target = code
            self.chosen = []
            self._fill_targets()
            self._load_sources()
            if old is not None and self.attachments:
                # The screenshots were of the old course's grades: they go with it,
                # and the student is told (issue 15, item 4).
                names = "、".join(a.filename for a in self.attachments)
                self.attachments = []
                self._fill_attachments()
                course = next((v.course for v in self.verdicts if v.code == old), old)
                self._say(self.t("apply.attach.dropped", course=course, names=names))
        self.query_one("#sources").focus()

    @on(OptionList.OptionSelected, "#sources")
    def _source_toggled(self, event: OptionList.OptionSelected) -> None:
        option = next((o for o in self.options if _ref_id(o.ref) == event.option.id), None)
        if option is None:
            return
        if option.spent:
            reason = option.spent_reason
            self._say(
                reason.text(self.lang)
                if reason
                else self.t("apply.source.spent", id=option.spent_by),
                error=True,
            )
            return
        if option.ref in self.chosen:
            self.chosen.remove(option.ref)
        else:
            self.chosen.append(option.ref)
        self.query_one("#sources", OptionList).replace_option_prompt(
            _ref_id(option.ref), self._source_prompt(option)
        )
        self._evaluate()

    def on_key(self, event) -> None:  # space ticks a source as Enter does
        if event.key == "f6" and not self.credx.local_files:
            # F6 is not offered here (check_action): say what to use instead.
            event.stop()
            self._say(self.t("apply.attach.no_local"), error=True)
            return
        sources = self.query_one("#sources", OptionList)
        if event.key == "space" and self.focused is sources and sources.highlighted is not None:
            event.stop()
            sources.action_select()

    def action_hidden(self) -> None:
        """F3: the courses R9 hides, each with its rule."""
        try:
            dossier = self.services.dossier(self.actor)
        except ServiceError as exc:
            self.show_error(exc)
            return
        grades = self.services.rules.grades
        passed = {r.code for r in dossier.transcript.records if record_passed(r, grades)}
        self.app.push_screen(HiddenCoursesDialog(self.verdicts, passed))

    def action_suggest(self) -> None:
        """F4: the offer wasting the fewest credits without hurting graduation."""
        if self.target is None:
            self._say(self.t("apply.no_target"), error=True)
            return
        try:
            suggestion = self.services.suggest(self.actor, self.target, self.application_id)
        except ServiceError as exc:
            self._say(exc.text(self.lang), error=True)
            return
        if suggestion is None:
            self._say(self.t("suggest.none"), error=True)
            return
        self.chosen = list(suggestion.offer.sources)
        self._fill_sources()
        self._evaluate()
        text = self.t("suggest.done", offered=fmt(suggestion.check.offered))
        if not suggestion.keeps_graduation:
            text += "\n" + self.t("suggest.warn")
        self._say(text)

    # -- attachments ------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F6 (a path on this process's disk) only on a workstation install
        (credx_tui/doors.py); elsewhere the footer offers Ctrl+U alone."""
        if action == "attach":
            return self.credx.local_files
        if action == "upload":  # not in the trainer's sandbox: credx serve does not serve it
            return self.credx.download_links
        # 删附件 only with an attachment to remove (the footer's room at 80 columns).
        if action == "detach":
            return bool(self.attachments)
        return True

    def _how_key(self) -> str:
        """The line saying how to attach here (which of F6 and Ctrl+U are offered)."""
        if not self.credx.download_links:
            return "apply.attach.how_disk" if self.credx.local_files else "apply.attach.how_none"
        return "apply.attach.how_local" if self.credx.local_files else "apply.attach.how"

    # -- live (issue 13): files that arrive by link appear without a key ------------

    def live_interest_for(self) -> Interest | None:
        return student_interest(self.services, self.actor)

    def live_read(self) -> tuple[Attachment, ...] | None:
        """In a thread: the attachments stored now (None: nothing saved yet)."""
        if self.application_id is None:
            return None
        return tuple(self.services.application(self.actor, self.application_id).attachments)

    def live_show(self, found: tuple[Attachment, ...] | None) -> None:
        """Add the attachments that arrived by link (credx serve, another process) to
        this screen's list; redraws only on news."""
        if found is None:
            return
        stored = {a.sha256 for a in found}
        if stored == self.known:
            return
        clean = not self.unsaved_changes()
        mine = {a.sha256 for a in self.attachments}
        new = [a for a in found if a.sha256 not in self.known and a.sha256 not in mine]
        self.known = stored
        if not new:
            return
        self.attachments += new
        if clean:  # they are stored already: nothing for Esc to ask about
            self._saved = self._state()
        self._fill_attachments()
        self._say(self.t("apply.attach.arrived", names="、".join(a.filename for a in new)))

    def action_upload(self) -> None:
        """Ctrl+U: the upload link and its QR code for this application (S4).  A new
        application is saved first (无流程): the link belongs to a stored draft."""
        if self.application_id is None:
            if self.target is None:
                self._say(self.t("upload.pick_first"), error=True)
                return
            self._save(then="upload")
            return
        self.open_upload_link(self.application_id)

    def action_attach(self) -> None:
        """F6: choose a file; the services check its type by content and its size."""
        if not self.credx.local_files:
            self._say(self.t("apply.attach.no_local"), error=True)
            return
        limit = self.services.rules.attachments.max_count
        if len(self.attachments) >= limit:
            self._say(self.t("apply.attach.count", count=limit), error=True)
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.add_attachment(path)

        self.app.push_screen(AttachDialog(self.start_dir or Path.home()), chosen)

    def add_attachment(self, path: Path) -> None:
        """Check and store one file; explain a refusal."""
        if not self.credx.local_files:  # never a path of the server's disk (doors.py)
            self._say(self.t("apply.attach.no_local"), error=True)
            return
        actor = self.actor
        self.in_thread(lambda: self.services.attach(actor, path), AttachmentAdded, "working.attach")

    def on_attachment_added(self, event: AttachmentAdded) -> None:
        attachment: Attachment = event.result
        same = next((a for a in self.attachments if a.sha256 == attachment.sha256), None)
        if same is not None:
            self._say(self.t("apply.attach.already", name=same.filename), error=True)
            return
        self.attachments.append(attachment)
        self._fill_attachments()
        self._say(self.t("apply.attach.added", name=attachment.filename))

    def action_detach(self) -> None:
        """Ctrl+R: remove the last attachment."""
        if self.attachments:
            self.attachments.pop()
            self._fill_attachments()

    # -- save and submit --------------------------------------------------------------

    @on(Input.Changed, "#note")
    def _note(self, event: Input.Changed) -> None:
        self.note = event.value

    @on(Button.Pressed, "#save-button")
    def action_save(self) -> None:
        """F7: save as 无流程 (or keep a returned one, corrected)."""
        self._save()

    def _save(self, then: str = "") -> None:
        """Save in a thread (issue 13); ``then`` is what follows once it is saved
        (``submit``, ``upload``: :meth:`on_application_saved`)."""
        if self.target is None:
            self._say(self.t("apply.no_target"), error=True)
            return
        actor, target, chosen = self.actor, self.target, list(self.chosen)
        application_id, note = self.application_id, self.note
        attachments, known = list(self.attachments), set(self.known)
        self.in_thread(
            lambda: self.services.save(
                actor,
                target,
                chosen,
                application_id=application_id,
                note=note,
                attachments=attachments,
                known_attachments=known,
            ),
            ApplicationSaved,
            "working.save",
            then,
        )

    def on_application_saved(self, event: ApplicationSaved) -> None:
        app: ExchangeApplication = event.result
        self.application_id = app.id
        # What the store kept, files that arrived by link meanwhile included.
        self.attachments = list(app.attachments)
        self.known = {a.sha256 for a in app.attachments}
        self._fill_attachments()
        self._saved = self._state()
        self._say(self.t("apply.saved", id=app.id))
        if event.context == "submit":
            actor = self.actor
            self.in_thread(
                lambda: self.services.submit(actor, app.id), ApplicationSubmitted, "working.submit"
            )
        elif event.context == "upload":
            self._say(self.t("upload.saved_first", id=app.id))
            self.open_upload_link(app.id)

    def on_service_refused(self, event: ServiceRefused) -> None:
        exc = event.error
        if event.event is ApplicationSaved:
            self._say(self.t("apply.refused", reason=exc.text(self.lang)), error=True)
        elif event.event is ApplicationSubmitted and isinstance(exc, Refused):
            self._refused(exc.reasons)
        elif event.event is AttachmentAdded and isinstance(exc, BadAttachment):
            self._say(self.t("apply.attach.refused", reason=exc.text(self.lang)), error=True)
        else:
            self._say(exc.text(self.lang), error=True)

    def _state(self) -> tuple[object, ...]:
        return (
            self.target,
            tuple(self.chosen),
            tuple(a.sha256 for a in self.attachments),
            self.note,
        )

    def unsaved_changes(self) -> bool:
        """The offer differs from what was last saved (Esc and Ctrl+Q ask first)."""
        return self._state() != self._saved

    def action_back(self) -> None:
        """Esc: back to 学分兑换, asking first when the offer has unsaved changes."""
        if self._state() == self._saved:
            super().action_back()
            return

        def chosen(discard: bool | None) -> None:
            if discard:
                super(ApplyScreen, self).action_back()

        self.app.push_screen(ConfirmDialog(self.t("apply.discard")), chosen)

    @on(Button.Pressed, "#submit-button")
    def action_submit(self) -> None:
        """F8: submit; an offer short of the ratio opens the dialog of R8."""
        if self.target is None:
            self._say(self.t("apply.no_target"), error=True)
            return
        self._evaluate()
        if self.check is not None and not self.check.acceptable:
            self._refused(self.check.reasons)
            return
        if self.check is not None and self.check.warnings:
            # A warning on screen (R7) does not stop the policy: the student says
            # they read it before anything is sent (issue 15, item 8).
            def answered(go: bool | None) -> None:
                if go:
                    self._submit()

            self.app.push_screen(SubmitWarningDialog(self.check.warnings), answered)
            return
        self._submit()

    def _submit(self) -> None:
        """Save, then submit what was saved (both in a thread); say a refusal, or go
        back to 学分兑换."""
        self._save(then="submit")

    def on_application_submitted(self, event: ApplicationSubmitted) -> None:
        app: ExchangeApplication = event.result
        course = next((v.course for v in self.verdicts if v.code == app.target), app.target)
        self.notify(self.t("apply.submitted", course=course, id=app.id), markup=False, timeout=6)
        self.app.pop_screen()

    def _refused(self, reasons: list[Reason]) -> None:
        text = "\n".join(r.text(self.lang) for r in reasons)
        if any(r.rule == "R8" for r in reasons):
            self._say(text, error=False)
            self.app.push_screen(RatioDialog(reasons))
        else:
            self._say(text, error=True)
