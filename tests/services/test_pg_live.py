"""Live screens on PostgreSQL (issues 11 and 16): a committed write is announced with
NOTIFY under the file store's names, so the screens' interests match it as they match a
changed file; a rolled-back write announces nothing."""

from __future__ import annotations

import threading
import time

import pytest
from service_college import COLLEGE, STUDENT, login

from credx_tui.services import make_services
from credx_tui.services.live import queue_interest, student_interest
from credx_tui.store.pg import PgStore
from policy.models import SourceKind, SourceRef
from policy.rules import load_rules


def _collecting(store: PgStore):  # -> (watcher, seen, event)
    seen: list[frozenset[str]] = []
    arrived = threading.Event()

    def changed(names: frozenset[str]) -> None:
        seen.append(names)
        arrived.set()

    watcher = store.watcher(changed)
    watcher.start()
    assert watcher.listening.wait(20), "LISTEN never took effect"
    return watcher, seen, arrived


def test_a_commit_is_announced_to_the_screens_that_show_it(pg_store: PgStore) -> None:
    services = make_services(pg_store, load_rules())
    me = login(services, STUDENT)
    rev = login(services, "rev")
    watcher, seen, arrived = _collecting(pg_store)
    try:
        services.save(me, "M1", [SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")])
        assert arrived.wait(20), "no announcement of the save"
        names = frozenset().union(*seen)
        assert student_interest(services, me).touches(names)
        assert queue_interest(services, rev).touches(names)
    finally:
        watcher.stop()


def test_a_rolled_back_write_announces_nothing(pg_store: PgStore) -> None:
    from datetime import UTC, datetime

    from policy.models import ExchangeApplication, Term

    watcher, seen, arrived = _collecting(pg_store)
    try:
        now = datetime.now(UTC)
        app = ExchangeApplication(
            id="X1",
            student_id=STUDENT,
            college=COLLEGE,
            target="M1",
            term=Term(year="2026-2027", semester=1),
            created_at=now,
            updated_at=now,
        )
        with pytest.raises(RuntimeError), pg_store.hot(COLLEGE, STUDENT) as tx:
            tx.put_application(app)
            raise RuntimeError("refused")
        with pg_store.hot(COLLEGE, STUDENT) as tx:
            tx.put_application(app.model_copy(update={"id": "X2"}))
        assert arrived.wait(20)
        time.sleep(0.5)
        assert seen == [frozenset({str(pg_store.hot_path(COLLEGE, STUDENT))})]
    finally:
        watcher.stop()
