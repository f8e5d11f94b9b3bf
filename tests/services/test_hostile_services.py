"""Issue 11, services: every reproduction of the issue, refused cleanly.

Text goes through the gate (policy/text.py) with a normal refusal, never a pydantic
ValidationError; approve/return need the revision the reviewer saw; withdrawing never
makes two drafts (R3); reviewers never open drafts."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from service_college import STUDENT, login, shot

from credx_tui.services import (
    BadText,
    Conflict,
    LoginFailed,
    NotFound,
    Refused,
    Services,
    make_services,
)
from credx_tui.store import Store
from policy.models import SourceKind, SourceRef, Status
from policy.rules import Rules
from policy.text import NOTE_MAX, REASON_MAX

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")
G3 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G3")


def submitted(services: Services, target: str = "M1", sources=(G1, G2)):
    me = login(services, STUDENT)
    app = services.save(me, target, list(sources), attachments=shot(services, me))
    return services.submit(me, app.id)


def test_a_note_over_the_limit_is_refused_and_everyone_can_still_read(
    services: Services,
) -> None:
    me = login(services, STUDENT)
    with pytest.raises(BadText, match=f"at most {NOTE_MAX}"):
        services.save(me, "M1", [G1, G2], note="备" * (NOTE_MAX + 1))
    assert services.applications(me) == []
    ok = services.save(me, "M1", [G1, G2], note="备" * NOTE_MAX, attachments=shot(services, me))
    services.submit(me, ok.id)
    assert [i.application.id for i in services.queue(login(services, "rev"))] == [ok.id]
    assert services.queue(login(services, "admin"))
    assert services.store.verify() == []


@pytest.mark.parametrize(
    "note",
    ["\x1b]0;owned\x07", "a\x00b", "x\u202egnp.exe", "\u200b\u200b", "\x9b31m", "a\u2028b"],
)
def test_a_note_with_control_characters_is_refused(services: Services, note: str) -> None:
    me = login(services, STUDENT)
    with pytest.raises(BadText, match="note"):
        services.save(me, "M1", [G1, G2], note=note)


def test_a_multi_line_note_is_kept(services: Services) -> None:
    me = login(services, STUDENT)
    saved = services.save(me, "M1", [G1, G2], note="第一行\n\t第二行 e\u0301")
    assert saved.note == "第一行\n\t第二行 \u00e9"  # NFC


def test_return_reasons_too_long_blank_or_with_escapes_are_normal_refusals(
    services: Services,
) -> None:
    app = submitted(services)
    rev = login(services, "rev")
    for reason, refusal in [
        ("理" * (REASON_MAX + 1), BadText),
        ("\u200b\u200b\u200b", BadText),
        ("\x1b]0;retitled\x07请补充", BadText),
        ("   ", Refused),
    ]:
        with pytest.raises(refusal):
            services.return_(rev, app.id, reason, expected_revision=app.revision)
    done = services.return_(rev, app.id, "理" * REASON_MAX, expected_revision=app.revision)
    assert done.status == Status.RETURNED


def test_passwords_empty_or_with_lone_surrogates_are_refused(services: Services) -> None:
    admin = login(services, "admin")
    with pytest.raises(BadText, match="empty"):
        services.set_password(admin, STUDENT, "")
    with pytest.raises(BadText):
        services.set_password(admin, STUDENT, "pw\udc80")
    with pytest.raises(LoginFailed):
        services.login(STUDENT, "pw\udc80")
    assert services.login(STUDENT, "pw").actor.username == STUDENT


def test_approve_and_return_require_the_revision_seen() -> None:
    for method in (Services.approve, Services.return_):
        param = inspect.signature(method).parameters["expected_revision"]
        assert param.default is inspect.Parameter.empty
        assert param.kind is inspect.Parameter.KEYWORD_ONLY


def test_four_step_chain_cannot_be_approved_twice_on_one_view(
    store: Store, rules: Rules, tmp_path: Path
) -> None:
    from policy.rules import ReviewStep

    steps = [ReviewStep(id=f"s{i}", zh=f"第{i}步", en=f"step {i}") for i in range(4)]
    services = make_services(store, rules.model_copy(update={"review_steps": steps}))
    app = submitted(services)
    rev = login(services, "rev")
    first = services.approve(rev, app.id, expected_revision=app.revision)
    assert first.step == 1
    for _ in range(3):  # the same view, pressed again: refused every time
        with pytest.raises(Conflict):
            services.approve(rev, app.id, expected_revision=app.revision)
    assert services.application(rev, app.id).step == 1


def test_withdraw_while_another_draft_exists_leaves_one_draft(services: Services) -> None:
    me = login(services, STUDENT)
    app = submitted(services)
    draft = services.save(me, "E2", [G3])
    with pytest.raises(Refused) as refused:
        services.withdraw(me, app.id)
    assert refused.value.rules == ["R3"]
    drafts = [a for a in services.applications(me) if a.status == Status.DRAFT]
    assert [a.id for a in drafts] == [draft.id]


def test_reviewers_never_open_a_draft(services: Services) -> None:
    me = login(services, STUDENT)
    draft = services.save(me, "M1", [G1, G2])
    rev = login(services, "rev")
    for call in (services.review_file, services.trail, services.application):
        with pytest.raises(NotFound):
            call(rev, draft.id)
    for who in ("rev", "admin"):
        staff = login(services, who)
        assert services.queue(staff, status=Status.DRAFT) == []
        assert services.queue(staff, status=None) == []
    assert services.trail(me, draft.id)  # the student still sees it


def test_a_model_refusal_never_escapes_as_validation_error(services: Services) -> None:
    me = login(services, STUDENT)
    long_target = "M" * 50
    with pytest.raises((NotFound, BadText)):
        services.save(me, long_target, [G1])
