"""`credx import` and `credx demo`: documents in the import format into the store.

All or nothing: every file is parsed and cross-checked (against the bundle and what
the store already holds) before anything is written, so an invalid file leaves the
store exactly as it was.  Re-importing the same files changes nothing: documents
equal to the stored ones are not rewritten, a plain password that still verifies
keeps its stored hash, and events already present are not added again.
"""

from __future__ import annotations

import contextlib
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from credx_tui.demo import DEMO_SCREENSHOT
from credx_tui.importing import ImportBundle, parse_files
from credx_tui.services.core import summarise
from credx_tui.services.passwords import hash_password, verify_password
from credx_tui.sheets import Mapping
from credx_tui.store import Store
from credx_tui.store.store import hot_bucket
from fixtures import DEMO_DIR  # package data: present in a plain install too
from policy.dossier import Dossier
from policy.models import ExchangeApplication
from policy.rules import Rules


@dataclass
class ImportReport:
    """What an import changed, per kind of document."""

    changed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, kind: str, changed: bool) -> None:
        """Record one document of ``kind``."""
        (self.changed if changed else self.unchanged)[kind] += 1

    def summary(self) -> str:
        """One line per kind: how many written, how many already up to date."""
        kinds = sorted(set(self.changed) | set(self.unchanged))
        return "\n".join(
            f"{kind}: {self.changed.get(kind, 0)} written, {self.unchanged.get(kind, 0)} unchanged"
            for kind in kinds
        )


def existing_bundle(store: Store) -> ImportBundle:
    """What the store holds, in the shape the cross-checks of the importer read."""
    from credx_tui.importing import AccountSpec, ApplicationSpec

    students = list(store.students())
    return ImportBundle(
        programmes=store.programmes(),
        students=students,
        transcripts=[t for s in students if (t := store.transcript(s.id)) is not None],
        accounts=[
            AccountSpec(
                username=a.username,
                role=a.role,
                display_name=a.display_name,
                colleges=a.colleges,
                review_steps=a.review_steps,
                disabled=a.disabled,
                password_hash=a.password_hash,
            )
            for a in store.accounts()
        ],
        # Every stored application, so that an id another student already has is
        # refused and credits spent by a stored application are not spent again.
        applications=[
            ApplicationSpec(application=app)
            for college in store.colleges()
            for app in store.applications(college)
        ],
    )


def import_paths(
    store: Store, paths: list[Path], rules: Rules, mapping: Mapping | None = None
) -> ImportReport:
    """Validate ``paths`` (import files or spreadsheets read with ``mapping``) and write
    them into ``store``; raises ImportFailed untouched."""
    bundle = parse_files(paths, rules, existing=existing_bundle(store), mapping=mapping)
    report = apply_bundle(store, bundle)
    if any(Path(p).resolve() == Path(DEMO_DIR).resolve() for p in paths):
        store.put_attachment(DEMO_SCREENSHOT.read_bytes())  # named in applications.json
    return report


def apply_bundle(store: Store, bundle: ImportBundle) -> ImportReport:
    """Write a validated bundle: bulk data, then accounts, then each college's hot file."""
    report = ImportReport()
    with store.bulk() as tx:
        for programme in bundle.programmes:
            report.count("programmes", tx.put_programme(programme))
        for student in bundle.students:
            report.count("students", tx.put_student(student))
        for transcript in bundle.transcripts:
            report.count("transcripts", tx.put_transcript(transcript))
    for spec in bundle.accounts:
        with store.account_tx(spec.username) as atx:
            current = atx.get(spec.username)
            if spec.password is not None:
                if current is not None and verify_password(spec.password, current.password_hash):
                    digest = current.password_hash
                else:
                    digest = hash_password(spec.password)
            else:
                digest = spec.password_hash
            account = spec.to_account(digest)
            if current is not None:
                account = account.model_copy(
                    update={
                        "failed_logins": current.failed_logins,
                        "locked_until": current.locked_until,
                        "last_seen": current.last_seen,
                    }
                )
            changed = current != account
            if changed:
                atx.put(account)
            report.count("accounts", changed)
    by_file: dict[tuple[str, str], list] = defaultdict(list)
    for app_spec in bundle.applications:
        app = app_spec.application
        by_file[(app.college, hot_bucket(app.student_id))].append(app_spec)
    # Imported ids are kept as they are; the numbering lock (taken before each hot
    # lock, as a student's save does) keeps a save in another terminal from numbering
    # an application with an id being imported now (issue 15).
    numbering = store.numbering() if by_file else contextlib.nullcontext()
    with numbering:
        _write_applications(store, bundle, by_file, report)
    return report


def _write_applications(
    store: Store, bundle: ImportBundle, by_file: dict[tuple[str, str], list], report: ImportReport
) -> None:
    """Write the imported applications and their events, one hot file at a time."""
    for (college, _), specs in by_file.items():
        with store.hot(college, specs[0].application.student_id) as htx:
            for app_spec in specs:
                app = _with_summary(store, bundle, app_spec.application)
                changed = htx.application(app.id) != app
                if changed:
                    htx.put_application(app)
                report.count("applications", changed)
                known = {e.id for e in htx.events(app.id)}
                for event in app_spec.events:
                    if event.id not in known:
                        htx.add_event(event)
                    report.count("events", event.id not in known)


def _with_summary(
    store: Store, bundle: ImportBundle, app: ExchangeApplication
) -> ExchangeApplication:
    """Give an imported application the display facts the reviewer's queue shows."""
    if app.summary is not None:
        return app
    student = next((s for s in bundle.students if s.id == app.student_id), None)
    student = student or store.student(app.student_id)
    transcript = next((t for t in bundle.transcripts if t.student_id == app.student_id), None)
    transcript = transcript or store.transcript(app.student_id)
    if student is None or transcript is None:
        return app
    return app.model_copy(
        update={"summary": summarise(Dossier(student=student, transcript=transcript), app.target)}
    )


def load_demo(root: Path, rules: Rules, reset: bool = False) -> tuple[Store, ImportReport]:
    """Create (or with ``reset``, recreate) a store holding the bundled demo college."""
    if reset and Store.exists(root):
        _remove_store(root)
    store = Store.create(root)
    report = import_paths(store, [DEMO_DIR], rules)
    return store, report


def _remove_store(root: Path) -> None:
    """Delete a store folder's content, only if it is really a credx store."""
    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
