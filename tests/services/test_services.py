"""Use cases and their authorization, without any UI (architecture.md, "Layers")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from service_college import COLLEGE, OTHER_STUDENT, STUDENT, login, shot

from credx_tui.services import (
    AccessDenied,
    Actor,
    BadAttachment,
    Conflict,
    LoginFailed,
    NotFound,
    Refused,
    Services,
    SessionEnded,
    make_services,
)
from policy.models import Role, SourceKind, SourceRef, Status

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")
G3 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G3")


def submitted(services: Services, student: Actor, target: str, sources: list[SourceRef]):
    app = services.save(student, target, sources, attachments=shot(services, student))
    return services.submit(student, app.id)


# -- login ---------------------------------------------------------------------------


def test_login_gives_the_account_role(services: Services) -> None:
    result = services.login(STUDENT, "pw")
    assert result.actor.role == Role.STUDENT
    assert result.actor.student_id == STUDENT
    assert result.last_seen is None
    assert services.login(STUDENT, "pw").last_seen is not None


def test_unknown_account_and_wrong_password_say_the_same(services: Services) -> None:
    """Issue 9, item 7: neither the words nor the kind tell an account exists."""
    with pytest.raises(LoginFailed) as unknown:
        services.login("nobody", "pw")
    with pytest.raises(LoginFailed) as wrong:
        services.login(STUDENT, "bad")
    assert unknown.value.kind == wrong.value.kind == "wrong"
    assert (unknown.value.zh, unknown.value.en) == (wrong.value.zh, wrong.value.en)
    assert unknown.value.zh == "学号或密码错误"
    assert unknown.value.en == "Wrong 学号 or password"


def test_unknown_account_costs_a_password_check(services: Services, monkeypatch) -> None:
    """The same cost: an unknown account is checked against a dummy scrypt hash."""
    from credx_tui.services import accounts

    checked: list[str] = []
    real = accounts.verify_password
    monkeypatch.setattr(
        accounts, "verify_password", lambda pw, stored: checked.append(stored) or real(pw, stored)
    )
    with pytest.raises(LoginFailed):
        services.login("nobody", "pw")
    assert len(checked) == 1 and checked[0].startswith("scrypt$")


def test_failures_grow_a_delay_instead_of_a_lock(store, rules) -> None:
    now = [datetime(2026, 11, 1, 9, 0, tzinfo=UTC)]
    services = make_services(store, rules, clock=lambda: now[0])
    for _ in range(4):
        with pytest.raises(LoginFailed) as early:
            services.login(STUDENT, "bad")
        assert early.value.kind == "wrong"
    waits = []
    for _ in range(9):
        with pytest.raises(LoginFailed) as failed:
            services.login(STUDENT, "bad")
        assert failed.value.kind == "wrong"
        with pytest.raises(LoginFailed) as waiting:
            services.login(STUDENT, "pw")  # the right password, but it must wait
        assert waiting.value.kind == "locked"
        assert waiting.value.until is not None
        waits.append((waiting.value.until - now[0]).total_seconds())
        now[0] = waiting.value.until  # the wait is over: the next try is checked
    # 1, 2, 4 ... seconds, never more than the cap: a stranger cannot keep the owner out.
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert services.login(STUDENT, "pw").actor.username == STUDENT
    account = store.account(STUDENT)
    assert account is not None and account.failed_logins == 0


def test_trusted_login_never_waits(store, rules) -> None:
    """Key logins (and --os-user) are never subject to the password delays."""
    now = [datetime(2026, 11, 1, 9, 0, tzinfo=UTC)]
    services = make_services(store, rules, clock=lambda: now[0])
    for _ in range(8):
        with pytest.raises(LoginFailed):
            services.login(STUDENT, "bad")
    with pytest.raises(LoginFailed):
        services.login(STUDENT, "pw")
    result = services.trusted_login(STUDENT, via="ssh key")
    assert result.actor.username == STUDENT
    with pytest.raises(LoginFailed):
        services.trusted_login("nobody", via="ssh key")


def test_passwords_are_stored_hashed(store) -> None:
    account = store.account(STUDENT)
    assert account is not None
    assert account.password_hash.startswith("scrypt$")
    assert "pw" not in account.password_hash.split("$")


def test_disabled_account_cannot_log_in(services: Services) -> None:
    admin = login(services, "admin")
    services.set_disabled(admin, STUDENT, True)
    with pytest.raises(LoginFailed) as exc:
        services.login(STUDENT, "pw")
    assert exc.value.kind == "disabled"


# -- a student's journey ----------------------------------------------------------------


def test_save_submit_and_the_trail(services: Services) -> None:
    me = login(services, STUDENT)
    app = services.save(me, "M1", [G1, G2], attachments=shot(services, me))
    assert app.status == Status.DRAFT
    app = services.submit(me, app.id)
    assert app.status == Status.UNDER_REVIEW
    assert [e.action.value for e in services.trail(me, app.id)] == ["save", "submit"]
    assert services.applications(me)[0].id == app.id


def test_second_draft_is_refused_until_the_first_is_submitted(services: Services) -> None:
    """R3: one course per application, each submitted before the next is started."""
    me = login(services, STUDENT)
    first = services.save(me, "M1", [G1, G2], attachments=shot(services, me))
    with pytest.raises(Refused) as exc:
        services.save(me, "E2", [G3])
    assert exc.value.rules == ["R3"]
    services.submit(me, first.id)
    assert services.save(me, "E2", [G3]).status == Status.DRAFT


def test_ratio_not_met_is_refused_at_submit(services: Services) -> None:
    me = login(services, STUDENT)
    app = services.save(me, "M1", [G1])
    with pytest.raises(Refused) as exc:
        services.submit(me, app.id)
    assert "R8" in exc.value.rules
    assert services.application(me, app.id).status == Status.DRAFT


def test_credits_are_never_spent_twice(services: Services) -> None:
    me = login(services, STUDENT)
    submitted(services, me, "M1", [G1, G2])
    app = services.save(me, "E2", [G2])
    with pytest.raises(Refused):
        services.submit(me, app.id)


def test_ineligible_target_is_refused_with_its_rule(services: Services) -> None:
    me = login(services, STUDENT)
    with pytest.raises(Refused) as exc:
        services.save(me, "X1", [G1])
    assert exc.value.rules[0] == "R5"


def test_delete_follows_r10(services: Services) -> None:
    me = login(services, STUDENT)
    app = submitted(services, me, "M1", [G1, G2])
    with pytest.raises(Refused) as exc:
        services.delete(me, app.id)
    assert exc.value.rules == ["R10"]
    services.withdraw(me, app.id)
    services.delete(me, app.id)
    assert services.applications(me) == []


def test_return_then_resubmit(services: Services) -> None:
    me = login(services, STUDENT)
    rev = login(services, "rev")
    app = submitted(services, me, "M1", [G1, G2])
    with pytest.raises(Refused):
        services.return_(rev, app.id, "   ", expected_revision=app.revision)
    returned = services.return_(rev, app.id, "截图不清楚", expected_revision=app.revision)
    assert returned.status == Status.RETURNED
    edited = services.save(me, "M1", [G1, G3], application_id=app.id)
    resubmitted = services.submit(me, edited.id)
    assert resubmitted.status == Status.UNDER_REVIEW
    approved = services.approve(rev, app.id, expected_revision=resubmitted.revision)
    assert approved.status == Status.APPROVED
    trail = services.trail(me, app.id)
    assert [e.action.value for e in trail] == [
        "save",
        "submit",
        "return",
        "save",
        "submit",
        "approve",
    ]
    assert trail[2].reason == "截图不清楚"
    notices = services.notices(me, since=None)
    assert [n.action.value for n in notices] == ["return", "approve"]


def test_two_reviewers_one_wins(services: Services) -> None:
    me = login(services, STUDENT)
    rev = login(services, "rev")
    app = submitted(services, me, "M1", [G1, G2])
    services.approve(rev, app.id, expected_revision=app.revision)
    with pytest.raises((Conflict, Refused)):
        services.return_(rev, app.id, "太晚了", expected_revision=app.revision)
    assert services.application(me, app.id).status == Status.APPROVED


# -- authorization: crafted calls, no UI --------------------------------------------------


def test_student_cannot_read_another_student(services: Services) -> None:
    me = login(services, STUDENT)
    with pytest.raises(AccessDenied):
        services.dossier(me, OTHER_STUDENT)
    with pytest.raises(AccessDenied):
        services.verdicts(me, OTHER_STUDENT)
    with pytest.raises(AccessDenied):
        services.applications(me, OTHER_STUDENT)


def test_student_cannot_touch_another_students_application(services: Services) -> None:
    me = login(services, STUDENT)
    app = submitted(services, me, "M1", [G1, G2])
    forged = Actor(username=OTHER_STUDENT, role=Role.STUDENT)
    for call in (services.withdraw, services.delete, services.trail, services.application):
        with pytest.raises(NotFound):
            call(forged, app.id)


def test_student_can_never_approve_or_return(services: Services) -> None:
    me = login(services, STUDENT)
    app = submitted(services, me, "M1", [G1, G2])
    with pytest.raises(AccessDenied):
        services.approve(me, app.id, expected_revision=app.revision)
    with pytest.raises(AccessDenied):
        services.return_(me, app.id, "x", expected_revision=app.revision)
    with pytest.raises(AccessDenied):
        services.queue(me)


def test_reviewer_sees_only_own_college(services: Services) -> None:
    me = login(services, STUDENT)
    app = submitted(services, me, "M1", [G1, G2])
    other = login(services, "rev_other")
    assert services.queue(other) == []
    with pytest.raises(NotFound):
        services.approve(other, app.id, expected_revision=app.revision)
    with pytest.raises(AccessDenied):
        services.dossier(other, STUDENT)
    with pytest.raises(NotFound):
        services.trail(other, app.id)
    rev = login(services, "rev")
    assert [i.application.id for i in services.queue(rev)] == [app.id]
    assert services.queue(rev)[0].course_name == "高等数学(2-1)"


def test_reviewer_never_sees_drafts(services: Services) -> None:
    me = login(services, STUDENT)
    services.save(me, "M1", [G1, G2])
    assert services.queue(login(services, "rev"), status=None) == []


def test_reviewer_cannot_act_as_student(services: Services) -> None:
    rev = login(services, "rev")
    with pytest.raises(NotFound):
        services.save(rev, "M1", [G1])


def test_only_admins_manage_accounts(services: Services) -> None:
    me = login(services, STUDENT)
    with pytest.raises(AccessDenied):
        services.list_accounts(me)
    with pytest.raises(AccessDenied):
        services.set_password(me, "rev", "x")
    admin = login(services, "admin")
    listed = services.list_accounts(admin)
    assert all(a.password_hash == "-" for a in listed)


def test_forged_reviewer_of_other_college_is_refused(services: Services) -> None:
    me = login(services, STUDENT)
    app = submitted(services, me, "M1", [G1, G2])
    forged = Actor(username="x", role=Role.REVIEWER, colleges=("另一学院",))
    with pytest.raises(SessionEnded):  # no account x: a hand-made actor (issue 9)
        services.approve(forged, app.id, expected_revision=app.revision)
    assert services.application(me, app.id).status == Status.UNDER_REVIEW
    assert COLLEGE not in forged.colleges


# -- attachments -----------------------------------------------------------------------


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


def test_attachment_checked_by_content(services: Services, tmp_path) -> None:
    me = login(services, STUDENT)
    good = tmp_path / "grades.jpg"  # the name lies; the content is PNG
    good.write_bytes(PNG)
    att = services.attach(me, good)
    assert att.media_type == "image/png"
    bad = tmp_path / "grades.png"
    bad.write_bytes(b"GIF89a not allowed")
    with pytest.raises(BadAttachment) as exc:
        services.attach(me, bad)
    assert "PNG" in exc.value.en
    big = tmp_path / "big.png"
    big.write_bytes(PNG + b"\0" * services.rules.attachments.max_bytes)
    with pytest.raises(BadAttachment) as exc:
        services.attach(me, big)
    assert "limit" in exc.value.en
    with pytest.raises(BadAttachment):
        services.attach(me, tmp_path / "missing.png")


def test_attachment_count_limit(services: Services, tmp_path) -> None:
    me = login(services, STUDENT)
    atts = []
    for i in range(services.rules.attachments.max_count + 1):
        f = tmp_path / f"{i}.png"
        f.write_bytes(_png(bytes([65 + i])))
        atts.append(services.attach(me, f))
    with pytest.raises(BadAttachment):
        services.save(me, "M1", [G1, G2], attachments=atts)
    assert services.applications(me) == []
    app = services.save(me, "M1", [G1, G2], attachments=atts[:2])
    assert services.attachment_bytes(me, app.id, atts[0].sha256).startswith(b"\x89PNG")


def test_policy_gpas_of_the_guides_student_match_the_printed_transcript(tmp_path) -> None:
    """The seed's 学业成绩单 prints each term's 学期平均学分绩点; the policy's own
    arithmetic, on the demo student who carries that transcript, gives the same."""
    from credx_tui.services.loading import load_demo
    from policy.grades import format_gpa, term_gpas
    from policy.rules import load_rules

    rules = load_rules()
    store, _ = load_demo(tmp_path / "demo", rules)
    services = make_services(store, rules)
    me = services.login("2018110101", "demo").actor
    printed = {
        "2018-2019学年 第1学期": "2.09",
        "2018-2019学年 第2学期": "0.8",
        "2019-2020学年 第1学期": "0.66",
        "2019-2020学年 第2学期": "2.18",
        "2020-2021学年 第1学期": "1.97",
        "2020-2021学年 第2学期": "1.16",
    }
    gpas = {t.label.zh: format_gpa(g) for t, g in term_gpas(services.dossier(me), rules).items()}
    assert gpas == printed


def test_submit_without_an_attachment_is_refused_with_s4(services: Services) -> None:
    """S4: the guide asks for grade screenshots; with ``attachments.required`` (default
    true) a submit without one is refused in zh and en, nothing changes; a college that
    turns it off may submit without."""
    me = login(services, STUDENT)
    app = services.save(me, "M1", [G1, G2])
    with pytest.raises(Refused) as exc:
        services.submit(me, app.id)
    assert exc.value.rules == ["S4"]
    assert "截图" in exc.value.zh and "screenshot" in exc.value.en
    assert services.application(me, app.id).status == Status.DRAFT
    assert [e.action.value for e in services.trail(me, app.id)] == ["save"]
    services.rules = services.rules.model_copy(
        update={"attachments": services.rules.attachments.model_copy(update={"required": False})}
    )
    assert services.submit(me, app.id).status == Status.UNDER_REVIEW
