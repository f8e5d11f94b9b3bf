"""One submit on PostgreSQL, taken apart (issue 16, item 2): the statements it sends,
its transactions, and where its time goes, on the generated college of :mod:`benchmarks.writers`
copied into a throwaway cluster (fsync on, as a server runs).

    CREDX_BENCH_STUDENTS=2000 python -m benchmarks.pg_profile

Every statement is one round trip to the server (psycopg sends each ``execute`` as
one); the lines name each statement's first words so a change can be checked against
the list.
"""

from __future__ import annotations

import collections
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

COUNTS: collections.Counter[str] = collections.Counter()
"""Statements sent, by their first words, and the waits for the server."""
WAITS = "(waits for the server: round trips, BEGIN and COMMIT included)"


def _label(query: Any) -> str:
    text = (
        query if isinstance(query, str) else str(getattr(query, "as_string", lambda _: query)(None))
    )
    words = " ".join(text.split())
    return words[:70]


@contextmanager
def counted() -> Iterator[collections.Counter[str]]:
    """Count every statement psycopg sends while the block runs."""
    COUNTS.clear()
    real_execute = psycopg.Cursor.execute
    real_many = psycopg.Cursor.executemany
    real_wait = psycopg.Connection.wait

    def wait(self: psycopg.Connection, gen: Any, *args: Any, **kw: Any) -> Any:
        COUNTS[WAITS] += 1
        return real_wait(self, gen, *args, **kw)

    def execute(self: psycopg.Cursor, query: Any, params: Any = None, **kw: Any) -> Any:
        COUNTS[_label(query)] += 1
        return real_execute(self, query, params, **kw)

    def executemany(self: psycopg.Cursor, query: Any, params_seq: Any, **kw: Any) -> Any:
        COUNTS["(executemany) " + _label(query)] += 1
        return real_many(self, query, params_seq, **kw)

    psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = executemany  # type: ignore[method-assign]
    psycopg.Connection.wait = wait  # type: ignore[method-assign]
    try:
        yield COUNTS
    finally:
        psycopg.Cursor.execute = real_execute  # type: ignore[method-assign]
        psycopg.Cursor.executemany = real_many  # type: ignore[method-assign]
        psycopg.Connection.wait = real_wait  # type: ignore[method-assign]


def traced_store(url: str) -> tuple[Any, list[Any]]:
    """A store whose every pooled connection writes libpq's protocol trace to a file
    of its own (the files, opened for reading, are the second value)."""
    import tempfile

    from credx_tui.store.pg import PgStore

    store = PgStore(url)
    traces: list[Any] = []

    def configure(conn: psycopg.Connection) -> None:
        out = tempfile.NamedTemporaryFile(prefix="credx-trace-", suffix=".txt", delete=False)  # noqa: SIM115
        conn.pgconn.trace(out.fileno())
        conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        traces.append(open(out.name, encoding="utf-8", errors="replace"))  # noqa: SIM115
        store._keep = [*getattr(store, "_keep", []), out]

    store._pool._configure = configure
    return store, traces


def round_trips(trace: Any) -> int:
    """Round trips in a trace (it starts once the connection is made): each run of messages the
    client sent (F) followed by the server's answer (B) is one wait for the server,
    whether it ended with a Sync (a statement, a pipeline's sync point) or a Flush
    (pipeline mode, results needed now)."""
    trips, last = 0, ""
    for line in trace.read().splitlines():
        direction = line.split("\t", 1)[0]
        if direction not in ("F", "B"):
            continue
        if direction == "B" and last == "F":
            trips += 1
        last = direction
    return trips


def main() -> None:
    """Copy the generated college (``CREDX_BENCH_STUDENTS``) into a fresh cluster, then
    count the statements of one submit and time 30 (one writer, unpaced)."""
    import shutil

    from benchmarks import writers
    from credx_tui.demo import DEMO_SCREENSHOT
    from credx_tui.services import Actor, attachment_check, make_services
    from credx_tui.store.pg import PgStore
    from credx_tui.store.transfer import migrate
    from policy.models import Account, Role, SourceKind, SourceRef
    from policy.rules import load_rules
    from tests.pg_cluster import pg_bin, running_cluster

    if pg_bin() is None:
        print("PostgreSQL is not installed (apt-get install postgresql): skipped")
        return
    base = writers.ensure()
    work = base / f"pg-profile-store-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base / "store", work, symlinks=True)
    with running_cluster(durable=True) as cluster:
        cluster.sql("CREATE DATABASE profile")
        url = cluster.url("profile")
        migrate(work, url)
        shutil.rmtree(work, ignore_errors=True)
        store = PgStore(url)
        services = make_services(store, load_rules())
        payload = DEMO_SCREENSHOT.read_bytes()
        detected = attachment_check.check_content(payload, "shot.png", services.rules.attachments)
        sources = [SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=f"C{j:02d}") for j in (2, 3)]
        drafts = []
        for i in range(31):
            sid = writers._sid((7000 + i * 2) % writers.STUDENTS)
            if store.account(sid) is None:
                with store.account_tx(sid) as atx:
                    atx.put(Account(username=sid, role=Role.STUDENT, password_hash="-"))
            me = Actor(username=sid, role=Role.STUDENT)
            shot = services.store_upload(me, services.student(me), payload, detected)
            drafts.append((me, services.save(me, "M1", sources, attachments=[shot]).id))
        me, app_id = drafts.pop()
        traced, traces = traced_store(url)
        with counted() as during:
            make_services(traced, load_rules()).submit(me, app_id)
        traced.close()  # closing the connections flushes their traces
        trips = sum(round_trips(t) for t in traces)
        print(f"one submit: {trips} round trips to the server (libpq's trace)")
        waits = during.pop(WAITS, 0)
        print(
            f"one submit ({writers.STUDENTS} students): {sum(during.values())} statements, "
            f"{waits} waits for the server"
        )
        for label, n in sorted(during.items(), key=lambda kv: -kv[1]):
            print(f"  {n:3d}  {label}")
        times = []
        profiler = cProfile.Profile() if os.environ.get("CREDX_PROFILE") else None
        pause = float(os.environ.get("CREDX_PROFILE_PAUSE", "0"))
        for me, app_id in drafts:
            time.sleep(pause)  # CREDX_PROFILE_PAUSE=0.2: paced as benchmarks.pg
            start = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            services.submit(me, app_id)
            if profiler is not None:
                profiler.disable()
            times.append(time.perf_counter() - start)
        if profiler is not None:  # CREDX_PROFILE=1: where the time of the submits went
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        times.sort()
        print(
            f"submit, 1 writer, {len(times)} unpaced: p50 {statistics.median(times) * 1000:.1f} "
            f"ms, p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms"
        )
        store.close()


if __name__ == "__main__":
    main()
