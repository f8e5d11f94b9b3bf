"""Where a document lives in a store folder, the index files' shape, the marker file's
name and how a stored document is read into its model: the facts the file store
(:mod:`credx_tui.store.store`), its checker (:mod:`credx_tui.store.verify`), its
migrations (:mod:`credx_tui.store.migrate`) and the PostgreSQL store
(:mod:`credx_tui.store.pg`, :mod:`credx_tui.store.pg_verify`) share.

They once lived in ``store.py`` and the others imported them from there while
``store.py`` imports ``verify`` and ``migrate``: import circles.  All import them from
here now, and an import-linter contract (pyproject.toml) keeps the store's modules in
layers.  ``store.store`` still names them for its other users."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from credx_tui.store.files import StoreError, TinyData
from policy.validation import first_error

M = TypeVar("M", bound=BaseModel)

MARKER = "credx-store.json"
"""The file that makes a folder a credx store (its format and schema version)."""


def stored_model(
    path: Path | str, cls: type[M], doc: Any, unchanged: str = "the file has not been changed"
) -> M:
    """``doc`` as a ``cls``, or a StoreError naming where, the first bad field and what
    was left as it was (both stores read their documents through this)."""
    try:
        return cls.model_validate(doc)
    except ValidationError as exc:
        first, _ = first_error(exc)
        raise StoreError(
            f"{path}: a {cls.__name__} document {first.invalid()}; {unchanged}"
        ) from None


SHARD_HEX = 3
"""Hex digits of the shard key: 16**3 = 4096 shards."""


def shard_key(key: str) -> str:
    """The shard a student or account lives in (stable across machines)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:SHARD_HEX]


HOT_BUCKET_HEX = 1
"""Hex digits of the hot bucket: 16 hot files per college."""


def hot_bucket(student_id: str) -> str:
    """The hot file of a college that holds this student's applications."""
    return shard_key(student_id)[:HOT_BUCKET_HEX]


def college_key(college: str) -> str:
    """File-system-safe name of a college's hot file (college names are Chinese)."""
    return hashlib.sha1(college.encode("utf-8")).hexdigest()[:16]


def app_ids(data: TinyData) -> dict[str, str]:
    """Application id -> 学号 of one hot file's raw documents (nothing validated: an
    index entry is only a hint, checked against the hot file when used)."""
    found: dict[str, str] = {}
    for doc in data.get("applications", {}).values():
        app_id, sid = doc.get("id"), doc.get("student_id")
        if isinstance(app_id, str) and isinstance(sid, str):
            found[app_id] = sid
    return found


INDEX_TABLE = "index"
"""The one table of an index file: one document ``{"college": name, "apps": {id: 学号}}``."""


def index_entries(data: TinyData | None) -> dict[str, str] | None:
    """The id -> 学号 map of a parsed index file; None when absent or not of our shape
    (then the readers scan and rebuild it; ``credx verify`` reports it)."""
    doc = (data or {}).get(INDEX_TABLE, {}).get("1")
    apps = doc.get("apps") if isinstance(doc, dict) else None
    if not isinstance(apps, dict) or not all(isinstance(v, str) for v in apps.values()):
        return None
    return apps


def index_document(college: str | None, entries: dict[str, str]) -> TinyData:
    """The content of an index file (``credx verify --repair`` writes the same)."""
    doc: dict[str, Any] = {"apps": entries}
    if college is not None:
        doc = {"college": college, "apps": entries}
    return {INDEX_TABLE: {"1": doc}}
