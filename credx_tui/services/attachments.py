"""Attachments (S4): a student's screenshot checked by content and stored, and the
bytes of an attachment read back by anyone who may see its application.

Apart because it is the only use case that moves file content: the checks of the bytes
are :mod:`.attachment_check` (shared with the upload link), and the record kept here
(an upload of this student) is the proof :meth:`Applications.save` asks for.
"""

from __future__ import annotations

from pathlib import Path

from credx_tui.services import attachment_check
from credx_tui.services.context import Actor, ServiceContext
from credx_tui.services.errors import AccessDenied, NotFound
from credx_tui.store.schema import UploadRecord
from policy.models import Attachment, Role, Student


class Attachments(ServiceContext):
    """Storing a student's attachment and reading one back."""

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

    def attachment_bytes(self, actor: Actor, app_id: str, sha256: str) -> bytes:
        """An attachment of an application the actor may see."""
        app = self._find_visible(actor, app_id)
        if not any(a.sha256 == sha256 for a in app.attachments):
            raise NotFound("该申请没有这个附件", "no such attachment on this application")
        return self.store.read_attachment(sha256)
