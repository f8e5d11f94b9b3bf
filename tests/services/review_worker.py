"""A student process and a reviewer process working one store at the same time.

python review_worker.py student ROOT ID...   each student saves and submits M1, then
                                             resubmits whatever comes back returned
python review_worker.py reviewer ROOT COUNT  works the queue: returns each application
                                             once (with a reason), approves it the
                                             second time, until COUNT are approved
Each prints one line per write; both stop by themselves after 90 seconds at most.
"""

from __future__ import annotations

import sys
import time

from service_college import shot

from credx_tui.services import Conflict, Refused, make_services
from credx_tui.store.opening import open_store
from policy.models import SourceKind, SourceRef, Status
from policy.rules import load_rules

DEADLINE = time.monotonic() + 90
SOURCES = [
    SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1"),
    SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G2"),
]


def student(root: str, ids: list[str]) -> None:
    services = make_services(open_store(root), load_rules())
    actors = [services.actor_for(sid) for sid in ids]
    for me in actors:
        app = services.save(me, "M1", SOURCES, attachments=shot(services, me))
        services.submit(me, app.id)
        print(f"submitted {app.id}", flush=True)
    resubmitted: set[str] = set()
    while time.monotonic() < DEADLINE:
        pending = False
        for me in actors:
            for app in services.applications(me):
                if app.status == Status.RETURNED and app.id not in resubmitted:
                    services.submit(me, app.id)
                    resubmitted.add(app.id)
                    print(f"resubmitted {app.id}", flush=True)
                if app.status != Status.APPROVED:
                    pending = True
        if not pending:
            print("done", flush=True)
            return
        time.sleep(0.02)


def reviewer(root: str, count: int) -> None:
    services = make_services(open_store(root), load_rules())
    rev = services.actor_for("rev")
    returned: set[str] = set()
    approved = 0
    while approved < count and time.monotonic() < DEADLINE:
        for item in services.queue(rev):
            app = item.application
            try:
                if app.id not in returned:
                    services.return_(
                        rev, app.id, "请补充补考成绩截图", expected_revision=app.revision
                    )
                    returned.add(app.id)
                    print(f"returned {app.id}", flush=True)
                else:
                    services.approve(rev, app.id, expected_revision=app.revision)
                    approved += 1
                    print(f"approved {app.id}", flush=True)
            except (Conflict, Refused) as exc:
                print(f"lost {app.id} {type(exc).__name__}", flush=True)
        time.sleep(0.01)
    print("done", flush=True)


def decide(root: str, username: str, app_id: str, revision: int, start: float) -> None:
    """At time ``start``, approve (``rev``) or return (anyone else) ``app_id`` as seen at
    ``revision``: prints ok, or lost and why (two reviewers, one decision)."""
    services = make_services(open_store(root), load_rules())
    me = services.actor_for(username)
    time.sleep(max(0.0, start - time.time()))
    try:
        if username == "rev":
            services.approve(me, app_id, expected_revision=revision)
        else:
            services.return_(me, app_id, "请补充补考成绩截图", expected_revision=revision)
    except (Conflict, Refused) as exc:
        print(f"lost {type(exc).__name__}", flush=True)
    else:
        print("ok", flush=True)


if __name__ == "__main__":
    verb, root = sys.argv[1], sys.argv[2]
    if verb == "decide":
        decide(root, sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
    elif verb == "student":
        student(root, sys.argv[3:])
    else:
        reviewer(root, int(sys.argv[3]))
