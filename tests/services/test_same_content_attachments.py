"""Issue 15 (ux15b, item 1): an application never holds the same bytes twice.

申请 already refuses the same file twice; the services now refuse it for every writer
(a save naming one SHA-256 under two names, an upload link bringing a file the draft
already has), with a message naming both files, and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from service_college import STUDENT, login, png_bytes, shot

from credx_tui.services import BadAttachment, DuplicateAttachment, Services
from credx_tui.services.links import accept_upload, make_upload_link
from policy.models import SourceKind, SourceRef

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")


@pytest.fixture
def draft(services: Services):
    services.clock = lambda: datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    services.rules = services.rules.model_copy(
        update={"service": services.rules.service.model_copy(update={"public_url": "https://x/"})}
    )
    me = login(services, STUDENT)
    return services, me, services.save(me, "M1", [G1, G2])


def test_a_save_naming_the_same_content_twice_is_refused(draft) -> None:
    services, me, app = draft
    first = shot(services, me, "成绩.png")[0]
    copy = first.model_copy(update={"filename": "成绩-副本.png"})
    before = services.application(me, app.id)
    with pytest.raises(DuplicateAttachment) as exc:
        services.save(me, "M1", [G1, G2], application_id=app.id, attachments=[first, copy])
    assert isinstance(exc.value, BadAttachment)  # screens that catch BadAttachment say it
    assert "《成绩-副本.png》与《成绩.png》内容相同" in exc.value.zh
    assert "成绩-副本.png has the same content as 成绩.png" in exc.value.en
    assert services.application(me, app.id) == before
    saved = services.save(me, "M1", [G1, G2], application_id=app.id, attachments=[first])
    assert [a.filename for a in saved.attachments] == ["成绩.png"]
    services.delete(me, app.id)
    with pytest.raises(DuplicateAttachment):  # a new application too
        services.save(me, "M1", [G1, G2], attachments=[first, copy])
    assert services.applications(me) == []


def test_an_upload_link_bringing_the_same_content_is_refused_and_not_spent(draft) -> None:
    services, me, app = draft
    link = make_upload_link(services, me, app.id)
    got = accept_upload(services, link.token, png_bytes("phone"), "手机.png")
    before = services.application(me, app.id)
    with pytest.raises(DuplicateAttachment) as exc:
        accept_upload(services, link.token, png_bytes("phone"), "手机-再传.png")
    assert "已有内容相同的附件《手机.png》" in exc.value.zh
    assert services.application(me, app.id) == before
    other = accept_upload(services, link.token, png_bytes("other"), "另一张.png")
    kept = services.application(me, app.id).attachments
    assert [a.sha256 for a in kept] == [got.sha256, other.sha256]
