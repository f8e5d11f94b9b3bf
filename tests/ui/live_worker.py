"""A second credx process writing to a store while a test's app shows it (issue 13).

python live_worker.py return ROOT REVIEWER APP_ID REASON   return it (退回) with a reason
python live_worker.py approve ROOT REVIEWER APP_ID         approve its current step
python live_worker.py submit ROOT STUDENT COURSE_NAME      save the suggested offer for
                                                           that course and submit it
python live_worker.py withdraw ROOT STUDENT APP_ID         take it back (审核中 -> 无流程)
python live_worker.py hold ROOT STUDENT              hold the student's bucket lock:
                                                           print "held", wait for a line
                                                           on stdin, release, print
                                                           "released <monotonic>"
python live_worker.py serve ROOT                           read verbs like the above (less
                                                           ROOT) from stdin, one a line;
                                                           print "done <monotonic>" after
                                                           each commit (the benchmark)

Each one-shot verb prints "done <time.monotonic()>" once its write is committed
(CLOCK_MONOTONIC is one clock for every process of the machine), or "refused <why>".
Everything goes through the services, as a second terminal's credx would.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from credx_tui.demo import DEMO_SCREENSHOT
from credx_tui.services import ServiceError, Services, make_services
from credx_tui.store import Store


def run(services: Services, verb: str, args: list[str]) -> str:
    """Do one verb; the line to print."""
    try:
        if verb == "return":
            reviewer, app_id, reason = args
            me = services.actor_for(reviewer)
            app = services.application(me, app_id)
            services.return_(me, app_id, reason, expected_revision=app.revision)
        elif verb == "approve":
            reviewer, app_id = args
            me = services.actor_for(reviewer)
            app = services.application(me, app_id)
            services.approve(me, app_id, expected_revision=app.revision)
        elif verb == "submit":
            student, course = args
            me = services.actor_for(student)
            dossier = services.dossier(me)
            code = next(r.code for r in dossier.transcript.records if r.name == course)
            suggestion = services.suggest(me, code)
            if suggestion is None:
                return f"refused no offer for {course}"
            shot = [services.attach(me, DEMO_SCREENSHOT)]
            saved = services.save(me, code, suggestion.offer.sources, attachments=shot)
            services.submit(me, saved.id)
        elif verb == "resubmit":
            student, app_id = args
            services.submit(services.actor_for(student), app_id)
        elif verb == "withdraw":
            student, app_id = args
            services.withdraw(services.actor_for(student), app_id)
        else:
            return f"refused unknown verb {verb}"
    except ServiceError as exc:
        return f"refused {exc.text('en')}"
    return f"done {time.monotonic()}"


def hold(store: Store, student_id: str) -> None:
    """Hold the lock every write of this student takes (another terminal in the middle
    of a long write, or a stuck one) until told to let go."""
    from credx_tui.store.files import locked
    from credx_tui.store.store import college_key, hot_bucket

    student = store.student(student_id)
    assert student is not None, student_id
    name = f"hot-{college_key(student.college)}-{hot_bucket(student.id)}"
    with locked(store.root / "locks" / f"{name}.lock"):
        print("held", flush=True)
        sys.stdin.readline()
    print(f"released {time.monotonic()}", flush=True)


def main(argv: list[str]) -> None:
    verb, root = argv[0], Path(argv[1])
    if verb == "hold":
        hold(Store(root), argv[2])
        return
    services = make_services(Store(root))
    if verb != "serve":
        print(run(services, verb, argv[2:]), flush=True)
        return
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.rstrip("\n").split("\t")
        if not words or words == [""]:
            break
        print(run(services, words[0], words[1:]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
