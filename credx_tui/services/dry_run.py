"""`credx import --dry-run`: what an import would change, with nothing written (issue 12).

A registrar loading next term's export wants to see, before anything moves, which
students come in, whose transcripts gain sittings, which courses become exchangeable
(R1: a 补考/重修 still failed) and which submitted applications would now be reviewed
against a different transcript.  The files go through exactly the checks of a real
import, planned by the same code (:func:`credx_tui.services.staged_import.plan_files`),
so a dry run that passes means the import will and it is as fast and small; then what
was planned is compared with the store a shard at a time, using only the store's read
path, which takes no lock and creates no file.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from credx_tui.i18n import t
from credx_tui.importing import ImportBundle, ImportProblem
from credx_tui.sheets import Mapping
from credx_tui.store import Store
from policy import eligibility, workflow
from policy.dossier import Dossier
from policy.models import (
    CourseRecord,
    CreditCertificate,
    ExchangeApplication,
    Programme,
    SourceKind,
    Student,
    Transcript,
)
from policy.rules import Rules


@dataclass
class StudentChange:
    """One student's transcript as the import would leave it, against the store."""

    student_id: str
    name: str
    records_added: list[str] = field(default_factory=list)
    """Course records new on the transcript, as ``code 名称 (考试性质…)``."""
    records_changed: list[str] = field(default_factory=list)
    sittings_added: list[str] = field(default_factory=list)
    """Sittings new on records already there, as ``code 名称 考试性质 成绩 学期``."""
    sittings_of_new_records: int = 0
    certificates: list[str] = field(default_factory=list)
    """Certificate numbers new or changed on the transcript."""

    @property
    def sittings(self) -> int:
        """Every sitting the import adds to this transcript."""
        return len(self.sittings_added) + self.sittings_of_new_records


@dataclass
class DryRunReport:
    """Everything the import would change; nothing of it has been written."""

    students_added: list[tuple[str, str]] = field(default_factory=list)
    students_changed: list[tuple[str, str]] = field(default_factory=list)
    transcripts: list[StudentChange] = field(default_factory=list)
    becomes_exchangeable: list[tuple[str, str, str]] = field(default_factory=list)
    """(学号, 课程代码, 课程名称) offered after the import and not before (R1, R9)."""
    applications_affected: list[tuple[str, str, str, list[tuple[str, str]]]] = field(
        default_factory=list
    )
    """(application id, 学号, status, [("target" or "source", code or certificate id)])
    of submitted applications whose transcript entries the import changes."""
    programmes: tuple[int, int] = (0, 0)
    """(added, changed) 人才培养方案."""
    other: dict[str, int] = field(default_factory=dict)
    """Accounts and applications the files hold, by kind (``accounts``, ``applications``)."""

    def lines(self, lang: str = "zh") -> list[str]:
        """The report for the terminal, in ``lang`` (zh or en)."""
        out = [t("dryrun.head", lang)]
        added, changed = self.programmes
        if added or changed:
            out.append(t("dryrun.programmes", lang, added=added, changed=changed))
        out.append(
            t(
                "dryrun.students",
                lang,
                added=len(self.students_added),
                changed=len(self.students_changed),
            )
        )
        for sid, name in self.students_added:
            out.append(f"  + {sid} {name}")
        for sid, name in self.students_changed:
            out.append(f"  ~ {sid} {name}")
        out.append(t("dryrun.transcripts", lang, count=len(self.transcripts)))
        for change in self.transcripts:
            out.append(
                t(
                    "dryrun.transcript",
                    lang,
                    sid=change.student_id,
                    name=change.name,
                    added=len(change.records_added),
                    changed=len(change.records_changed),
                    sittings=change.sittings,
                )
            )
            out.extend(f"    + {r}" for r in change.records_added)
            out.extend(f"    ~ {r}" for r in change.records_changed)
            out.extend(f"    + {r}" for r in change.sittings_added)
            if change.certificates:
                out.append(t("dryrun.certificates", lang, ids=", ".join(change.certificates)))
        out.append(t("dryrun.exchangeable", lang, count=len(self.becomes_exchangeable)))
        out.extend(f"  {sid} {code} {name}" for sid, code, name in self.becomes_exchangeable)
        out.append(t("dryrun.affected", lang, count=len(self.applications_affected)))
        words = {"target": t("dryrun.role.target", lang), "source": t("dryrun.role.source", lang)}
        for app_id, sid, status, what in self.applications_affected:
            parts = ", ".join(f"{words.get(role, role)} {ref}" for role, ref in what)
            out.append(f"  {app_id} {sid} {status} {parts}")
        in_files = {
            "accounts": "dryrun.in_files.accounts",
            "applications": "dryrun.in_files.applications",
        }
        for kind, count in sorted(self.other.items()):
            key = in_files.get(kind, "dryrun.in_files.other")
            out.append(t(key, lang, kind=kind, count=count))
        out.append("")
        out.extend(self.summary_lines(lang))
        return out

    def counts(self) -> dict[str, int]:
        """The summary's figures, under the keys of the JSON report (docs/spreadsheets.md)."""
        return {
            "students_added": len(self.students_added),
            "students_changed": len(self.students_changed),
            "transcripts_changed": len(self.transcripts),
            "records_added": sum(len(c.records_added) for c in self.transcripts),
            "records_changed": sum(len(c.records_changed) for c in self.transcripts),
            "sittings_added": sum(c.sittings for c in self.transcripts),
            "certificates_changed": sum(len(c.certificates) for c in self.transcripts),
            "programmes_added": self.programmes[0],
            "programmes_changed": self.programmes[1],
            "courses_become_exchangeable": len(self.becomes_exchangeable),
            "applications_affected": len(self.applications_affected),
        }

    def summary_lines(self, lang: str = "zh") -> list[str]:
        """The counts at a glance, the block a registrar reads first (issue 12)."""
        c = self.counts()
        return [
            t("dryrun.summary.head", lang),
            t("dryrun.students", lang, added=c["students_added"], changed=c["students_changed"]),
            t("dryrun.summary.records", lang, **c),
            t("dryrun.summary.certificates", lang, **c),
            t(
                "dryrun.programmes",
                lang,
                added=c["programmes_added"],
                changed=c["programmes_changed"],
            ),
            t("dryrun.exchangeable", lang, count=c["courses_become_exchangeable"]),
            t("dryrun.summary.affected", lang, **c),
        ]

    def to_json(self) -> dict[str, object]:
        """One JSON object, stable for scripts (``credx import --dry-run --json``;
        the keys are documented in docs/spreadsheets.md)."""
        return {
            "format": "credx-dry-run",
            "version": 1,
            "ok": True,
            "written": False,
            "summary": self.counts(),
            "students_added": [{"student_id": i, "name": n} for i, n in self.students_added],
            "students_changed": [{"student_id": i, "name": n} for i, n in self.students_changed],
            "transcripts": [
                {
                    "student_id": c.student_id,
                    "name": c.name,
                    "records_added": c.records_added,
                    "records_changed": c.records_changed,
                    "sittings_added": c.sittings_added,
                    "sittings": c.sittings,
                    "certificates": c.certificates,
                }
                for c in self.transcripts
            ],
            "courses_become_exchangeable": [
                {"student_id": i, "code": code, "name": name}
                for i, code, name in self.becomes_exchangeable
            ],
            "applications_affected": [
                {
                    "id": app_id,
                    "student_id": sid,
                    "status": status,
                    "changed": [{"role": role, "ref": ref} for role, ref in what],
                }
                for app_id, sid, status, what in self.applications_affected
            ],
            "in_files": dict(sorted(self.other.items())),
        }


def failed_json(problems: list[ImportProblem]) -> dict[str, object]:
    """The JSON object of a dry run whose files are refused: every problem, located."""
    return {
        "format": "credx-dry-run",
        "version": 1,
        "ok": False,
        "written": False,
        "problems": [
            {
                "file": p.file,
                "location": p.location,
                "document": p.document,
                "key": p.key,
                "field": p.field,
                "message": p.message,
                "text": str(p),
            }
            for p in problems
        ],
    }


def dry_run(
    root: Path, paths: list[Path], rules: Rules, mapping: Mapping | None = None
) -> DryRunReport:
    """Plan the import of ``paths`` into the store at ``root`` exactly as ``credx
    import`` does (:func:`credx_tui.services.staged_import.plan_files`: the same
    streamed reading, checks and merged transcripts, in the same bounded memory) and
    say what it would change; raises ImportFailed with the problems a real import
    reports.  Nothing is written to the store: the spills go to a temporary folder,
    no lock is taken; with no store there yet, an empty one (temporary) stands in."""
    from credx_tui.services.staged_import import CollegeWriter, plan_files, split_paths

    files, sheets = split_paths(paths)
    with tempfile.TemporaryDirectory(prefix="credx-dry-run-") as tmp:
        spill = Path(tmp)
        store = Store(root) if Store.exists(root) else Store.create(spill / "empty")
        writer = CollegeWriter(store, spill_dir=spill)
        try:
            existing, _ = plan_files(store, writer, files, sheets, rules, mapping)
            return _compare_planned(store, writer, existing, rules)
        finally:
            writer.discard()


def _compare_planned(
    store: Store, writer: Any, existing: ImportBundle, rules: Rules
) -> DryRunReport:
    """:func:`compare` a shard of students at a time: the import's transcripts are
    read back from the writer's spill and the store's from their shard file, so a
    college's term update is compared in the memory of one shard."""
    from credx_tui.services.staged_import import _differs, _student_of
    from credx_tui.store.files import read_file
    from credx_tui.store.store import shard_key

    programmes = list(writer.programme_models.values())
    report = DryRunReport()
    report.programmes = compare(
        _bundle(programmes=existing.programmes),
        _bundle(programmes=programmes),
        rules,
    ).programmes
    old_students: dict[str, list[Student]] = {}
    for student in existing.students:
        old_students.setdefault(shard_key(student.id), []).append(student)
    new_students: dict[str, list[Student]] = {}
    for student in writer.student_models.values():
        new_students.setdefault(shard_key(student.id), []).append(student)
    old_apps: dict[str, list[Any]] = {}
    for spec in existing.applications:
        old_apps.setdefault(shard_key(spec.application.student_id), []).append(spec)
    new_apps: dict[str, list[Any]] = {}
    for spec in writer.applications:
        new_apps.setdefault(shard_key(spec.application.student_id), []).append(spec)
    # Only what the import changes is compared (work in proportion to the students that
    # changed): a student or transcript given again as stored changes nothing, unless
    # the import also gives that student's applications (their spent credits).
    with_apps = {spec.application.student_id for spec in writer.applications}
    stored_students = {s.id: s for s in existing.students}
    for shard, found in list(new_students.items()):
        new_students[shard] = [
            s for s in found if s.id in with_apps or stored_students.get(s.id) != s
        ]
    old_programmes = {(p.major, p.grade_year): p for p in existing.programmes}
    changed_programmes = {
        (p.major, p.grade_year)
        for p in programmes
        if old_programmes.get((p.major, p.grade_year)) != p
    }
    order = {s.id: i for i, s in enumerate(writer.student_models.values())}
    transcript_order: dict[str, int] = writer.transcript_order
    touched = {
        shard
        for shard, found in old_students.items()
        if any((s.major, s.grade_year) in changed_programmes for s in found)
    }
    for shard, payloads in writer.shard_transcripts(touched | set(new_students) | set(new_apps)):
        data = read_file(store.root / "bulk" / "students" / f"{shard}.json") or {}
        stored = {
            d.get("student_id"): d
            for d in data.get("transcripts", {}).values()
            if isinstance(d, dict)
        }
        new_transcripts = [
            Transcript.model_validate_json(p)
            for p in payloads
            if (sid := _student_of(p)) in with_apps
            or (held := stored.get(sid)) is None
            or (_differs(held, p) and _in_order(held) != _in_order(orjson.loads(p)))
        ]
        wanted = {s.id for s in new_students.get(shard, [])} | {
            t.student_id for t in new_transcripts
        }
        wanted |= {
            s.id
            for s in old_students.get(shard, [])
            if (s.major, s.grade_year) in changed_programmes
        }
        if not wanted:
            continue
        old_transcripts = [
            Transcript.model_validate(d) for sid, d in stored.items() if sid in wanted
        ]
        part = compare(
            _bundle(
                programmes=existing.programmes,
                students=old_students.get(shard, []),
                transcripts=old_transcripts,
                applications=old_apps.get(shard, []),
            ),
            _bundle(
                programmes=programmes,
                students=new_students.get(shard, []),
                transcripts=new_transcripts,
                applications=new_apps.get(shard, []),
            ),
            rules,
        )
        report.students_added += part.students_added
        report.students_changed += part.students_changed
        report.transcripts += part.transcripts
        report.becomes_exchangeable += part.becomes_exchangeable
        report.applications_affected += part.applications_affected
    # In the order one comparison of the whole import gives (file order; by 学号).
    report.students_added.sort(key=lambda s: order.get(s[0], 0))
    report.students_changed.sort(key=lambda s: order.get(s[0], 0))
    report.transcripts.sort(key=lambda c: transcript_order.get(c.student_id, 0))
    report.becomes_exchangeable.sort(key=lambda e: e[0])
    report.applications_affected.sort(key=lambda a: a[1])
    if writer.accounts:
        report.other["accounts"] = len(writer.accounts)
    if writer.applications:
        report.other["applications"] = len(writer.applications)
    return report


def _in_order(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored transcript with its records by course code and its certificates by id:
    the order a file lists them in changes nothing the comparison reports (records and
    certificates are matched by code and id, and what is offered does not depend on
    the order), so a transcript given again in another order is left out of it."""
    return {
        **doc,
        "records": sorted(doc.get("records", []), key=lambda r: str(r.get("code"))),
        "certificates": sorted(doc.get("certificates", []), key=lambda c: str(c.get("id"))),
    }


def _bundle(**given: Any) -> ImportBundle:
    """A bundle of documents already validated (the import's or the store's)."""
    fields: dict[str, Any] = {
        "programmes": [],
        "students": [],
        "transcripts": [],
        "accounts": [],
        "applications": [],
        "origins": {},
    }
    return ImportBundle.model_construct(**{**fields, **given})


def compare(old: ImportBundle, new: ImportBundle, rules: Rules) -> DryRunReport:
    """What writing ``new`` over ``old`` (the store's documents) changes."""
    report = DryRunReport()
    old_students = {s.id: s for s in old.students}
    old_transcripts = {t.student_id: t for t in old.transcripts}
    old_programmes = {(p.major, p.grade_year): p for p in old.programmes}
    new_programmes = dict(old_programmes)
    p_added = p_changed = 0
    for programme in new.programmes:
        key = (programme.major, programme.grade_year)
        if key not in old_programmes:
            p_added += 1
        elif old_programmes[key] != programme:
            p_changed += 1
        new_programmes[key] = programme
    report.programmes = (p_added, p_changed)
    students = dict(old_students)
    for student in new.students:
        before = old_students.get(student.id)
        if before is None:
            report.students_added.append((student.id, student.name))
        elif before != student:
            report.students_changed.append((student.id, student.name))
        students[student.id] = student
    transcripts = dict(old_transcripts)
    for transcript in new.transcripts:
        held = old_transcripts.get(transcript.student_id)
        transcripts[transcript.student_id] = transcript
        change = _transcript_change(held, transcript, students.get(transcript.student_id))
        if change is not None:
            report.transcripts.append(change)
    apps: dict[str, list[ExchangeApplication]] = {}
    for spec in old.applications:
        apps.setdefault(spec.application.student_id, []).append(spec.application)
    new_apps = {sid: list(found) for sid, found in apps.items()}
    for spec in new.applications:
        listed = new_apps.setdefault(spec.application.student_id, [])
        listed[:] = [a for a in listed if a.id != spec.application.id] + [spec.application]
    programme_changed = {key for key, p in new_programmes.items() if old_programmes.get(key) != p}
    affected = {s.id for s in new.students} | {t.student_id for t in new.transcripts}
    for sid, student in students.items():
        if (student.major, student.grade_year) in programme_changed:
            affected.add(sid)
    for sid in sorted(affected):
        whose = students.get(sid)
        if whose is None:
            continue
        offered_before = _offered(
            old_students.get(sid), old_programmes, old_transcripts.get(sid), apps.get(sid), rules
        )
        offered_after = _offered(
            whose, new_programmes, transcripts.get(sid), new_apps.get(sid), rules
        )
        for code, name in offered_after.items():
            if code not in offered_before:
                report.becomes_exchangeable.append((sid, code, name))
        old_t, new_t = old_transcripts.get(sid), transcripts.get(sid)
        if old_t is None or new_t is None or old_t == new_t:
            continue
        for app in apps.get(sid, []):
            if workflow.handed_in(app):
                what = _application_change(app, old_t, new_t)
                if what:
                    report.applications_affected.append((app.id, sid, app.status.value, what))
    if new.accounts:
        report.other["accounts"] = len(new.accounts)
    if new.applications:
        report.other["applications"] = len(new.applications)
    return report


def _offered(
    student: Student | None,
    programmes: dict[tuple[str, int], Programme],
    transcript: Transcript | None,
    apps: list[ExchangeApplication] | None,
    rules: Rules,
) -> dict[str, str]:
    """Course code to name of what the application page offers (the verdicts `credx
    check` prints, R1, R9)."""
    if student is None or transcript is None:
        return {}
    dossier = Dossier(
        student=student,
        programme=programmes.get((student.major, student.grade_year)),
        transcript=transcript,
        applications=apps or [],
    )
    return {v.code: v.course for v in eligibility.exchangeable_verdicts(dossier, rules)}


def _describe(record: CourseRecord) -> str:
    kinds = "、".join(f"{a.kind.value} {a.result}" for a in record.attempts)
    return f"{record.code} {record.name} ({kinds})"


def _transcript_change(
    before: Transcript | None, after: Transcript, student: Student | None
) -> StudentChange | None:
    change = StudentChange(after.student_id, student.name if student else "")
    old_records = {r.code: r for r in before.records} if before else {}
    for record in after.records:
        old = old_records.get(record.code)
        if old is None:
            change.records_added.append(_describe(record))
            change.sittings_of_new_records += len(record.attempts)
        elif old != record:
            change.records_changed.append(_describe(record))
            change.sittings_added.extend(
                f"{record.code} {record.name} {a.kind.value} {a.result} {a.term.label.zh}"
                for a in record.attempts
                if a not in old.attempts
            )
    if before is not None and before.certificates != after.certificates:
        change.certificates = [c.id for c in after.certificates if c not in before.certificates]
    if not (change.records_added or change.records_changed or change.certificates):
        return None
    return change


def _application_change(
    app: ExchangeApplication, old: Transcript, new: Transcript
) -> list[tuple[str, str]]:
    """Which of the application's target and sources the import changes."""
    changed: list[tuple[str, str]] = []
    if old.record(app.target) != new.record(app.target):
        changed.append(("target", app.target))
    for source in app.sources:
        found_old: CourseRecord | CreditCertificate | None
        found_new: CourseRecord | CreditCertificate | None
        if source.kind in (SourceKind.COMPETITION, SourceKind.AWARD):
            found_old, found_new = old.certificate(source.ref), new.certificate(source.ref)
        else:
            found_old, found_new = old.record(source.ref), new.record(source.ref)
        if found_old != found_new:
            changed.append(("source", source.ref))
    return changed
