"""Reviewer use cases and every refusal of access, without any UI: crafted calls are
refused by the services exactly as the screens would be (issue 4; R11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from service_college import COLLEGE, OTHER_COLLEGE, OTHER_STUDENT, STUDENT, login, shot

from credx_tui.services import (
    AccessDenied,
    Actor,
    NotFound,
    Refused,
    Services,
    SessionEnded,
    make_services,
)
from credx_tui.store import Store
from policy.models import Account, Category, ReviewAction, Role, SourceKind, SourceRef, Status
from policy.rules import Rules, load_rules

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")


def _png(text: bytes = b"") -> bytes:
    """A real 1x1 PNG, written by hand with zlib (not by Pillow, which reads it);
    ``text`` goes into a tEXt chunk so that files can differ."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    extra = chunk(b"tEXt", b"Comment\0" + text) if text else b""
    idat = chunk(b"IDAT", zlib.compress(b"\0\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + idat + chunk(b"IEND", b"")


PNG = _png()


def submitted(services: Services, student: Actor, attach: Path | None = None):
    atts = [services.attach(student, attach)] if attach else shot(services, student)
    app = services.save(student, "M1", [G1, G2], attachments=atts)
    return services.submit(student, app.id)


# -- the reviewer's file -----------------------------------------------------------------


def test_review_file_holds_what_the_reviewer_needs(services: Services) -> None:
    me = login(services, STUDENT)
    app = submitted(services, me)
    f = services.review_file(login(services, "rev"), app.id)
    assert f.application.id == app.id and f.student.id == STUDENT
    assert f.target is not None and f.target.name == "高等数学(2-1)"
    assert [a.kind.value for a in f.attempts] == ["正常考试", "补考"]
    assert [(s.name, s.result, s.passed) for s in f.sources] == [
        ("书法鉴赏", "80", True),
        ("戏曲鉴赏", "75", True),
    ]
    assert f.check is not None and f.check.acceptable and not f.changed_since_submission
    lines = {c.category: c for c in f.credits}
    elective, public = lines[Category.GENERAL_ELECTIVE], lines[Category.PUBLIC_FOUNDATION]
    # 6 elective credits, 4 spent by this application when approved; 2 needed.
    assert (elective.before, elective.after, elective.required) == (6, 2, 2)
    assert public.after - public.before == 4  # the exchanged course's credits count
    assert f.may_decide and f.step is not None and f.step.id == "college"
    assert [e.action for e in f.events] == [ReviewAction.SAVE, ReviewAction.SUBMIT]


def test_review_file_says_when_the_verdict_changed(services: Services, store: Store) -> None:
    me = login(services, STUDENT)
    app = submitted(services, me)
    transcript = store.transcript(STUDENT)
    assert transcript is not None
    records = [r for r in transcript.records if r.code != "G2"]  # a source vanished
    with store.bulk() as tx:
        tx.put_transcript(transcript.model_copy(update={"records": records}))
    f = services.review_file(login(services, "rev"), app.id)
    assert f.changed_since_submission
    assert f.check is not None and "R8" in [r.rule for r in f.check.reasons] + ["R2"]
    assert not f.sources[1].found


def test_decided_application_is_shown_but_not_offered(services: Services) -> None:
    me = login(services, STUDENT)
    app = submitted(services, me)
    rev = login(services, "rev")
    services.approve(rev, app.id, expected_revision=app.revision)
    f = services.review_file(rev, app.id)
    assert f.check is None and not f.may_decide and "R11" in f.refusal.text("en")


# -- refusals ------------------------------------------------------------------------------


def test_reviewer_of_another_college_sees_and_decides_nothing(
    services: Services, tmp_path: Path
) -> None:
    me = login(services, STUDENT)
    shot = tmp_path / "s.png"
    shot.write_bytes(PNG)
    app = submitted(services, me, attach=shot)
    other = login(services, "rev_other")
    assert services.queue(other, status=None) == []
    for call in (
        lambda: services.review_file(other, app.id),
        lambda: services.approve(other, app.id, expected_revision=app.revision),
        lambda: services.return_(other, app.id, "no", expected_revision=app.revision),
        lambda: services.trail(other, app.id),
        lambda: services.application(other, app.id),
        lambda: services.attachment_bytes(other, app.id, app.attachments[0].sha256),
    ):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(AccessDenied):
        services.dossier(other, STUDENT)
    with pytest.raises(AccessDenied):
        services.student(other, STUDENT)
    assert services.application(me, app.id).status == Status.UNDER_REVIEW


def test_crafted_actor_claiming_no_college_is_refused(services: Services) -> None:
    app = submitted(services, login(services, STUDENT))
    nobody = Actor(username="rev", role=Role.REVIEWER, colleges=())
    # The account rev has colleges: an actor claiming none does not match it (issue 9).
    with pytest.raises(SessionEnded):
        services.queue(nobody)
    with pytest.raises(SessionEnded):
        services.approve(nobody, app.id, expected_revision=app.revision)


def test_student_cannot_review_in_any_way(services: Services) -> None:
    me = login(services, STUDENT)
    app = submitted(services, me)
    for call in (
        lambda: services.review_file(me, app.id),
        lambda: services.approve(me, app.id, expected_revision=app.revision),
        lambda: services.return_(me, app.id, "x", expected_revision=app.revision),
        lambda: services.queue(me),
        lambda: services.list_accounts(me),
    ):
        with pytest.raises(AccessDenied):
            call()
    # A student who forges a reviewer's role without the college still gets nothing.
    forged = Actor(username=STUDENT, role=Role.REVIEWER, colleges=(OTHER_COLLEGE,))
    with pytest.raises(SessionEnded):
        services.approve(forged, app.id, expected_revision=app.revision)
    assert services.application(me, app.id).status == Status.UNDER_REVIEW


def test_another_student_cannot_read_the_attachments(services: Services, tmp_path) -> None:
    me = login(services, STUDENT)
    shot = tmp_path / "s.png"
    shot.write_bytes(PNG)
    app = submitted(services, me, attach=shot)
    other = login(services, OTHER_STUDENT)
    with pytest.raises(NotFound):
        services.attachment_bytes(other, app.id, app.attachments[0].sha256)


def test_only_admins_list_and_manage_accounts(services: Services) -> None:
    for who in (STUDENT, "rev"):
        actor = login(services, who)
        with pytest.raises(AccessDenied):
            services.list_accounts(actor)
        with pytest.raises(AccessDenied):
            services.set_disabled(actor, "admin", True)
        with pytest.raises(AccessDenied):
            services.set_password(actor, "admin", "x")
        with pytest.raises(AccessDenied):
            services.add_account(
                actor, Account(username="evil", role=Role.ADMIN, password_hash="-"), "x"
            )
    admin = login(services, "admin")
    listed = {a.username: a for a in services.list_accounts(admin)}
    assert "evil" not in listed
    assert all(a.password_hash == "-" for a in listed.values())  # never a hash


def test_admin_reviews_every_college_but_never_acts_as_a_student(services: Services) -> None:
    mine = submitted(services, login(services, STUDENT))
    theirs = submitted(services, login(services, OTHER_STUDENT))
    admin = login(services, "admin")
    assert {i.application.id for i in services.queue(admin)} == {mine.id, theirs.id}
    with pytest.raises((NotFound, AccessDenied)):
        services.save(admin, "M1", [G1])
    with pytest.raises(Refused) as refused:
        services.return_(admin, mine.id, "   ", expected_revision=mine.revision)
    assert refused.value.rules == ["R11"]


# -- review chain -------------------------------------------------------------------------


def three_steps(tmp_path: Path) -> Rules:
    default = Path(__file__).parents[2] / "policy" / "rules" / "default.toml"
    chain = "".join(
        f'[[review_steps]]\nid = "{i}"\nzh = "{zh}"\nen = "{i}"\n\n'
        for i, zh in (
            ("secretary", "教学秘书审核"),
            ("dean", "教学院长审核"),
            ("office", "教务处审核"),
        )
    )
    text = re.sub(r"\[\[review_steps\]\]\n(?:[a-z]+ = .*\n)+", chain, default.read_text("utf-8"))
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return load_rules(path)


def test_three_steps_each_with_its_reviewers(store: Store, tmp_path: Path) -> None:
    services = make_services(store, three_steps(tmp_path))
    admin = login(services, "admin")
    for name, step in (("sec", "secretary"), ("dean", "dean"), ("office", "office")):
        services.add_account(
            admin,
            Account(
                username=name,
                role=Role.REVIEWER,
                password_hash="-",
                colleges=[COLLEGE],
                review_steps=[step],
            ),
            "pw",
        )
    me = login(services, STUDENT)
    app = submitted(services, me)
    sec, dean, office = (services.actor_for(n) for n in ("sec", "dean", "office"))
    # Not yours: the dean cannot decide the secretary's step, in any way.
    for call in (
        lambda: services.approve(dean, app.id, expected_revision=app.revision),
        lambda: services.return_(dean, app.id, "x", expected_revision=app.revision),
    ):
        with pytest.raises(AccessDenied) as denied:
            call()
        assert "教学秘书审核" in denied.value.zh
    assert not services.review_file(dean, app.id).may_decide
    after_sec = services.approve(sec, app.id, expected_revision=app.revision)
    assert (after_sec.status, after_sec.step) == (Status.UNDER_REVIEW, 1)
    with pytest.raises(AccessDenied):
        # the secretary's step is done
        services.approve(sec, app.id, expected_revision=after_sec.revision)
    with pytest.raises(Refused):
        services.withdraw(me, app.id)  # a step approved: no withdrawing (R11)
    after_dean = services.approve(dean, app.id, expected_revision=after_sec.revision)
    assert after_dean.step == 2
    final = services.approve(office, app.id, expected_revision=after_dean.revision)
    assert final.status == Status.APPROVED
    trail = services.trail(me, app.id)
    approvals = [(e.actor, e.step_name) for e in trail if e.action == ReviewAction.APPROVE]
    assert approvals == [
        ("sec", "教学秘书审核"),
        ("dean", "教学院长审核"),
        ("office", "教务处审核"),
    ]
    # An unbound reviewer of the college may decide any step (rules file comment).
    assert services.review_file(login(services, "rev"), app.id).refusal  # decided: closed


def test_return_at_a_later_step_goes_back_to_the_student(store: Store, tmp_path: Path) -> None:
    services = make_services(store, three_steps(tmp_path))
    me = login(services, STUDENT)
    app = submitted(services, me)
    rev = login(services, "rev")  # no steps named: every step
    first = services.approve(rev, app.id, expected_revision=app.revision)
    # Another person decides the second step (R11: never the same person twice).
    admin = login(services, "admin")
    returned = services.return_(admin, app.id, "院长：请补充说明", expected_revision=first.revision)
    assert (returned.status, returned.step) == (Status.RETURNED, 0)
    last = services.trail(me, app.id)[-1]
    assert (last.step_name, last.reason) == ("教学院长审核", "院长：请补充说明")


# -- one person, one step (issue 15: R11 four eyes) ------------------------------------


def test_the_same_person_never_decides_two_steps(store: Store, tmp_path: Path) -> None:
    """A reviewer who names no step may decide any step, but never two of one
    application: approving or returning the next step is refused, citing R11, in
    both languages, and nothing is written."""
    services = make_services(store, three_steps(tmp_path))
    me = login(services, STUDENT)
    app = submitted(services, me)
    rev, admin = login(services, "rev"), login(services, "admin")
    first = services.approve(rev, app.id, expected_revision=app.revision)
    assert (first.status, first.step) == (Status.UNDER_REVIEW, 1)
    for call in (
        lambda: services.approve(rev, app.id, expected_revision=first.revision),
        lambda: services.return_(rev, app.id, "再看看", expected_revision=first.revision),
    ):
        with pytest.raises(Refused) as refused:
            call()
        assert refused.value.rules == ["R11"]
        assert "同一人不能审核同一申请的两个环节" in refused.value.zh
        assert "教学秘书审核" in refused.value.zh and "教学院长审核" in refused.value.zh
        assert "one person never decides two steps" in refused.value.en
    assert services.application(me, app.id).revision == first.revision  # nothing written
    said = services.review_file(rev, app.id)
    assert not said.may_decide and "同一人不能审核" in said.refusal.text("zh")
    assert "two steps" in said.refusal.text("en")
    # Someone else may; then the first reviewer may not take the third step either.
    second = services.approve(admin, app.id, expected_revision=first.revision)
    assert second.step == 2
    with pytest.raises(Refused):
        services.approve(admin, app.id, expected_revision=second.revision)
    with pytest.raises(Refused):
        services.approve(rev, app.id, expected_revision=second.revision)
    assert services.review_file(admin, app.id).may_decide is False


def test_a_new_round_after_a_return_starts_afresh(store: Store, tmp_path: Path) -> None:
    """After a return and a resubmission the chain starts again at its first step: the
    earlier round's decisions no longer stand, so its reviewer may decide step 1 again."""
    services = make_services(store, three_steps(tmp_path))
    me = login(services, STUDENT)
    app = submitted(services, me)
    rev, admin = login(services, "rev"), login(services, "admin")
    first = services.approve(rev, app.id, expected_revision=app.revision)
    back = services.return_(admin, app.id, "请补充", expected_revision=first.revision)
    again = services.submit(me, back.id)
    assert services.review_file(rev, app.id).may_decide
    step1 = services.approve(rev, app.id, expected_revision=again.revision)
    assert step1.step == 1
    with pytest.raises(Refused):
        services.approve(rev, app.id, expected_revision=step1.revision)


def test_one_step_chain_is_unaffected(services: Services) -> None:
    """The default chain has one step: one reviewer approves and the process ends."""
    me = login(services, STUDENT)
    app = submitted(services, me)
    done = services.approve(login(services, "rev"), app.id, expected_revision=app.revision)
    assert done.status == Status.APPROVED
