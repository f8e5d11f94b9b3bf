"""Memory and the garbage collector (issue 13, item 4) on the 200,000-student store of
:mod:`benchmarks.writers`: a reviewer process opening 300 applications (resident
memory after each hundred: bounded by the file cache's LRU), and a process doing
save+submit for 40 students (the collector's longest pause, after
:func:`credx_tui.heap.settle` as the app does once ready, and without it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.writers import ROOT, STUDENTS, ensure

OPENS = int(os.environ.get("CREDX_BENCH_OPENS", "300"))


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def reviewer(base: str, opens: int) -> None:
    """Open ``opens`` applications of one college as its reviewer; print RSS samples."""
    from credx_tui.heap import settle
    from credx_tui.services import make_services
    from credx_tui.store import Store
    from policy.models import Account, Role

    store = Store(Path(base) / "store")
    services = make_services(store)
    college = "写者学院00"
    with store.account_tx("mem_rev") as tx:
        tx.put(
            Account(username="mem_rev", role=Role.REVIEWER, colleges=[college], password_hash="-")
        )
    me = services.actor_for("mem_rev")
    settle()
    ids = [f"W{n:08d}" for n in range(1, STUDENTS // 10, 2)][:opens]
    samples = [_rss_mb()]
    for k, app_id in enumerate(ids, 1):
        services.review_file(me, app_id)
        if k % 100 == 0:
            samples.append(_rss_mb())
    print(json.dumps({"rss": samples, "cache_files": len(store.cache)}))


def savers(base: str, settle_heap: bool, first: int) -> None:
    """Save and submit for 40 students; print the collector's pauses in them (with
    the generation and the CPU time of the longest, which a busy machine cannot
    stretch as it stretches the wall time)."""
    import gc
    import time

    from benchmarks.writers import _credx_side, _sid

    students = [_sid(n * 2) for n in range(first, first + 40)]
    pauses: list[tuple[float, float, int]] = []
    began: list[tuple[float, float]] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            began.append((time.perf_counter(), time.thread_time()))
        elif began:
            wall, cpu = began.pop()
            pauses.append(
                (time.perf_counter() - wall, time.thread_time() - cpu, info["generation"])
            )

    if settle_heap:
        from credx_tui.heap import settle

        settle()
    gc.callbacks.append(watch)
    submit, drafts, _ = _credx_side(Path(base), students, [], [])  # the saves
    for sid, draft in zip(students, drafts, strict=True):
        submit(sid, draft)
    print(json.dumps({"pauses": pauses}))


def _child(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CREDX_BENCH_STUDENTS": str(STUDENTS)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the reviewer's memory and the collector's pauses beside their targets."""
    import shutil

    base = ensure()
    print(f"memory and the garbage collector at {STUDENTS} students ({base}):")
    store = base / "store"
    saved = {}
    for name in ("hot", "queue", "index", "accounts"):
        if (store / name).exists():
            saved[store / name] = store / f"{name}.mem-backup"
            shutil.rmtree(saved[store / name], ignore_errors=True)
            shutil.copytree(store / name, saved[store / name])
    try:
        found = _child(f"from benchmarks.memory import reviewer; reviewer({str(base)!r}, {OPENS})")
        rss = ", ".join(f"{r:.0f}" for r in found["rss"])
        print(
            f"  reviewer opening {OPENS} applications: RSS MB at every 100: {rss} "
            f"({found['cache_files']} files cached)   target: bounded"
        )
        for first, settle_heap in ((50_000, True), (50_100, False)):
            code = (
                "from benchmarks.memory import savers; "
                f"savers({str(base)!r}, {settle_heap}, {first})"
            )
            pauses = _child(code)["pauses"]
            wall, cpu, gen = max(pauses, default=(0.0, 0.0, 0))
            label = "after heap.settle()" if settle_heap else "Python's defaults"
            print(
                f"  GC in 40 save+submit, {label}: {len(pauses)} collections, longest "
                f"{wall * 1000:.1f} ms (CPU {cpu * 1000:.1f} ms, generation {gen}), total "
                f"{sum(p[0] for p in pauses) * 1000:.0f} ms   target longest <= 50 ms  "
                f"{'ok' if wall <= 0.05 else 'OVER'} (CPU {'ok' if cpu <= 0.05 else 'OVER'})"
            )
    finally:
        for src, dst in saved.items():
            shutil.rmtree(src, ignore_errors=True)
            dst.rename(src)


if __name__ == "__main__":
    main()
