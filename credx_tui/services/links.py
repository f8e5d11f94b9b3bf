"""One-time links for people who are not at the server's disk (issue 10): upload the
grade screenshots of a draft from a phone, take a PDF or an attachment home.

A link is ``<public_url>/u/<token>`` (upload) or ``/d/<token>`` (download).  The token
is ``<college key><bucket>`` (17 hex characters naming the person's hot file, no 学号)
followed by :func:`secrets.token_urlsafe` of :data:`TOKEN_BYTES` random bytes; the store
keeps only its SHA-256, in the ``links`` table of that hot file, written under the hot
file's lock like every other write, so ``credx serve`` (another process) checks what the
TUI created.  A link is bound to one person (and an upload link to one of their drafts
or returned applications), lives :data:`LINK_LIFETIME`, and is refused once spent,
expired or presented for anything else (:class:`LinkRefused`); a refusal changes
nothing.  An upload link accepts up to the rules' ``max_count`` attachments on its
application, each checked by :func:`attachment_check.check_content`; a download link
works once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from credx_tui.services import attachment_check
from credx_tui.services.context import Actor
from credx_tui.services.errors import (
    AccessDenied,
    DuplicateAttachment,
    LoginFailed,
    NotFound,
    ServiceError,
)
from credx_tui.services.factory import Services
from credx_tui.store.files import StoreError
from credx_tui.store.schema import LinkRecord
from credx_tui.store.store import college_key, hot_bucket
from policy import workflow
from policy.models import Attachment, ExchangeApplication, ReviewAction, Role, Student

TOKEN_BYTES = 32
"""Random bytes of a token (256 bits: never guessed)."""
LINK_LIFETIME = timedelta(minutes=15)
"""How long a link stays valid after it is made."""
_PREFIX = 17


class LinkRefused(ServiceError):
    """A link that cannot be used: ``kind`` is ``unknown``, ``expired``, ``used``,
    ``foreign`` (another person's, or another application's) or ``closed`` (its
    application can no longer change).  Nothing was changed."""

    def __init__(self, kind: str, zh: str, en: str) -> None:
        super().__init__(zh, en)
        self.kind = kind


@dataclass(frozen=True)
class Link:
    """A link just made: the token (shown once, never stored) and its address."""

    token: str
    url: str
    record: LinkRecord


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _unknown() -> LinkRefused:
    return LinkRefused(
        "unknown",
        "链接无效或已被撤销，请在 credx 中重新生成",
        "this link is not valid; make a new one",
    )


def link_url(services: Services, kind: str, token: str) -> str:
    """The address of a token on the college's ``[service] public_url`` (README)."""
    base = services.rules.service.public_url.rstrip("/")
    if not base:
        raise LinkRefused(
            "unconfigured",
            "学院尚未设置 credx serve 的网址（规则 [service] public_url），无法生成链接",
            "the college has not set the address of credx serve ([service] public_url)",
        )
    return f"{base}/{'u' if kind == 'upload' else 'd'}/{token}"


def _make(
    services: Services,
    student: Student,
    holder: str,
    kind: str,
    application_id: str,
    document: str,
    uses: int,
) -> Link:
    now = services.clock()
    token = (
        college_key(student.college) + hot_bucket(student.id) + secrets.token_urlsafe(TOKEN_BYTES)
    )
    url = link_url(services, kind, token)
    record = LinkRecord(
        token_sha256=_sha(token),
        kind=kind,
        student_id=student.id,
        application_id=application_id,
        document=document,
        holder=holder,
        created_at=now,
        expires_at=now + LINK_LIFETIME,
        max_uses=uses,
    )
    with services.store.hot(student.college, student.id) as tx:
        tx.drop_links(now)
        if kind == "upload":  # one live upload link per application: older ones end
            for old in tx.links():
                if old.application_id == application_id and old.kind == "upload":
                    tx.put_link(old.model_copy(update={"spent": True}))
        tx.put_link(record)
    return Link(token=token, url=url, record=record)


def make_upload_link(services: Services, actor: Actor, application_id: str) -> Link:
    """An upload link for the student's own draft or returned application (S4)."""
    if actor.role != Role.STUDENT:
        raise AccessDenied("只有学生可以上传附件", "only students attach files")
    app = services.application(actor, application_id)
    _editable(app)
    limits = services.rules.attachments
    return _make(services, services.student(actor), "", "upload", app.id, "", limits.max_count)


TRANSCRIPT_OPTIONS = ("a3", "passing", "nopersonal")
"""What ``transcript:<options>`` may say (comma separated): the 打印 dialog's choices."""


def make_download_link(services: Services, actor: Actor, document: str) -> Link:
    """A one-time download link of one document the actor may take home (issue 10,
    item 4): ``transcript`` (``transcript:a3,passing,nopersonal`` for the 打印 dialog's
    options; a student's own only), ``application:<id>`` (the form) or
    ``attachment:<id>:<sha256>`` -- a student's own applications, a reviewer's only of
    applications their colleges may see (R11).  Checked now and again, as the person,
    when the link is fetched (:func:`fetch_download`)."""
    if actor.role not in (Role.STUDENT, Role.REVIEWER):
        raise AccessDenied(
            "下载链接仅供学生和审核人本人使用", "download links are for students and reviewers"
        )
    kind, _, rest = document.partition(":")
    if kind == "transcript":
        if actor.role != Role.STUDENT:
            raise AccessDenied(
                "学业成绩单的下载链接仅供学生本人", "a transcript link is for the student only"
            )
        _transcript_options(rest)
        student = services.student(actor)
    elif kind in ("application", "attachment"):
        app_id, _, sha = rest.partition(":")
        if kind == "attachment":
            services.attachment_bytes(actor, app_id, sha)
        app = services.application(actor, app_id)
        owner = services.store.student(app.student_id)
        if owner is None:
            raise _unknown()
        student = owner
    else:
        raise LinkRefused("unknown", f"没有文件 {document}", f"no document {document}")
    holder = "" if actor.role == Role.STUDENT else actor.username
    return _make(services, student, holder, "download", "", document, 1)


def _transcript_options(text: str) -> set[str]:
    options = {o for o in text.split(",") if o}
    if not options <= set(TRANSCRIPT_OPTIONS):
        raise LinkRefused(
            "unknown", f"没有文件 transcript:{text}", f"no document transcript:{text}"
        )
    return options


def _editable(app: ExchangeApplication) -> None:
    if workflow.allowed(ReviewAction.SAVE, app, Role.STUDENT) is not None:
        raise LinkRefused(
            "closed",
            f"申请 {app.id} 现为{app.status.value}，不能再添加附件",
            f"application {app.id} is {app.status.value}: attachments can no longer change",
        )


def _check(record: LinkRecord | None, kind: str, services: Services) -> LinkRecord:
    if record is None:
        raise _unknown()
    if record.kind != kind:
        raise LinkRefused(
            "foreign",
            "此链接不是用于这里的（上传与下载链接不同）",
            "this link is not for this page",
        )
    if record.spent or record.uses >= record.max_uses:
        raise LinkRefused(
            "used", "此链接已用过，请在 credx 中重新生成", "this link was already used"
        )
    if services.clock() >= record.expires_at:
        raise LinkRefused(
            "expired",
            "此链接已过期（15 分钟），请在 credx 中重新生成",
            "this link has expired (15 min)",
        )
    return record


def person_of(services: Services, token: str, kind: str) -> tuple[Actor, LinkRecord]:
    """The person a valid token belongs to (read only), refused as :func:`_check`."""
    key, bucket = _key_of(token), _bucket_of(token)
    try:
        with services.store.hot_at(key, bucket) as tx:
            record = _check(tx.link(_sha(token)), kind, services)
    except StoreError:  # a malformed token naming no hot file
        raise _unknown() from None
    try:
        return services.actor_for(record.holder or record.student_id), record
    except LoginFailed:  # the account was disabled or removed since
        raise LinkRefused(
            "foreign",
            "此链接所属的账号已停用，链接不能再用",
            "the account this link belongs to is disabled",
        ) from None


def upload_target(services: Services, token: str) -> tuple[Actor, LinkRecord]:
    """The person and link of a valid upload token whose application still takes files
    (read only): refused as :func:`person_of`, and ``closed`` once the application was
    submitted, is 审核中 or 审核通过 (the page says so and offers no form)."""
    actor, record = person_of(services, token, "upload")
    try:
        app = services.application(actor, record.application_id)
    except NotFound:
        raise _unknown() from None  # the draft was deleted since
    _editable(app)
    return actor, record


def accept_upload(
    services: Services,
    token: str,
    payload: bytes,
    claimed_name: str,
    application_id: str | None = None,
) -> Attachment:
    """Check ``payload`` by content (size, type, decodes), store it named by SHA-256 and
    add it to the link's application, all or nothing.  ``application_id``, when the page
    names one, must be the link's own (``foreign`` otherwise)."""
    actor, record = upload_target(services, token)
    if application_id is not None and application_id != record.application_id:
        raise LinkRefused(
            "foreign", "此链接属于另一份申请", "this link belongs to another application"
        )
    limits = services.rules.attachments
    # Checked after the application (a closed one is 409 whatever the file) and before
    # anything is stored.
    detected = attachment_check.check_content(payload, claimed_name, limits)
    attachment = services.store_upload(actor, services.student(actor), payload, detected)
    student = services.student(actor)
    with services.store.hot(student.college, student.id) as tx:
        current = _check(tx.link(record.token_sha256), "upload", services)
        app = tx.application(record.application_id)
        if app is None or app.student_id != actor.username:
            raise _unknown()
        _editable(app)
        same = attachment_check.same_content(app.attachments, attachment)
        if same is not None:  # said, as 申请 says it; the link is not spent (issue 15)
            raise DuplicateAttachment(
                f"申请中已有内容相同的附件《{same.filename}》，未再添加（S4）",
                f"the application already has {same.filename} with the same content; "
                "not added again (S4)",
            )
        if len(app.attachments) >= limits.max_count:
            raise LinkRefused(
                "used",
                f"附件最多 {limits.max_count} 个，已满",
                f"at most {limits.max_count} attachments; the application is full",
            )
        app = app.model_copy(
            update={
                "attachments": [*app.attachments, attachment],
                "updated_at": services.clock(),
                "revision": app.revision + 1,
            }
        )
        tx.put_application(app)
        uses = current.uses + 1
        tx.put_link(current.model_copy(update={"uses": uses}))
    return attachment


def redeem_download(services: Services, token: str) -> tuple[Actor, str]:
    """Spend a download link: the person and the document it names (the caller renders
    or reads it as that person, through the services' own checks)."""
    actor, record = person_of(services, token, "download")
    with services.store.hot_at(_key_of(token), _bucket_of(token)) as tx:
        current = _check(tx.link(record.token_sha256), "download", services)
        tx.put_link(current.model_copy(update={"uses": current.uses + 1, "spent": True}))
    return actor, record.document


@dataclass(frozen=True)
class Download:
    """A document fetched through a download link: its bytes and how to name them."""

    data: bytes
    media_type: str
    filename: str
    """The name for the person (may be Chinese: ``学业成绩单-2018110101.pdf``)."""
    ascii_name: str
    """The same in ASCII, for clients that do not read ``filename*``."""


_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}


def fetch_download(services: Services, token: str, today: date | None = None) -> Download:
    """The document of a download link, made or read as the link's person through the
    services' own checks (a student's own; a reviewer's colleges'), then the link is
    spent.  Every refusal (:class:`LinkRefused`: ``unknown``, ``used``, ``expired``,
    ``foreign`` when the person may no longer see it) and a document that cannot be
    made (:class:`~credx_tui.documents.errors.DocumentError`) spend nothing; of two
    fetches at once only one gets the document."""
    actor, record = person_of(services, token, "download")
    try:
        download = _produce(services, actor, record.document, today)
    except (AccessDenied, NotFound) as exc:
        raise LinkRefused(
            "foreign",
            f"此文件不是您的，或您已无权查看：{exc.zh}",
            f"this document is not yours, or no longer visible to you: {exc.en}",
        ) from None
    with services.store.hot_at(_key_of(token), _bucket_of(token)) as tx:
        current = _check(tx.link(record.token_sha256), "download", services)
        tx.put_link(current.model_copy(update={"uses": current.uses + 1, "spent": True}))
    return download


def _key_of(token: str) -> str:
    return token[: _PREFIX - 1]


def _bucket_of(token: str) -> str:
    return token[_PREFIX - 1 : _PREFIX]


def _produce(services: Services, actor: Actor, document: str, today: date | None) -> Download:
    import tempfile
    from pathlib import Path

    from credx_tui.services.documents import render_application_pdf, render_transcript_pdf

    kind, _, rest = document.partition(":")
    if kind == "attachment":
        app_id, _, sha = rest.partition(":")
        data = services.attachment_bytes(actor, app_id, sha)
        app = services.application(actor, app_id)
        att = next((a for a in app.attachments if a.sha256 == sha), None)
        if att is None:
            raise NotFound("该申请没有这个附件", "no such attachment on this application")
        ext = _EXTENSIONS.get(att.media_type, "")
        return Download(data, att.media_type, att.filename, f"attachment-{sha[:8]}{ext}")
    with tempfile.TemporaryDirectory(prefix="credx-download-") as folder:
        out = Path(folder) / "document.pdf"
        if kind == "transcript":
            options = _transcript_options(rest)
            student = services.student(actor)
            render_transcript_pdf(
                services,
                actor,
                a3="a3" in options,
                passing_only="passing" in options,
                personal="nopersonal" not in options,
                out=out,
                today=today,
            )
            names = (f"学业成绩单-{student.id}.pdf", f"transcript-{student.id}.pdf")
        elif kind == "application":
            render_application_pdf(services, actor, rest, out=out, today=today)
            names = (f"学分兑换申请表-{rest}.pdf", f"application-{rest}.pdf")
        else:
            raise _unknown()
        return Download(out.read_bytes(), "application/pdf", *names)
