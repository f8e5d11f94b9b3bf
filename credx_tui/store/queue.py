"""The reviewer's queue rows of each hot file, kept beside it (issue 13).

A college of 10,000 applications took seconds to queue: every application of the
college was read and validated to show a table of a few facts each.  So the queue keeps
``queue/<college key>/<bucket>.json``: the rows it shows (id, student, status, step,
dates, name, course ...) of one hot file's applications, with the stat signature of the
hot file they were made from.  The queue reads these small files and builds no model
per application; the decision screen validates the one it opens.

The queue itself writes them, not the writers: a submit stays one file rewrite.  Rows
whose signature no longer matches their hot file (it was written since) are rebuilt by
the next queue from the hot file, which is then parsed once; its applications are
validated only when the file does not carry its validating writer's digest (an older
credx, a hand edit), so a damaged hot file is named, as before.  One rows file per hot
file, so a write costs the next queue one bucket, not the college.  Derived data,
written without fsync: ``credx verify`` reports a damaged or orphaned one and
``--repair`` rebuilds or removes it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from credx_tui.store.files import (
    StoreError,
    TinyData,
    atomic_write_bytes,
    encode,
    read_file,
    signature_of,
)

QUEUE_TABLE = "queue"
"""The one table of a rows file: ``{"source": [ino, size, mtime_ns], "rows": [...]}``."""

ROW_FIELDS = (
    "id",
    "student_id",
    "college",
    "target",
    "status",
    "step",
    "revision",
    "created_at",
    "updated_at",
    "submitted_at",
)
"""Fields of an application each row keeps, in order."""
SUMMARY_FIELDS = ("student_name", "major", "class_name", "course_name", "course_credits")
"""Fields of its :class:`~policy.models.ApplicationSummary`, after them (None: none)."""
CHANGED_AT = len(ROW_FIELDS) + len(SUMMARY_FIELDS)
"""Where a row says ``true`` when the transcript changed after submission (the
fingerprint's ``changed`` mark, issue 12); a row without it is one whose transcript did
not, so rows of unmarked applications are the rows of before."""
DRAFT = "draft"
"""Drafts (无流程) are never in a queue: no row."""


def rows_path(root: Path, hot_path: Path) -> Path:
    """The rows file of a hot file ``hot/<key>/<b>.json``."""
    return root / "queue" / hot_path.parent.name / hot_path.name


def rows_of(data: TinyData) -> list[list[Any]]:
    """The rows of a hot file's raw (already validated) applications."""
    rows: list[list[Any]] = []
    for doc in data.get("applications", {}).values():
        if doc.get("status") == DRAFT:
            continue
        summary = doc.get("summary")
        row = [doc.get(f) for f in ROW_FIELDS]
        if isinstance(summary, dict):
            row.extend(summary.get(f) for f in SUMMARY_FIELDS)
        else:
            row.extend([None] * len(SUMMARY_FIELDS))
        kept = doc.get("submitted_transcript")
        if isinstance(kept, dict) and kept.get("changed") is True:
            row.append(True)
        rows.append(row)
    return rows


def _document(source: tuple[int, int, int], rows: list[list[Any]]) -> TinyData:
    return {QUEUE_TABLE: {"1": {"source": list(source), "rows": rows}}}


def stored_rows(data: TinyData | None) -> tuple[list[int], list[list[Any]]] | None:
    """(source signature, rows) of a parsed rows file; None when not of our shape."""
    doc = (data or {}).get(QUEUE_TABLE, {}).get("1")
    if not isinstance(doc, dict):
        return None
    source, rows = doc.get("source"), doc.get("rows")
    if not isinstance(source, list) or not isinstance(rows, list):
        return None
    return source, rows


def fresh_rows(root: Path, hot_path: Path, cached: TinyData | None) -> list[list[Any]] | None:
    """The rows of ``hot_path`` from its rows file (``cached``: that file as parsed) when
    they were made from the hot file as it is now; None when they must be rebuilt."""
    found = stored_rows(cached)
    if found is None:
        return None
    try:
        current = list(signature_of(hot_path))
    except FileNotFoundError:
        return []
    return found[1] if found[0] == current else None


def rebuild_rows(root: Path, hot_path: Path, data: TinyData, source: tuple[int, int, int]) -> None:
    """Write the rows of ``data``, read (and validated by the caller) from ``hot_path``
    at signature ``source``, best effort (a reader, without the hot file's lock: a race
    with a writer leaves a signature that does not match, so rows are rebuilt again)."""
    with contextlib.suppress(OSError, StoreError):
        atomic_write_bytes(
            rows_path(root, hot_path), encode(_document(source, rows_of(data))), durable=False
        )


def stale_rows(root: Path, rows_file: Path) -> str | None:
    """Why the rows file ``queue/<key>/<b>.json`` does not match its hot file (None:
    it does), for ``credx verify``."""
    hot = root / "hot" / rows_file.parent.name / rows_file.name
    try:
        found = stored_rows(read_file(rows_file))
    except StoreError:
        found = None
    if found is None:
        return "damaged"
    try:
        hot_data = read_file(hot)
        current = list(signature_of(hot))
    except FileNotFoundError:
        return "of a hot file that does not exist"
    except StoreError:
        return None  # the hot file itself is reported
    if found[0] == current and found[1] != rows_of(hot_data or {}):
        return "wrong (its rows are not those of its hot file)"
    return None  # older than its hot file: normal, the next queue rebuilds it


def repair_rows(root: Path, rows_file: Path) -> None:
    """Rebuild (or, without a hot file, remove) a rows file, for ``credx verify --repair``."""
    hot = root / "hot" / rows_file.parent.name / rows_file.name
    try:
        data = read_file(hot)
        source = signature_of(hot)
    except FileNotFoundError:
        rows_file.unlink(missing_ok=True)
        return
    atomic_write_bytes(rows_file, encode(_document(source, rows_of(data or {}))), durable=False)
