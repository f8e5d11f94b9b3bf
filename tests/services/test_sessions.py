"""Sessions are checked, not trusted (issue 9, item 4), without any UI: every call reads
the actor's account again; a disabled account, a changed role or college, or an actor
made by hand for an account that does not exist is refused at the next call."""

from __future__ import annotations

import os

import pytest
from service_college import COLLEGE, OTHER_COLLEGE, STUDENT, login, shot

from credx_tui.services import (
    AccessDenied,
    Actor,
    Services,
    SessionEnded,
    StorageFailed,
    make_services,
)
from policy.models import Role, SourceKind, SourceRef, Status

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
G2 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2")


def submitted(services: Services, student: Actor):
    app = services.save(student, "M1", [G1, G2], attachments=shot(services, student))
    return services.submit(student, app.id)


def test_a_disabled_reviewers_open_session_cannot_approve(services: Services) -> None:
    student = login(services, STUDENT)
    reviewer = login(services, "rev")
    app = submitted(services, student)
    assert services.queue(reviewer)  # the session works
    owner = services.owner_actor("root")
    services.set_disabled(owner, "rev", True)  # `credx user disable rev`
    with pytest.raises(SessionEnded) as ended:
        services.approve(reviewer, app.id)
    assert "停用" in ended.value.zh and "disabled" in ended.value.en
    with pytest.raises(SessionEnded):
        services.queue(reviewer)
    assert services.application(student, app.id).status == Status.UNDER_REVIEW


def test_a_changed_college_or_role_ends_the_session(services: Services) -> None:
    reviewer = login(services, "rev")
    student = login(services, STUDENT)
    account = services.store.account("rev")
    assert account is not None
    with services.store.account_tx("rev") as tx:
        tx.put(account.model_copy(update={"colleges": [OTHER_COLLEGE]}))
    with pytest.raises(SessionEnded):
        services.queue(reviewer)
    services.queue(login(services, "rev"))  # a new login (the new colleges) is fine
    me = services.store.account(STUDENT)
    assert me is not None
    with services.store.account_tx(STUDENT) as tx:
        tx.put(me.model_copy(update={"role": Role.REVIEWER, "colleges": [COLLEGE]}))
    with pytest.raises(SessionEnded):
        services.dossier(student)


def test_a_hand_made_actor_for_no_account_is_refused_everywhere(services: Services) -> None:
    real = login(services, STUDENT)
    app = submitted(services, real)
    ghost_admin = Actor(username="ghost", role=Role.ADMIN)
    ghost_reviewer = Actor(username="ghost", role=Role.REVIEWER, colleges=(COLLEGE,))
    calls = [
        lambda: services.approve(ghost_reviewer, app.id),
        lambda: services.return_(ghost_reviewer, app.id, "no"),
        lambda: services.queue(ghost_admin),
        lambda: services.review_file(ghost_admin, app.id),
        lambda: services.list_accounts(ghost_admin),
        lambda: services.set_password(ghost_admin, STUDENT, "taken"),
        lambda: services.set_disabled(ghost_admin, STUDENT, True),
        lambda: services.dossier(ghost_admin, STUDENT),
    ]
    for call in calls:
        with pytest.raises(SessionEnded):
            call()
    assert services.login(STUDENT, "pw").actor == real
    assert services.application(real, app.id).status == Status.UNDER_REVIEW


def test_the_owner_actor_is_the_owners_and_cannot_be_forged(services: Services, monkeypatch):
    forged = Actor(username="os:root", role=Role.ADMIN, owner_key=object())
    with pytest.raises(SessionEnded):
        services.list_accounts(forged)
    other = make_services(services.store, services.rules)
    with pytest.raises(SessionEnded):  # an owner actor of another Services is not this one's
        services.list_accounts(other.owner_actor("root"))
    assert services.list_accounts(services.owner_actor("root"))
    monkeypatch.setattr(os, "geteuid", lambda: 54321)
    with pytest.raises(AccessDenied):
        services.owner_actor("someone")


def test_a_refusal_of_the_machine_is_a_service_error(services: Services, monkeypatch) -> None:
    import errno

    student = login(services, STUDENT)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageFailed) as failed:
        services.save(student, "M1", [G1, G2])
    assert "disk is full" in failed.value.en and "磁盘已满" in failed.value.zh
    assert ".json" in failed.value.en
    monkeypatch.undo()
    assert services.applications(student) == []  # nothing half-written
