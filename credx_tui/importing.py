"""Import files (docs/import-format.md): read them, check them, never write.

A registrar loads a college with ``credx import PATH...``.  This module is the pure
half of that command: it reads every file, validates every document against the
domain models of :mod:`policy.models`, checks the documents against each other, and
returns an :class:`ImportBundle` -- or raises :class:`ImportFailed` listing *every*
problem of *every* file at once, so one run is enough to see what needs fixing.
Writing the bundle into the store is the store's business.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from policy import workflow
from policy.grades import is_result
from policy.models import (
    LIVE_STATUSES,
    Account,
    Category,
    CourseRecord,
    ExchangeApplication,
    Model,
    Programme,
    ProgrammeCourse,
    ReviewAction,
    ReviewEvent,
    Role,
    SourceKind,
    Student,
    Transcript,
)
from policy.rules import Rules, load_rules
from policy.validation import FieldError, field_errors, refusal

if TYPE_CHECKING:
    from credx_tui.sheets import Mapping, SheetDocument

FORMAT = "credx-import"
"""The value of an import file's ``format`` key."""

VERSION = 1
"""The one version of the format this module reads."""

DOCUMENT_TYPES = ("programme", "student", "transcript", "account", "application")
"""The values of a document's ``type``: the tags of :data:`Document` (a test checks)."""

_TRANSCRIPT_SOURCES = (SourceKind.GENERAL_ELECTIVE, SourceKind.PROFESSIONAL_EXTENSION)


# --- problems -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an import, located as precisely as possible."""

    file: str
    """The file as it was named on the command line."""
    document: int | None = None
    """Index of the document in the file's ``documents`` list, counted from 0."""
    key: str | None = None
    """The document's identity, e.g. ``student 2018110101``."""
    field: str | None = None
    """Dotted path inside the document, e.g. ``records[3].attempts[0].result``."""
    message: str = ""
    """What is wrong, in English."""
    location: str | None = None
    """For a spreadsheet: sheet, row and column (``sheet 成绩, row 17, column 成绩 (D17)``),
    printed instead of the document and field."""

    def __str__(self) -> str:
        text = self.file
        if self.location is not None:
            return f"{text}: {self.location}: {self.message}"
        if self.document is not None:
            text += f": document {self.document}"
            if self.key:
                text += f" ({self.key})"
        if self.field:
            text += f": field {self.field}"
        return f"{text}: {self.message}"


class ImportFailed(Exception):
    """The import files are not usable; ``problems`` lists everything found."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems: list[ImportProblem] = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the import; nothing was imported:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


# --- what a successful parse returns -------------------------------------------------


_BOTH_SECRETS = object()
"""Put in place of an account's ``password`` when ``password_hash`` is given too (the
password itself never reaches an error message)."""


class AccountSpec(Model):
    """An account as an import file gives it: :class:`Account` without the login state
    credx keeps itself, and with either a plain ``password`` (to be hashed by the
    importer) or a ready ``password_hash`` -- exactly one of them."""

    username: str = Field(min_length=1, max_length=40)
    role: Role
    display_name: str = Field(default="", max_length=40)
    colleges: list[str] = Field(default_factory=list, description="a reviewer's colleges")
    review_steps: list[str] = Field(default_factory=list)
    disabled: bool = False
    password: str | None = Field(default=None, min_length=1, max_length=200, repr=False)
    password_hash: str | None = Field(default=None, min_length=1, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _not_both(cls, data: Any) -> Any:
        """Both secrets given: the password is refused in its own field (by
        :meth:`_refused_password`), so that the account's other faults are told with it
        in the same report.  Checked after the fields, it would be told only once every
        other fault was fixed (an after-mode check runs on a valid model only)."""
        if (
            isinstance(data, dict)
            and data.get("password") is not None
            and data.get("password_hash") is not None
        ):
            return {**data, "password": _BOTH_SECRETS}
        return data

    @field_validator("password", mode="before")
    @classmethod
    def _refused_password(cls, value: Any) -> Any:
        if value is _BOTH_SECRETS:
            raise refusal("give either password or password_hash, not both")
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> AccountSpec:
        if self.password is None and self.password_hash is None:
            raise ValueError("give either password or password_hash, exactly one of them")
        return self

    def to_account(self, password_hash: str | None = None) -> Account:
        """The :class:`Account` to store.  ``password_hash`` is the hash of
        :attr:`password` made by the caller; it may be omitted when the file gave a
        ``password_hash`` itself."""
        digest = password_hash or self.password_hash
        if not digest:
            raise ValueError(f"account {self.username}: the plain password must be hashed first")
        data = self.model_dump(exclude={"password", "password_hash"})
        return Account(**data, password_hash=digest)

    def stored_over(self, current: Account | None) -> Account:
        """The account an import stores where ``current`` is stored now: a plain
        password that still matches keeps its hash (an import run twice changes
        nothing), and the login state (failed logins, lock, last seen) is kept."""
        from credx_tui.passwords import hash_password, verify_password

        digest = None  # the spec's own password_hash
        if self.password is not None:
            if current is not None and verify_password(self.password, current.password_hash):
                digest = current.password_hash
            else:
                digest = hash_password(self.password)
        account = self.to_account(digest)
        if current is None:
            return account
        return account.model_copy(
            update={
                "failed_logins": current.failed_logins,
                "locked_until": current.locked_until,
                "last_seen": current.last_seen,
            }
        )


class ApplicationSpec(BaseModel):
    """An application with its 流程跟踪 events (``application_id`` filled in)."""

    model_config = ConfigDict(extra="forbid")

    application: ExchangeApplication
    events: list[ReviewEvent] = Field(default_factory=list)


@dataclass(frozen=True)
class DocumentOrigin:
    """Where a document of the bundle came from, to report store-side problems."""

    file: str
    document: int


class ImportBundle(BaseModel):
    """Everything the import files hold, validated and cross-checked, in file order."""

    model_config = ConfigDict(extra="forbid")

    programmes: list[Programme] = Field(default_factory=list)
    students: list[Student] = Field(default_factory=list)
    transcripts: list[Transcript] = Field(default_factory=list)
    accounts: list[AccountSpec] = Field(default_factory=list)
    applications: list[ApplicationSpec] = Field(default_factory=list)
    origins: dict[str, DocumentOrigin] = Field(default_factory=dict)
    """Document key (``student 2018110101``) to the file and document it came from."""

    @property
    def events(self) -> list[ReviewEvent]:
        """Every review event of every application."""
        return [event for spec in self.applications for event in spec.events]

    def problem(self, key: str, message: str, field: str | None = None) -> ImportProblem:
        """An :class:`ImportProblem` located at the document ``key`` came from (for
        problems the store finds, e.g. a conflict with what it already holds)."""
        origin = self.origins.get(key)
        if origin is None:
            return ImportProblem(file="<import>", key=key, field=field, message=message)
        return ImportProblem(origin.file, origin.document, key, field, message)


# --- document keys -------------------------------------------------------------------


_KEY_FIELD = {
    "programme": "major",
    "student": "id",
    "transcript": "student_id",
    "account": "username",
    "application": "id",
}
"""The field naming a document (a programme is named by major and grade_year)."""


def programme_key(major: object, grade_year: object) -> str:
    """The identity of a programme: one per major and year of entry."""
    return f"programme {major} {grade_year}"


def _scalar(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _raw_key(doc_type: str, raw: dict[str, Any]) -> str | None:
    """A document's identity, read from its raw fields (so that a document which fails
    validation is still named in its problems)."""
    if doc_type == "programme":
        major, year = raw.get("major"), raw.get("grade_year")
        return programme_key(major, year) if _scalar(major) and _scalar(year) else None
    value = raw.get(_KEY_FIELD[doc_type])
    return f"{doc_type} {value}" if _scalar(value) else None


# --- reading files -------------------------------------------------------------------


class _Object(dict):
    """A JSON object that remembers keys given twice (``json`` keeps the last silently)."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    seen: list[str] = []
    for key, value in pairs:
        if key in obj:
            seen.append(key)
        obj[key] = value
    obj.duplicates = tuple(seen)
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _duplicate_keys(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, key) of every key given twice in one object, anywhere inside ``value``."""
    if isinstance(value, _Object):
        for key in value.duplicates:
            yield path, key
        for key, item in value.items():
            yield from _duplicate_keys(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _duplicate_keys(item, f"{path}[{index}]")


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - start + 1


_SPACED_KEY_TOKEN = re.compile(rb'"[ \t\r\n]+:')


def _fast_decode(data: bytes) -> Any | None:
    """The JSON value of ``data`` by orjson when that is provably what ``json`` with
    the duplicate-key hook would give (most files), else None (then the slow reader
    runs, with its exact messages).

    orjson keeps the last of two equal keys without a word, so it is trusted only
    when no key can have been given twice.  Every key written in the file is a ``"``
    followed by optional blanks and ``:``; counting those gives an upper bound of the
    keys written (a string holding ``":`` adds to it).  orjson's compact dump of the
    parsed value writes every key as ``"...":`` exactly once, and when no string holds
    a quote nothing else there matches.  Equal counts then mean no key was given twice.
    An import of a college is read ten times faster so."""
    try:
        value = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return None
    written = data.count(b'":')
    if any(blank in data for blank in (b'" ', b'"\n', b'"\r', b'"\t')):
        written += _SPACED_KEY_TOKEN.subn(b"", data)[1]
    dumped = orjson.dumps(value)
    if b'\\"' in dumped or written != dumped.count(b'":'):
        return None
    return value


def _decode(name: str, data: bytes, problems: list[ImportProblem]) -> Any | None:
    """The JSON value of a file's bytes, or None after recording why not."""
    fast = _fast_decode(data)
    if fast is not None:
        return fast
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        problems.append(
            ImportProblem(
                name,
                message=f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, "
                f"column {col} (byte {exc.start}) is not UTF-8; save the file as UTF-8",
            )
        )
        return None
    text = text.removeprefix("\ufeff")
    try:
        return json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        problems.append(ImportProblem(name, message=message))
    except (ValueError, RecursionError) as exc:
        problems.append(ImportProblem(name, message=f"not valid JSON: {exc}"))
    return None


# --- the envelope and the documents, as pydantic models --------------------------------


class Envelope(BaseModel):
    """The top of an import file: ``{"format": "credx-import", "version": 1,
    "documents": [...]}``, and ``description``, a free note for people.  Strict: a
    version ``true`` or ``1.0`` is not version 1."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal["credx-import"]
    version: int = Field(ge=VERSION, le=VERSION)
    documents: list[Any]
    """Validated one by one (:func:`read_document`), so that a big file is let go
    document by document and each problem names its document."""
    description: str = ""


TOP_LEVEL_KEYS = tuple(Envelope.model_fields)
"""Keys allowed at the top of a file."""

_NEEDED = {
    "format": f'it must be "{FORMAT}"',
    "version": f"this credx reads version {VERSION}",
    "documents": "it must be a list of documents",
}
"""What each key of the envelope must be, for its problem's message; a problem with one
of them makes the file unreadable."""

_RANK = {"format": 0, "version": 1}
"""The order problems of the envelope are told in: format, version, unknown keys (2),
description (4), documents (5)."""


def _refuse(reason: str) -> Callable[[Any], Any]:
    def refuse(value: Any) -> Any:
        raise refusal(reason)

    return refuse


def _require(kind: type, reason: str) -> Callable[[Any], Any]:
    def require(value: Any) -> Any:
        if not isinstance(value, kind):
            raise refusal(reason)
        return value

    return require


_LoginState = Annotated[
    object, BeforeValidator(_refuse("is login state kept by credx; leave it out of imports"))
]
"""A field of :class:`Account` that credx keeps itself: an import may not set it."""


class ProgrammeDocument(Programme):
    type: Literal["programme"]


class StudentDocument(Student):
    type: Literal["student"]


class TranscriptDocument(Transcript):
    type: Literal["transcript"]


class AccountDocument(AccountSpec):
    """An account as a file gives it; the login state is named so that its refusal
    says why (an unknown field would only say "check its spelling")."""

    type: Literal["account"]
    failed_logins: _LoginState = None
    locked_until: _LoginState = None
    last_seen: _LoginState = None


class EventDocument(ReviewEvent):
    """A review event listed in its application: its ``application_id`` is the
    application's, filled in after validation, and may not be given."""

    application_id: Annotated[
        str,
        BeforeValidator(
            _refuse("leave it out: an event belongs to the application it is listed in")
        ),
    ] = ""


_Event = Annotated[
    EventDocument, BeforeValidator(_require(dict, "a review event must be a JSON object"))
]


class ApplicationDocument(ExchangeApplication):
    type: Literal["application"]
    events: Annotated[
        list[_Event], BeforeValidator(_require(list, "must be a list of review events"))
    ] = Field(default_factory=list)


Document = Annotated[
    Union[  # noqa: UP007 (the discriminated union of pydantic's documentation)
        ProgrammeDocument,
        StudentDocument,
        TranscriptDocument,
        AccountDocument,
        ApplicationDocument,
    ],
    Field(discriminator="type"),
]
"""One document of an import file: its ``type`` chooses its model."""


@functools.cache
def _documents_adapter() -> TypeAdapter[Any]:
    """The validator of :data:`Document`, built on first use (the models build theirs
    lazily too: credx starts without them).  An application's fields name models of
    :mod:`policy.models` that this module does not import: they are looked up there."""
    import policy.models

    ApplicationDocument.model_rebuild(_types_namespace=vars(policy.models))
    return TypeAdapter(Document)


def _stored(model: BaseModel, cls: type[BaseModel], **update: Any) -> Any:
    """``model`` (a document class) as the plain ``cls`` the bundle and the store hold
    (with ``update``), without validating again: the document's ``type`` and refused
    fields dropped.  The store compares what it holds with what an import brings, and a
    document class never equals its plain model."""
    fields = cls.model_fields
    values = {name: getattr(model, name) for name in fields}
    return cls.model_construct(
        (model.model_fields_set & fields.keys()) | update.keys(), **{**values, **update}
    )


# --- reading the envelope -------------------------------------------------------------


def _envelope_problem(name: str, error: ErrorDetails) -> tuple[int, ImportProblem]:
    """A problem of the envelope, with its rank in the order they are reported."""
    loc = error["loc"]
    key = str(loc[0]) if loc else ""
    if key in _NEEDED:
        if error["type"] == "missing":
            what = "is missing"
        elif key == "documents":
            what = "is not a list"
        else:
            what = f"is {error['input']!r}"
        return _RANK.get(key, 5), ImportProblem(name, field=key, message=f"{what}; {_NEEDED[key]}")
    if key == "description":
        return 4, ImportProblem(name, field=key, message="must be a string")
    return 2, ImportProblem(
        name, field=key, message=f"unknown top-level key; allowed are {', '.join(TOP_LEVEL_KEYS)}"
    )


def _documents(name: str, value: Any, problems: list[ImportProblem]) -> list[Any] | None:
    """The ``documents`` list of a decoded file, after checking its envelope
    (:class:`Envelope`); None when the file cannot be read as import documents."""
    if not isinstance(value, dict):
        problems.append(
            ImportProblem(
                name,
                message=f'the file must hold one JSON object: {{"format": "{FORMAT}", '
                f'"version": {VERSION}, "documents": [...]}}',
            )
        )
        return None
    for key in getattr(value, "duplicates", ()):
        problems.append(ImportProblem(name, message=_twice(key)))
    try:
        Envelope.model_validate(value)
    except ValidationError as exc:
        found = sorted(
            (_envelope_problem(name, error) for error in exc.errors(include_url=False)),
            key=lambda ranked: ranked[0],
        )
        problems.extend(problem for _, problem in found)
        if any(problem.field in _NEEDED for _, problem in found):
            return None
    documents: list[Any] = value["documents"]  # not the model's copy: let go as it is read
    return documents


def _twice(key: str) -> str:
    return f'the key "{key}" is given twice in one object; the second would silently win'


# --- validating one document ---------------------------------------------------------


@dataclass
class _Doc:
    """A document being read: where it is, what it claims to be, what it became."""

    file: str
    index: int
    type: str
    key: str | None
    raw: dict[str, Any]
    model: Any = None
    sheet: SheetDocument | None = None
    """The rows the document was built from, when it came from a spreadsheet."""

    def problem(self, message: str, field: str | None = None) -> ImportProblem:
        if self.sheet is not None:
            place = str(self.sheet.locate(field))
            return ImportProblem(self.file, None, self.key, field, message, place)
        return ImportProblem(self.file, self.index, self.key, field, message)

    def where(self) -> str:
        """Where the document is, for a message about another document."""
        if self.sheet is not None:
            return f"{self.file} {self.sheet.place}"
        return f"{self.file} document {self.index}"


def _document_problem(doc: _Doc, error: FieldError) -> ImportProblem:
    """A validation error of ``doc`` as an import problem.  The few errors about the
    document as a whole are put where a registrar looks: the ``type`` that chose no
    model, an account's password."""
    if error.kind == "union_tag_not_found":
        return doc.problem(f"is missing; use one of {', '.join(DOCUMENT_TYPES)}", "type")
    if error.kind == "union_tag_invalid":
        given = doc.raw.get("type")
        return doc.problem(
            f"{given!r} is not a document type; use one of {', '.join(DOCUMENT_TYPES)}", "type"
        )
    field = error.path or ("password" if doc.type == "account" else None)
    return doc.problem(error.message, field)


_STORED: dict[str, type[BaseModel]] = {
    "programme": Programme,
    "student": Student,
    "transcript": Transcript,
    "account": AccountSpec,
}


def _validate(doc: _Doc, problems: list[ImportProblem]) -> None:
    """Validate ``doc.raw`` as a :data:`Document`; set ``doc.model`` (the plain model
    the bundle holds) if it is valid, else add every problem it has."""
    try:
        found = _documents_adapter().validate_python(doc.raw)
    except ValidationError as exc:

        def kind(loc: tuple[int | str, ...]) -> str:
            return "review event" if loc[:1] == ("events",) and len(loc) > 2 else doc.type

        for error in field_errors(exc, document=kind, skip=1):
            problems.append(_document_problem(doc, error))
        return
    if not isinstance(found, ApplicationDocument):
        doc.model = _stored(found, _STORED[doc.type])
        return
    model: ExchangeApplication = _stored(found, ExchangeApplication)
    events = [_stored(event, ReviewEvent, application_id=model.id) for event in found.events]
    if model.submitted_at is None:
        # Older exports carry the submit only in the trail: 提交日期 is its first submit.
        first = min((e.at for e in events if e.action == ReviewAction.SUBMIT), default=None)
        if first is not None:
            model = model.model_copy(update={"submitted_at": first})
    doc.model = ApplicationSpec(application=model, events=events)


def read_document(name: str, index: int, raw: Any, problems: list[ImportProblem]) -> _Doc | None:
    """Document ``index`` of file ``name``, validated (``model`` set when it is
    valid), or None when it is no document at all (not an object, no known ``type``);
    its problems go to ``problems``.  The JSON importer and the staged import read
    every document through this."""
    if not isinstance(raw, dict):
        problems.append(ImportProblem(name, index, message="a document must be a JSON object"))
        return None
    doc_type = raw.get("type")
    known = isinstance(doc_type, str) and doc_type in DOCUMENT_TYPES
    doc = _Doc(name, index, str(doc_type), _raw_key(str(doc_type), raw) if known else None, raw)
    if known:
        for path, key in _duplicate_keys(raw):
            problems.append(doc.problem(_twice(key), path or None))
    _validate(doc, problems)
    return doc if known else None


def _read_documents(name: str, documents: list[Any], problems: list[ImportProblem]) -> list[_Doc]:
    found = (read_document(name, index, raw, problems) for index, raw in enumerate(documents))
    return [doc for doc in found if doc is not None]


# --- checks across documents ---------------------------------------------------------


def _parses_as_result(result: str, rules: Rules) -> bool:
    """Whether the policy can read ``result`` (:func:`policy.grades.is_result`, the test
    of :func:`~policy.grades.parse_result`): an import never stores a result the policy
    would refuse."""
    return is_result(result, rules.grades)


class _CrossCheck:
    """The checks that need more than one document: keys, references, consistency."""

    def __init__(
        self,
        docs: list[_Doc],
        rules: Rules,
        existing: ImportBundle | None,
        complete: bool,
    ) -> None:
        self.rules = rules
        self.complete = complete
        self.problems: list[ImportProblem] = []
        self.valid = [d for d in docs if d.model is not None]
        # Keys of documents that exist but failed validation: a reference to one of
        # them is not "missing", it is already reported where it is broken.
        self.broken = {d.key for d in docs if d.model is None and d.key}
        self.students: dict[str, Student] = {}
        self.programmes: dict[tuple[str, int], Programme] = {}
        self.transcripts: dict[str, Transcript] = {}
        self.existing_apps: dict[str, ApplicationSpec] = {}
        if existing is not None:
            self._index(existing.students, existing.programmes, existing.transcripts)
            self.existing_apps = {a.application.id: a for a in existing.applications}
        self._index(
            [d.model for d in self.valid if d.type == "student"],
            [d.model for d in self.valid if d.type == "programme"],
            [d.model for d in self.valid if d.type == "transcript"],
        )
        self.colleges = {s.college for s in self.students.values()} | {
            p.college for p in self.programmes.values()
        }

    def _index(
        self,
        students: Iterable[Student],
        programmes: Iterable[Programme],
        transcripts: Iterable[Transcript],
    ) -> None:
        self.students.update((s.id, s) for s in students)
        self.programmes.update(((p.major, p.grade_year), p) for p in programmes)
        self.transcripts.update((t.student_id, t) for t in transcripts)

    def missing(self, key: str) -> bool:
        """Whether a reference to ``key`` should be reported as missing."""
        return self.complete and key not in self.broken

    def run(self) -> list[ImportProblem]:
        self._duplicates()
        for doc in self.valid:
            getattr(self, f"_check_{doc.type}")(doc, doc.model)
        return self.problems

    def _duplicates(self) -> None:
        first: dict[str, _Doc] = {}
        for doc in self.valid:
            assert doc.key is not None
            if doc.key in first:
                other = first[doc.key]
                self.problems.append(
                    doc.problem(
                        f"duplicate: {doc.key} is already given in {other.where()}",
                        _KEY_FIELD[doc.type],
                    )
                )
            else:
                first[doc.key] = doc
        events: dict[str, tuple[_Doc, int]] = {}
        for doc in self.valid:
            if doc.type != "application":
                continue
            for index, event in enumerate(doc.model.events):
                if event.id in events:
                    other, other_index = events[event.id]
                    self.problems.append(
                        doc.problem(
                            f"duplicate review event id {event.id!r}: already used in "
                            f"{other.where()} events[{other_index}]",
                            f"events[{index}].id",
                        )
                    )
                else:
                    events[event.id] = (doc, index)

    def _check_programme(self, doc: _Doc, programme: Programme) -> None:
        seen: set[str] = set()
        for index, course in enumerate(programme.courses):
            if course.code in seen:
                self.problems.append(
                    doc.problem(
                        f"course code {course.code!r} appears twice in the programme",
                        f"courses[{index}].code",
                    )
                )
            seen.add(course.code)

    def _check_student(self, doc: _Doc, student: Student) -> None:
        key = (student.major, student.grade_year)
        programme = self.programmes.get(key)
        if programme is None:
            if self.missing(programme_key(*key)):
                self.problems.append(
                    doc.problem(
                        f"no programme (人才培养方案) of major {student.major!r} and grade_year "
                        f"{student.grade_year} in the import; add a programme document",
                        "major",
                    )
                )
        elif programme.college != student.college:
            self.problems.append(
                doc.problem(
                    f"the student's college {student.college!r} differs from the college "
                    f"of the programme {programme_key(*key)}: {programme.college!r}",
                    "college",
                )
            )

    def _check_transcript(self, doc: _Doc, transcript: Transcript) -> None:
        student = self.students.get(transcript.student_id)
        if student is None and self.missing(f"student {transcript.student_id}"):
            self.problems.append(
                doc.problem(
                    f"no student {transcript.student_id} in the import; add a student document",
                    "student_id",
                )
            )
        programme = self.programmes.get((student.major, student.grade_year)) if student else None
        planned = {c.code: c for c in programme.courses} if programme else {}
        seen: set[str] = set()
        for index, record in enumerate(transcript.records):
            where = f"records[{index}]"
            if record.code in seen:
                self.problems.append(
                    doc.problem(
                        f"course code {record.code!r} appears twice in the transcript; "
                        "give one record with all its attempts",
                        f"{where}.code",
                    )
                )
            seen.add(record.code)
            self._check_record(doc, where, record, planned.get(record.code), programme)
        seen = set()
        for index, cert in enumerate(transcript.certificates):
            if cert.id in seen:
                self.problems.append(
                    doc.problem(
                        f"certificate id {cert.id!r} appears twice in the transcript",
                        f"certificates[{index}].id",
                    )
                )
            seen.add(cert.id)

    def _check_record(
        self,
        doc: _Doc,
        where: str,
        record: CourseRecord,
        planned: ProgrammeCourse | None,
        programme: Programme | None,
    ) -> None:
        for index, attempt in enumerate(record.attempts):
            if not _parses_as_result(attempt.result, self.rules):
                levels = "、".join(self.rules.grades.levels)
                self.problems.append(
                    doc.problem(
                        f"{attempt.result!r} is neither a score from 0 to 100 nor a level "
                        f"of the rules file ({levels})",
                        f"{where}.attempts[{index}].result",
                    )
                )
        if planned is None or programme is None:
            return
        self._check_planned(
            doc, where, record.code, record.category, record.credits, planned, programme
        )

    def _check_planned(
        self,
        doc: _Doc,
        where: str,
        code: str,
        category: Category,
        credits: float,
        planned: ProgrammeCourse,
        programme: Programme,
    ) -> None:
        """A record's category and credits against its programme's (the staged import
        calls this alone for transcripts it already found free of other problems)."""
        label = programme_key(programme.major, programme.grade_year)
        if planned.category != category:
            self.problems.append(
                doc.problem(
                    f"course {code} is a {category.value} here but a "
                    f"{planned.category.value} in {label}",
                    f"{where}.category",
                )
            )
        if planned.credits != credits:
            self.problems.append(
                doc.problem(
                    f"course {code} has {credits:g} credits here but "
                    f"{planned.credits:g} in {label}",
                    f"{where}.credits",
                )
            )

    def _check_account(self, doc: _Doc, account: AccountSpec) -> None:
        if account.role == Role.STUDENT:
            if account.username not in self.students and self.missing(
                f"student {account.username}"
            ):
                self.problems.append(
                    doc.problem(
                        f"a student account's username is a 学号, but there is no student "
                        f"{account.username} in the import",
                        "username",
                    )
                )
            return
        if account.role == Role.REVIEWER:
            if not account.colleges:
                self.problems.append(
                    doc.problem("a reviewer must name at least one college", "colleges")
                )
            for index, college in enumerate(account.colleges):
                if college not in self.colleges and self.complete:
                    self.problems.append(
                        doc.problem(
                            f"no student or programme of the import is in college {college!r}",
                            f"colleges[{index}]",
                        )
                    )
        self._check_password_hash(doc, account)
        steps = set(workflow.step_ids(self.rules))
        for index, step in enumerate(account.review_steps):
            if step not in steps:
                self.problems.append(
                    doc.problem(
                        f"{step!r} is not a review step of the rules file "
                        f"({', '.join(sorted(steps))})",
                        f"review_steps[{index}]",
                    )
                )

    def _check_password_hash(self, doc: _Doc, account: AccountSpec) -> None:
        """A given ``password_hash`` must be one a password can match; else the account
        could never log in and nobody would know why."""
        from credx_tui.passwords import hash_problem

        if account.password_hash is not None:
            found = hash_problem(account.password_hash)
            if found is not None:
                self.problems.append(doc.problem(found, "password_hash"))

    def _check_application_against_store(self, doc: _Doc, app: ExchangeApplication) -> None:
        """An id is unique across the college and the store: an application id that
        the store (or this import) already gives another student would overwrite that
        student's application or make two documents with one id."""
        if not hasattr(self, "_app_owner"):
            self._app_owner: dict[str, tuple[str, str]] = {
                a.application.id: (a.application.student_id, "the store")
                for a in self.existing_apps.values()
            }
            for other in self.valid:
                if other.type == "application":
                    other_app = other.model.application
                    self._app_owner.setdefault(
                        other_app.id, (other_app.student_id, f"{other.file} document {other.index}")
                    )
        owner, where = self._app_owner.get(app.id, (app.student_id, ""))
        if owner != app.student_id:
            self.problems.append(
                doc.problem(
                    f"application id {app.id!r} already belongs to student {owner} (in {where}); "
                    f"it cannot also be student {app.student_id}'s",
                    "id",
                )
            )
        old = self.existing_apps.get(app.id)
        if old is not None and old.application.college != app.college:
            self.problems.append(
                doc.problem(
                    f"application {app.id} is stored under college {old.application.college!r}; "
                    "an import cannot move it to another college",
                    "college",
                )
            )
        steps = len(self.rules.review_steps)
        if app.step >= steps:
            self.problems.append(
                doc.problem(
                    f"step {app.step} does not exist: the rules file has {steps} review "
                    f"step(s), numbered 0 to {steps - 1}",
                    "step",
                )
            )
        if app.status in LIVE_STATUSES:
            self._check_spent_once(doc, app)

    def _check_spent_once(self, doc: _Doc, app: ExchangeApplication) -> None:
        """Credits are spent once: no two live (审核中, 审核通过) applications of one
        student hold the same source, in the import or in the store."""
        if not hasattr(self, "_apps_of"):
            # Every application by student, once: scanning all of them for each one
            # cost minutes for a college of 10,000 applications.
            self._apps_of: dict[str, list[ExchangeApplication]] = {}
            for spec in self.existing_apps.values():
                self._apps_of.setdefault(spec.application.student_id, []).append(spec.application)
            for other in self.valid:
                if other.type == "application":
                    found = other.model.application
                    self._apps_of.setdefault(found.student_id, []).append(found)
        live: dict[str, ExchangeApplication] = {}
        for other_app in self._apps_of.get(app.student_id, []):
            live[other_app.id] = other_app
        for other_app in live.values():
            if other_app.id == app.id or other_app.status not in LIVE_STATUSES:
                continue
            shared = sorted({s.ref for s in app.sources} & {s.ref for s in other_app.sources})
            if shared:
                self.problems.append(
                    doc.problem(
                        f"{', '.join(shared)} already pay(s) for application {other_app.id} "
                        f"({other_app.status.value}); credits are spent once",
                        "sources",
                    )
                )

    def _check_application(self, doc: _Doc, spec: ApplicationSpec) -> None:
        app = spec.application
        self._check_application_against_store(doc, app)
        if app.updated_at < app.created_at:
            self.problems.append(doc.problem("is earlier than created_at", "updated_at"))
        if spec.events:
            last = max(spec.events, key=lambda event: event.at)
            if last.status_after != app.status:
                self.problems.append(
                    doc.problem(
                        f"is {app.status.value} but the last review event "
                        f"({last.id}) leaves it {last.status_after.value}",
                        "status",
                    )
                )
        student = self.students.get(app.student_id)
        if student is None:
            if self.missing(f"student {app.student_id}"):
                self.problems.append(
                    doc.problem(f"no student {app.student_id} in the import", "student_id")
                )
        elif app.college != student.college:
            self.problems.append(
                doc.problem(
                    f"{app.college!r} is not the college of student {student.id} "
                    f"({student.college!r}); an application is reviewed by its student's college",
                    "college",
                )
            )
        transcript = self.transcripts.get(app.student_id)
        if transcript is None:
            if student is not None and self.missing(f"transcript {app.student_id}"):
                self.problems.append(
                    doc.problem(f"student {app.student_id} has no transcript", "student_id")
                )
            return
        if transcript.record(app.target) is None:
            self.problems.append(
                doc.problem(
                    f"course {app.target!r} is not on the transcript of student {app.student_id}",
                    "target",
                )
            )
        certificates = {c.id: c for c in transcript.certificates}
        seen: set[str] = set()
        for index, source in enumerate(app.sources):
            where = f"sources[{index}]"
            if source.ref in seen:
                self.problems.append(doc.problem("offered twice", f"{where}.ref"))
            seen.add(source.ref)
            if source.ref == app.target:
                self.problems.append(
                    doc.problem("the target course cannot pay for itself", f"{where}.ref")
                )
            if source.kind in _TRANSCRIPT_SOURCES:
                record = transcript.record(source.ref)
                if record is None:
                    self.problems.append(
                        doc.problem(
                            f"course {source.ref!r} is not on the transcript of student "
                            f"{app.student_id}",
                            f"{where}.ref",
                        )
                    )
                elif record.category.value != source.kind.value:
                    self.problems.append(
                        doc.problem(
                            f"course {source.ref} is a {record.category.value}, "
                            f"not a {source.kind.value}",
                            f"{where}.kind",
                        )
                    )
            else:
                cert = certificates.get(source.ref)
                if cert is None:
                    self.problems.append(
                        doc.problem(
                            f"student {app.student_id} holds no certificate {source.ref!r}",
                            f"{where}.ref",
                        )
                    )
                elif cert.kind != source.kind:
                    self.problems.append(
                        doc.problem(
                            f"certificate {source.ref} is a {cert.kind.value}, "
                            f"not a {source.kind.value}",
                            f"{where}.kind",
                        )
                    )


# --- the entry points ----------------------------------------------------------------


def _expand(paths: Iterable[Path | str]) -> list[Path]:
    """Files named, with a directory standing for its ``*.json`` files in name order."""
    files: dict[Path, Path] = {}  # resolved -> as named; a file named twice is read once
    for path in map(Path, paths):
        for file in sorted(path.glob("*.json")) if path.is_dir() else [path]:
            files.setdefault(file.resolve(), file)
    return list(files.values())


def _read(path: Path) -> bytes | ImportProblem:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return ImportProblem(str(path), message="file not found")
    except IsADirectoryError:
        return ImportProblem(str(path), message="is a directory, not a file")
    except OSError as exc:
        return ImportProblem(str(path), message=f"cannot read the file: {exc.strerror}")


def parse_files(
    paths: Sequence[Path | str],
    rules: Rules | None = None,
    *,
    existing: ImportBundle | None = None,
    mapping: Mapping | None = None,
) -> ImportBundle:
    """Read, validate and cross-check import files; raise :class:`ImportFailed` with
    every problem of every file if anything is wrong.

    A directory stands for the ``*.json`` files in it, in name order.  ``.xlsx`` and
    ``.csv`` files are spreadsheets of the academic system (:mod:`credx_tui.sheets`,
    read with ``mapping``, the shipped 正方 mapping by default); their rows become
    documents that go through the same checks.  ``rules`` (the bundled rules file by
    default) supplies the grade levels and review steps.  ``existing`` holds documents
    already in the store: references to them are not reported as missing (an import of
    one new application needs no students file), and a 成绩 sheet's sittings are merged
    into the stored transcripts.
    """
    from credx_tui.sheets import SHEET_SUFFIXES

    rules = rules or load_rules()
    sources: list[tuple[str, bytes]] = []
    sheets: list[Path] = []
    problems: list[ImportProblem] = []
    for path in _expand(paths):
        if path.suffix.lower() in SHEET_SUFFIXES and path.is_file():
            sheets.append(path)
            continue
        data = _read(path)
        if isinstance(data, ImportProblem):
            problems.append(data)
        else:
            sources.append((str(path), data))
    extra = _sheet_docs(sheets, rules, existing, mapping, problems) if sheets else []
    try:
        bundle = parse_sources(
            sources, rules, existing=existing, complete=not problems, extra=extra
        )
    except ImportFailed as exc:
        raise ImportFailed(problems + exc.problems) from None
    if problems:
        raise ImportFailed(problems)
    return bundle


def _sheet_docs(
    paths: list[Path],
    rules: Rules,
    existing: ImportBundle | None,
    mapping: Mapping | None,
    problems: list[ImportProblem],
) -> list[_Doc]:
    """Spreadsheet rows as documents, validated one by one like a JSON file's."""
    from credx_tui.sheets import Context, load_mapping, sheet_documents

    context = Context(rules=rules, mapping=mapping or load_mapping())
    if existing is not None:
        context.students = {s.id: s for s in existing.students}
        context.programmes = {(p.major, p.grade_year): p for p in existing.programmes}
        context.transcripts = {t.student_id: t for t in existing.transcripts}
    sheet_docs, sheet_problems = sheet_documents(paths, context)
    for found in sheet_problems:
        problems.append(
            ImportProblem(
                found.file,
                message=found.message,
                location=str(found.place) if found.place is not None else None,
            )
        )
    docs: list[_Doc] = []
    counters: dict[str, int] = {}
    for sheet_doc in sheet_docs:
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
        docs.append(doc)
    return docs


def parse_sources(
    sources: Sequence[tuple[str, bytes]],
    rules: Rules | None = None,
    *,
    existing: ImportBundle | None = None,
    complete: bool = True,
    extra: Sequence[Any] = (),
) -> ImportBundle:
    """:func:`parse_files` on contents already read: ``(name, bytes)`` pairs.

    ``complete=False`` says some file could not be read, so references between
    documents are not reported as missing (they may be in that file).  ``extra`` are
    documents already read from spreadsheets, checked together with the files'.
    """
    rules = rules or load_rules()
    problems: list[ImportProblem] = []
    docs: list[_Doc] = []
    for name, data in sources:
        value = _decode(name, data, problems)
        if value is None:
            complete = False
            continue
        documents = _documents(name, value, problems)
        if documents is None:
            complete = False
            continue
        docs.extend(_read_documents(name, documents, problems))
    docs.extend(extra)
    problems.extend(_CrossCheck(docs, rules, existing, complete).run())
    if problems:
        order = {name: index for index, (name, _) in enumerate(sources)}
        problems.sort(
            key=lambda p: (order.get(p.file, -1), -1 if p.document is None else p.document)
        )
        raise ImportFailed(problems)
    return _bundle(docs)


def _bundle(docs: list[_Doc]) -> ImportBundle:
    bundle = ImportBundle()
    lists: dict[str, list[Any]] = {
        "programme": bundle.programmes,
        "student": bundle.students,
        "transcript": bundle.transcripts,
        "account": bundle.accounts,
        "application": bundle.applications,
    }
    for doc in docs:
        lists[doc.type].append(doc.model)
        assert doc.key is not None
        bundle.origins[doc.key] = DocumentOrigin(doc.file, doc.index)
    return bundle


__all__ = [
    "DOCUMENT_TYPES",
    "FORMAT",
    "VERSION",
    "AccountSpec",
    "ApplicationSpec",
    "Document",
    "DocumentOrigin",
    "Envelope",
    "ImportBundle",
    "ImportFailed",
    "ImportProblem",
    "parse_files",
    "parse_sources",
    "programme_key",
    "read_document",
]
