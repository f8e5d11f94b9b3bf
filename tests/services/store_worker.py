"""A separate process that writes to a store: used by the concurrency and crash tests.

python store_worker.py insert ROOT PREFIX COUNT [STUDENT]
                                                  insert COUNT applications (of STUDENT,
                                                  default the test student), printing
                                                  "ack <id>" after each commit
python store_worker.py submit ROOT APP_ID START   at time START, submit APP_ID as the
                                                  test student; prints ok or refused
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from credx_tui.services import Actor, Refused, make_services
from credx_tui.store.opening import open_store
from policy.models import ExchangeApplication, Role, Term
from policy.rules import load_rules

COLLEGE = "测试学院"
STUDENT = "2099010101"


def insert(root: str, prefix: str, count: int, student: str = STUDENT) -> None:
    store = open_store(root)
    for i in range(count):
        now = datetime.now(UTC)
        app = ExchangeApplication(
            id=f"{prefix}-{i}",
            student_id=student,
            college=COLLEGE,
            target="M1",
            term=Term(year="2026-2027", semester=1),
            created_at=now,
            updated_at=now,
        )
        with store.hot(COLLEGE, student) as tx:
            tx.put_application(app)
        print(f"ack {app.id}", flush=True)


def insert_retrying(root: str, prefix: str, count: int) -> None:
    """Like :func:`insert`, but a refused write (the database restarted) is printed as
    ``error <message>`` and tried again (the same id: an upsert), for 120 s at most."""
    from credx_tui.store import StoreError

    store = open_store(root)
    deadline = time.monotonic() + 120
    for i in range(count):
        now = datetime.now(UTC)
        app = ExchangeApplication(
            id=f"{prefix}-{i}",
            student_id=STUDENT,
            college=COLLEGE,
            target="M1",
            term=Term(year="2026-2027", semester=1),
            created_at=now,
            updated_at=now,
        )
        while True:
            try:
                with store.hot(COLLEGE, STUDENT) as tx:
                    tx.put_application(app)
            except StoreError as exc:
                print(f"error {str(exc).splitlines()[0]}", flush=True)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
            else:
                break
        print(f"ack {app.id}", flush=True)


def submit(root: str, app_id: str, start: float) -> None:
    services = make_services(open_store(root), load_rules())
    me = Actor(username=STUDENT, role=Role.STUDENT)
    time.sleep(max(0.0, start - time.time()))
    try:
        services.submit(me, app_id)
    except Refused as exc:
        print("refused", ",".join(exc.rules), flush=True)
    else:
        print("ok", flush=True)


if __name__ == "__main__":
    verb, root = sys.argv[1], sys.argv[2]
    if verb == "insert-retrying":
        insert_retrying(root, sys.argv[3], int(sys.argv[4]))
    elif verb == "insert":
        insert(root, sys.argv[3], int(sys.argv[4]), *sys.argv[5:6])
    else:
        submit(root, sys.argv[3], float(sys.argv[4]))
