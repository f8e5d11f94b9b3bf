"""``credx verify``: prove that a store folder is sound, or name every problem.

Parsing each file is not enough: a document that is a string, a non-numeric document
id or one invalid field once passed as sound and then crashed every reader.  So this
walks the whole folder and checks, without following links or opening anything that is
not a regular file (a FIFO would hang it):

- every entry: a regular file or a folder (no symbolic link, FIFO, device, socket), of
  the owner of the store folder, with no permission bits beyond those credx writes;
- every data file: parses, schema not newer, every document valid against the models the
  readers use, in the file where it belongs (its shard, its college's hot file);
- every cross-reference: application -> student (same college), target and sources ->
  the student's transcript, attachments -> files whose SHA-256 matches, ids unique across
  the store, no source spent by two live applications, events -> applications (or their
  deletion), step within the review chain, accounts -> students;
- stray temporary files of interrupted writes; ``repair=True`` removes those, and only
  those that are provably garbage (old, and their writer process is gone);
- each college's application index (``index/<college key>.json``, issue 13) against its
  hot files, and the queue rows of each hot file (``queue/<college key>/<b>.json``):
  derived data, so a stale or damaged one is reported with the stray files (readers
  already fall back to a scan) and ``repair=True`` rebuilds it.

Other parts of credx add checks by appending to :data:`EXTRA_CHECKS` (an unfinished
import's journal, for one).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import stat
import time
from collections import defaultdict
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from credx_tui.store import files
from credx_tui.store.files import StoreError, decode, kind_of, read_regular
from credx_tui.store.schema import document_problems, tables_for
from credx_tui.store.staging import JOURNAL, STAGING, recover
from policy.models import (
    LIVE_STATUSES,
    Account,
    ExchangeApplication,
    ReviewAction,
    ReviewEvent,
    Role,
    Student,
    Transcript,
)
from policy.validation import first_error

TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")
"""The name :func:`credx_tui.store.files.atomic_write_bytes` gives a temporary file."""

TEMP_GARBAGE_AGE = 15 * 60
"""Seconds after which a temporary file whose writer is gone is provably garbage (a
write takes milliseconds; a live writer's file is never removed)."""

EXTRA_CHECKS: list[Callable[[Path], list[str]]] = []
"""More checks over a store folder, each returning problems as sentences naming the file
(for example an unfinished import; registered by the module that owns it)."""


@dataclass
class VerifyReport:
    """What verify found: ``damage`` (the store is not sound), ``garbage`` (stray
    temporary files, harmless but reported) and what ``repair`` removed."""

    damage: list[str] = field(default_factory=list)
    garbage: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the reader should know but is not a fault (an import under way)."""

    @property
    def sound(self) -> bool:
        """No damage and no garbage left."""
        return not self.damage and not self.garbage


def _expected_modes() -> tuple[int, int, int]:
    """Permission bits credx gives files, lock files and folders (the store's own
    constants, so verify follows whatever the writers do)."""
    return files.FILE_MODE, files.FILE_MODE, files.DIR_MODE


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Walk:
    def __init__(self, root: Path, rules: Any, repair: bool) -> None:
        self.root = root
        self.rules = rules
        self.repair = repair
        self.report = VerifyReport()
        self.owner = os.lstat(root).st_uid
        self.data: dict[Path, dict[str, dict[str, Any]]] = {}
        self.attachments: dict[str, Path] = {}
        self.indexes: list[Path] = []
        self.rows: list[Path] = []

    def damage(self, text: str) -> None:
        self.report.damage.append(text)

    # -- the folder -------------------------------------------------------------------

    def walk(self) -> None:
        file_mode, lock_mode, dir_mode = _expected_modes()
        self._check_entry(self.root, os.lstat(self.root), dir_mode)
        for folder, dirs, names in os.walk(self.root, followlinks=False):
            base = Path(folder)
            if base == self.root and (STAGING in dirs or JOURNAL in names):
                # an import's staged files and journal: its state is reported, its
                # files are not store files (issue 12, item 3)
                self._import_state()
                dirs[:] = [d for d in dirs if d != STAGING]
                names = [n for n in names if n != JOURNAL]
            for name in sorted(dirs + names):
                path = base / name
                try:
                    st = os.lstat(path)
                except FileNotFoundError:
                    continue  # removed meanwhile by a writer (a temp file renamed)
                if stat.S_ISDIR(st.st_mode):
                    self._check_entry(path, st, dir_mode)
                    self._known_folder(path, st)
                    continue
                if not stat.S_ISREG(st.st_mode):
                    self.damage(
                        f"{path}: is {kind_of(st.st_mode)}, not a regular file; credx never "
                        "reads it (remove it, restore the file from a backup)"
                    )
                    continue
                expected = lock_mode if path.suffix == ".lock" else file_mode
                if not TEMP_NAME.match(path.name):  # a stray temp is reported as such
                    self._check_entry(path, st, expected)
                self._classify(path, st)

    def _import_state(self) -> None:
        """An import under way (it holds the bulk lock): a note, the store is checked as
        it was before it.  Staged files or a journal nobody holds: an import that was
        interrupted; ``repair`` finishes it (journal) or removes it (no journal), as
        :func:`~credx_tui.store.staging.recover` does whenever the store is opened."""
        staging, journal = self.root / STAGING, self.root / JOURNAL
        if _bulk_lock_held(self.root):
            self.report.notes.append(
                f"{staging}: an import is in progress (it holds the store's bulk lock); "
                "its staged files are not checked, the store is checked as it was before "
                "it; run credx verify again when the import has finished"
            )
            return
        if self.repair:
            try:
                done = recover(self.root)
            except StoreError as exc:
                self.damage(str(exc))
                return
            if done:
                self.report.repaired.append(f"{staging}: {done}")
                return
        what = (
            f"it was decided ({journal} is there) but not all its files were put in place"
            if journal.exists()
            else "it stopped before it was decided; the store is as it was before it"
        )
        self.damage(
            f"{staging}: an import was interrupted ({what}); run `credx verify --repair` "
            "to finish it (or to remove its staged files)"
        )

    def _known_folder(self, path: Path, st: os.stat_result) -> None:
        rel = path.relative_to(self.root).parts
        known = (
            rel
            in (
                ("bulk",),
                ("bulk", "students"),
                ("accounts",),
                ("hot",),
                ("index",),
                ("queue",),
                ("attachments",),
                ("audit",),
            )
            or rel == ("locks",)
            or (
                len(rel) == 2
                and rel[0] in ("hot", "queue")
                and re.fullmatch(r"[0-9a-f]{16}", rel[1])
            )
            or (len(rel) == 2 and rel[0] == "attachments" and re.fullmatch(r"[0-9a-f]{2}", rel[1]))
        )
        if path.suffix == ".json":
            self.damage(
                f"{path}: is {kind_of(st.st_mode)}, not a regular file; credx never reads it "
                "(remove it, restore the file from a backup)"
            )
        elif not known:
            self.damage(f"{path}: a folder credx does not know (not part of a store)")

    def _audit(self, path: Path) -> None:
        """Every line of the audit log of admin changes is one valid event (issue 16:
        the log moves with ``credx migrate``, and both sides prove it)."""
        from credx_tui.store.admin import AuditEvent

        try:
            raw = path.read_bytes()
        except OSError as exc:
            self.damage(f"{path}: cannot read it: {exc.strerror}")
            return
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                AuditEvent.model_validate(orjson.loads(line))
            except orjson.JSONDecodeError:
                self.damage(f"{path}: line {number} is not JSON; restore it from a backup")
            except ValidationError as exc:
                first, _ = first_error(exc)
                self.damage(f"{path}: line {number} (AuditEvent) {first.invalid()}")

    def _check_entry(self, path: Path, st: os.stat_result, allowed: int) -> None:
        if st.st_uid != self.owner:
            self.damage(
                f"{path}: owned by uid {st.st_uid}, not by the store folder's owner "
                f"(uid {self.owner})"
            )
        extra = stat.S_IMODE(st.st_mode) & ~allowed
        if extra:
            self.damage(
                f"{path}: mode {stat.S_IMODE(st.st_mode):04o}, open to other accounts: "
                f"chmod {allowed:o} {path}"
            )

    def _classify(self, path: Path, st: os.stat_result) -> None:
        rel = path.relative_to(self.root).parts
        temp = TEMP_NAME.match(path.name)
        if temp:
            self._temp(path, st, int(temp["pid"]))
            return
        if rel[0] == "locks":
            return
        if rel == ("audit", "admin.jsonl"):
            self._audit(path)
            return
        if rel == ("rules.json",):
            return  # the stored rules: read and checked by store.admin
        if rel[0] == "attachments":
            self.attachments[path.name] = path
            return
        if len(rel) == 2 and rel[0] == "index" and re.fullmatch(r"[0-9a-f]{16}\.json", rel[1]):
            self.indexes.append(path)
            return
        if len(rel) == 3 and rel[0] == "queue" and re.fullmatch(r"[0-9a-f]\.json", rel[2]):
            self.rows.append(path)
            return
        if path.suffix != ".json":
            self.damage(f"{path}: a file credx does not know (not part of a store)")
            return
        self._data_file(path)

    def _temp(self, path: Path, st: os.stat_result, pid: int) -> None:
        age = time.time() - st.st_mtime
        garbage = age > TEMP_GARBAGE_AGE and not _pid_alive(pid)
        if garbage and self.repair:
            try:
                path.unlink()
            except OSError as exc:
                self.report.garbage.append(f"{path}: could not remove it: {exc.strerror}")
            else:
                self.report.repaired.append(
                    f"removed {path} (temporary file of an interrupted write, "
                    f"{int(age // 60)} minutes old, process {pid} gone)"
                )
            return
        why = (
            "provably garbage: `credx verify --repair` removes it"
            if garbage
            else "its write may still be under way (new, or its process is running); left alone"
        )
        self.report.garbage.append(f"{path}: stray temporary file of an interrupted write ({why})")

    def _data_file(self, path: Path) -> None:
        try:
            _, raw = read_regular(path)
            data = decode(path, raw)
        except (StoreError, FileNotFoundError) as exc:
            self.damage(str(exc))
            return
        if path == self.root / "credx-store.json":
            meta = data.get("store", {}).get("1")
            if not isinstance(meta, dict) or meta.get("format") != "credx":
                self.damage(f"{path}: not a credx store marker file")
            return
        tables = tables_for(self.root, path)
        if tables is None:
            self.damage(f"{path}: a data file credx does not know (wrong place or name)")
            return
        problems = document_problems(path, data, tables)
        self.report.damage.extend(problems)
        self.data[path] = data

    # -- documents and references -----------------------------------------------------

    def _models(self, path: Path, table: str, cls: type[BaseModel]) -> list[Any]:
        out: list[Any] = []
        for doc in self.data.get(path, {}).get(table, {}).values():
            with contextlib.suppress(ValidationError):  # reported by document_problems
                out.append(cls.model_validate(doc))
        return out

    def references(self) -> None:
        from credx_tui.store.layout import college_key, hot_bucket, shard_key
        from credx_tui.store.schema import UploadRecord

        paths = sorted(self.data)
        students: dict[str, Student] = {}
        transcripts: dict[str, Transcript] = {}
        for path in paths:
            for s in self._models(path, "students", Student):
                if path.name != f"{shard_key(s.id)}.json":
                    self.damage(f"{path}: student {s.id} is in the wrong shard")
                if s.id in students:
                    self.damage(f"{path}: student {s.id} is stored twice")
                students[s.id] = s
            for t in self._models(path, "transcripts", Transcript):
                transcripts[t.student_id] = t
        for sid in sorted(set(transcripts) - set(students)):
            self.damage(f"transcript of {sid}: no such student")
        apps: dict[str, tuple[Path, ExchangeApplication]] = {}
        events: list[tuple[Path, ReviewEvent]] = []
        uploads: list[tuple[Path, Any]] = []
        for path in paths:
            if path.relative_to(self.root).parts[0] != "hot":
                continue
            names = [d.get("name") for d in self.data[path].get("college", {}).values()]
            for name in names:
                if isinstance(name, str) and college_key(name) != path.parent.name:
                    self.damage(f"{path}: names college {name!r}, whose files live elsewhere")
            for app in self._models(path, "applications", ExchangeApplication):
                if app.id in apps:
                    self.damage(
                        f"{path}: application id {app.id} is used twice (also in "
                        f"{apps[app.id][0]}); ids are unique across the store"
                    )
                apps[app.id] = (path, app)
                expected = Path(self.root) / "hot" / college_key(app.college)
                if path != expected / f"{hot_bucket(app.student_id)}.json":
                    self.damage(f"{path}: application {app.id} is in the wrong hot file")
            events.extend((path, e) for e in self._models(path, "events", ReviewEvent))
            uploads.extend((path, u) for u in self._models(path, "uploads", UploadRecord))
        steps = len(self.rules.review_steps) if self.rules is not None else None
        for _, (path, app) in sorted(apps.items()):
            self._application(path, app, students, transcripts, steps)
        self._spent_once([a for _, a in apps.values()], {a.id: p for p, a in apps.values()})
        deleted = {e.application_id for _, e in events if e.action == ReviewAction.DELETE}
        seen_events: dict[str, Path] = {}
        for path, event in events:
            if event.id in seen_events:
                self.damage(f"{path}: review event id {event.id} is used twice")
            seen_events[event.id] = path
            if event.application_id not in apps and event.application_id not in deleted:
                self.damage(
                    f"{path}: review event {event.id} is of application {event.application_id}, "
                    "which does not exist and was never deleted"
                )
        for path, upload in uploads:
            if upload.sha256 not in self.attachments:
                self.damage(f"{path}: upload {upload.sha256[:12]} has no attachment file")
        for path in paths:
            if path.relative_to(self.root).parts[0] != "accounts":
                continue
            for account in self._models(path, "accounts", Account):
                self._account(path, account, students)
        for digest, path in sorted(self.attachments.items()):
            self._attachment(path, digest)
        for path in self.indexes:
            self._index(path)
        for path in self.rows:
            self._rows(path)

    def _rows(self, path: Path) -> None:
        """The queue rows of a hot file (derived, like the index): stale ones reported
        with the stray files and rebuilt by ``repair``."""
        from credx_tui.store.queue import repair_rows, stale_rows

        what = stale_rows(self.root, path)
        if what is None:
            return
        if self.repair:
            try:
                repair_rows(self.root, path)
            except (OSError, StoreError) as exc:
                self.report.garbage.append(f"{path}: could not rebuild the queue rows: {exc}")
            else:
                self.report.repaired.append(f"rebuilt {path} (the queue rows were {what})")
            return
        self.report.garbage.append(
            f"{path}: the queue rows are {what}; the queue rebuilds them when it reads "
            "them, `credx verify --repair` now"
        )

    def _index(self, path: Path) -> None:
        """An application index must name exactly the applications of its college's hot
        files; else it is stale (rebuilt with ``repair``)."""
        from credx_tui.store.layout import app_ids, index_document, index_entries

        key = path.stem
        expected: dict[str, str] = {}
        college: str | None = None
        for hot, data in sorted(self.data.items()):
            if hot.parent != self.root / "hot" / key:
                continue
            expected.update(app_ids(data))
            for doc in data.get("college", {}).values():
                if isinstance(doc, dict) and isinstance(doc.get("name"), str):
                    college = doc["name"]
        try:
            _, raw = read_regular(path)
            entries = index_entries(decode(path, raw))
        except FileNotFoundError:
            return
        except StoreError:
            entries = None
        if entries == expected:
            return
        what = "damaged" if entries is None else "stale (it does not match the hot files)"
        if self.repair:
            try:
                with files.locked(self.root / "locks" / f"index-{key}.lock"):
                    files.atomic_write_bytes(path, files.encode(index_document(college, expected)))
            except StoreError as exc:
                self.report.garbage.append(f"{path}: could not rebuild the index: {exc}")
            else:
                self.report.repaired.append(f"rebuilt {path} (the application index was {what})")
            return
        self.report.garbage.append(
            f"{path}: the application index is {what}; readers fall back to a scan, "
            "`credx verify --repair` rebuilds it"
        )

    def _application(
        self,
        path: Path,
        app: ExchangeApplication,
        students: dict[str, Student],
        transcripts: dict[str, Transcript],
        steps: int | None,
    ) -> None:
        where = f"{path}: application {app.id}"
        for problem in application_damage(
            where, app, students, transcripts, self.attachments, steps
        ):
            self.damage(problem)

    def _spent_once(self, apps: list[ExchangeApplication], where: dict[str, Path]) -> None:
        holders: dict[tuple[str, str], list[str]] = defaultdict(list)
        for app in apps:
            if app.status in LIVE_STATUSES:
                for src in app.sources:
                    holders[(app.student_id, src.ref)].append(app.id)
        for (sid, ref), ids in sorted(holders.items()):
            if len(ids) > 1:
                self.damage(
                    f"{where[ids[0]]}: source {ref} of student {sid} is spent by "
                    f"{len(ids)} live applications ({', '.join(sorted(ids))})"
                )

    def _account(self, path: Path, account: Account, students: dict[str, Student]) -> None:
        from credx_tui.passwords import hash_problem
        from credx_tui.store.layout import shard_key

        shard = self.root / "bulk" / "students" / f"{shard_key(account.username)}.json"
        unreadable = os.path.lexists(shard) and shard not in self.data  # reported already
        if account.role == Role.STUDENT and account.username not in students and not unreadable:
            self.damage(f"{path}: student account {account.username}: no such student")
        found = hash_problem(account.password_hash)
        if found is not None:
            self.damage(f"{path}: account {account.username}: password_hash {found}")

    def _attachment(self, path: Path, digest: str) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or path.parent.name != digest[:2]:
            self.damage(f"{path}: not an attachment name (a SHA-256 in its two-letter folder)")
            return
        sha = hashlib.sha256()
        try:
            fd = os.open(path, files.READ_FLAGS)
        except OSError as exc:
            self.damage(f"{path}: cannot read the attachment: {exc.strerror}")
            return
        try:
            while chunk := os.read(fd, 1 << 20):
                sha.update(chunk)
        finally:
            os.close(fd)
        if sha.hexdigest() != digest:
            self.damage(f"{path}: the attachment does not match its SHA-256 (damaged)")


def _bulk_lock_held(root: Path) -> bool:
    """Whether another process holds the store's bulk lock (an import under way); the
    lock file is only opened for reading, never created (verify reads only)."""
    try:
        fd = os.open(root / "locks" / "bulk.lock", os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def verify_store(root: Path | str, rules: Any = None, *, repair: bool = False) -> VerifyReport:
    """Check the store folder ``root`` as the module docstring says; ``rules`` (the
    college's :class:`~policy.rules.Rules`) adds the checks that need the review chain.
    Reads only: with ``repair``, removes provably-garbage temporary files and nothing
    else."""
    root = Path(root)
    walk = _Walk(root, rules, repair)
    marker = root / "credx-store.json"
    if not os.path.lexists(marker):
        walk.damage(f"{marker}: missing; this is not a credx store")
        return walk.report
    walk.walk()
    walk.references()
    for check in EXTRA_CHECKS:
        walk.report.damage.extend(check(root))
    return walk.report


def application_damage(
    where: str,
    app: ExchangeApplication,
    students: dict[str, Student],
    transcripts: dict[str, Transcript],
    attachments: Container[str],
    steps: int | None,
) -> list[str]:
    """What is wrong with one stored application against the students, transcripts,
    attachments (by SHA-256) and review chain the store holds: the one check both
    stores' ``verify`` make (the folder's and PostgreSQL's)."""
    damage: list[str] = []
    student = students.get(app.student_id)
    if student is None:
        damage.append(f"{where}: no student {app.student_id}")
    elif student.college != app.college:
        damage.append(
            f"{where}: college {app.college!r} is not the college of student "
            f"{student.id} ({student.college!r})"
        )
    if steps is not None and app.step >= steps:
        damage.append(f"{where}: step {app.step} does not exist (the chain has {steps})")
    if app.updated_at < app.created_at:
        damage.append(f"{where}: updated_at is earlier than created_at")
    transcript = transcripts.get(app.student_id)
    if transcript is None:
        if student is not None:
            damage.append(f"{where}: student {app.student_id} has no transcript")
    else:
        if transcript.record(app.target) is None:
            damage.append(f"{where}: target {app.target} is not on the transcript")
        certs = {c.id for c in transcript.certificates}
        for src in app.sources:
            if transcript.record(src.ref) is None and src.ref not in certs:
                damage.append(f"{where}: source {src.ref} is not on the transcript")
    for att in app.attachments:
        if att.sha256 not in attachments:
            damage.append(f"{where}: attachment {att.filename} ({att.sha256[:12]}) is missing")
    return damage
