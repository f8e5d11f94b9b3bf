"""The base every use case of credx stands on: one store, one rules file, one clock,
and the check of who is asking.

:class:`ServiceContext` holds what all use cases share (the store, the rules and the
version they came from, the clock, the session check) and the reads every one of them
starts from: the student an actor may see, their dossier, an application the actor may
see.  Every public method of a class built on it is wrapped by :func:`_checked`
(:meth:`ServiceContext.__init_subclass__`), so a use case added to any module is
checked the same way without anyone remembering to: the actor against the store, the
stored rules followed, a refusal of the machine turned into :class:`StorageFailed`.

The use-case modules (:mod:`.accounts`, :mod:`.applications`, :mod:`.attachments`,
:mod:`.reviewing`) import this one and never each other (an import contract); the
facade that joins them is :class:`credx_tui.services.factory.Services`.
"""

from __future__ import annotations

import functools
import inspect
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from credx_tui.services.errors import (
    AccessDenied,
    BadText,
    NotFound,
    Refused,
    SessionEnded,
    StorageFailed,
)
from credx_tui.store import HotTransaction, Store, StoreError
from credx_tui.store.base import DocumentStore
from policy import workflow
from policy.bilingual import Bilingual
from policy.dossier import Dossier
from policy.models import (
    ExchangeApplication,
    ReviewAction,
    ReviewEvent,
    Role,
    Student,
    Transcript,
)
from policy.reasons import Reason
from policy.rules import Rules, load_rules, parse_rules
from policy.text import TextRefused, gate
from policy.validation import first_error


def rules_of_store(store: DocumentStore) -> tuple[Rules, int | None]:
    """The rules every process of this store decides with: the newest version applied
    with ``credx rules apply`` (or stored by ``credx demo``), else the bundled default
    (a store made before rules lived in the store), with its version (None: default)."""
    found = store.stored_rules()
    if found is None:
        return load_rules(), None
    where = f"{store.root}/rules.json" if isinstance(store, Store) else f"{store.location} rules"
    return parse_rules(found.text, f"{where} (version {found.version})"), (found.version)


def utc_now() -> datetime:
    """The clock services tell time by unless given another (tests, the trainer)."""
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


USE_CASE = "__credx_use_case__"
"""Set on every wrapped public use case (a test enumerates the facade by it)."""

UNCHECKED = frozenset({"check_actor", "owner_actor"})
"""Public methods that are not use cases: they make or check the actor themselves."""


@dataclass
class ServiceContext:
    """What every use case is bound to: one store and one rules file.

    ``clock`` is injectable so tests and the trainer sandbox control time.
    ``rules_version`` is the stored version ``rules`` came from (None: the bundled
    default or a dry run's file); with ``follow_store_rules`` a rules version applied
    while this process runs is picked up at the next call
    (:func:`credx_tui.services.factory.make_services` without rules)."""

    store: DocumentStore
    rules: Rules
    clock: Callable[[], datetime] = field(default=utc_now)
    rules_version: int | None = None
    follow_store_rules: bool = False
    on_session_ended: Callable[[SessionEnded], None] | None = field(default=None, repr=False)
    """Called (from the calling thread) when a call refused an ended session: the app
    returns to the login screen."""
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)
    _owner_key: object = field(default_factory=object, repr=False, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap the public use cases of each use-case class (and so of the facade)."""
        super().__init_subclass__(**kwargs)
        _wrap_use_cases(cls)

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

    # -- shared by the use cases ------------------------------------------------------

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
            if found is not None and (actor.role != Role.REVIEWER or workflow.handed_in(found)):
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
            id=new_id("E", now),
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
    def wrapper(self: ServiceContext, *args: Any, **kwargs: Any) -> Any:
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

    setattr(wrapper, USE_CASE, True)
    return wrapper


def _wrap_use_cases(cls: type) -> None:
    """Wrap every public function defined in ``cls`` itself with :func:`_checked` (not
    a field's default, such as the clock's)."""
    fields = getattr(cls, "__dataclass_fields__", {})
    for name, fn in list(vars(cls).items()):
        if (
            inspect.isfunction(fn)
            and not name.startswith("_")
            and name not in UNCHECKED
            and name not in fields
        ):
            setattr(cls, name, _checked(fn))


_wrap_use_cases(ServiceContext)


def new_id(prefix: str, now: datetime) -> str:
    """A fresh id of a record made at ``now`` (a trail event): dated, never reused."""
    return f"{prefix}{now:%y%m%d}{secrets.token_hex(4)}"


def gated_text(value: str, field: Bilingual, *, multiline: bool = False, max_length: int) -> str:
    """``value`` through the text gate, or a normal refusal naming the ``field`` (never
    a pydantic ValidationError escaping to the screen)."""
    try:
        return gate(value.strip(), multiline=multiline, max_length=max_length)
    except TextRefused as exc:
        raise BadText(f"{field.zh}：{exc.problem.zh}", f"{field.en}: {exc.problem.en}") from None


_M = TypeVar("_M", bound=BaseModel)


def validated(model: _M) -> _M:
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


def refuse(reason: Reason | None) -> None:
    """Raise a policy refusal (:class:`Refused`, which names its rule) when there is one."""
    if reason is not None:
        raise Refused([reason])
