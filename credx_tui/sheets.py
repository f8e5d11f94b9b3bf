"""Spreadsheets from the academic system (正方 and the like) as import documents.

A registrar has the academic system's exports, not JSON.  This module reads ``.xlsx``
(with ``python-calamine``) and ``.csv`` (UTF-8, UTF-8 with a BOM, or GBK), finds each
sheet's header row below its title rows, recognises the kind of sheet by its headers
(学生名单, 成绩, 人才培养方案, 毕业学分, 竞赛集训学分/获奖证书), and turns the rows into
documents of the import format (docs/import-format.md) so that they go through the same
validation and cross-checks as a JSON import.  Every problem names the file, the sheet,
the row and the column as Excel shows it (``D17``), and all of them are reported at once.

A 成绩 sheet is one row per sitting; its rows are *merged* into the stored transcript
(a term update adds the new 补考/重修 sittings and keeps what the store already has), see
docs/spreadsheets.md.  Nothing here writes: it only builds documents.
"""

from __future__ import annotations

import codecs
import csv
import marshal
import operator
import re
import tempfile
import tomllib
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, NamedTuple

from policy.grades import KIND_ORDER, parse_result
from policy.models import AttemptKind, Category, Programme, SourceKind, Student, Transcript
from policy.rules import Rules

SHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv"})
"""Files credx reads as spreadsheets; every other file is an import-format JSON file."""

DEFAULT_MAPPING = Path(str(files("credx_tui") / "mappings" / "zhengfang.toml"))
"""The shipped mapping for 正方 column names and values (package data)."""

HEADER_SEARCH_ROWS = 30
"""How far down a sheet the header row is looked for (title rows come first)."""

_KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # kind: (fields that must all be there, fields that must not be)
    "grades": (
        frozenset({"student_id", "course_code", "result", "year", "semester", "credits"}),
        frozenset(),
    ),
    "certificates": (
        frozenset({"student_id", "certificate_id", "title", "certificate_kind", "credits"}),
        frozenset(),
    ),
    "graduation": (frozenset({"major", "grade_year", "category", "required"}), frozenset()),
    "programme": (
        frozenset({"major", "grade_year", "course_code", "course_name", "category", "credits"}),
        frozenset({"student_id"}),
    ),
    "students": (
        frozenset({"student_id", "name", "college", "major", "grade_year"}),
        frozenset({"course_code"}),
    ),
}
"""The kinds of sheet, tried in this order: the first whose headers match wins."""

KIND_NAMES = {
    "grades": "成绩",
    "certificates": "竞赛集训学分/获奖证书",
    "graduation": "毕业学分",
    "programme": "人才培养方案",
    "students": "学生名单",
}

_SCIENTIFIC = re.compile(r"^([0-9])(?:\.([0-9]+))?[eE]\+?([0-9]{1,2})$")
_DIGITS = re.compile(r"^[0-9]+$")
_INTEGRAL_FLOAT_TEXT = re.compile(r"^([0-9]+)\.0+$")
_YEAR = re.compile(r"^(\d{4})\s*[-－—~至/]\s*(\d{4})(?:学年)?$")
_GRADE_YEAR = re.compile(r"^(\d{4})(?:级|年)?$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
REMEMBERED = 200_000
"""Most answers a conversion remembers (:meth:`_Converter._sitting_fast`): a sheet of
values that never repeat is converted cell by cell past that, in bounded memory."""
_KIND_RANK = {kind.value: rank for kind, rank in KIND_ORDER.items()}
"""KIND_ORDER by the stored value of a sitting's 考试性质 (no enum built per sitting)."""
_MISSING = object()
_REGULAR = AttemptKind.REGULAR.value
_HEADER_NOISE = re.compile(r"[\s\u3000*＊]|[(（]必填[)）]")


# --- problems ------------------------------------------------------------------------


def column_letters(index: int) -> str:
    """Excel's name of a column counted from 0: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Place(NamedTuple):
    """A cell (or a whole row when ``column`` is None) of one sheet (a named tuple, not
    a frozen dataclass: an import of a college builds millions of them)."""

    sheet: str
    row: int
    """Excel's row number, counted from 1."""
    column: int | None = None
    """Column counted from 0."""
    header: str = ""

    def __str__(self) -> str:
        text = f"sheet {self.sheet}, row {self.row}"
        if self.column is not None:
            ref = f"{column_letters(self.column)}{self.row}"
            text += f", column {self.header} ({ref})" if self.header else f" ({ref})"
        return text


@dataclass(frozen=True)
class SheetProblem:
    """One problem of a spreadsheet, located; turned into an ImportProblem by the caller."""

    file: str
    place: Place | None
    message: str


# --- the mapping file ----------------------------------------------------------------


class MappingError(Exception):
    """The mapping file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Mapping:
    """Column names and value translations of one academic system's exports."""

    columns: dict[str, str]
    """Normalised header -> credx field."""
    nature: dict[str, str]
    exam_kind: dict[str, AttemptKind]
    semester: dict[str, int]
    category: dict[str, Category]
    certificate_kind: dict[str, SourceKind]
    source: str = ""

    def headers_of(self, name: str) -> list[str]:
        """The headers that mean the field ``name`` (for messages)."""
        return [h for h, f in self.columns.items() if f == name]


FIELDS = frozenset(name for required, _ in _KINDS.values() for name in required) | frozenset(
    {"class_name", "student_kind", "enrollment_no", "nature", "exam_kind", "exam_date", "date"}
)
"""Every field a mapping's ``[columns]`` may name."""


def _norm(header: object) -> str:
    return _HEADER_NOISE.sub("", str(header)).replace("（", "(").replace("）", ")")


def load_mapping(path: Path | str | None = None) -> Mapping:
    """Read a mapping file (the shipped 正方 mapping by default)."""
    path = Path(path) if path is not None else DEFAULT_MAPPING
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot read the mapping file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from None
    problems: list[str] = []
    allowed = {"columns", "nature", "exam_kind", "semester", "category", "certificate_kind"}
    for key in data:
        if key not in allowed:
            problems.append(f"unknown table [{key}]; allowed are {', '.join(sorted(allowed))}")

    def table(name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            problems.append(f"[{name}] must be a table")
            return {}
        return value

    columns: dict[str, str] = {}
    for name, headers in table("columns").items():
        if name not in FIELDS:
            problems.append(
                f"[columns] {name}: not a field credx reads ({', '.join(sorted(FIELDS))})"
            )
            continue
        if isinstance(headers, str):
            headers = [headers]
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            problems.append(f"[columns] {name}: must be a list of column headers")
            continue
        for header in headers:
            other = columns.setdefault(_norm(header), name)
            if other != name:
                problems.append(f"[columns] header {header!r} is given for {other} and {name}")

    def values(name: str, convert: Any, what: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in table(name).items():
            try:
                out[str(key).strip()] = convert(value)
            except (ValueError, TypeError):
                problems.append(f"[{name}] {key!r} = {value!r}: not {what}")
        return out

    categories = ", ".join(c.value for c in Category)

    def nature_value(value: Any) -> str:
        if value == "plan":
            return "plan"
        return Category(value).value

    def semester_value(value: Any) -> int:
        if type(value) is not int or value not in (1, 2, 3):
            raise ValueError
        return value

    mapping = Mapping(
        columns=columns,
        nature=values("nature", nature_value, f'"plan" or a category ({categories})'),
        exam_kind=values("exam_kind", AttemptKind, "正常考试, 补考 or 重修"),
        semester=values("semester", semester_value, "1, 2 or 3"),
        category=values("category", Category, f"a category ({categories})"),
        certificate_kind=values(
            "certificate_kind",
            lambda v: SourceKind(v) if v in ("竞赛集训学分", "获奖证书") else _raise(),
            "竞赛集训学分 or 获奖证书",
        ),
        source=str(path),
    )
    if problems:
        raise MappingError(f"{path}: " + "; ".join(problems))
    return mapping


def _raise() -> Any:
    raise ValueError


# --- reading cells -------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates as YYYY-MM-DD."""
    if type(value) is str:  # most cells: asked first, called a million times an import
        return value.replace("\u3000", " ").strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if not value.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def restore_id(value: object) -> tuple[str, str | None]:
    """A 学号 as text, and why it cannot be trusted (None when it can).

    Excel shows a long number as ``2.0181E+09`` and a CSV saved from it keeps only
    those digits: ``2018100000`` is not the student's number, so it is refused.  When
    every digit survived (``2.018110101E+09``, or a number cell ``2018110101``) the
    学号 is restored."""
    if isinstance(value, float):
        if value.is_integer() and 0 <= value < 2**53:
            return str(int(value)), None
        return _text(value), "is not a whole number"
    text = _text(value)
    match = _INTEGRAL_FLOAT_TEXT.match(text)
    if match:
        return match.group(1), None
    match = _SCIENTIFIC.match(text)
    if match:
        lead, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3))
        if len(fraction) >= exponent:
            digits = lead + fraction
            if len(fraction) == exponent or not digits[exponent + 1 :].strip("0"):
                return digits[: exponent + 1], None
        return text, (
            f"is {text}: Excel turned the 学号 into a number in scientific notation and "
            "its last digits are lost; format the 学号 column as text (文本) in the academic "
            "system's export and export again"
        )
    return text, None


@dataclass(slots=True)
class Row:
    """One data row of a sheet: its cells by credx field (slots: a 成绩 export holds
    hundreds of thousands of rows)."""

    number: int
    values: dict[str, object]
    columns: dict[str, int]
    headers: dict[str, str]
    sheet: str

    def text(self, name: str) -> str:
        return _text(self.values.get(name))

    def place(self, name: str | None = None) -> Place:
        if name is None or name not in self.columns:
            return Place(self.sheet, self.number)
        return Place(self.sheet, self.number, self.columns[name], self.headers[name])


@dataclass
class Table:
    """A sheet whose header row was found and recognised."""

    file: str
    sheet: str
    kind: str
    header_row: int
    rows: list[Row] = field(default_factory=list)
    """Its data rows (none kept for a 成绩 or certificate sheet read into a spill)."""
    columns: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    index: int = 0
    """Its place among the tables read (problems of spilled rows are sorted by it)."""


SPILLED_KINDS = ("grades", "certificates")
"""Sheets whose rows go to the spill, grouped by student, when the caller asks for it:
they are the big ones (one row per sitting)."""

_PLAIN_TYPES = frozenset({str, float, int, bool, type(None)})
"""Cell values marshal keeps as they are (anything else is spilled as its text)."""

SPILL_ROWS = 20_000
"""Rows held in memory before they are appended to the spill file."""


class RowSpill:
    """The rows of 成绩 and certificate sheets, set aside in a temporary file grouped
    by ``bucket(学号)`` as they are read (issue 12, item 1): the conversion then takes
    one group at a time, so memory holds a group of students, never the sheet.

    A row is kept as (kind, table index, row number, cells of the columns credx reads),
    with ``marshal``: the cells are text, numbers or booleans (anything else is kept as
    the text credx reads it as)."""

    def __init__(self, bucket: Callable[[str], str]) -> None:
        self.bucket = bucket
        self.file = tempfile.TemporaryFile(prefix="credx-rows-")  # noqa: SIM115 (closed by close)
        self.pending: dict[str, list[tuple[int, int, int, tuple[object, ...]]]] = {}
        self.held = 0
        self.chunks: dict[str, list[tuple[int, int]]] = {}
        self.end = 0
        self.seen: tuple[dict[str, None], dict[str, None]] = ({}, {})
        self._keys: dict[object, tuple[str, str]] = {}
        """学号 of the 成绩 rows, then of the certificate rows, in the order first seen."""

    def add(self, table: Table, number: int, cells: tuple[object, ...], sid_at: int | None) -> None:
        """One row: ``cells`` of the table's columns, in their order; the 学号 at
        ``sid_at`` (None: the sheet has no 学号 column)."""
        kind = SPILLED_KINDS.index(table.kind)
        raw = None if sid_at is None else cells[sid_at]
        if not _PLAIN_TYPES.issuperset(map(type, cells)):
            cells = tuple(
                v if v is None or type(v) in (str, float, int, bool) else _text(v) for v in cells
            )
        found = self._keys.get(raw) if type(raw) in (str, float, int) else None
        if found is None:  # a student has 40 rows: their 学号 is read and hashed once
            sid = restore_id(raw)[0]
            found = self._keys[raw] = (sid, self.bucket(sid))
        self.seen[kind].setdefault(found[0])
        self.pending.setdefault(found[1], []).append((kind, table.index, number, cells))
        self.held += 1
        if self.held >= SPILL_ROWS:
            self.flush()

    def flush(self) -> None:
        for key, rows in self.pending.items():
            payload = marshal.dumps(rows)
            self.file.write(payload)
            self.chunks.setdefault(key, []).append((self.end, len(payload)))
            self.end += len(payload)
        self.pending.clear()
        self.held = 0

    def rank(self) -> dict[str, int]:
        """Each 学号's place: the 成绩 rows' order of first sight, then certificates'."""
        grades, certificates = self.seen
        order = [*grades, *(sid for sid in certificates if sid not in grades)]
        return {sid: index for index, sid in enumerate(order)}

    def groups(self) -> Iterator[list[tuple[int, int, int, tuple[object, ...]]]]:
        """The rows of each bucket, buckets in order, rows in the order they were read."""
        self.flush()
        for key in sorted(self.chunks):
            rows: list[tuple[int, int, int, tuple[object, ...]]] = []
            for offset, length in self.chunks[key]:
                self.file.seek(offset)
                rows.extend(marshal.loads(self.file.read(length)))
            yield rows

    def close(self) -> None:
        self.file.close()


def _csv_encoding(path: Path) -> tuple[str | None, str]:
    """The codec to read a CSV file with and its name: UTF-8 (a BOM is fine), else GBK
    (GB18030); None when it is neither.  The file is checked a block at a time, so a
    big export is never held in memory (issue 12, item 1)."""
    with path.open("rb") as fh:
        bom = fh.read(3) == b"\xef\xbb\xbf"
        fh.seek(3 if bom else 0)
        decoder: codecs.IncrementalDecoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while block := fh.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if bom:
                return None, "UTF-8 with BOM"
        else:
            return ("utf-8-sig", "UTF-8 with BOM") if bom else ("utf-8", "UTF-8")
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("gb18030")()
        try:
            while block := fh.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None, ""
    return "gb18030", "GBK"


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[object]]]:
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        for row in reader:
            yield reader.line_num, list(row)


def _raw_sheets(
    path: Path, name: str, problems: list[SheetProblem]
) -> Iterator[tuple[str, Iterator[tuple[int, list[object]]]]]:
    """(sheet name, rows) of a file; each row is (Excel row number, cells from column A).
    Rows come as they are read: a CSV file is a reader, a big xlsx sheet is read a slice
    at a time (:mod:`credx_tui.xlsx_rows`)."""
    if path.suffix.lower() == ".csv":
        try:
            encoding, _ = _csv_encoding(path)
        except OSError as exc:
            problems.append(SheetProblem(name, None, f"cannot read the file: {exc.strerror}"))
            return
        if encoding is None:
            problems.append(
                SheetProblem(name, None, "is neither UTF-8 nor GBK text; save it as CSV UTF-8")
            )
            return
        yield path.stem, _csv_rows(path, encoding)
        return
    from python_calamine import CalamineWorkbook

    from credx_tui import xlsx_rows

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken files
        problems.append(
            SheetProblem(
                name, None, f"not a spreadsheet credx can read ({type(exc).__name__}: {exc})"
            )
        )
        return
    streamed = None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            streamed = xlsx_rows.StreamedWorkbook(str(path))
        except xlsx_rows.NotStreamable:
            streamed = None
    for sheet_name in book.sheet_names:
        if streamed is not None and streamed.size(sheet_name) > xlsx_rows.STREAM_XML_BYTES:
            yield sheet_name, _streamed_rows(streamed, sheet_name, book, name, problems)
            continue
        try:
            sheet = book.get_sheet_by_name(sheet_name)
        except Exception as exc:
            problems.append(SheetProblem(name, None, f"sheet {sheet_name}: cannot be read: {exc}"))
            continue
        yield sheet_name, _calamine_rows(sheet)


def _calamine_rows(sheet: Any) -> Iterator[tuple[int, list[object]]]:
    start = sheet.start
    if start is None:
        return  # an empty sheet
    offset = start[1]
    # iter_rows starts at row 1 but at the first used column: pad it back.
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        yield number, [""] * offset + list(cells)


def _streamed_rows(
    streamed: Any, sheet_name: str, book: Any, name: str, problems: list[SheetProblem]
) -> Iterator[tuple[int, list[object]]]:
    """A big sheet a slice at a time; one laid out otherwise is read whole by calamine."""
    from credx_tui.xlsx_rows import NotStreamable

    try:
        yield from streamed.rows(sheet_name)
    except NotStreamable:
        try:
            sheet = book.get_sheet_by_name(sheet_name)
        except Exception as exc:
            problems.append(SheetProblem(name, None, f"sheet {sheet_name}: cannot be read: {exc}"))
            return
        yield from _calamine_rows(sheet)
    except Exception as exc:  # calamine's errors on a damaged slice
        problems.append(SheetProblem(name, None, f"sheet {sheet_name}: cannot be read: {exc}"))


def _header(cells: list[object], mapping: Mapping) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = mapping.columns.get(_norm(_text(cell)))
        if name is not None and name not in found:
            found[name] = index
    return found or None


def _kind(found: Iterable[str]) -> str | None:
    names = set(found)
    for kind, (required, excluded) in _KINDS.items():
        if required <= names and not (excluded & names):
            return kind
    return None


def read_tables(
    paths: Sequence[Path],
    mapping: Mapping,
    problems: list[SheetProblem],
    spill: RowSpill | None = None,
) -> list[Table]:
    """Every recognised sheet of ``paths`` with its data rows (blank rows skipped); the
    rows of 成绩 and certificate sheets go to ``spill`` when one is given."""
    tables: list[Table] = []
    for path in paths:
        name = str(path)
        for sheet_name, rows in _raw_sheets(path, name, problems):
            table = _read_table(name, sheet_name, rows, mapping, problems, spill, len(tables))
            if table is not None:
                tables.append(table)
    return tables


def _read_table(
    name: str,
    sheet_name: str,
    rows: Iterator[tuple[int, list[object]]],
    mapping: Mapping,
    problems: list[SheetProblem],
    spill: RowSpill | None = None,
    index: int = 0,
) -> Table | None:
    columns: dict[str, int] | None = None
    spilled = False
    kind = None
    seen_cells = False
    where: tuple[int, ...] = ()
    width = 0
    pick: Callable[[list[object]], Any] = operator.itemgetter(0)
    sid_at: int | None = None
    for number, cells in rows:
        if columns is None:
            if any(_text(c) for c in cells):
                seen_cells = True
            found = _header(cells, mapping)
            if found is not None and (kind := _kind(found)) is not None:
                columns = found
                headers = {f: _text(cells[i]) for f, i in found.items()}
                table = Table(name, sheet_name, kind, number, [], columns, headers, index)
                spilled = spill is not None and kind in SPILLED_KINDS
                # A spilled row is taken as the tuple of its cells (one C call), not
                # a dict: it is a dict again only when its group is converted.
                where = tuple(columns.values())
                width = max(where) + 1
                pick = operator.itemgetter(*where)
                sid_at = list(columns).index("student_id") if "student_id" in columns else None
                _duplicate_headers(name, sheet_name, number, cells, mapping, problems)
                continue
            if number >= HEADER_SEARCH_ROWS:
                break
            continue
        if spilled:
            assert spill is not None
            if len(cells) >= width and len(where) > 1:
                picked = pick(cells)
            else:
                picked = tuple(cells[i] if i < len(cells) else "" for i in where)
            if any(map(_text, picked)):  # else blank, or only columns credx does not read
                spill.add(table, number, picked, sid_at)
            continue
        values = {f: cells[i] if i < len(cells) else "" for f, i in columns.items()}
        if not any(_text(v) for v in values.values()):
            continue  # a blank row, or one with only columns credx does not read
        table.rows.append(Row(number, values, columns, headers, sheet_name))
    if columns is None:
        if seen_cells:
            expected = "; ".join(
                f"{KIND_NAMES[k]}: {', '.join(_first_header(mapping, f) for f in sorted(req))}"
                for k, (req, _) in _KINDS.items()
            )
            problems.append(
                SheetProblem(
                    name,
                    Place(sheet_name, 1),
                    f"no header row found in the first {HEADER_SEARCH_ROWS} rows; a sheet "
                    f"needs the columns of one of: {expected}",
                )
            )
        return None
    return table


def _first_header(mapping: Mapping, name: str) -> str:
    headers = mapping.headers_of(name)
    return headers[0] if headers else name


def _duplicate_headers(
    name: str,
    sheet: str,
    number: int,
    cells: list[object],
    mapping: Mapping,
    problems: list[SheetProblem],
) -> None:
    first: dict[str, int] = {}
    for index, cell in enumerate(cells):
        header = _text(cell)
        field_name = mapping.columns.get(_norm(header))
        if field_name is None:
            continue
        if field_name in first:
            problems.append(
                SheetProblem(
                    name,
                    Place(sheet, number, index, header),
                    f"a second column for {field_name} (the first is column "
                    f"{column_letters(first[field_name])}); keep one",
                )
            )
        else:
            first[field_name] = index


# --- rows into documents -------------------------------------------------------------


@dataclass
class SheetDocument:
    """A document of the import format built from rows, and where its fields came from."""

    file: str
    type: str
    raw: dict[str, Any]
    place: Place
    """The first row the document came from."""
    cells: dict[str, Place] = field(default_factory=dict)
    """Field path (``records[2].credits``) -> the cell it was read from."""
    packed: bytes | None = None
    """The cells, compressed (:meth:`pack`)."""
    rows_at: tuple[list[Any], list[Any]] | bytes | None = None
    """A transcript's cells, not yet made (:meth:`locate` makes them): per record and
    per certificate, in the document's order, (table index, row number, 1 when the
    category is read from 课程类别 and 0 from 课程性质) of its first row, or None when
    no row gave it.  Marshalled by :meth:`pack`.  A problem is rare; making 8 places
    per course of every transcript cost a tenth of an import."""
    tables: dict[int, Table] | None = field(default=None, repr=False, compare=False)
    """The tables ``rows_at`` counts (shared by every document of one conversion)."""

    def pack(self) -> None:
        """Keep the cells compressed until a problem asks where it is: an import keeps
        every transcript's document for the checks between documents, and their
        cells (300 per transcript of 40 courses) were 600 MB of a 20,000-student
        college (issue 12, item 1).  The keys by course code and certificate id only
        served to build the ones by index and are dropped."""
        cells = {
            k: (p.sheet, p.row, p.column, p.header)
            for k, p in self.cells.items()
            if not k.startswith(("@", "#"))
        }
        self.packed = zlib.compress(marshal.dumps(cells), 1)
        self.cells = {}
        if isinstance(self.rows_at, tuple):
            self.rows_at = marshal.dumps(self.rows_at)

    def locate(self, path: str | None) -> Place:
        """The cell of a field path, or of its nearest parent, or the document's row."""
        if self.packed is not None:
            self.cells = {
                k: Place(*v) for k, v in marshal.loads(zlib.decompress(self.packed)).items()
            }
            self.packed = None
        if self.rows_at is not None:
            self._make_cells()
        while path:
            if path in self.cells:
                return self.cells[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.place

    def _make_cells(self) -> None:
        """The cells of ``rows_at``: each record's 课程代码, 学分, 课程名称 and 课程类别
        (or 课程性质), each certificate's 证书编号."""
        at = self.rows_at
        if at is None:
            return
        records, certificates = marshal.loads(at) if isinstance(at, bytes) else at
        self.rows_at = None
        tables = self.tables or {}

        def place(index: int, number: int, name: str) -> Place:
            table = tables[index]
            if name not in table.columns:
                return Place(table.sheet, number)
            return Place(table.sheet, number, table.columns[name], table.headers[name])

        for index, found in enumerate(records):
            if found is None:
                continue
            where, number, by_category = found
            self.cells[f"records[{index}]"] = place(where, number, "course_code")
            self.cells[f"records[{index}].credits"] = place(where, number, "credits")
            self.cells[f"records[{index}].name"] = place(where, number, "course_name")
            category = "category" if by_category else "nature"
            self.cells[f"records[{index}].category"] = place(where, number, category)
        for index, found in enumerate(certificates):
            if found is not None:
                where, number = found
                self.cells[f"certificates[{index}]"] = place(where, number, "certificate_id")


@dataclass
class Context:
    """What the conversion of rows needs to know besides the rows themselves."""

    rules: Rules
    mapping: Mapping
    students: dict[str, Student] = field(default_factory=dict)
    programmes: dict[tuple[str, int], Programme] = field(default_factory=dict)
    transcripts: dict[str, Transcript] = field(default_factory=dict)
    """Stored transcripts by 学号.  Anything with ``get`` will do; one with an
    ``order(student_ids)`` method is asked in that order (a reader of the store, by
    shard, so that each shard is read once)."""
    sink: Callable[[SheetDocument], None] | None = None
    """Given each transcript document as soon as it is built, instead of keeping them
    all (the import of a college streams them into the store; issue 12, item 5)."""
    bucket: Callable[[str], str] | None = None
    """When given, the rows of 成绩 and certificate sheets are spilled to a temporary
    file grouped by ``bucket(学号)`` (:class:`RowSpill`) and converted a group at a
    time, in the order of the groups' keys: the import passes the store's shard, so
    memory holds a shard's students, never the sheet (issue 12, item 1)."""


_ROW_GROUPS = (
    ("student_id", "name"),
    ("course_code", "course_name", "credits", "category", "nature"),
    ("year", "semester", "exam_kind", "result", "exam_date"),
)
"""The cells of a 成绩 row that :meth:`_Converter._sitting_fast` remembers together."""


def _group_getters(columns: dict[str, int]) -> tuple[Callable[[tuple[object, ...]], Any], ...]:
    """For each of :data:`_ROW_GROUPS`, a getter of its cells from a row's values in
    the order of ``columns`` followed by one None (what a column the table lacks reads
    as, as ``values.get`` would)."""
    order = {name: index for index, name in enumerate(columns)}
    absent = len(order)
    return tuple(
        operator.itemgetter(*(order.get(name, absent) for name in group)) for group in _ROW_GROUPS
    )


class _Converter:
    def __init__(
        self, tables: list[Table], context: Context, spill: RowSpill | None = None
    ) -> None:
        self.tables = tables
        self.ctx = context
        self.spill = spill
        self.problems: list[SheetProblem] = []
        self.docs: list[SheetDocument] = []
        self._row_key: tuple[int, int, int] | None = None
        self._results: dict[str, str | None] = {}
        """Each 成绩 text read so far, and why it is not a result (None: it is one)."""
        self._row_problems: list[tuple[tuple[int, int, int], int, SheetProblem]] = []
        """Problems of 成绩 and certificate rows, with (kind, table, row) to report them
        in the sheets' order although rows are converted a group of students at a time."""
        self._valid: dict[tuple[Any, ...], Any] = {}
        """What the cells of a 成绩 row's student, course and sitting were found to mean,
        by their values and types, for values that raised no problem: a college's
        800,000 rows hold a few thousand of each (:meth:`_sitting_fast`)."""
        self._plans: dict[tuple[str, int], dict[str, str] | None] = {}
        """Per (major, 年级): the categories of its plan's courses by code."""
        self._tables_by_index = {t.index: t for t in tables}
        self._getters: dict[int, tuple[Callable[[tuple[object, ...]], Any], ...]] = {}
        """Per table: the cells of a 成绩 row's student, course and sitting, in one call
        each (:func:`_group_getters`)."""

    def bad(self, table: Table, row: Row, name: str | None, message: str) -> None:
        problem = SheetProblem(table.file, row.place(name), message)
        if self._row_key is None:
            self.problems.append(problem)
        else:
            self._row_problems.append((self._row_key, len(self._row_problems), problem))

    # -- cells ----------------------------------------------------------------------

    def required(self, table: Table, row: Row, name: str) -> str | None:
        text = row.text(name)
        if not text:
            self.bad(table, row, name, "is empty")
            return None
        return text

    def student_id(self, table: Table, row: Row) -> str | None:
        if not row.text("student_id"):
            self.bad(table, row, "student_id", "is empty")
            return None
        sid, why = restore_id(row.values.get("student_id"))
        if why is not None:
            self.bad(table, row, "student_id", f"学号 {why}")
            return None
        return sid

    def number(self, table: Table, row: Row, name: str, low: float, high: float) -> float | None:
        text = self.required(table, row, name)
        if text is None:
            return None
        try:
            value = float(text)
        except ValueError:
            self.bad(table, row, name, f"{text!r} is not a number")
            return None
        if not low <= value <= high:
            self.bad(table, row, name, f"{text} is not between {low:g} and {high:g}")
            return None
        return value

    def grade_year(self, table: Table, row: Row) -> int | None:
        text = self.required(table, row, "grade_year")
        if text is None:
            return None
        match = _GRADE_YEAR.match(text)
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            self.bad(table, row, "grade_year", f"{text!r} is not a year of entry such as 2023")
            return None
        return int(match.group(1))

    def term(self, table: Table, row: Row) -> dict[str, Any] | None:
        year_text = self.required(table, row, "year")
        semester_text = self.required(table, row, "semester")
        if year_text is None or semester_text is None:
            return None
        match = _YEAR.match(year_text)
        year = None
        if match and int(match.group(2)) == int(match.group(1)) + 1:
            year = f"{match.group(1)}-{match.group(2)}"
        else:
            self.bad(table, row, "year", f"{year_text!r} is not a 学年 such as 2025-2026")
        semester = self.ctx.mapping.semester.get(semester_text)
        if semester is None:
            known = ", ".join(self.ctx.mapping.semester)
            self.bad(table, row, "semester", f"{semester_text!r} is not a 学期 ({known})")
        if year is None or semester is None:
            return None
        return {"year": year, "semester": semester}

    def date(self, table: Table, row: Row, name: str) -> str | None:
        text = row.text(name)
        if not text:
            return None
        text = text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else text
        match = _DATE.match(text) or _COMPACT_DATE.match(text)
        if match:
            y, m, d = (int(g) for g in match.groups())
            try:
                found = date(y, m, d).isoformat()
            except ValueError:
                pass
            else:
                return found
        self.bad(table, row, name, f"{text!r} is not a date such as 2025-05-18")
        return ""

    def category(self, table: Table, row: Row) -> Category | None:
        text = row.text("category")
        if not text:
            return None
        found = self.ctx.mapping.category.get(text)
        if found is None:
            try:
                found = Category(text)
            except ValueError:
                known = ", ".join(c.value for c in Category)
                self.bad(
                    table,
                    row,
                    "category",
                    f"{text!r} is not a 课程类别 ({known}, or one of the mapping file)",
                )
        return found

    # -- the kinds of sheet -----------------------------------------------------------

    def run(self) -> tuple[list[SheetDocument], list[SheetProblem]]:
        by_kind: dict[str, list[Table]] = {}
        for table in self.tables:
            by_kind.setdefault(table.kind, []).append(table)
        students = self._students(by_kind.get("students", []))
        self._programmes(by_kind.get("programme", []), by_kind.get("graduation", []), students)
        self._transcripts(by_kind.get("grades", []), by_kind.get("certificates", []))
        return self.docs, self.problems

    def _students(self, tables: list[Table]) -> dict[str, Student]:
        found: dict[str, Student] = {}
        for table in tables:
            for row in table.rows:
                sid = self.student_id(table, row)
                values = [self.required(table, row, n) for n in ("name", "college", "major")]
                year = self.grade_year(table, row)
                if sid is None or None in values or year is None:
                    continue
                name, college, major = values
                raw: dict[str, Any] = {
                    "type": "student",
                    "id": sid,
                    "name": name,
                    "college": college,
                    "major": major,
                    "grade_year": year,
                }
                for key, column in (
                    ("class_name", "class_name"),
                    ("kind", "student_kind"),
                    ("enrollment_no", "enrollment_no"),
                ):
                    if row.text(column):
                        raw[key] = row.text(column)
                cells = {
                    "id": row.place("student_id"),
                    "name": row.place("name"),
                    "college": row.place("college"),
                    "major": row.place("major"),
                    "grade_year": row.place("grade_year"),
                    "class_name": row.place("class_name"),
                    "kind": row.place("student_kind"),
                    "enrollment_no": row.place("enrollment_no"),
                }
                self.docs.append(SheetDocument(table.file, "student", raw, row.place(), cells))
                student = _quiet(Student, raw)  # if invalid, the import's validation says why
                if student is not None:
                    found.setdefault(sid, student)
        self.ctx.students = {**self.ctx.students, **found}
        return found

    def _programmes(
        self, plans: list[Table], graduation: list[Table], students: dict[str, Student]
    ) -> None:
        groups: dict[tuple[str, int], SheetDocument] = {}
        for table in plans:
            for row in table.rows:
                major = self.required(table, row, "major")
                year = self.grade_year(table, row)
                code = self.required(table, row, "course_code")
                name = self.required(table, row, "course_name")
                category = self.category(table, row)
                if not row.text("category"):
                    self.bad(table, row, "category", "is empty")
                credits = self.number(table, row, "credits", 0, 40)
                if major is None or year is None:
                    continue
                doc = groups.get((major, year))
                if doc is None:
                    doc = self._programme_doc(table, row, major, year, students)
                    groups[(major, year)] = doc
                if code is None or name is None or category is None or credits is None:
                    continue
                index = len(doc.raw["courses"])
                doc.raw["courses"].append(
                    {"code": code, "name": name, "category": category.value, "credits": credits}
                )
                doc.cells[f"courses[{index}]"] = row.place("course_code")
                doc.cells[f"courses[{index}].code"] = row.place("course_code")
                doc.cells[f"courses[{index}].name"] = row.place("course_name")
                doc.cells[f"courses[{index}].category"] = row.place("category")
                doc.cells[f"courses[{index}].credits"] = row.place("credits")
        given: set[tuple[str, int]] = set()
        for table in graduation:
            for row in table.rows:
                major = self.required(table, row, "major")
                year = self.grade_year(table, row)
                category = self.category(table, row)
                if not row.text("category"):
                    self.bad(table, row, "category", "is empty")
                credits = self.number(table, row, "required", 0, 400)
                if major is None or year is None or category is None or credits is None:
                    continue
                doc = groups.get((major, year))
                if doc is None:
                    stored = self.ctx.programmes.get((major, year))
                    if stored is None:
                        self.bad(
                            table,
                            row,
                            "major",
                            f"no 人才培养方案 of {major} {year} in this import or the store; "
                            "import the plan with its graduation credits",
                        )
                        continue
                    raw = {"type": "programme", **stored.model_dump(mode="json")}
                    raw["graduation"] = {}
                    doc = SheetDocument(table.file, "programme", raw, row.place())
                    groups[(major, year)] = doc
                if (major, year) not in given:
                    given.add((major, year))
                    doc.raw["graduation"] = {}
                if category.value in doc.raw["graduation"]:
                    self.bad(
                        table, row, "category", f"{category.value} of {major} {year} is given twice"
                    )
                doc.raw["graduation"][category.value] = credits
                doc.cells[f"graduation.{category.value}"] = row.place("required")
        for (major, year), doc in groups.items():
            if (major, year) in given:
                continue
            stored = self.ctx.programmes.get((major, year))
            if stored is not None:  # a plan re-imported without its graduation sheet keeps it
                doc.raw["graduation"] = {k.value: v for k, v in stored.graduation.items()}
        self.docs.extend(groups.values())
        self.ctx.programmes = {
            **self.ctx.programmes,
            **{
                key: p
                for key, doc in groups.items()
                if (p := _quiet(Programme, doc.raw)) is not None
            },
        }

    def _programme_doc(
        self, table: Table, row: Row, major: str, year: int, students: dict[str, Student]
    ) -> SheetDocument:
        college = row.text("college")
        place = row.place("college")
        if not college:
            known = {
                s.college
                for s in self.ctx.students.values()
                if (s.major, s.grade_year) == (major, year)
            }
            stored = self.ctx.programmes.get((major, year))
            if stored is not None:
                known.add(stored.college)
            if len(known) == 1:
                college = known.pop()
                place = row.place("major")
            else:
                why = (
                    f"students of {major} {year} are in several colleges ({', '.join(sorted(known))})"
                    if known
                    else f"no student of {major} {year} is in this import or the store"
                )
                self.bad(
                    table,
                    row,
                    "major",
                    f"the 学院 of {major} {year} is unknown: {why}; add a 学院 column to the plan",
                )
                college = ""
        raw = {
            "type": "programme",
            "major": major,
            "college": college,
            "grade_year": year,
            "courses": [],
            "graduation": {},
        }
        cells = {
            "major": row.place("major"),
            "grade_year": row.place("grade_year"),
            "college": place,
        }
        return SheetDocument(table.file, "programme", raw, row.place(), cells)

    def _plan_category(self, sid: str, code: str) -> tuple[Category | None, str]:
        student = self.ctx.students.get(sid)
        if student is None:
            return None, f"student {sid} is in no 学生名单 of this import nor in the store"
        programme = self.ctx.programmes.get((student.major, student.grade_year))
        label = f"{student.major} {student.grade_year}"
        if programme is None:
            return None, f"there is no 人才培养方案 of {label} in this import or the store"
        for course in programme.courses:
            if course.code == code:
                return course.category, ""
        return None, f"course {code} is not in the 人才培养方案 of {label}"

    def _transcripts(self, grades: list[Table], certificates: list[Table]) -> None:
        """Transcripts from the rows of 成绩 and certificate sheets, a group of students
        at a time (all rows in one group when they were not spilled); every row's
        problems are then put in the sheets' order, before the transcripts' own."""
        mark = len(self.problems)
        if self.spill is None:
            rows = [(0, t, r) for t in grades for r in t.rows]
            rows += [(1, t, r) for t in certificates for r in t.rows]
            self._group(rows, None)
        else:
            tables = {t.index: t for t in self.tables}
            rank = self.spill.rank()
            for group in self.spill.groups():
                rows = []
                for kind, index, number, cells in group:
                    table = tables[index]
                    values = dict(zip(table.columns, cells, strict=True))
                    row = Row(number, values, table.columns, table.headers, table.sheet)
                    rows.append((kind, table, row))
                del group
                self._group(rows, rank)
        self._row_problems.sort(key=lambda p: (p[0], p[1]))
        self.problems[mark:mark] = [p for _, _, p in self._row_problems]
        self._row_problems.clear()

    def _group(self, rows: list[tuple[int, Table, Row]], rank: dict[str, int] | None) -> None:
        sittings: dict[str, dict[str, list[tuple[Table, Row, dict[str, Any]]]]] = {}
        certs: dict[str, list[tuple[Table, Row, dict[str, Any]]]] = {}
        for kind, table, row in rows:
            self._row_key = (kind, table.index, row.number)
            if kind == 0:
                self._sitting(table, row, sittings)
            else:
                self._certificate(table, row, certs)
        self._row_key = None
        sids = [*sittings, *(s for s in certs if s not in sittings)]
        if rank is not None:
            sids.sort(key=lambda sid: rank.get(sid, len(rank)))
        order = getattr(self.ctx.transcripts, "order", None)
        for sid in order(sids) if order is not None else sids:
            self._transcript(sid, sittings.get(sid, {}), certs.get(sid, []))
            sittings.pop(sid, None)  # each row's record is let go once it is built

    def _sitting_fast(
        self,
        row: Row,
        sittings: dict[str, dict[str, list[tuple[Table, Row, dict[str, Any]]]]],
        table: Table,
    ) -> bool:
        """A 成绩 row whose cells are values already read without a problem, turned
        into its sitting from what those values were found to mean; False (nothing
        done) for any other row, which :meth:`_sitting` then reads cell by cell and
        reports.  The same record either way: this only remembers answers, in three
        parts (the student, the course, the sitting), each a few thousand distinct
        values in a college's 800,000 rows (the conversion was about 50 us a row,
        most of it reading the same values again)."""
        valid = self._valid
        getters = self._getters.get(table.index)
        if getters is None:
            getters = self._getters[table.index] = _group_getters(table.columns)
        cells = (*row.values.values(), None)  # the table's columns in order, then "absent"
        try:
            who = getters[0](cells)
            key: tuple[Any, ...] = ("who", who, tuple(map(type, who)))
            sid = valid.get(key)
            if sid is None:
                sid = self._who(*who)
                if sid is None:
                    return False
                self._remember(key, sid)
            course = getters[1](cells)
            named = "course_name" in row.columns
            key = ("course", named, course, tuple(map(type, course)))
            found = valid.get(key)
            if found is None:
                found = self._course(*course, named=named)
                if found is None:
                    return False
                self._remember(key, found)
            sitting = getters[2](cells)
            key = ("sitting", sitting, tuple(map(type, sitting)))
            held = valid.get(key)
            if held is None:
                held = self._sitting_of(*sitting)
                if held is None:
                    return False
                self._remember(key, held)
        except TypeError:  # a cell value that cannot be remembered (unhashable)
            return False
        code, name, credits, category, by_category = found
        if category is None:  # 课程性质 says: the category of the student's plan
            category = self._plan_category_value(sid, code)
            if category is None:
                return False
        kind, result, term, exam_date = held
        attempt: dict[str, Any] = {"kind": kind, "result": result, "term": term}
        if exam_date:
            attempt["date"] = exam_date
        record = {
            "code": code,
            "name": name,
            "category": category,
            "credits": credits,
            "attempt": attempt,
            "by_category": by_category,
        }
        sittings.setdefault(sid, {}).setdefault(code, []).append((table, row, record))
        return True

    def _remember(self, key: tuple[Any, ...], value: Any) -> None:
        if len(self._valid) < REMEMBERED:
            self._valid[key] = value

    def _who(self, raw: object, name: object) -> str | None:
        """The 学号 of a row's 学号 and 姓名 cells when :meth:`student_id` and
        :meth:`_check_name` find no problem with them, else None."""
        if not _text(raw):
            return None
        sid, why = restore_id(raw)
        if why is not None:
            return None
        text = _text(name)
        student = self.ctx.students.get(sid)
        if text and student is not None and text != student.name:
            return None
        return sid

    def _course(
        self,
        code: object,
        name: object,
        credits: object,
        category: object,
        nature: object,
        *,
        named: bool,
    ) -> tuple[str, str, float, str | None, bool] | None:
        """(课程代码, 课程名称, 学分, 课程类别 value or None when the plan says, whether
        课程类别 gave it) of a row's course cells when they raise no problem, else None."""
        code_text = _text(code)
        name_text = _text(name) if named else code_text
        if not code_text or not name_text:
            return None
        try:
            value = float(_text(credits))
        except ValueError:
            return None
        if not 0 <= value <= 40:
            return None
        text = _text(category)
        if text:
            found = self.ctx.mapping.category.get(text)
            if found is None:
                try:
                    found = Category(text)
                except ValueError:
                    return None
            return code_text, name_text, value, found.value, True
        nature_text = _text(nature)
        mapped = self.ctx.mapping.nature.get(nature_text) if nature_text else None
        if mapped is None:
            return None
        category_value = None if mapped == "plan" else Category(mapped).value
        return code_text, name_text, value, category_value, False

    def _plan_category_value(self, sid: str, code: str) -> str | None:
        """:meth:`_plan_category` when it finds the course, else None."""
        student = self.ctx.students.get(sid)
        if student is None:
            return None
        key = (student.major, student.grade_year)
        if key not in self._plans:
            programme = self.ctx.programmes.get(key)
            self._plans[key] = (
                None
                if programme is None
                else {c.code: c.category.value for c in reversed(programme.courses)}
            )
        plan = self._plans[key]
        return None if plan is None else plan.get(code)

    def _sitting_of(
        self, year: object, semester: object, exam_kind: object, result: object, exam_date: object
    ) -> tuple[str, str, dict[str, Any], str | None] | None:
        """(考试性质 value, 成绩, term, 考试日期) of a row's sitting cells when
        :meth:`term`, :meth:`_exam_kind`, :meth:`_result` and :meth:`date` find no
        problem with them, else None."""
        term = self._term_of(_text(year), _text(semester))
        if term is None:
            return None
        text = _text(exam_kind)
        kind = self.ctx.mapping.exam_kind.get(text) if text else AttemptKind.REGULAR
        if kind is None:
            return None
        result_text = _text(result)
        if not result_text:
            return None
        if result_text not in self._results:
            try:
                parse_result(result_text, self.ctx.rules.grades)
                self._results[result_text] = None
            except ValueError as exc:
                self._results[result_text] = str(exc)
        if self._results[result_text] is not None:
            return None
        day = None
        text = _text(exam_date)
        if text:
            text = text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else text
            match = _DATE.match(text) or _COMPACT_DATE.match(text)
            if not match:
                return None
            y, m, d = (int(g) for g in match.groups())
            try:
                day = date(y, m, d).isoformat()
            except ValueError:
                return None
        return kind.value, result_text, term, day

    def _term_of(self, year_text: str, semester_text: str) -> dict[str, Any] | None:
        """The term of a 学年 and 学期 text when both are valid (:meth:`term`'s answer
        without a problem), else None."""
        if not year_text or not semester_text:
            return None
        match = _YEAR.match(year_text)
        if not match or int(match.group(2)) != int(match.group(1)) + 1:
            return None
        semester = self.ctx.mapping.semester.get(semester_text)
        if semester is None:
            return None
        return {"year": f"{match.group(1)}-{match.group(2)}", "semester": semester}

    def _sitting(
        self,
        table: Table,
        row: Row,
        sittings: dict[str, dict[str, list[tuple[Table, Row, dict[str, Any]]]]],
    ) -> None:
        if self._sitting_fast(row, sittings, table):
            return
        sid = self.student_id(table, row)
        code = self.required(table, row, "course_code")
        name = self.required(table, row, "course_name") if "course_name" in row.columns else code
        credits = self.number(table, row, "credits", 0, 40)
        term = self.term(table, row)
        kind = self._exam_kind(table, row)
        result = self._result(table, row)
        category = self._course_category(table, row, sid, code)
        exam_date = self.date(table, row, "exam_date") if "exam_date" in row.columns else None
        self._check_name(table, row, sid)
        if (
            sid is None
            or code is None
            or name is None
            or credits is None
            or term is None
            or kind is None
            or result is None
            or category is None
        ):
            return
        attempt: dict[str, Any] = {"kind": kind.value, "result": result, "term": term}
        if exam_date:
            attempt["date"] = exam_date
        record = {
            "code": code,
            "name": name,
            "category": category.value,
            "credits": credits,
            "attempt": attempt,
        }
        sittings.setdefault(sid, {}).setdefault(code, []).append((table, row, record))

    def _certificate(
        self, table: Table, row: Row, certs: dict[str, list[tuple[Table, Row, dict[str, Any]]]]
    ) -> None:
        sid = self.student_id(table, row)
        cid = self.required(table, row, "certificate_id")
        title = self.required(table, row, "title")
        kind_text = self.required(table, row, "certificate_kind")
        credits = self.number(table, row, "credits", 0, 20)
        issued = self.date(table, row, "date") if "date" in row.columns else None
        kind = None
        if kind_text is not None:
            kind = self.ctx.mapping.certificate_kind.get(kind_text)
            if kind is None:
                self.bad(
                    table,
                    row,
                    "certificate_kind",
                    f"{kind_text!r} is not 竞赛集训学分 or 获奖证书",
                )
        if sid is None or cid is None or title is None or kind is None or credits is None:
            return
        cert: dict[str, Any] = {"id": cid, "kind": kind.value, "title": title, "credits": credits}
        if issued:
            cert["date"] = issued
        certs.setdefault(sid, []).append((table, row, cert))

    def _check_name(self, table: Table, row: Row, sid: str | None) -> None:
        name = row.text("name")
        student = self.ctx.students.get(sid or "")
        if name and student is not None and name != student.name:
            self.bad(
                table,
                row,
                "name",
                f"{name} is not the name of student {sid} ({student.name}); is the row shifted?",
            )

    def _exam_kind(self, table: Table, row: Row) -> AttemptKind | None:
        if "exam_kind" not in row.columns:
            return AttemptKind.REGULAR
        text = row.text("exam_kind")
        if not text:
            return AttemptKind.REGULAR
        kind = self.ctx.mapping.exam_kind.get(text)
        if kind is None:
            known = ", ".join(self.ctx.mapping.exam_kind)
            self.bad(
                table, row, "exam_kind", f"{text!r} is not a 考试性质 of the mapping file ({known})"
            )
        return kind

    def _result(self, table: Table, row: Row) -> str | None:
        text = self.required(table, row, "result")
        if text is None:
            return None
        if text not in self._results:  # a few hundred results, read 800,000 times
            try:
                parse_result(text, self.ctx.rules.grades)
                self._results[text] = None
            except ValueError as exc:
                self._results[text] = str(exc)
        why = self._results[text]
        if why is not None:
            self.bad(table, row, "result", why)
            return None
        return text

    def _course_category(
        self, table: Table, row: Row, sid: str | None, code: str | None
    ) -> Category | None:
        category = self.category(table, row)
        if category is not None or row.text("category"):
            return category
        nature = row.text("nature")
        if not nature:
            self.bad(
                table,
                row,
                "nature" if "nature" in row.columns else None,
                "neither 课程类别 nor 课程性质 is given: credx needs one to know the course's category",
            )
            return None
        mapped = self.ctx.mapping.nature.get(nature)
        if mapped is None:
            known = ", ".join(self.ctx.mapping.nature)
            self.bad(
                table, row, "nature", f"{nature!r} is not a 课程性质 of the mapping file ({known})"
            )
            return None
        if mapped != "plan":
            return Category(mapped)
        if sid is None or code is None:
            return None
        found, why = self._plan_category(sid, code)
        if found is None:
            self.bad(
                table,
                row,
                "nature",
                f"{nature}: the category comes from the plan, but {why}; add a 课程类别 column",
            )
        return found

    def _transcript(
        self,
        sid: str,
        courses: dict[str, list[tuple[Table, Row, dict[str, Any]]]],
        certs: list[tuple[Table, Row, dict[str, Any]]],
    ) -> None:
        stored = self.ctx.transcripts.get(sid)
        base: dict[str, Any] = (
            stored.model_dump(mode="json") if stored is not None else {"student_id": sid}
        )
        records: dict[str, dict[str, Any]] = {r["code"]: r for r in base.get("records", [])}
        first = next(iter(courses.values()), None) or certs
        table, row, _ = first[0]
        doc = SheetDocument(table.file, "transcript", {}, row.place())
        at: dict[str, tuple[int, int, int]] = {}
        for code, rows in courses.items():
            _head_table, head_row, head = rows[0]
            for other_table, other_row, other in rows[1:]:
                for key, column in (
                    ("credits", "credits"),
                    ("name", "course_name"),
                    ("category", "category"),
                ):
                    if other[key] != head[key]:
                        self.bad(
                            other_table,
                            other_row,
                            column if column in other_row.columns else "nature",
                            f"course {code} has {key} {other[key]} here but {head[key]} in "
                            f"{head_row.place(column if column in head_row.columns else None)}",
                        )
            attempts = [r[2]["attempt"] for r in rows]
            old = records.get(code)
            if old:
                # A term update: the stored sittings stay unless a row gives the same
                # sitting (考试性质 and term) again.
                given = {(a["kind"], a["term"]["year"], a["term"]["semester"]) for a in attempts}
                kept = [
                    a
                    for a in old.get("attempts", [])
                    if (a["kind"], a["term"]["year"], a["term"]["semester"]) not in given
                ]
                attempts = kept + attempts
            if len(attempts) > 1:
                attempts.sort(
                    key=lambda a: (
                        (a["term"]["year"], a["term"]["semester"]),
                        _KIND_RANK[a["kind"]],
                    )
                )
            regular = next((a for a in attempts if a["kind"] == _REGULAR), None)
            term = (old.get("term") if old else None) or (regular or attempts[0])["term"]
            records[code] = {
                **({"name_en": old["name_en"]} if old and "name_en" in old else {}),
                "code": code,
                "name": head["name"],
                "category": head["category"],
                "credits": head["credits"],
                "term": term,
                "attempts": attempts,
            }
            by_category = head.get("by_category")
            if by_category is None:
                by_category = bool(head_row.text("category"))
            at[code] = (_head_table.index, head_row.number, 1 if by_category else 0)
        certificates: dict[str, dict[str, Any]] = {c["id"]: c for c in base.get("certificates", [])}
        cert_at: dict[str, tuple[int, int]] = {}
        if certs:
            # The keys the cells were once kept under, so a certificate numbered like
            # one of them is still "given twice", as before.
            taken = {f"@{code}{end}" for code in at for end in ("", ".credits", ".name")}
            taken |= {f"@{code}.category" for code in at}
            for c_table, c_row, cert in certs:
                if cert["id"] in taken or f"#{cert['id']}" in taken:
                    self.bad(
                        c_table,
                        c_row,
                        "certificate_id",
                        f"certificate {cert['id']} of student {sid} is given twice",
                    )
                certificates[cert["id"]] = cert
                taken.add(f"#{cert['id']}")
                cert_at[cert["id"]] = (c_table.index, c_row.number)
        ordered = list(records.values())
        ordered.sort(key=lambda r: ((r["term"]["year"], r["term"]["semester"]), r["code"]))
        doc.raw = {
            "type": "transcript",
            "student_id": sid,
            "records": ordered,
            "level_exams": base.get("level_exams", []),
            "certificates": list(certificates.values()),
        }
        # Field paths of the import's checks are by index: each record and certificate
        # points at its first row, made into cells only if a problem asks (locate).
        doc.rows_at = (
            [at.get(record["code"]) for record in ordered],
            [cert_at.get(cert["id"]) for cert in doc.raw["certificates"]],
        )
        doc.tables = self._tables_by_index
        doc.cells["student_id"] = doc.place if not courses else rows_place(courses)
        (self.ctx.sink or self.docs.append)(doc)


def rows_place(courses: dict[str, list[tuple[Table, Row, dict[str, Any]]]]) -> Place:
    """The 学号 cell of a student's first 成绩 row."""
    _, row, _ = next(iter(courses.values()))[0]
    return row.place("student_id")


def _quiet(model: Any, raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate({k: v for k, v in raw.items() if k != "type"})
    except ValueError:
        return None


def sheet_documents(
    paths: Sequence[Path], context: Context
) -> tuple[list[SheetDocument], list[SheetProblem]]:
    """Read spreadsheets and build their import documents; problems are collected, not raised."""
    problems: list[SheetProblem] = []
    spill = RowSpill(context.bucket) if context.bucket is not None else None
    try:
        tables = read_tables(paths, context.mapping, problems, spill)
        docs, more = _Converter(tables, context, spill).run()
    finally:
        if spill is not None:
            spill.close()
    return docs, problems + more


__all__ = [
    "DEFAULT_MAPPING",
    "SHEET_SUFFIXES",
    "Context",
    "Mapping",
    "MappingError",
    "Place",
    "RowSpill",
    "SheetDocument",
    "SheetProblem",
    "column_letters",
    "load_mapping",
    "read_tables",
    "restore_id",
    "sheet_documents",
]
