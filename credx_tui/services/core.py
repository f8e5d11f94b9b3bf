"""Use cases of credx: what the screens and the command line call.

Each write is one transaction: take the college's cross-process lock, reload the
college's hot file, ask :mod:`policy`, write atomically, release.  Each call checks
who is asking (an :class:`Actor` made by :meth:`Services.login`): a student acts only on
their own data, a reviewer only on their own colleges' applications, and a student
never approves.  The checks live here, not in the screens, so a crafted call without
the UI is refused the same way.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from credx_tui.passwords import dummy_hash, hash_password, verify_password
from credx_tui.services import attachment_check
from credx_tui.services.errors import (
    AccessDenied,
    BadAttachment,
    BadText,
    Conflict,
    DuplicateAttachment,
    LoginFailed,
    NotFound,
    Refused,
    SessionEnded,
    StorageFailed,
)
from credx_tui.services.review import ReviewFile, build_review_file
from credx_tui.services.rows import ApplicationRow, summary_of
from credx_tui.services.views import ApplicationView, application_view
from credx_tui.store import AccountTransaction, HotTransaction, Store, StoreError
from credx_tui.store.base import DocumentStore
from credx_tui.store.schema import UploadRecord
from policy import eligibility, offers, workflow
from policy.bilingual import Bilingual
from policy.dossier import Dossier
from policy.eligibility import SourceOption, Verdict
from policy.fingerprint import fingerprint
from policy.models import (
    Account,
    ApplicationSummary,
    Attachment,
    ExchangeApplication,
    ReviewAction,
    ReviewEvent,
    Role,
    SourceRef,
    Status,
    Student,
    Term,
    Transcript,
)
from policy.offers import Offer, OfferCheck, Suggestion
from policy.reasons import Reason
from policy.rules import ReviewStep, Rules, load_rules, parse_rules
from policy.text import NOTE_MAX, PASSWORD_MAX, REASON_MAX, TextRefused, gate
from policy.validation import first_error

MAX_FAILED_LOGINS = 5
"""Failures in a row before each further attempt must wait (student journey, Login)."""
LOGIN_DELAY_CAP = timedelta(seconds=60)
"""The longest wait after many failures.  Growing delays (1, 2, 4 ... seconds, capped)
instead of a hard lock: a stranger guessing at someone's 学号 slows the guessing down
but can keep the owner out for a minute at most, and key logins never wait."""


def login_delay(failures: int) -> timedelta:
    """How long the next attempt waits after ``failures`` wrong passwords in a row."""
    if failures < MAX_FAILED_LOGINS:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - MAX_FAILED_LOGINS, 16)), LOGIN_DELAY_CAP)


def _wrong() -> LoginFailed:
    return LoginFailed("wrong", "学号或密码错误", "Wrong 学号 or password")


def rules_of_store(store: DocumentStore) -> tuple[Rules, int | None]:
    """The rules every process of this store decides with: the newest version applied
    with ``credx rules apply`` (or stored by ``credx demo``), else the bundled default
    (a store made before rules lived in the store), with its version (None: default)."""
    found = store.stored_rules()
    if found is None:
        return load_rules(), None
    where = f"{store.root}/rules.json" if isinstance(store, Store) else f"{store.location} rules"
    return parse_rules(found.text, f"{where} (version {found.version})"), (found.version)


sniff_media_type = attachment_check.sniff_media_type
"""The media type by content (kept here for callers of the old name)."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """Who is asking: made by login, handed to every service call."""

    username: str
    role: Role
    display_name: str = ""
    colleges: tuple[str, ...] = ()
    review_steps: tuple[str, ...] = ()
    owner_key: object | None = field(default=None, compare=False, repr=False)
    """Set only by :meth:`Services.owner_actor`: the store owner's own shell tools."""

    @property
    def student_id(self) -> str | None:
        """A student's 学号 (their username); None for staff."""
        return self.username if self.role == Role.STUDENT else None


@dataclass(frozen=True)
class LoginResult:
    """A successful login: the actor and when they were last here (for notices)."""

    actor: Actor
    last_seen: datetime | None


@dataclass(frozen=True)
class QueueItem:
    """One row of a reviewer's queue: the application and its display facts."""

    application: ApplicationRow
    """The row's fields; any other field of the application is read (and validated)
    when first asked for (:class:`~credx_tui.services.rows.ApplicationRow`)."""
    summary: ApplicationSummary
    step: ReviewStep | None = None
    """The review step waiting for a decision; None when not under review."""
    mine: bool = False
    """Whether the reviewer asking may decide it now: under review, at a step of
    theirs (:func:`policy.workflow.may_decide`; the queue holds no trails, so the
    one-person-per-step check is the decision screen's)."""

    @property
    def transcript_changed(self) -> bool:
        """Whether the student's transcript changed after the application was
        submitted (issue 12): what the decision screen then explains, marked in the
        queue from the stored row (no transcript read per row)."""
        return self.application.transcript_changed

    @property
    def course_name(self) -> str:
        """校内课程名称 of the target."""
        return self.summary.course_name

    @property
    def credits(self) -> float:
        """校内学分 of the target."""
        return self.summary.course_credits


@dataclass
class Services:
    """The use cases, bound to one store and one rules file.

    ``clock`` is injectable so tests and the trainer sandbox control time.
    ``rules_version`` is the stored version ``rules`` came from (None: the bundled
    default or a dry run's file); with ``follow_store_rules`` a rules version applied
    while this process runs is picked up at the next call (:meth:`for_store`)."""

    store: DocumentStore
    rules: Rules
    clock: Callable[[], datetime] = field(default=_now)
    rules_version: int | None = None
    follow_store_rules: bool = False
    on_session_ended: Callable[[SessionEnded], None] | None = field(default=None, repr=False)
    """Called (from the calling thread) when a call refused an ended session: the app
    returns to the login screen."""
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)
    _owner_key: object = field(default_factory=object, repr=False, compare=False)

    @classmethod
    def for_store(
        cls, store: DocumentStore, clock: Callable[[], datetime] | None = None
    ) -> Services:
        """Services deciding with the rules stored in ``store`` (every process alike)."""
        rules, version = rules_of_store(store)
        return cls(
            store, rules, clock=clock or _now, rules_version=version, follow_store_rules=True
        )

    # -- sessions -------------------------------------------------------------------

    def check_actor(self, actor: Actor) -> None:
        """Refuse an actor that does not match an enabled account in the store now
        (:class:`SessionEnded`).  Cheap: the account shard is re-parsed only when its
        file changed."""
        if actor.owner_key is not None:
            if actor.owner_key is self._owner_key:
                return
            raise SessionEnded("无效的管理身份", "not a valid owner session")
        account = self.store.account(actor.username)
        if account is None:
            raise SessionEnded(
                f"没有账号 {actor.username}，会话已结束",
                f"no account {actor.username}; session ended",
            )
        if account.disabled:
            raise SessionEnded(
                "账号已停用，会话已结束。请联系管理员。",
                "The account was disabled; the session has ended. Ask the administrator.",
            )
        if (
            account.role != actor.role
            or tuple(account.colleges) != actor.colleges
            or tuple(account.review_steps) != actor.review_steps
        ):
            raise SessionEnded(
                "账号的角色或学院已变更，会话已结束，请重新登录。",
                "The account's role or college changed; the session has ended. Log in again.",
            )

    def _refresh_rules(self) -> None:
        if not self.follow_store_rules:
            return
        found = self.store.stored_rules()
        if found is not None and found.version != self.rules_version:
            self.rules, self.rules_version = rules_of_store(self.store)

    def owner_actor(self, os_user: str) -> Actor:
        """An admin actor for the store owner's own shell tools (``credx check``,
        ``credx print``, ``credx user``); refused unless this process owns the store."""
        if not self.store.owned_by_this_process():
            raise AccessDenied(
                "只有存储的所有者可以使用管理命令", "only the store's owner runs admin commands"
            )
        return Actor(username=f"os:{os_user}"[:40], role=Role.ADMIN, owner_key=self._owner_key)

    # -- accounts -------------------------------------------------------------------

    def login(self, username: str, password: str) -> LoginResult:
        """Check a password.  An unknown account and a wrong password get the same
        words and cost the same (a dummy hash is checked); after
        :data:`MAX_FAILED_LOGINS` failures each attempt waits a growing delay."""
        username = username.strip()
        now = self.clock()
        with self.store.account_tx(username) as tx:
            account = tx.get(username)
            if account is None:
                verify_password(password, dummy_hash())
                raise _wrong()
            if account.locked_until is not None and account.locked_until > now:
                wait = account.locked_until
                seconds = max(1, int((wait - now).total_seconds() + 0.999))
                raise LoginFailed(
                    "locked",
                    f"密码错误次数过多，请 {seconds} 秒后再试",
                    f"too many wrong passwords; try again in {seconds} s",
                    until=wait,
                )
            failure: LoginFailed | None = None
            if not verify_password(password, account.password_hash):
                failure = self._count_failure(tx, account, now)
            elif account.disabled:
                failure = LoginFailed("disabled", "账号已停用，请联系管理员", "account disabled")
            else:
                previous = account.last_seen
                tx.put(
                    account.model_copy(
                        update={"failed_logins": 0, "locked_until": None, "last_seen": now}
                    )
                )
        # Raised after the block so that the failure count above is written.
        if failure is not None:
            raise failure
        return LoginResult(actor=_actor(account), last_seen=previous)

    @staticmethod
    def _count_failure(tx: AccountTransaction, account: Account, now: datetime) -> LoginFailed:
        failed = account.failed_logins + 1
        delay = login_delay(failed)
        tx.put(
            account.model_copy(
                update={"failed_logins": failed, "locked_until": now + delay if delay else None}
            )
        )
        return _wrong()

    def trusted_login(self, username: str, via: str) -> LoginResult:
        """Log in an account that something stronger than a password has authenticated
        (an SSH key, ``--os-user``): never subject to the password delays, refused for
        an unknown or disabled account.  ``via`` says what vouched (for the record)."""
        now = self.clock()
        with self.store.account_tx(username) as tx:
            account = tx.get(username)
            if account is None or account.disabled:
                raise LoginFailed(
                    "disabled" if account else "wrong",
                    f"没有可用账号 {username}（{via}）",
                    f"no usable account {username} ({via})",
                )
            previous = account.last_seen
            tx.put(account.model_copy(update={"last_seen": now}))
        return LoginResult(actor=_actor(account), last_seen=previous)

    def actor_for(self, username: str) -> Actor:
        """The actor of an account already authenticated elsewhere (the trainer's
        sandbox, tests); :meth:`trusted_login` also records the visit."""
        account = self.store.account(username)
        if account is None or account.disabled:
            raise LoginFailed("wrong", f"没有可用账号 {username}", f"no usable account {username}")
        return _actor(account)

    def add_account(self, actor: Actor, account: Account, password: str) -> None:
        """Create or replace an account (admins only).

        Its review steps must be steps of the rules (R11) and its colleges colleges of
        the store: a typo (``deen``, ``智能制造``) would otherwise give a reviewer who
        silently sees nothing, or may act on no step at all."""
        _require_admin(actor)
        known_steps = [s.id for s in self.rules.review_steps]
        unknown = [s for s in account.review_steps if s not in known_steps]
        if unknown:
            raise BadText(
                f"【R11】审核环节 {'、'.join(unknown)} 不在规则中（可用：{'、'.join(known_steps)}）",
                f"R11: review step {', '.join(unknown)} is not in the rules "
                f"(known: {', '.join(known_steps)})",
            )
        known_colleges = self.store.colleges()
        strange = [c for c in account.colleges if c not in known_colleges]
        if strange:
            raise BadText(
                f"学院 {'、'.join(strange)} 不在库中（现有：{'、'.join(known_colleges)}）",
                f"college {', '.join(strange)} is not in the store "
                f"(known: {', '.join(known_colleges)})",
            )
        digest = hash_password(_password(password))
        with self.store.account_tx(account.username) as tx:
            tx.put(_validated(account.model_copy(update={"password_hash": digest})))

    def set_password(self, actor: Actor, username: str, password: str) -> None:
        """Reset a password (admins) or change one's own."""
        if actor.role != Role.ADMIN and actor.username != username:
            raise AccessDenied("只能修改自己的密码", "you may change only your own password")
        digest = hash_password(_password(password))
        with self.store.account_tx(username) as tx:
            account = tx.get(username)
            if account is None:
                raise NotFound(f"没有账号 {username}", f"no account {username}")
            tx.put(
                account.model_copy(
                    update={
                        "password_hash": digest,
                        "failed_logins": 0,
                        "locked_until": None,
                    }
                )
            )

    def set_disabled(self, actor: Actor, username: str, disabled: bool) -> None:
        """Disable or enable an account (admins only)."""
        _require_admin(actor)
        with self.store.account_tx(username) as tx:
            account = tx.get(username)
            if account is None:
                raise NotFound(f"没有账号 {username}", f"no account {username}")
            tx.put(account.model_copy(update={"disabled": disabled}))

    def list_accounts(self, actor: Actor) -> list[Account]:
        """Every account, without password hashes (admins only)."""
        _require_admin(actor)
        return [a.model_copy(update={"password_hash": "-"}) for a in self.store.accounts()]

    # -- reading a student's file -----------------------------------------------------

    def student(self, actor: Actor, student_id: str | None = None) -> Student:
        """The student record, if the actor may see it."""
        sid = self._student_scope(actor, student_id)
        student = self.store.student(sid)
        if student is None:
            raise NotFound(f"没有学号为 {sid} 的学生", f"no student with ID {sid}")
        self._check_college(actor, student.college)
        return student

    def dossier(self, actor: Actor, student_id: str | None = None) -> Dossier:
        """Everything the policy needs about one student, read fresh from the store."""
        student = self.student(actor, student_id)
        return self._dossier(student, self.store.applications(student.college, student.id))

    def _dossier(self, student: Student, apps: list[ExchangeApplication]) -> Dossier:
        transcript = self.store.transcript(student.id)
        if transcript is None:
            transcript = Transcript(student_id=student.id)
        programme = self.store.programme(student.major, student.grade_year)
        return Dossier(
            student=student, programme=programme, transcript=transcript, applications=apps
        )

    def verdicts(self, actor: Actor, student_id: str | None = None) -> list[Verdict]:
        """Every course of the student with its verdict and rule (R1, R2, R4, R5, R9)."""
        return eligibility.verdicts(self.dossier(actor, student_id), self.rules)

    def sources(
        self, actor: Actor, target: str, application_id: str | None = None
    ) -> list[SourceOption]:
        """Sources the target's category allows, each marked spent or free."""
        dossier = self.dossier(actor)
        record = dossier.transcript.record(target)
        if record is None:
            raise NotFound(f"成绩单上没有课程 {target}", f"no course {target} on the transcript")
        return eligibility.available_sources(dossier, self.rules, record.category, application_id)

    def start_refusal(self, actor: Actor) -> Reason | None:
        """R3 before the student fills in a form: why a new application may not be
        started now (another one is not yet submitted), or None.  ``save`` refuses the
        same under the lock; this only says it early (issue 15, item 3)."""
        return offers.check_one_at_a_time(self.dossier(actor))

    def evaluate(self, actor: Actor, offer: Offer) -> OfferCheck:
        """Whether an offer would be accepted now, with every reason (R2, R4, R7, R8)."""
        return offers.evaluate_offer(self.dossier(actor), offer, self.rules)

    def suggest(
        self, actor: Actor, target: str, application_id: str | None = None
    ) -> Suggestion | None:
        """The acceptable offer wasting the fewest credits, keeping graduation safe (R7)."""
        return offers.suggest_offer(self.dossier(actor), target, self.rules, application_id)

    def applications(
        self, actor: Actor, student_id: str | None = None
    ) -> list[ExchangeApplication]:
        """A student's applications (申请结果), newest first."""
        student = self.student(actor, student_id)
        apps = self.store.applications(student.college, student.id)
        return sorted(apps, key=lambda a: (a.created_at, a.id), reverse=True)

    def application(self, actor: Actor, app_id: str) -> ExchangeApplication:
        """One application the actor may see."""
        app = self._find_visible(actor, app_id)
        return app

    def trail(self, actor: Actor, app_id: str) -> list[ReviewEvent]:
        """流程跟踪 of one application, oldest first (S5)."""
        app = self._find_visible(actor, app_id)
        return self.store.events(app.college, app.id, app.student_id)

    def notices(self, actor: Actor, since: datetime | None) -> list[ReviewEvent]:
        """Decisions on the student's applications since their last visit."""
        if actor.student_id is None:
            return []
        student = self.student(actor)
        mine = {a.id for a in self.store.applications(student.college, student.id)}
        decided = (ReviewAction.APPROVE, ReviewAction.RETURN)
        return [
            e
            for e in self.store.events(student.college, student_id=student.id)
            if e.application_id in mine and e.action in decided and (since is None or e.at > since)
        ]

    # -- a student's writes -----------------------------------------------------------

    def save(
        self,
        actor: Actor,
        target: str,
        sources: list[SourceRef],
        application_id: str | None = None,
        note: str = "",
        attachments: list[Attachment] | None = None,
        known_attachments: Iterable[str] | None = None,
    ) -> ExchangeApplication:
        """Save an application as 无流程 (new) or keep editing a 无流程/被退回 one.

        A new one is refused while another draft waits (R3: one course at a time).
        The 备注 passes the text gate (:data:`~policy.text.NOTE_MAX`); every attachment
        named must be one this student stored with :meth:`attach` (or already on the
        application), with the size and type it was stored with.

        ``known_attachments`` (SHA-256) are the stored attachments the caller had read:
        a stored attachment outside them arrived since (an upload link, issue 10) and is
        kept after ``attachments``, decided here under the lock, so a screen that read
        the draft before the upload never drops it.  One the caller knew of and left
        out was removed on purpose.  Without it, ``attachments`` is the whole list."""
        student = self.student(actor)
        note = _text(note, Bilingual("备注", "note"), multiline=True, max_length=NOTE_MAX)
        now = self.clock()
        with contextlib.ExitStack() as stack:
            # A new application is numbered under the numbering lock, taken before the
            # hot lock and held until the hot file is written (unique under
            # concurrent saves).
            next_id = (
                stack.enter_context(self.store.numbering()) if application_id is None else None
            )
            tx = stack.enter_context(self.store.hot(student.college, student.id))
            dossier = self._tx_dossier(tx, student)
            if next_id is not None:
                r3 = offers.check_one_at_a_time(dossier)
                if r3 is not None:
                    raise Refused([r3])
                self._refuse_if_not_exchangeable(dossier, target)
                app = ExchangeApplication(
                    id=next_id(application_prefix(now)),
                    student_id=student.id,
                    college=student.college,
                    target=target,
                    sources=list(sources),
                    term=current_term(now),
                    note=note,
                    attachments=list(attachments or []),
                    created_at=now,
                    updated_at=now,
                )
            else:
                assert application_id is not None  # no number taken: an existing one
                app = self._own_app(tx, actor, application_id)
                _refuse(workflow.allowed(ReviewAction.SAVE, app, actor.role))
                if app.target != target:
                    self._refuse_if_not_exchangeable(dossier, target, application_id)
                app = app.model_copy(
                    update={
                        "target": target,
                        "sources": list(sources),
                        "note": note,
                        "attachments": _merged_attachments(
                            app.attachments, attachments, known_attachments
                        ),
                        "updated_at": now,
                        "revision": app.revision + 1,
                    }
                )
            self._check_attachments(app.attachments)
            self._check_attachment_proof(tx, student.id, application_id, app.attachments)
            app = app.model_copy(update={"summary": summarise(dossier, target)})
            app = _validated(app)
            tx.put_application(app)
            tx.add_event(self._event(actor, app, ReviewAction.SAVE, now))
        return app

    def submit(self, actor: Actor, app_id: str) -> ExchangeApplication:
        """Submit a 无流程 or 被退回 application for review, re-checking the offer under
        the lock so that credits are never spent twice."""
        student = self.student(actor)
        now = self.clock()
        with self.store.hot(student.college, student.id) as tx:
            app = self._own_app(tx, actor, app_id)
            _refuse(workflow.allowed(ReviewAction.SUBMIT, app, actor.role))
            dossier = self._tx_dossier(tx, student)
            check = offers.evaluate_offer(
                dossier,
                Offer(target=app.target, sources=app.sources, application_id=app.id),
                self.rules,
            )
            if not check.acceptable:
                raise Refused(check.reasons)
            _refuse(workflow.missing_evidence(app, self.rules))
            handed_in = app.status == Status.DRAFT or app.submitted_at is None
            app = workflow.apply(ReviewAction.SUBMIT, app, self.rules, now)
            # The transcript as submitted: the reviewer is told when a term update
            # changes it afterwards (issue 12, item 2).
            update: dict[str, object] = {
                "rules_version": self.rules_version,
                "submitted_transcript": fingerprint(dossier.transcript, app),
            }
            if handed_in:
                # A draft (new or withdrawn) is handed in now: 提交日期 and 申请学年 are
                # today's, not the day the draft was saved.  Resubmitting a returned one
                # keeps both (issue 15).
                update |= {"submitted_at": now, "term": current_term(now)}
            app = app.model_copy(update=update)
            tx.put_application(app)
            tx.add_event(self._event(actor, app, ReviewAction.SUBMIT, now))
        return app

    def withdraw(self, actor: Actor, app_id: str) -> ExchangeApplication:
        """Take back an application still 审核中 at its first step."""
        return self._student_transition(actor, app_id, ReviewAction.WITHDRAW)

    def _refuse_second_draft(self, tx: HotTransaction, student: Student, app_id: str) -> None:
        """R3: a withdrawn application becomes a 无流程 draft, so it may not be
        withdrawn while another draft of the student waits (two drafts at once)."""
        _refuse(offers.check_one_at_a_time(self._tx_dossier(tx, student), app_id))

    def delete(self, actor: Actor, app_id: str) -> None:
        """Delete a 无流程 or 被退回 application (R10); its trail is kept."""
        student = self.student(actor)
        now = self.clock()
        with self.store.hot(student.college, student.id) as tx:
            app = self._own_app(tx, actor, app_id)
            _refuse(workflow.allowed(ReviewAction.DELETE, app, actor.role))
            tx.delete_application(app.id)
            tx.add_event(self._event(actor, app, ReviewAction.DELETE, now))

    def _student_transition(
        self, actor: Actor, app_id: str, action: ReviewAction
    ) -> ExchangeApplication:
        student = self.student(actor)
        now = self.clock()
        with self.store.hot(student.college, student.id) as tx:
            app = self._own_app(tx, actor, app_id)
            _refuse(workflow.allowed(action, app, actor.role))
            if action == ReviewAction.WITHDRAW:
                self._refuse_second_draft(tx, student, app_id)
            app = workflow.apply(action, app, self.rules, now)
            tx.put_application(app)
            tx.add_event(self._event(actor, app, action, now))
        return app

    # -- attachments ------------------------------------------------------------------

    def attach(self, actor: Actor, path: Path | str) -> Attachment:
        """Check a screenshot file by content and size, store it, return its metadata.

        The caller adds it to an application with :meth:`save`; the count limit is
        checked there."""
        if actor.role != Role.STUDENT:
            raise AccessDenied("只有学生可以上传附件", "only students attach files")
        student = self.student(actor)
        path = Path(path)
        limits = self.rules.attachments
        payload = attachment_check.read_local(path, limits)
        detected = attachment_check.check_content(payload, path.name, limits)
        return self.store_upload(actor, student, payload, detected)

    def store_upload(
        self,
        actor: Actor,
        student: Student,
        payload: bytes,
        detected: attachment_check.DetectedType,
    ) -> Attachment:
        """Keep checked attachment bytes and note that this student stored them: the
        proof :meth:`save` asks for.  Shared by the local path and the upload link
        (call :func:`attachment_check.check_content` first)."""
        if actor.student_id != student.id:
            raise AccessDenied("只能为自己上传附件", "you may attach files only for yourself")
        digest = self.store.put_attachment(payload)
        record = UploadRecord(
            student_id=student.id,
            sha256=digest,
            media_type=detected.media_type,
            size=detected.size,
            at=self.clock(),
        )
        with self.store.hot(student.college, student.id) as tx:
            tx.add_upload(record)
        return Attachment(
            sha256=digest,
            filename=detected.filename,
            media_type=detected.media_type,
            size=detected.size,
        )

    def _check_attachment_proof(
        self,
        tx: HotTransaction,
        student_id: str,
        application_id: str | None,
        attachments: list[Attachment],
    ) -> None:
        """Refuse an attachment reference this student did not store: another student's
        file named by its digest, or a made-up one (S4)."""
        current = tx.application(application_id) if application_id else None
        kept = {a.sha256: a for a in current.attachments} if current else {}
        stored = {u.sha256: u for u in tx.uploads(student_id)}
        for att in attachments:
            proof = kept.get(att.sha256) or stored.get(att.sha256)
            if (
                proof is None
                or proof.media_type != att.media_type
                or proof.size != att.size
                or not self.store.has_attachment(att.sha256)
            ):
                raise BadAttachment(
                    "附件不是你上传的文件，请重新添加",
                    "an attachment is not a file you uploaded; add it again",
                )

    def attachment_bytes(self, actor: Actor, app_id: str, sha256: str) -> bytes:
        """An attachment of an application the actor may see."""
        app = self._find_visible(actor, app_id)
        if not any(a.sha256 == sha256 for a in app.attachments):
            raise NotFound("该申请没有这个附件", "no such attachment on this application")
        return self.store.read_attachment(sha256)

    def _check_attachments(self, attachments: list[Attachment]) -> None:
        limit = self.rules.attachments.max_count
        if len(attachments) > limit:
            raise BadAttachment(
                f"附件最多 {limit} 个，现有 {len(attachments)} 个",
                f"at most {limit} attachments; this has {len(attachments)}",
            )
        refuse_same_content(attachments)

    # -- reviewers --------------------------------------------------------------------

    def queue(self, actor: Actor, status: Status | None = Status.UNDER_REVIEW) -> list[QueueItem]:
        """Applications of the reviewer's colleges, oldest first (R11)."""
        if actor.role not in (Role.REVIEWER, Role.ADMIN):
            raise AccessDenied("只有审核人可以查看审核队列", "only reviewers have a review queue")
        colleges = actor.colleges if actor.role == Role.REVIEWER else tuple(self.store.colleges())
        items: list[QueueItem] = []
        # (status, step index) -> (step, mine): a college of 10,000 rows has a handful
        # of these, so each is asked of the workflow once (issue 13, queue first paint).
        answers: dict[tuple[Status, int], tuple[ReviewStep | None, bool]] = {}
        for college in colleges:
            # The stored queue rows, not every application validated (issue 13).
            for app, summary in self.store.queue_rows(college, self._row):
                # Drafts (无流程) are the student's own business: never in a queue,
                # whatever status is asked for (README, Reviewers).
                if app.status == Status.DRAFT or (status is not None and app.status != status):
                    continue
                at = (app.status, app.step)
                answer = answers.get(at)
                if answer is None:
                    # The row answers status and step without validating the
                    # application (issue 13), which is all these two read.
                    answer = answers[at] = (
                        workflow.current_step(app, self.rules),
                        workflow.may_decide(app, self.rules, actor.role, actor.review_steps),
                    )
                if summary is None:
                    summary = self._queue_item(app).summary
                items.append(
                    QueueItem(application=app, summary=summary, step=answer[0], mine=answer[1])
                )
        return sorted(items, key=lambda i: (i.application.updated_at, i.application.id))

    def _row(self, row: list[Any]) -> tuple[ApplicationRow, ApplicationSummary | None]:
        return ApplicationRow(self.store, row), summary_of(row)

    def _queue_item(
        self, app: ApplicationRow, summary: ApplicationSummary | None = None
    ) -> QueueItem:
        if summary is not None:
            return QueueItem(application=app, summary=summary)
        # Applications imported without a summary: read the student's shard once.
        student = self.store.student(app.student_id)
        transcript = self.store.transcript(app.student_id)
        if student is None or transcript is None:
            return QueueItem(application=app, summary=ApplicationSummary(course_name=app.target))
        dossier = Dossier(student=student, transcript=transcript)
        return QueueItem(application=app, summary=summarise(dossier, app.target))

    def approve(
        self, actor: Actor, app_id: str, *, expected_revision: int, comment: str = ""
    ) -> ExchangeApplication:
        """Approve at the application's current step; the last step ends it (R11).

        ``expected_revision`` is the revision the reviewer saw, and is required: without
        it two reviewers (or one double key press) could both approve a chain's steps.
        ``comment`` is the optional 审核意见, kept on the approval's ReviewEvent and shown
        to the student in 流程跟踪 and on the application form."""
        return self._decide(
            actor,
            app_id,
            ReviewAction.APPROVE,
            "",
            expected_revision,
            comment=_comment_text(comment),
        )

    def return_(
        self, actor: Actor, app_id: str, reason: str, *, expected_revision: int
    ) -> ExchangeApplication:
        """Return an application to the student with a reason (被退回); the revision the
        reviewer saw is required, as for :meth:`approve`."""
        return self._decide(
            actor, app_id, ReviewAction.RETURN, _reason_text(reason), expected_revision
        )

    def _decide(
        self,
        actor: Actor,
        app_id: str,
        action: ReviewAction,
        reason: str,
        expected_revision: int,
        comment: str = "",
    ) -> ExchangeApplication:
        if actor.role not in (Role.REVIEWER, Role.ADMIN):
            raise AccessDenied("学生不能审核申请", "students cannot decide applications")
        seen = self._find_visible(actor, app_id)
        now = self.clock()
        with self.store.hot(seen.college, seen.student_id) as tx:
            app = tx.application(app_id)
            if app is None:
                raise Conflict("该申请已被删除", "the application was deleted meanwhile")
            if not isinstance(expected_revision, int) or app.revision != expected_revision:
                raise Conflict(
                    f"该申请已被他人处理（现为{app.status.value}），请刷新后再看",
                    f"someone else changed this application first (now {app.status.value}); refresh",
                )
            # R11: a reviewer's action, under review, their step, never two steps of one
            # application by one person; the decision screen offers F8/F9 by the same.
            refusal = workflow.decision_refusal(
                app,
                self.rules,
                tx.events(app.id),
                actor.username,
                actor.role,
                actor.review_steps,
                action=action,
                reason=reason if action == ReviewAction.RETURN else None,
            )
            if isinstance(refusal, workflow.StepRefusal):
                raise AccessDenied(refusal.text("zh"), refusal.text("en"))
            _refuse(refusal)
            if action == ReviewAction.APPROVE:
                # R8: credits are spent once, whatever happened since submission.
                _refuse(offers.double_spend(app, tx.applications(app.student_id)))
            decided = _validated(
                workflow.apply(action, app, self.rules, now, reason=reason or None)
            )
            tx.put_application(decided)
            tx.add_event(
                self._event(
                    actor, decided, action, now, reason=reason, step=app.step, comment=comment
                )
            )
        return decided

    def review_file(self, actor: Actor, app_id: str) -> ReviewFile:
        """What a reviewer reads before deciding (R11): the application, the student's
        record around it, the policy's verdict now, the trail, and whether this
        reviewer may decide it at its current step."""
        if actor.role not in (Role.REVIEWER, Role.ADMIN):
            raise AccessDenied("只有审核人可以审核申请", "only reviewers review applications")
        app = self._find_visible(actor, app_id)
        dossier = self.dossier(actor, app.student_id)
        events = self.store.events(app.college, app.id, app.student_id)
        refusal = workflow.decision_refusal(
            app, self.rules, events, actor.username, actor.role, actor.review_steps
        )
        return build_review_file(dossier, app, events, self.rules, refusal, actor.role)

    def application_view(self, actor: Actor, app_id: str) -> ApplicationView:
        """One application the actor may see, with what they may do to it now and
        where it stands (:class:`ApplicationView`): what 流程跟踪 shows and offers."""
        app = self._find_visible(actor, app_id)
        dossier = self.dossier(actor, app.student_id)
        return application_view(app, dossier, self.rules, actor.role)

    # -- helpers ----------------------------------------------------------------------

    def _tx_dossier(self, tx: HotTransaction, student: Student) -> Dossier:
        return self._dossier(student, tx.applications(student.id))

    def _refuse_if_not_exchangeable(
        self, dossier: Dossier, target: str, application_id: str | None = None
    ) -> None:
        if dossier.transcript.record(target) is None:
            raise NotFound(f"成绩单上没有课程 {target}", f"no course {target} on the transcript")
        verdict = eligibility.verdict_for(dossier, target, self.rules, application_id)
        if not verdict.exchangeable:
            raise Refused([verdict.reason, *verdict.others])

    def _student_scope(self, actor: Actor, student_id: str | None) -> str:
        if actor.role == Role.STUDENT:
            if student_id is not None and student_id != actor.username:
                raise AccessDenied("只能查看本人的信息", "you may see only your own records")
            return actor.username
        if student_id is None:
            raise NotFound("请指定学号", "a student ID is needed")
        return student_id

    def _check_college(self, actor: Actor, college: str) -> None:
        if actor.role == Role.REVIEWER and college not in actor.colleges:
            raise AccessDenied(
                "只能查看本学院的学生和申请", "you may see only your own college's data"
            )

    def _own_app(self, tx: HotTransaction, actor: Actor, app_id: str) -> ExchangeApplication:
        app = tx.application(app_id)
        if app is None or app.student_id != actor.student_id:
            raise NotFound(f"没有申请 {app_id}", f"no application {app_id}")
        return app

    def _find_visible(self, actor: Actor, app_id: str) -> ExchangeApplication:
        """The application if the actor may see it: a student's own, a reviewer's
        colleges', any for an admin.  Only the one application is read and validated."""
        if actor.role == Role.STUDENT:
            student = self.student(actor)
            for app in self.store.applications(student.college, student.id):
                if app.id == app_id:
                    return app
            raise NotFound(f"没有申请 {app_id}", f"no application {app_id}")
        colleges = actor.colleges if actor.role == Role.REVIEWER else tuple(self.store.colleges())
        for college in colleges:
            # One hot file read and one application validated, whatever the college's
            # size: the college's index names the file (issue 13).
            found = self.store.find_application(college, app_id)
            # A draft is not yet for the college: a reviewer cannot open it (review
            # file, trail, attachments, print) any more than see it in the queue.
            # The admin (the store's operator, `credx print`) still can.
            if found is not None and (actor.role != Role.REVIEWER or found.status != Status.DRAFT):
                return found
        raise NotFound(
            f"没有申请 {app_id}（或不属于您的学院）", f"no application {app_id} in your colleges"
        )

    def _event(
        self,
        actor: Actor,
        app: ExchangeApplication,
        action: ReviewAction,
        now: datetime,
        reason: str = "",
        step: int | None = None,
        comment: str = "",
    ) -> ReviewEvent:
        at_step = app.step if step is None else step
        step_name = (
            workflow.step_at(self.rules, at_step).zh
            if action in (ReviewAction.APPROVE, ReviewAction.RETURN)
            else ""
        )
        return ReviewEvent(
            id=_new_id("E", now),
            application_id=app.id,
            action=action,
            actor=actor.username,
            actor_role=actor.role.value,
            at=now,
            step=at_step,
            step_name=step_name,
            reason=reason,
            comment=comment,
            status_after=app.status,
        )


def _checked(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a public use case: check the actor (outermost call only: nested use cases
    of the same call share the check), follow the stored rules, and turn a refusal of
    the machine into :class:`StorageFailed`."""
    params = list(inspect.signature(method).parameters)
    takes_actor = len(params) > 1 and params[1] == "actor"

    @functools.wraps(method)
    def wrapper(self: Services, *args: Any, **kwargs: Any) -> Any:
        if getattr(self._local, "active", False):
            return method(self, *args, **kwargs)
        self._local.active = True
        try:
            self._refresh_rules()
            if takes_actor:
                actor = args[0] if args else kwargs["actor"]
                try:
                    self.check_actor(actor)
                except SessionEnded as exc:
                    if self.on_session_ended is not None:
                        self.on_session_ended(exc)
                    raise
            return method(self, *args, **kwargs)
        except StorageFailed:
            raise
        except StoreError as exc:
            raise StorageFailed.of(exc) from None
        finally:
            self._local.active = False

    return wrapper


for _name, _fn in list(vars(Services).items()):
    if (
        inspect.isfunction(_fn)
        and not _name.startswith("_")
        and _name not in ("check_actor", "owner_actor", "for_store")
    ):
        setattr(Services, _name, _checked(_fn))


def summarise(dossier: Dossier, target: str) -> ApplicationSummary:
    """The display facts an application carries for the reviewer's queue."""
    record = dossier.transcript.record(target)
    return ApplicationSummary(
        student_name=dossier.student.name,
        major=dossier.student.major,
        class_name=dossier.student.class_name,
        course_name=record.name if record else target,
        course_credits=record.credits if record else 0,
    )


def current_term(now: datetime) -> Term:
    """申请学年 and 申请学期 of a date: autumn term from August, spring from February."""
    local = now.astimezone()
    if local.month >= 8:
        return Term(year=f"{local.year}-{local.year + 1}", semester=1)
    if local.month >= 2:
        return Term(year=f"{local.year - 1}-{local.year}", semester=2)
    return Term(year=f"{local.year - 1}-{local.year}", semester=1)


def same_content(attachments: list[Attachment], new: Attachment) -> Attachment | None:
    """The attachment of ``attachments`` with the bytes of ``new`` (its SHA-256), if
    any: the same file under another name proves nothing more (S4)."""
    return next((a for a in attachments if a.sha256 == new.sha256), None)


def refuse_same_content(attachments: list[Attachment]) -> None:
    """Refuse a list that names the same bytes twice (issue 15): a reviewer would see
    one screenshot as two pieces of evidence, and the store keeps each content once."""
    for index, att in enumerate(attachments):
        first = same_content(attachments[:index], att)
        if first is not None:
            raise DuplicateAttachment(
                f"附件《{att.filename}》与《{first.filename}》内容相同（同一文件），"
                "请只保留一个（S4）",
                f"attachment {att.filename} has the same content as {first.filename} "
                "(the same file); keep only one (S4)",
            )


def _merged_attachments(
    stored: list[Attachment],
    given: list[Attachment] | None,
    known: Iterable[str] | None,
) -> list[Attachment]:
    """The attachments a save keeps: ``given`` (the caller's list; None keeps what is
    stored), then the stored ones that arrived after the caller read (not in ``known``)."""
    if given is None:
        return list(stored)
    if known is None:
        return list(given)
    known = set(known)
    named = {a.sha256 for a in given}
    arrived = [a for a in stored if a.sha256 not in known and a.sha256 not in named]
    return [*given, *arrived]


def application_prefix(now: datetime) -> str:
    """The number series of applications created at ``now``: ``XF<year>-``, one per
    year, as the portal numbers them (``XF2026-0001``)."""
    return f"XF{now.astimezone().year}-"


def _new_id(prefix: str, now: datetime) -> str:
    return f"{prefix}{now:%y%m%d}{secrets.token_hex(4)}"


def _actor(account: Account) -> Actor:
    return Actor(
        username=account.username,
        role=account.role,
        display_name=account.display_name,
        colleges=tuple(account.colleges),
        review_steps=tuple(account.review_steps),
    )


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise AccessDenied("只有管理员可以管理账号", "only admins manage accounts")


def _text(value: str, field: Bilingual, *, multiline: bool = False, max_length: int) -> str:
    """``value`` through the text gate, or a normal refusal naming the ``field`` (never
    a pydantic ValidationError escaping to the screen)."""
    try:
        return gate(value.strip(), multiline=multiline, max_length=max_length)
    except TextRefused as exc:
        raise BadText(f"{field.zh}：{exc.problem.zh}", f"{field.en}: {exc.problem.en}") from None


def _reason_text(reason: str) -> str:
    """A reviewer's return reason through the gate (an empty one is refused by R11)."""
    return _text(
        reason, Bilingual("退回原因", "return reason"), multiline=True, max_length=REASON_MAX
    )


def _comment_text(comment: str) -> str:
    """A reviewer's optional 审核意见 through the gate (empty is fine: it is optional)."""
    if not isinstance(comment, str):
        raise BadText("审核意见必须是文字", "the review comment must be text")
    return _text(
        comment, Bilingual("审核意见", "review comment"), multiline=True, max_length=REASON_MAX
    )


def _password(password: str) -> str:
    """A new password: not empty, no control characters or lone surrogates (which
    cannot be encoded to hash), within :data:`~policy.text.PASSWORD_MAX`."""
    if not password:
        raise BadText("密码不能为空", "the password must not be empty")
    try:
        return gate(password, max_length=PASSWORD_MAX)
    except TextRefused as exc:
        raise BadText(f"密码：{exc.problem.zh}", f"password: {exc.problem.en}") from None


_M = TypeVar("_M", bound=BaseModel)


def _validated(model: _M) -> _M:
    """``model`` checked again as a whole (``model_copy`` does not validate), so what is
    written is what the readers accept; a refusal names the field."""
    try:
        return type(model).model_validate(model.model_dump())
    except ValidationError as exc:
        first, _ = first_error(exc)
        field = first.path or "(document)"
        raise BadText(
            f"{field} 不符合要求：{first.message}", f"{field} is not acceptable: {first.message}"
        ) from None


def _refuse(reason: Reason | None) -> None:
    if reason is not None:
        raise Refused([reason])
