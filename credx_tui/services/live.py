"""Which files of the store a screen's contents come from (issue 13, item 3).

A screen asks the services what it depends on, as an :class:`Interest` (paths relative
to the store folder), and re-reads when the store watcher (:mod:`credx_tui.watch`)
reports a change to one of them.  The screens never learn the store's layout: the
services know that a student's applications live in their college's hot file of their
bucket, their transcript in one bulk shard, and that every verdict depends on the
programmes and the college's rules.  Who may see what is checked here as everywhere:
an interest is made only for what the actor may read.

A wider interest than needed costs a re-read that finds nothing new (the screen then
draws nothing); a narrower one would miss a change, so when in doubt, wider.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from credx_tui.services.context import Actor
from credx_tui.services.factory import Services
from credx_tui.store.admin import RULES_FILE
from credx_tui.watch import OVERFLOW
from policy.models import ExchangeApplication, Role


@dataclass(frozen=True)
class Interest:
    """Files (``hot/k/3.json``) and folders (``hot/k/``: everything under it) of the
    store that a screen shows something of."""

    paths: frozenset[str] = frozenset()

    def touches(self, changed: Iterable[str]) -> bool:
        """Whether any changed path is one of ours (an overflow touches everyone)."""
        for path in changed:
            if path == OVERFLOW:
                return True
            for mine in self.paths:
                if path == mine or (mine.endswith("/") and path.startswith(mine)):
                    return True
        return False

    def __or__(self, other: Interest) -> Interest:
        return Interest(self.paths | other.paths)


def _rel(services: Services, path: PurePath) -> str:
    root = getattr(services.store, "root", None)
    if root is None:  # PostgreSQL: its names are already relative (store/pg.py, NOTIFY)
        return path.as_posix()
    return path.relative_to(root).as_posix()


def _shared(services: Services) -> set[str]:
    """What every verdict depends on: the programmes and the college's rules."""
    return {_rel(services, services.store.programmes_path), RULES_FILE}


def student_interest(services: Services, actor: Actor, student_id: str | None = None) -> Interest:
    """A student's own screens (学分兑换, 流程跟踪, 申请): their hot file (applications,
    events, uploads by link), their transcript's shard, the programmes and the rules.
    ``student_id`` for staff looking at one student (checked as :meth:`Services.student`)."""
    student = services.student(actor, student_id)
    store = services.store
    paths = _shared(services) | {
        _rel(services, store.hot_path(student.college, student.id)),
        _rel(services, store.student_path(student.id)),
    }
    return Interest(frozenset(paths))


def application_interest(services: Services, actor: Actor, app: ExchangeApplication) -> Interest:
    """One application on the decision screen: its hot file (the application, its
    trail, the student's other applications that spend credits), the student's
    transcript, programmes and rules.  ``app`` is one the services handed this actor."""
    store = services.store
    paths = _shared(services) | {
        _rel(services, store.hot_path(app.college, app.student_id)),
        _rel(services, store.student_path(app.student_id)),
    }
    return Interest(frozenset(paths))


def queue_interest(services: Services, actor: Actor) -> Interest:
    """The review queue: every hot file of the reviewer's colleges (an admin's queue:
    every college, including one that appears later), and the rules (the steps)."""
    store = services.store
    if actor.role == Role.REVIEWER:
        folders = {_rel(services, store.hot_dir(c)) + "/" for c in actor.colleges}
    else:
        folders = {"hot/"}
    return Interest(frozenset(folders | {RULES_FILE}))
