"""A whole college into the store, fast and small (issue 12, item 5).

The import of :mod:`credx_tui.services.loading` once held every document of every file
as a model, then wrote the store with one TinyDB upsert per document and two ``fsync``
per shard: 5 minutes and 5.2 GB for 20,000 students.  Here the same checks run in a
shape that streams:

- **each file is read once, one at a time**, and let go as it is read.  Every document
  is validated as it comes; a transcript is then set aside at once in its stored form
  (a spill file in the staging folder), so memory holds one file, never the college.
  Spreadsheets go the same way: the converter hands on each transcript as it builds it,
  and the stored transcripts a 成绩 sheet merges into are read shard by shard.
- **the checks between documents** run once everything is read: transcripts are read
  back from the spill (their stored form is enough, no second validation), and only the
  course records the import's applications name are kept for the applications' checks
  and summaries.
- **the checks are the importer's own** (:mod:`credx_tui.importing`: ``read_document``,
  ``_validate``, ``_CrossCheck``), so every message is the one a small import gives; problems are
  collected over both passes and reported all at once, in the same order.
- **each shard is written once**: its new students and transcripts are merged into the
  file as it is on disk (documents kept as they are are checked with the readers'
  models first, as every writer does), dumped with orjson once, and staged;
  :class:`~credx_tui.store.staging.StagedFiles` then puts every staged file in place
  under a journal, so a refused import writes nothing and a crash leaves the old store
  or the new one.

The bulk lock is held from the first read of the store to the last rename: nothing
another import writes can slip between the checks and the write.
"""

from __future__ import annotations

import contextlib
import gc
import re
import resource
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, ValidationError

from credx_tui.importing import (
    _KEY_FIELD,
    AccountSpec,
    ApplicationSpec,
    ImportBundle,
    ImportFailed,
    ImportProblem,
    _CrossCheck,
    _decode,
    _Doc,
    _documents,
    _expand,
    _parses_as_result,
    _raw_key,
    _read,
    _validate,
    read_document,
)
from credx_tui.services.rows import summarise
from credx_tui.store import Store
from credx_tui.store.files import (
    StoreError,
    TinyData,
    decode,
    encode_checked,
    locked,
    make_dirs,
    read_file,
    read_regular,
    written_checked,
)
from credx_tui.store.schema import (
    ACCOUNT_TABLES,
    HOT_TABLES,
    PROGRAMME_TABLES,
    STUDENT_TABLES,
    check_before_write,
    document_problems,
)
from credx_tui.store.staging import StagedFiles
from credx_tui.store.store import hot_bucket, shard_key
from policy.dossier import Dossier
from policy.fingerprint import (
    SUBMITTED,
    TranscriptFingerprint,
    fingerprint,
    for_import,
    marked,
    stored_transcript_digest,
    transcript_digest,
)
from policy.models import (
    Account,
    Attempt,
    Category,
    CourseRecord,
    CreditCertificate,
    ExchangeApplication,
    LevelExam,
    Programme,
    ProgrammeCourse,
    SourceKind,
    Student,
    Term,
    Transcript,
)
from policy.rules import Rules

if TYPE_CHECKING:
    from credx_tui.sheets import Mapping, SheetDocument

SPILL_BYTES = 4 << 20
"""Transcripts held in memory before they are appended to the spill file (4 MB: at 16
the buffer alone was a tenth of a 2,000-student import's peak, for no measurable gain)."""


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


class TranscriptFacts:
    """The part of a transcript the checks of applications and their summaries read:
    the course records and certificates the import's applications name (a stand-in
    for :class:`Transcript` with its ``record`` and ``certificates``)."""

    __slots__ = ("certificates", "records")

    def __init__(self, transcript: Transcript, wanted: set[str]) -> None:
        self.records: dict[str, CourseRecord] = {}
        for record in transcript.records:
            if record.code in wanted:
                self.records.setdefault(record.code, record)
        self.certificates: list[CreditCertificate] = [
            c for c in transcript.certificates if c.id in wanted
        ]

    @classmethod
    def light(cls, transcript: Transcript, wanted: frozenset[str]) -> TranscriptFacts:
        """The facts of ``transcript`` as plain records (:class:`_Record`, what the
        checks read of them), holding none of its models."""
        facts = cls.__new__(cls)
        facts.records = {}
        for record in transcript.records:
            if record.code in wanted and record.code not in facts.records:
                facts.records[record.code] = _Record.of(record)  # type: ignore[assignment]
        facts.certificates = [c for c in transcript.certificates if c.id in wanted]
        return facts

    def record(self, code: str) -> CourseRecord | None:
        """The record of course ``code`` (only the codes that were wanted)."""
        return self.records.get(code)


_NO_FACTS = TranscriptFacts.__new__(TranscriptFacts)
_NO_FACTS.records = {}
_NO_FACTS.certificates = []
"""The facts of a transcript no application names (shared: nothing changes them)."""

EARLY = True
"""Whether transcripts are checked from what was taken of them as they were read
(:meth:`_StreamedImport._early`); False reads every one back, the slower way a test
compares it with."""


class _Early:
    """What was taken of one transcript as it was read (see ``_StreamedImport._early``)."""

    __slots__ = ("facts", "prints", "records", "student_id", "wanted")

    def __init__(self, student_id: str) -> None:
        self.student_id = student_id
        self.records: tuple[tuple[str, Category, float], ...] | None = None
        """(code, category, credits) of each record; None: check it whole."""
        self.wanted: frozenset[str] | None = None
        """The codes its facts were taken for (None: not its student's first transcript)."""
        self.facts: TranscriptFacts = _NO_FACTS
        self.prints: dict[str, tuple[ExchangeApplication, bytes]] = {}
        """Per application id, the fingerprint taken of this transcript (its JSON)."""


_STORED_MODELS = (Transcript, CourseRecord, Attempt, Term, LevelExam, CreditCertificate)
_STORED_TYPES = frozenset(_STORED_MODELS)


def _plain_fields(model: type[BaseModel]) -> bool:
    """Whether ``model`` dumps as its fields in order, each under its own name: no
    alias, excluded field, computed field or custom serializer."""
    decorators = model.__pydantic_decorators__
    return (
        not model.model_computed_fields
        and not decorators.field_serializers
        and not decorators.model_serializers
        and all(
            f.alias is None and f.serialization_alias is None and not f.exclude
            for f in model.model_fields.values()
        )
    )


def _fields(value: Any) -> dict[str, Any]:
    if type(value) in _STORED_TYPES or isinstance(value, _STORED_MODELS):
        return value.__dict__
    raise TypeError(f"{type(value).__name__} is not part of a transcript")


def stored_json(transcript: Transcript) -> bytes:
    """``transcript.model_dump_json()``, the bytes the store keeps, a third of the time:
    the models of a transcript hold their fields in declaration order, which is the
    order pydantic dumps them in, and orjson writes the same JSON for the strings,
    floats and enums they hold (a test compares the two over varied transcripts).
    Should a model of a transcript ever dump otherwise (:func:`_plain_fields`),
    pydantic's own dump is used."""
    if _FAST_DUMP:
        return orjson.dumps(transcript, default=_fields)
    return transcript.model_dump_json().encode()


_FAST_DUMP = all(_plain_fields(m) for m in _STORED_MODELS)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic collector for the import: the documents of a college are
    millions of small objects that stay alive until the end, and every full collection
    walked all of them again (the import of 20,000 students slowed down the more it
    had read).  Validated documents form no cycles worth collecting."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_STUDENT_ID = re.compile(rb'"student_id":"([^"]*)"')


def _student_of(payload: bytes) -> str:
    """The 学号 of a spilled transcript (its first field, as pydantic writes it)."""
    found = _STUDENT_ID.match(payload, 1)
    return found.group(1).decode() if found else orjson.loads(payload)["student_id"]


def _differs(stored: Any, new: dict[str, Any] | bytes) -> bool:
    """Whether a stored document differs from the one the import gives (the same
    bytes when it was written from an equal one; else compared as data)."""
    if isinstance(new, bytes):
        return orjson.dumps(stored) != new and stored != orjson.loads(new)
    return stored != new


class _StoredTranscripts:
    """Stored transcripts for a 成绩 sheet to merge into, read shard by shard (the
    converter asks in :meth:`order`, so each shard is parsed once) and validated as
    the store's readers validate them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._shard: str | None = None
        self._path: Path | None = None
        self._docs: dict[str, dict[str, Any]] = {}
        self._trusted = False

    @staticmethod
    def order(student_ids: list[str]) -> list[str]:
        """The 学号 by shard (stable: in their order within a shard)."""
        return sorted(student_ids, key=shard_key)

    def get(self, student_id: str, default: Any = None) -> Transcript | None:
        shard = shard_key(student_id)
        if shard != self._shard:
            self._path = self.store.student_path(student_id)
            data, self._trusted = _read_trusted(self._path)
            self._docs = {
                d.get("student_id", ""): d
                for d in data.get("transcripts", {}).values()
                if isinstance(d, dict)
            }
            self._shard = shard
        doc = self._docs.get(student_id)
        if doc is None:
            return default
        from credx_tui.store.store import _model

        assert self._path is not None
        if not self._trusted:
            _model(self._path, Transcript, doc)  # a damaged file is named, never merged
        return _CheckedDocument(doc)  # type: ignore[return-value]


class _CheckedDocument:
    """A stored document its model has just accepted, handed on as it is stored: the
    merge reads it as data (``model_dump``), and dumping the model again cost a tenth
    of a term update."""

    __slots__ = ("doc",)

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def model_dump(self, mode: str = "json") -> dict[str, Any]:
        return self.doc


_CATEGORIES = {c.value: c for c in Category}
_SOURCE_KINDS = {k.value: k for k in SourceKind}
"""By value: the stored form was validated, and the enum's call cost a tenth of the
read back of 800,000 records."""


class _Attempt:
    __slots__ = ("result",)

    def __init__(self, doc: dict[str, Any]) -> None:
        self.result: str = doc["result"]


class _Record:
    __slots__ = ("attempts", "category", "code", "credits", "name")

    def __init__(self, doc: dict[str, Any]) -> None:
        self.code: str = doc["code"]
        self.name: str = doc["name"]
        self.category = _CATEGORIES[doc["category"]]
        self.credits: float = doc["credits"]
        self.attempts = [_Attempt(a) for a in doc["attempts"]]

    @classmethod
    def of(cls, record: CourseRecord) -> _Record:
        """The plain record of a validated one."""
        plain = cls.__new__(cls)
        plain.code = record.code
        plain.name = record.name
        plain.category = record.category
        plain.credits = record.credits
        plain.attempts = [_Attempt({"result": a.result}) for a in record.attempts]
        return plain


class _Certificate:
    __slots__ = ("credits", "id", "kind", "title")

    def __init__(self, doc: dict[str, Any]) -> None:
        self.id: str = doc["id"]
        self.kind = _SOURCE_KINDS[doc["kind"]]
        self.title: str = doc["title"]
        self.credits: float = doc["credits"]


class StoredTranscript:
    """A transcript validated on the way in, read back from its stored form with only
    what the cross-checks read (codes, names, categories, credits, results,
    certificates): building the models a second time cost as much as the first."""

    __slots__ = ("certificates", "records", "student_id")

    def __init__(self, doc: dict[str, Any]) -> None:
        self.student_id: str = doc["student_id"]
        self.records = [_Record(r) for r in doc["records"]]
        self.certificates = [_Certificate(c) for c in doc["certificates"]]

    def record(self, code: str) -> _Record | None:
        """The record of course ``code``, if the student has one."""
        return next((r for r in self.records if r.code == code), None)


# --- the writer ------------------------------------------------------------------------


def _read_trusted(path: Path) -> tuple[TinyData, bool]:
    """A store file's data (empty when absent) and whether it is provably as a
    validating writer left it (:func:`~credx_tui.store.files.written_checked`): then
    the documents the import keeps need no second validation (a term update read every
    stored transcript of the college through its model once more)."""
    try:
        _, raw = read_regular(path)
    except FileNotFoundError:
        return {}, True
    data = decode(path, raw)
    if data is None:
        return {}, True
    return data, written_checked(raw, data)


def _table(data: TinyData, name: str) -> dict[str, Any]:
    return data.setdefault(name, {})


def _next_id(table: dict[str, Any]) -> int:
    return max((int(k) for k in table), default=0) + 1


def _raise_damaged(path: Path, problems: list[str]) -> None:
    if problems:
        more = (
            f" ({len(problems) - 1} more problem(s); run credx verify)" if len(problems) > 1 else ""
        )
        raise StoreError(problems[0] + "; nothing was written" + more)


def _raise_open_files(needed: int) -> None:
    """Hold ``needed`` more lock files at once: raise the soft limit if it is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        ceiling = want if hard == resource.RLIM_INFINITY else min(want, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


class CollegeWriter:
    """Collects validated documents of an import, then writes each file once.

    Students, programmes, accounts and applications are few and kept; transcripts
    arrive as their stored JSON and are spilled per shard into the staging folder.
    :meth:`write` merges each file with what is on disk, stages it and commits the lot
    (the caller holds the bulk lock)."""

    def __init__(self, store: Store, spill_dir: Path | None = None) -> None:
        self.store = store
        self.staged = StagedFiles(store.root)
        self.programmes: dict[tuple[str, int], dict[str, Any]] = {}
        self.programme_models: dict[tuple[str, int], Programme] = {}
        self.student_models: dict[str, Student] = {}
        self.transcript_ids: set[str] = set()
        self.transcript_order: dict[str, int] = {}
        """Each 学号 given a transcript, in the order they came (a dry run reports so)."""
        self.accounts: list[AccountSpec] = []
        self.applications: list[ApplicationSpec] = []
        self._pending: list[tuple[str, bytes]] = []
        self._pending_bytes = 0
        self._spilled: dict[str, list[tuple[int, int]]] = defaultdict(list)
        """Per shard, (offset, length) of its transcripts in the spill file."""
        self._arrivals: list[tuple[int, int]] = []
        """(offset, length) of every spilled transcript, in the order they came."""
        self._outside = spill_dir is not None
        self._spill_path = (
            spill_dir / "transcripts.spill"
            if spill_dir is not None  # a dry run: nothing inside the store
            else self.staged.folder.with_name(self.staged.folder.name + ".spill")
        )
        self._spill_end = 0
        self._reader: Any = None
        """The spill opened to read single transcripts back (:meth:`arrival`)."""
        self.fingerprints: dict[str, TranscriptFingerprint] = {}
        """Per application id, the transcript fingerprint a submitted application that
        arrives without one keeps (policy.fingerprint.for_import, issue 12)."""
        self.rewritten: dict[str, tuple[int, int]] = {}
        """Per 学号 whose transcript this import changes, where the new one is in the
        spill: their applications' ``changed`` marks are set against it."""
        self._fresh: set[str] = set()
        """Ids of applications fingerprinted by this import (nothing to mark)."""
        self._own: set[str] = set()
        """Ids of applications whose fingerprint the import file gives (marked against
        the transcript they meet)."""

    def programme(self, programme: Programme) -> None:
        """A 人才培养方案 to insert or replace."""
        self.programmes[(programme.major, programme.grade_year)] = programme.model_dump(mode="json")
        self.programme_models[(programme.major, programme.grade_year)] = programme

    def student(self, student: Student) -> None:
        """A student to insert or replace."""
        self.student_models[student.id] = student  # dumped shard by shard when written

    def transcript(self, student_id: str, payload: bytes) -> None:
        """A transcript in its stored form (``model_dump_json`` of a validated one)."""
        self.transcript_ids.add(student_id)
        self.transcript_order.setdefault(student_id, len(self.transcript_order))
        self._pending.append((shard_key(student_id), payload))
        self._pending_bytes += len(payload)
        if self._pending_bytes >= SPILL_BYTES:
            self._flush_spill()

    def _flush_spill(self) -> None:
        """Append the transcripts held in memory to the one spill file (one file, not
        one per shard: creating a file costs more here than writing a megabyte)."""
        if not self._pending:
            return
        make_dirs(self._spill_path.parent)
        with open(self._spill_path, "ab") as fh:
            for shard, payload in self._pending:
                fh.write(payload)
                place = (self._spill_end, len(payload))
                self._spilled[shard].append(place)
                self._arrivals.append(place)
                self._spill_end += len(payload)
        self._pending.clear()
        self._pending_bytes = 0

    def arrivals(self) -> Iterator[dict[str, Any]]:
        """Every transcript given so far, in the order they came, as stored."""
        self._flush_spill()
        if not self._arrivals:
            return
        with open(self._spill_path, "rb") as spill:
            for offset, length in self._arrivals:
                spill.seek(offset)
                yield orjson.loads(spill.read(length))

    def arrival(self, number: int) -> dict[str, Any]:
        """Transcript ``number`` (0: the first given), as stored."""
        self._flush_spill()
        offset, length = self._arrivals[number]
        if self._reader is None:
            self._reader = open(self._spill_path, "rb")  # noqa: SIM115 (closed by discard)
        self._reader.seek(offset)
        return orjson.loads(self._reader.read(length))

    def _shards(self) -> set[str]:
        return set(self._spilled) | {shard for shard, _ in self._pending}

    def _transcripts_of(self, shard: str, spill: Any) -> list[bytes]:
        payloads = []
        for offset, length in self._spilled.get(shard, []):
            spill.seek(offset)
            payloads.append(spill.read(length))
        payloads.extend(p for key, p in self._pending if key == shard)
        return payloads

    def shard_transcripts(
        self, more: set[str] | frozenset[str] = frozenset()
    ) -> Iterator[tuple[str, list[bytes]]]:
        """(shard, the transcripts given for it as stored) of every shard given
        transcripts and of ``more``, in shard order (a dry run compares them)."""
        self._flush_spill()
        spill = open(self._spill_path, "rb") if self._spilled else None  # noqa: SIM115
        try:
            for shard in sorted(self._shards() | more):
                yield shard, self._transcripts_of(shard, spill)
        finally:
            if spill is not None:
                spill.close()

    def discard(self) -> None:
        """Forget everything staged and spilled (nothing of the store was touched)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        with contextlib.suppress(FileNotFoundError):
            self._spill_path.unlink()
        if not self._outside:  # a dry run's spill is outside the store: nothing to tidy
            self.staged.discard()

    # -- writing ------------------------------------------------------------------------

    def write(self, summary_facts: Callable[[str], Any]) -> ImportReport:
        """Merge, stage and commit every file; ``summary_facts(student_id)`` gives the
        transcript (or its :class:`TranscriptFacts`) for applications' summaries."""
        report = ImportReport()
        try:
            self._programmes(report)
            self._student_shards(report)
            with contextlib.ExitStack() as locks:
                self._accounts(report, locks)
                self._hot_files(report, locks, summary_facts)
                self.staged.commit()
        except BaseException:
            self.discard()
            raise
        self.discard()  # the spill files
        self.store.cache.clear()
        return report

    def _programmes(self, report: ImportReport) -> None:
        if not self.programmes:
            return
        path = self.store.programmes_path
        data = read_file(path) or {}
        table = _table(data, "programmes")
        where = {(d.get("major"), d.get("grade_year")): k for k, d in table.items()}
        dirty = False
        for key, doc in self.programmes.items():
            old_id = where.get(key)
            changed = old_id is None or table[old_id] != doc
            report.count("programmes", changed)
            if changed:
                table[old_id or str(_next_id(table))] = doc
                dirty = True
        if dirty:
            check_before_write(path, data, PROGRAMME_TABLES)
            self.staged.put(path, encode_checked(data))

    def _student_shards(self, report: ImportReport) -> None:
        students_by_shard: dict[str, list[str]] = defaultdict(list)
        for sid in self.student_models:
            students_by_shard[shard_key(sid)].append(sid)
        shards = set(students_by_shard) | self._shards()
        self._flush_spill()  # every transcript at a place in the spill (self.rewritten)
        spill = open(self._spill_path, "rb") if self._spilled else None  # noqa: SIM115
        try:
            for shard in sorted(shards):
                self._student_shard(report, shard, students_by_shard.get(shard, []), spill)
        finally:
            if spill is not None:
                spill.close()

    def _student_shard(
        self, report: ImportReport, shard: str, student_ids: list[str], spill: Any
    ) -> None:
        path = self.store.root / "bulk" / "students" / f"{shard}.json"
        data, trusted = _read_trusted(path)
        dirty = False
        kept: TinyData = {}
        transcripts = [(p, _student_of(p)) for p in self._transcripts_of(shard, spill)]
        # The spill was flushed: one place per payload, in the same order.
        places = dict(
            zip((sid for _, sid in transcripts), self._spilled.get(shard, ()), strict=True)
        )
        for table_name, docs, key in (
            (
                "students",
                [(self.student_models[s].model_dump(mode="json"), s) for s in student_ids],
                "id",
            ),
            ("transcripts", transcripts, "student_id"),
        ):
            if not docs and table_name not in data:
                continue
            table = _table(data, table_name)
            where = {d.get(key): k for k, d in table.items() if isinstance(d, dict)}
            replaced: set[str] = set()
            for doc, sid in docs:
                old_id = where.get(sid)
                changed = old_id is None or _differs(table[old_id], doc)
                report.count(table_name, changed)
                if old_id is not None:
                    replaced.add(old_id)
                if changed:
                    new_id = old_id or str(_next_id(table))
                    # A transcript goes into the file as the bytes it was spilled as.
                    table[new_id] = orjson.Fragment(doc) if isinstance(doc, bytes) else doc
                    where[sid] = new_id
                    replaced.add(new_id)
                    dirty = True
                    if table_name == "transcripts":
                        self.rewritten[sid] = places[sid]
            kept[table_name] = {k: d for k, d in table.items() if k not in replaced}
        if dirty:
            # What the import did not give is written back as it is: checked with the
            # readers' models first (unless the file is as a validating writer left
            # it), so a damaged file is never rewritten.
            if not trusted:
                others = {t: d for t, d in data.items() if t not in STUDENT_TABLES}
                tables = _with_unknown(data, STUDENT_TABLES)
                _raise_damaged(path, document_problems(path, {**kept, **others}, tables))
            self.staged.put(path, encode_checked(data))

    def _accounts(self, report: ImportReport, locks: contextlib.ExitStack) -> None:
        by_path: dict[Path, list[AccountSpec]] = defaultdict(list)
        for spec in self.accounts:
            by_path[self.store.account_path(spec.username)].append(spec)
        _raise_open_files(len(by_path))
        for path in sorted(by_path):
            locks.enter_context(locked(self.store.root / "locks" / f"accounts-{path.stem}.lock"))
            data = read_file(path) or {}
            table = _table(data, "accounts")
            dirty = False
            for spec in by_path[path]:
                old_id = next(
                    (k for k, d in table.items() if d.get("username") == spec.username), None
                )
                current = None
                if old_id is not None:
                    from credx_tui.store.store import _model

                    current = _model(path, Account, dict(table[old_id]))
                account = spec.stored_over(current)
                changed = current != account
                report.count("accounts", changed)
                if changed:
                    table[old_id or str(_next_id(table))] = account.model_dump(mode="json")
                    dirty = True
            if dirty:
                check_before_write(path, data, ACCOUNT_TABLES)
                self.staged.put(path, encode_checked(data))

    def _hot_files(
        self,
        report: ImportReport,
        locks: contextlib.ExitStack,
        summary_facts: Callable[[str], Any],
    ) -> None:
        by_file: dict[tuple[str, str], list[ApplicationSpec]] = defaultdict(list)
        for spec in self.applications:
            app = spec.application
            by_file[(app.college, hot_bucket(app.student_id))].append(spec)
        for place in self._marked_files():
            by_file.setdefault(place, [])
        _raise_open_files(len(by_file))
        if by_file:
            # Imported ids are kept as they are; the numbering lock (taken before each
            # hot lock, as a student's save does) keeps a save in another terminal from
            # numbering an application with an id being imported now (issue 15).
            locks.enter_context(self.store.numbering(keeps_ids=True))
        spill = open(self._spill_path, "rb") if self.rewritten else None  # noqa: SIM115
        locks.callback(lambda: spill.close() if spill is not None else None)
        # Building an application's summary and fingerprint leaves reference cycles
        # (about 26 objects per application) that the paused collector never frees: 70
        # MB for 10,000.  What was read before is frozen out of the collector's sight,
        # so a young collection after each hot file costs only that file's objects.
        gc.freeze()
        locks.callback(gc.unfreeze)
        for (college, bucket), specs in sorted(by_file.items()):
            gc.collect(0)
            from credx_tui.store.store import college_key

            path = self.store.hot_dir(college) / f"{bucket}.json"
            locks.enter_context(
                locked(self.store.root / "locks" / f"hot-{college_key(college)}-{bucket}.lock")
            )
            data, trusted = _read_trusted(path)
            apps = _table(data, "applications")
            events = _table(data, "events")
            app_ids = {d.get("id"): k for k, d in apps.items()}
            event_ids: dict[str, set[str]] = defaultdict(set)
            for doc in events.values():
                event_ids[doc.get("application_id")].add(doc.get("id"))
            dirty = False
            written: dict[str, set[str]] = {"applications": set(), "events": set()}
            for spec in specs:
                old_id = app_ids.get(spec.application.id)
                app = self._with_fingerprint(spec.application, apps.get(old_id or ""))
                app = self._with_summary(app, summary_facts)
                doc = app.model_dump(mode="json")
                changed = old_id is None or apps[old_id] != doc
                report.count("applications", changed)
                if changed:
                    new_id = old_id or str(_next_id(apps))
                    apps[new_id] = doc
                    app_ids[app.id] = new_id
                    written["applications"].add(new_id)
                    dirty = True
                known = event_ids[app.id]
                next_event = _next_id(events)
                for event in spec.events:
                    new = event.id not in known
                    report.count("events", new)
                    if new:
                        events[str(next_event)] = event.model_dump(mode="json")
                        written["events"].add(str(next_event))
                        next_event += 1
                        dirty = True
            marked_now: set[str] = set()
            if self._mark(apps, written["applications"], spill, marked_now):
                dirty = True
            if dirty:
                names = _table(data, "college")
                if not any(d.get("name") == college for d in names.values()):
                    names[str(_next_id(names))] = {"name": college}
                # The import's own documents were validated as they were read; what
                # the file already held is checked as every writer checks it.
                # A file as a validating writer left it: only the marks set now.
                kept = (
                    {"applications": {k: apps[k] for k in marked_now}}
                    if trusted
                    else {
                        table: {k: d for k, d in docs.items() if k not in written.get(table, ())}
                        for table, docs in data.items()
                    }
                )
                tables = _with_unknown(data, HOT_TABLES)
                _raise_damaged(path, document_problems(path, kept, tables))
                self.staged.put(path, encode_checked(data))

    def _with_fingerprint(
        self, app: ExchangeApplication, stored: dict[str, Any] | None
    ) -> ExchangeApplication:
        """The fingerprint an imported application keeps: its own, else the stored
        one (an import never rewrites what was kept at submit), else the one taken of
        the transcript it arrives with (:func:`policy.fingerprint.for_import`)."""
        kept = (stored or {}).get("submitted_transcript")
        stored_app = None
        if kept is not None:
            stored_app = app.model_copy(
                update={"submitted_transcript": TranscriptFingerprint.model_validate(kept)}
            )

        def transcript() -> Transcript | None:
            return self.store.transcript(app.student_id)

        if app.submitted_transcript is not None:
            self._own.add(app.id)
        if app.id in self.fingerprints and kept is None and app.submitted_transcript is None:
            self._fresh.add(app.id)
            return app.model_copy(update={"submitted_transcript": self.fingerprints[app.id]})
        result = for_import(app, stored_app, transcript)
        if stored_app is None and app.submitted_transcript is None:
            self._fresh.add(app.id)  # None, or taken of the transcript as it is now
        return result

    # -- the queue's mark: the transcript changed after submission (issue 12) ----------

    def _marked_files(self) -> set[tuple[str, str]]:
        """(college, bucket) of every hot file that may hold an application of a
        student whose transcript this import changes (whatever college it was filed
        under): their ``changed`` marks are set or cleared with the new transcripts."""
        if not self.rewritten:
            return set()
        from credx_tui.store.store import college_key

        buckets = {hot_bucket(sid) for sid in self.rewritten}
        names = {college_key(c): c for c in self.store.colleges()}
        folder = self.store.root / "hot"
        found = set()
        for path in folder.glob("*/*.json") if folder.exists() else []:
            college = names.get(path.parent.name)
            if college is not None and path.stem in buckets:
                found.add((college, path.stem))
        return found

    def _mark(self, apps: dict[str, Any], written: set[str], spill: Any, touched: set[str]) -> bool:
        """Set or clear the ``changed`` mark of each application of a hot file whose
        student's transcript this import rewrites, or whose fingerprint the import
        file gave, against the transcript it will meet (policy.fingerprint.marked);
        True when a document changed.  The rest of the application is left as it is
        (no revision, no 更新时间: only the reviewer's queue reads the mark)."""
        digests: dict[str, str | None] = {}
        for key, doc in apps.items():
            kept = doc.get("submitted_transcript") if isinstance(doc, dict) else None
            if not isinstance(kept, dict) or doc.get("id") in self._fresh:
                continue
            sid = doc.get("student_id")
            own = key in written and doc.get("id") in self._own
            if not isinstance(sid, str) or (sid not in self.rewritten and not own):
                continue
            if sid not in digests:
                digests[sid] = self._digest_now(sid, spill)
            now = digests[sid]
            if now is None or not isinstance(kept.get("digest"), str):
                continue  # no transcript to compare with; a damaged one is named below
            fingerprint = TranscriptFingerprint.model_construct(
                digest=kept["digest"], changed=kept.get("changed") is True
            )
            if marked(fingerprint, now) is fingerprint:
                continue
            update = dict(kept)
            if fingerprint.changed:
                update.pop("changed", None)
            else:
                update["changed"] = True
            doc["submitted_transcript"] = update
            touched.add(key)
        return bool(touched)

    def _digest_now(self, student_id: str, spill: Any) -> str | None:
        """The digest of the transcript ``student_id`` has once this import is in."""
        place = self.rewritten.get(student_id)
        if place is not None and spill is not None:
            spill.seek(place[0])
            return stored_transcript_digest(orjson.loads(spill.read(place[1])))
        transcript = self.store.transcript(student_id)
        return None if transcript is None else transcript_digest(transcript)

    def _with_summary(
        self, app: ExchangeApplication, summary_facts: Callable[[str], Any]
    ) -> ExchangeApplication:
        """Give an imported application the display facts the reviewer's queue shows."""
        if app.summary is not None:
            return app
        student = self.student_models.get(app.student_id) or self.store.student(app.student_id)
        transcript = summary_facts(app.student_id)
        if transcript is None:
            transcript = self.store.transcript(app.student_id)
        if student is None or transcript is None:
            return app
        dossier = Dossier.model_construct(student=student, transcript=transcript)
        return app.model_copy(update={"summary": summarise(dossier, app.target)})


def _with_unknown(data: TinyData, tables: dict[str, type[BaseModel]]) -> dict[str, Any]:
    from credx_tui.store.schema import _anything_else

    return {**tables, **_anything_else(data, tables)}


# --- a bundle already parsed (spreadsheets, tests, the demo) -------------------------------


def write_bundle(store: Store, bundle: ImportBundle) -> ImportReport:
    """Write a validated bundle (every document already a model) in one staged commit."""
    with _collector_paused(), locked(store.root / "locks" / "bulk.lock"):
        writer = CollegeWriter(store)
        for programme in bundle.programmes:
            writer.programme(programme)
        for student in bundle.students:
            writer.student(student)
        transcripts = {t.student_id: t for t in bundle.transcripts}
        for transcript in bundle.transcripts:
            writer.transcript(transcript.student_id, transcript.model_dump_json().encode())
        writer.accounts = list(bundle.accounts)
        writer.applications = list(bundle.applications)
        for spec in bundle.applications:
            app = spec.application
            if app.status in SUBMITTED and app.student_id in transcripts:
                writer.fingerprints[app.id] = fingerprint(transcripts[app.student_id], app)
        return writer.write(transcripts.get)


# --- import files, streamed ----------------------------------------------------------------


class _StreamedImport:
    """One import: the files read, the checks, the documents for the writer."""

    def __init__(self, store: Store, files: list[Path], rules: Rules) -> None:
        self.store = store
        self.files = files
        self.rules = rules
        self.problems: list[ImportProblem] = []
        self.unreadable: list[ImportProblem] = []
        """Files that could not be read: reported first, as the importer does."""
        self.order = {str(path): index for index, path in enumerate(files)}
        self.complete = True
        self.docs: list[_Doc] = []
        self.transcripts: list[tuple[str, int, str, Any]] = []
        """File, index, key and sheet rows (None for a JSON file) of each valid
        transcript, in the order they came."""
        self.sheet_problems: list[ImportProblem] = []
        """Problems of the spreadsheets (conversion, then validation), reported after
        unreadable files and before the rest, as the importer does."""
        self.first_transcript: dict[str, str] = {}
        """Where each transcript key was first given (for the duplicate's message)."""
        self.facts: dict[str, TranscriptFacts] = {}
        self.broken_transcripts: set[str] = set()
        self.early: list[_Early] = []
        """What each transcript of :attr:`transcripts` was found to be as it was read
        (the checks then need not read it back from the spill)."""
        self.wanted_so_far: dict[str, set[str]] = defaultdict(set)
        """Per 学号, the courses and certificates the applications read so far name."""
        self.unprinted_so_far: dict[str, list[ExchangeApplication]] = defaultdict(list)
        """Per 学号, the submitted applications read so far that carry no fingerprint."""
        self.result_ok: dict[str, bool] = {}
        """Whether each 成绩 text read parses (a college has a few hundred of them)."""
        self.triples: dict[tuple[str, Category, float], tuple[str, Category, float]] = {}
        """(code, category, credits) of records, one object per distinct value."""
        self.signatures: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        """The records' (code, category, credits) of transcripts, one object per
        distinct value (the students of a programme mostly share theirs)."""
        self.facts_taken: set[str] = set()
        """学号 whose first transcript gave its :class:`_Early` facts."""

    # -- reading -----------------------------------------------------------------------

    def first_pass(self, writer: CollegeWriter) -> None:
        """Every document validated; the transcripts spilled as they are read."""
        for path in self.files:
            name = str(path)
            data = _read(path)
            if isinstance(data, ImportProblem):
                self.unreadable.append(data)
                self.complete = False
                continue
            value = _decode(name, data, self.problems)
            del data
            if value is None:
                self.complete = False
                continue
            documents = _documents(name, value, self.problems)
            if documents is None:
                self.complete = False
                continue
            for index, raw in enumerate(documents):
                documents[index] = None  # what was read is let go as it goes
                doc = read_document(name, index, raw, self.problems)
                if doc is None:
                    continue
                doc.raw = {}  # the checks read the model; the raw dicts were half the memory
                if doc.type == "transcript":
                    self._transcript(doc, writer)
                else:
                    self.docs.append(doc)
                    if doc.type == "application" and doc.model is not None:
                        self._application_seen(doc.model.application)
            del value, documents

    def _application_seen(self, app: ExchangeApplication) -> None:
        """An application read: the transcript facts it will need, taken from its
        student's transcript as that is read (if it comes later)."""
        self.wanted_so_far[app.student_id].add(app.target)
        self.wanted_so_far[app.student_id].update(s.ref for s in app.sources)
        if app.status in SUBMITTED and app.submitted_transcript is None:
            self.unprinted_so_far[app.student_id].append(app)

    def _transcript(self, doc: _Doc, writer: CollegeWriter) -> None:
        """A transcript just validated: spilled in its stored form, named for later."""
        if doc.model is None:
            if doc.key:
                self.broken_transcripts.add(doc.key)
            return
        assert doc.key is not None
        if doc.key in self.first_transcript:
            self.problems.append(
                doc.problem(
                    f"duplicate: {doc.key} is already given in {self.first_transcript[doc.key]}",
                    _KEY_FIELD["transcript"],
                )
            )
        else:
            self.first_transcript[doc.key] = doc.where()
        transcript: Transcript = doc.model
        doc.model = None
        self.transcripts.append((doc.file, doc.index, doc.key, doc.sheet))
        self.early.append(self._early(transcript) if EARLY else _Early(transcript.student_id))
        writer.transcript(transcript.student_id, stored_json(transcript))

    def _early(self, transcript: Transcript) -> _Early:
        """What the checks of :meth:`check_transcripts` need of a transcript, taken
        from its model now: whether it is regular (no course or certificate twice, every
        成绩 readable: then only its student and plan can raise a problem), its records'
        (code, category, credits), and the facts and fingerprints the applications read
        so far ask of it."""
        sid = transcript.student_id
        early = _Early(sid)
        first = sid not in self.facts_taken
        self.facts_taken.add(sid)
        if first:
            # Kept small: what is kept of each transcript while the next ones are read
            # pins memory the parse would give back (plain records, fingerprints as bytes).
            wanted = frozenset(self.wanted_so_far.get(sid, ()))
            early.wanted = wanted
            early.facts = TranscriptFacts.light(transcript, wanted) if wanted else _NO_FACTS
            early.prints = {
                app.id: (app, fingerprint(transcript, app).model_dump_json().encode())
                for app in self.unprinted_so_far.get(sid, ())
            }
        ok = self.result_ok
        codes: set[str] = set()
        triples = []
        for record in transcript.records:
            if record.code in codes:
                return early
            codes.add(record.code)
            for attempt in record.attempts:
                result = attempt.result
                known = ok.get(result)
                if known is None:
                    known = ok[result] = _parses_as_result(result, self.rules)
                if not known:
                    return early
            triple = (record.code, record.category, record.credits)
            triples.append(self.triples.setdefault(triple, triple))
        if len({c.id for c in transcript.certificates}) != len(transcript.certificates):
            return early
        records = tuple(triples)
        early.records = self.signatures.setdefault(records, records)
        return early

    def sheets(
        self,
        paths: list[Path],
        mapping: Mapping | None,
        existing: ImportBundle,
        writer: CollegeWriter,
    ) -> None:
        """Spreadsheet rows as documents (:mod:`credx_tui.sheets`), validated like a
        JSON file's; each transcript goes to the spill as soon as it is built, and the
        stored transcript a 成绩 sheet merges into is read shard by shard."""
        from credx_tui.sheets import Context, load_mapping, sheet_documents

        context = Context(rules=self.rules, mapping=mapping or load_mapping())
        context.students = {s.id: s for s in existing.students}
        context.programmes = {(p.major, p.grade_year): p for p in existing.programmes}
        context.transcripts = _StoredTranscripts(self.store)  # type: ignore[assignment]
        context.bucket = shard_key  # rows grouped by shard: one shard's students at a time
        counters: dict[str, int] = {}
        later: list[ImportProblem] = []  # validation problems of transcripts come last

        def take(sheet_doc: SheetDocument, problems: list[ImportProblem]) -> _Doc:
            index = counters.get(sheet_doc.file, 0)
            counters[sheet_doc.file] = index + 1
            doc = _Doc(
                sheet_doc.file,
                index,
                sheet_doc.type,
                _raw_key(sheet_doc.type, sheet_doc.raw),
                sheet_doc.raw,
                sheet=sheet_doc,
            )
            _validate(doc, problems)
            return doc

        def transcript(sheet_doc: SheetDocument) -> None:
            doc = take(sheet_doc, later)
            sheet_doc.raw = doc.raw = {}
            sheet_doc.pack()  # its cells are read again only to locate a problem
            self._transcript(doc, writer)

        context.sink = transcript
        docs, found = sheet_documents(paths, context)
        for problem in found:
            self.sheet_problems.append(
                ImportProblem(
                    problem.file,
                    message=problem.message,
                    location=str(problem.place) if problem.place is not None else None,
                )
            )
        for sheet_doc in docs:
            self.docs.append(take(sheet_doc, self.sheet_problems))
        self.sheet_problems.extend(later)
        if self.sheet_problems:
            self.complete = False

    def cross_check(self, existing: ImportBundle) -> _CrossCheck:
        """The importer's cross-checks over the documents of the first pass."""
        check = _CrossCheck(self.docs, self.rules, existing, self.complete)
        check.problems = self.problems
        return check

    def check_transcripts(self, check: _CrossCheck, writer: CollegeWriter) -> None:
        """The importer's checks of every transcript in the order they came (every
        student and programme is known by now), and the facts of the records the
        applications name.  A regular transcript is checked from what :meth:`_early`
        kept of it; any other, or one whose applications ask for more than was taken,
        is read back from the spill and checked whole, as the importer checks it."""
        wanted: dict[str, set[str]] = defaultdict(set)
        unprinted: dict[str, list[ExchangeApplication]] = defaultdict(list)
        for doc in check.valid:
            if doc.type == "application":
                app = doc.model.application
                wanted[app.student_id].add(app.target)
                wanted[app.student_id].update(s.ref for s in app.sources)
                if app.status in SUBMITTED and app.submitted_transcript is None:
                    unprinted[app.student_id].append(app)
        plans: dict[int, dict[str, ProgrammeCourse]] = {}
        for arrival, ((name, index, key, sheet), early) in enumerate(
            zip(self.transcripts, self.early, strict=True)
        ):
            doc = _Doc(name, index, "transcript", key, {}, sheet=sheet)
            sid = early.student_id
            first = sid not in self.facts
            records = early.records  # None: check it whole
            if first and (
                frozenset(wanted.get(sid, ())) != early.wanted
                or any(
                    early.prints.get(app.id, (None,))[0] is not app
                    for app in unprinted.get(sid, ())
                )
            ):
                records = None  # its applications ask for more than was taken
            if records is not None:
                self._check_regular(check, doc, sid, records, plans)
                if first:
                    for app in unprinted.pop(sid, ()):
                        kept = early.prints[app.id][1]
                        writer.fingerprints[app.id] = TranscriptFingerprint.model_validate_json(
                            kept
                        )
                    self.facts[sid] = early.facts
                continue
            stored = writer.arrival(arrival)
            transcript = StoredTranscript(stored)
            check._check_transcript(doc, transcript)  # type: ignore[arg-type]
            if sid in unprinted:
                # Only students with a submitted application that arrives without a
                # fingerprint pay for building the whole model again.
                model = Transcript.model_validate(stored)
                for app in unprinted.pop(sid):
                    writer.fingerprints[app.id] = fingerprint(model, app)
            if first:
                self.facts[sid] = TranscriptFacts(transcript, wanted.get(sid, set()))  # type: ignore[arg-type]

    @staticmethod
    def _check_regular(
        check: _CrossCheck,
        doc: _Doc,
        sid: str,
        records: tuple[tuple[str, Category, float], ...],
        plans: dict[int, dict[str, ProgrammeCourse]],
    ) -> None:
        """``check._check_transcript`` of a regular transcript (see :meth:`_early`):
        the same problems in the same order, the only ones it can have."""
        student = check.students.get(sid)
        if student is None and check.missing(f"student {sid}"):
            check.problems.append(
                doc.problem(f"no student {sid} in the import; add a student document", "student_id")
            )
        if student is None:
            return
        programme = check.programmes.get((student.major, student.grade_year))
        if programme is None:
            return
        planned = plans.get(id(programme))
        if planned is None:
            planned = plans[id(programme)] = {c.code: c for c in programme.courses}
        for index, (code, category, credits) in enumerate(records):
            course = planned.get(code)
            if course is not None and (course.category != category or course.credits != credits):
                check._check_planned(
                    doc, f"records[{index}]", code, category, credits, course, programme
                )

    def finish_checks(self, check: _CrossCheck) -> None:
        """The cross-checks of the first pass's documents, now that transcripts are known."""
        check.broken |= self.broken_transcripts
        check.transcripts.update(self.facts)  # type: ignore[arg-type]
        check._duplicates()
        for doc in check.valid:
            getattr(check, f"_check_{doc.type}")(doc, doc.model)

    def raise_problems(self) -> None:
        if self.problems or self.unreadable or self.sheet_problems:
            self.problems.sort(
                key=lambda p: (
                    self.order.get(p.file, -1),
                    -1 if p.document is None else p.document,
                )
            )
            raise ImportFailed(self.unreadable + self.sheet_problems + self.problems)


def stored_view(store: Store, wanted_transcripts: Iterable[str] = ()) -> ImportBundle:
    """What the cross-checks need of the store: its students, programmes and
    applications (each validated as it is read), and only the transcripts named."""
    students: list[Student] = []
    folder = store.root / "bulk" / "students"
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        data = read_file(path) or {}
        for doc in data.get("students", {}).values():
            try:
                students.append(Student.model_validate(doc))
            except ValidationError:
                from credx_tui.store.store import _model

                _model(path, Student, doc)  # raises, naming the file and field
    transcripts = [t for sid in wanted_transcripts if (t := store.transcript(sid)) is not None]
    store.cache.clear()
    return ImportBundle.model_construct(
        programmes=store.programmes(),
        students=students,
        transcripts=transcripts,
        accounts=[],
        applications=[
            ApplicationSpec.model_construct(application=app, events=[])
            for college in store.colleges()
            for app in store.applications(college)
        ],
        origins={},
    )


def import_files(
    store: Store, paths: Iterable[Path | str], rules: Rules, mapping: Mapping | None = None
) -> ImportReport:
    """Import-format files and spreadsheets (read with ``mapping``) into ``store``,
    streamed (module docstring); raises :class:`ImportFailed` with every problem,
    having written nothing."""
    files, sheets = split_paths(paths)
    with _collector_paused(), locked(store.root / "locks" / "bulk.lock"):
        writer = CollegeWriter(store)
        facts = plan_files(store, writer, files, sheets, rules, mapping)[1]
        return writer.write(facts.get)


def split_paths(paths: Iterable[Path | str]) -> tuple[list[Path], list[Path]]:
    """Import-format files and spreadsheets (a folder: its JSON files, then its sheets)."""
    from credx_tui.sheets import SHEET_SUFFIXES

    files: list[Path] = []
    sheets: list[Path] = []
    for path in _expand(paths):
        is_sheet = path.suffix.lower() in SHEET_SUFFIXES and path.is_file()
        (sheets if is_sheet else files).append(path)
    return files, sheets


def plan_files(
    store: Store,
    writer: CollegeWriter,
    files: list[Path],
    sheets: list[Path],
    rules: Rules,
    mapping: Mapping | None = None,
) -> tuple[ImportBundle, dict[str, Any]]:
    """Every read and check of an import, the documents handed to ``writer`` (nothing
    written yet): what the store held that the checks read, and the facts of the
    transcripts the applications name.  A real import then writes; ``credx import
    --dry-run`` (:mod:`credx_tui.services.dry_run`) compares instead, so both plan
    the same way.  Raises :class:`ImportFailed` with every problem; on any error the
    writer's spill is discarded."""
    run = _StreamedImport(store, files, rules)
    try:
        run.first_pass(writer)
        existing = stored_view(store)
        if sheets:
            run.sheets(sheets, mapping, existing, writer)
        # Transcripts an application of the import names but the import does not
        # give: read from the store, only those.
        needed = {
            d.model.application.student_id
            for d in run.docs
            if d.type == "application" and d.model is not None
        }
        given = {key.removeprefix("transcript ") for _, _, key, _ in run.transcripts}
        existing.transcripts = [
            t for sid in sorted(needed - given) if (t := store.transcript(sid)) is not None
        ]
        store.cache.clear()
        check = run.cross_check(existing)
        run.check_transcripts(check, writer)
        run.finish_checks(check)
        run.raise_problems()
        for doc in check.valid:
            if doc.type == "programme":
                writer.programme(doc.model)
            elif doc.type == "student":
                writer.student(doc.model)
            elif doc.type == "account":
                writer.accounts.append(doc.model)
            elif doc.type == "application":
                writer.applications.append(doc.model)
        facts = {**{t.student_id: t for t in existing.transcripts}, **run.facts}
    except BaseException:
        writer.discard()
        raise
    return existing, facts


__all__ = [
    "CollegeWriter",
    "ImportReport",
    "TranscriptFacts",
    "import_files",
    "plan_files",
    "split_paths",
    "stored_view",
    "write_bundle",
]
