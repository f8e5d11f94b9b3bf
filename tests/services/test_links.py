"""One-time links (issue 10): random tokens bound to a person and a draft, 15 minutes,
refused once used, expired or foreign; a refusal changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from service_college import (
    OTHER_COLLEGE,
    OTHER_STUDENT,
    STUDENT,
    hot_text,
    login,
    png_bytes,
    shot,
)

from credx_tui.services import BadAttachment, Services
from credx_tui.services.links import (
    LinkRefused,
    accept_upload,
    make_download_link,
    make_upload_link,
    redeem_download,
)
from policy.models import SourceKind, SourceRef

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")


@pytest.fixture
def linked(services: Services):
    now = [datetime(2026, 3, 9, 2, 0, tzinfo=UTC)]
    services.clock = lambda: now[0]
    services.rules = services.rules.model_copy(
        update={"service": services.rules.service.model_copy(update={"public_url": "https://x/"})}
    )
    me = login(services, STUDENT)
    draft = services.save(me, "M1", [G1, G2])
    return services, me, draft, now


def test_upload_link_adds_to_the_draft_and_expires(linked) -> None:
    services, me, draft, now = linked
    link = make_upload_link(services, me, draft.id)
    assert link.url == f"https://x/u/{link.token}" and len(link.token) >= 17 + 43
    assert link.token not in hot_text(services.store, draft.college, STUDENT)
    att = accept_upload(services, link.token, png_bytes("a"), "../../etc/截图.txt")
    assert att.filename == "截图.png"
    assert [a.sha256 for a in services.application(me, draft.id).attachments] == [att.sha256]
    now[0] += timedelta(minutes=15)
    with pytest.raises(LinkRefused) as exc:
        accept_upload(services, link.token, png_bytes("b"), "b.png")
    assert exc.value.kind == "expired"
    assert len(services.application(me, draft.id).attachments) == 1


def test_bad_content_used_and_foreign_tokens_change_nothing(linked) -> None:
    services, me, draft, _now = linked
    link = make_upload_link(services, me, draft.id)
    with pytest.raises(BadAttachment):
        accept_upload(services, link.token, b"\x89PNG\r\n\x1a\nnot really", "x.png")
    with pytest.raises(LinkRefused) as exc:
        accept_upload(services, link.token, png_bytes("c"), "c.png", application_id="A-other")
    assert exc.value.kind == "foreign"
    with pytest.raises(LinkRefused) as exc:
        redeem_download(services, link.token)  # an upload link is no download link
    assert exc.value.kind == "foreign"
    with pytest.raises(LinkRefused) as exc:
        accept_upload(services, link.token[:-2] + "zz", png_bytes("c"), "c.png")
    assert exc.value.kind == "unknown"
    assert services.application(me, draft.id).attachments == []
    newer = make_upload_link(services, me, draft.id)  # the older link ends
    with pytest.raises(LinkRefused) as exc:
        accept_upload(services, link.token, png_bytes("c"), "c.png")
    assert exc.value.kind == "used"
    accept_upload(services, newer.token, png_bytes("c"), "c.png")
    other = login(services, OTHER_STUDENT)
    with pytest.raises(Exception):  # noqa: B017 - another student's draft: NotFound
        make_upload_link(services, other, draft.id)


def test_download_link_works_once(linked) -> None:
    services, me, _draft, _now = linked
    link = make_download_link(services, me, "transcript")
    actor, document = redeem_download(services, link.token)
    assert (actor.username, document) == (STUDENT, "transcript")
    with pytest.raises(LinkRefused) as exc:
        redeem_download(services, link.token)
    assert exc.value.kind == "used"
    assert services.store.verify() == []


def test_download_links_only_for_what_the_person_may_see(linked) -> None:
    """Issue 10 item 4 (R11): a student takes home only their own documents, a reviewer
    only forms and attachments of applications of their colleges; a reviewer moved to
    another college since the link was made gets nothing, and the link is not spent."""
    from credx_tui.services.errors import AccessDenied, NotFound
    from credx_tui.services.links import fetch_download

    services, me, draft, _now = linked
    attachments = shot(services, me)
    draft = services.save(me, "M1", [G1, G2], draft.id, attachments=attachments)
    submitted = services.submit(me, draft.id)
    sha = attachments[0].sha256

    # The student: their transcript (with the dialog's options), form, attachment.
    got = fetch_download(services, make_download_link(services, me, "transcript:a3").token)
    assert got.data.startswith(b"%PDF") and got.filename == f"学业成绩单-{STUDENT}.pdf"
    form = fetch_download(
        services, make_download_link(services, me, f"application:{draft.id}").token
    )
    assert form.data.startswith(b"%PDF") and form.ascii_name == f"application-{draft.id}.pdf"
    att = fetch_download(
        services, make_download_link(services, me, f"attachment:{draft.id}:{sha}").token
    )
    assert att.data == services.attachment_bytes(me, draft.id, sha)
    assert (att.media_type, att.filename) == ("image/png", "成绩截图.png")

    # Another student: not this one's transcript options, form or attachment.
    other = login(services, OTHER_STUDENT)
    for document in (f"application:{draft.id}", f"attachment:{draft.id}:{sha}"):
        with pytest.raises((NotFound, AccessDenied)):
            make_download_link(services, other, document)
    with pytest.raises(LinkRefused):
        make_download_link(services, other, "transcript:everything")
    with pytest.raises(LinkRefused):
        make_download_link(services, other, f"transcript/{STUDENT}")

    # Reviewers: of the student's college yes (form, attachment), never a transcript;
    # of another college no; the admin has no download links.
    rev = login(services, "rev")
    assert (
        fetch_download(
            services, make_download_link(services, rev, f"attachment:{submitted.id}:{sha}").token
        ).data
        == att.data
    )
    with pytest.raises(AccessDenied):
        make_download_link(services, rev, "transcript")
    with pytest.raises(NotFound):
        make_download_link(services, login(services, "rev_other"), f"application:{draft.id}")
    with pytest.raises(AccessDenied):
        make_download_link(services, login(services, "admin"), f"application:{draft.id}")

    # The reviewer moves to another college before fetching: foreign, nothing spent.
    link = make_download_link(services, rev, f"application:{draft.id}")
    with services.store.account_tx("rev") as tx:
        account = tx.get("rev")
        tx.put(account.model_copy(update={"colleges": [OTHER_COLLEGE]}))
    with pytest.raises(LinkRefused) as exc:
        fetch_download(services, link.token)
    assert exc.value.kind == "foreign" and exc.value.zh and exc.value.en
    with services.store.hot(submitted.college, STUDENT) as tx:
        assert tx.link(link.record.token_sha256).uses == 0
    with services.store.account_tx("rev") as tx:
        tx.put(tx.get("rev").model_copy(update={"colleges": [submitted.college]}))
    assert fetch_download(services, link.token).data.startswith(b"%PDF")
    with pytest.raises(LinkRefused) as exc:
        fetch_download(services, link.token)
    assert exc.value.kind == "used"
    assert services.store.verify() == []


def test_a_save_keeps_what_arrived_by_link_after_the_caller_read(linked) -> None:
    """Issue 10, item 3: a screen read the draft, a file arrived by link, the screen
    saves its own list: the upload stays (known_attachments, decided under the lock).
    One the caller knew of and left out is removed on purpose."""
    services, me, draft, _now = linked
    local = shot(services, me, "本机.png")
    read = services.save(me, "M1", [G1, G2], application_id=draft.id, attachments=local)
    known = {a.sha256 for a in read.attachments}
    link = make_upload_link(services, me, draft.id)
    phone = accept_upload(services, link.token, png_bytes("phone"), "手机.png")

    saved = services.save(
        me, "M1", [G1], application_id=draft.id, attachments=local, known_attachments=known
    )
    assert [a.sha256 for a in saved.attachments] == [local[0].sha256, phone.sha256]
    assert saved.sources == [G1]

    # The student now removes the phone's file, knowing of it: it goes.
    known = {a.sha256 for a in saved.attachments}
    again = services.save(
        me, "M1", [G1], application_id=draft.id, attachments=local, known_attachments=known
    )
    assert [a.sha256 for a in again.attachments] == [local[0].sha256]
    # Without known_attachments the list given is the whole list (as before).
    bare = services.save(me, "M1", [G1], application_id=draft.id, attachments=[])
    assert bare.attachments == []


def test_a_closed_application_takes_nothing(linked) -> None:
    """Issue 10, item 4: a link whose application was submitted since is refused as
    ``closed`` before the file is even looked at, and nothing is stored."""
    services, me, draft, _now = linked
    link = make_upload_link(services, me, draft.id)
    services.save(me, "M1", [G1, G2], application_id=draft.id, attachments=shot(services, me))
    services.submit(me, draft.id)
    uploads_before = hot_text(services.store, draft.college, STUDENT)
    for payload in (png_bytes("late"), b"not an image"):
        with pytest.raises(LinkRefused) as exc:
            accept_upload(services, link.token, payload, "late.png")
        assert exc.value.kind == "closed" and "审核中" in exc.value.zh
    assert hot_text(services.store, draft.college, STUDENT) == uploads_before
    assert len(services.application(me, draft.id).attachments) == 1
