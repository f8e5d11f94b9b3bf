"""Export benchmark (issue 12, item 5): ``credx export approved`` of 10,000 approved
exchanges, target <= 5 s.

Generates (once per count, into ``bench-data/export-N/``) a store of N students in 10
colleges, each with 40 course records and one approved application with its save,
submit and approve events, written directly with the store's writers; then times the
whole command (a fresh process: parse the store, build the rows, write the file) for
.xlsx and .csv.  ``python -m benchmarks.export --count 1000`` scales it down.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLEGES = 10
RECORDS = 40


def generate(root: Path, count: int) -> None:
    """N students with one approved exchange each (about 10 s for 10,000)."""
    from credx_tui.services.loading import _remove_store
    from credx_tui.store import Store
    from credx_tui.store.store import hot_bucket
    from policy.models import (
        Account,
        ExchangeApplication,
        ReviewAction,
        ReviewEvent,
        Role,
        SourceKind,
        SourceRef,
        Status,
        Student,
        Term,
        Transcript,
    )

    if root.exists():
        _remove_store(root)
    store = Store.create(root)
    from benchmarks.college import course_records

    records = course_records(RECORDS)

    def sid(n: int) -> str:
        return f"40{n:08d}"

    def college(n: int) -> str:
        return f"导出学院{n % COLLEGES:02d}"

    with store.bulk() as tx:
        for n in range(count):
            tx.put_student(
                Student(
                    id=sid(n),
                    name=f"学生{n}",
                    college=college(n),
                    major=f"专业{n % COLLEGES:02d}",
                    grade_year=2024,
                    class_name=f"{n % 30}班",
                )
            )
            tx.put_transcript(Transcript(student_id=sid(n), records=records))
    with store.account_tx("rev") as atx:
        atx.put(
            Account(username="rev", role=Role.REVIEWER, display_name="审核员", password_hash="-")
        )
    base = datetime(2026, 3, 2, tzinfo=UTC)
    per_file: dict[tuple[str, str], tuple[list, list, str]] = {}
    for n in range(count):
        at = base + timedelta(minutes=n)
        app = ExchangeApplication(
            id=f"X{n:07d}",
            student_id=sid(n),
            college=college(n),
            target="M1",
            sources=[SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref=c) for c in ("C00", "C01")],
            status=Status.APPROVED,
            term=Term(year="2025-2026", semester=2),
            created_at=at,
            updated_at=at + timedelta(days=2),
        )
        events = [
            ReviewEvent(
                id=f"XE{n:07d}{i}",
                application_id=app.id,
                action=action,
                actor="rev" if action == ReviewAction.APPROVE else sid(n),
                actor_role="reviewer" if action == ReviewAction.APPROVE else "student",
                at=at + timedelta(days=2 * (action == ReviewAction.APPROVE)),
                status_after=Status.APPROVED,
            )
            for i, action in enumerate(
                (ReviewAction.SAVE, ReviewAction.SUBMIT, ReviewAction.APPROVE)
            )
        ]
        apps, evs, _ = per_file.setdefault((college(n), hot_bucket(sid(n))), ([], [], sid(n)))
        apps.append(app)
        evs.extend(events)
    for (name, _), (apps, evs, first) in per_file.items():
        with store.hot(name, first) as htx:
            htx.insert_many(apps, evs)


def measure(count: int = 10_000) -> list[tuple[str, float]]:
    """Seconds of ``credx export approved`` as a whole process, per format."""
    data = ROOT / "bench-data" / f"export-{count}"
    stamp = data / "generated-v1"
    if not stamp.exists():
        print(f"generating the export store ({count} approved exchanges)...", flush=True)
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from benchmarks.export import generate; from pathlib import Path; generate(Path({str(data / 'store')!r}), {count})",
            ],
            cwd=ROOT,
            check=True,
        )
        stamp.write_text("ok\n")
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    credx = Path(sys.executable).with_name("credx")
    results = []
    with tempfile.TemporaryDirectory(prefix="credx-export-") as tmp:
        for suffix in (".xlsx", ".csv"):
            out = Path(tmp) / f"approved{suffix}"
            start = time.perf_counter()
            done = subprocess.run(
                [str(credx), "--db", str(data / "store"), "export", "approved", "-o", str(out)],
                check=True,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - start
            results.append((suffix, seconds))
            print(
                f"credx export approved {suffix:5} ({done.stdout.split()[1]} rows, whole process): "
                f"{seconds:5.2f} s, {out.stat().st_size / 1e6:.1f} MB   target <= 5 s",
                flush=True,
            )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="approved exchanges")
    measure(parser.parse_args().count)
