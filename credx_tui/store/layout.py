"""Where a document lives in a store folder, and the index files' shape: the facts the
file store (:mod:`credx_tui.store.store`) and its checker
(:mod:`credx_tui.store.verify`) share.

They once lived in ``store.py`` and ``verify.py`` imported them from there while
``store.py`` imports ``verify`` (``Store.verify``): an import circle.  Both import them
from here now, and an import-linter contract (pyproject.toml) keeps ``verify`` off
``store.store``.  ``store.store`` still names them for its other users."""

from __future__ import annotations

import hashlib
from typing import Any

from credx_tui.store.files import TinyData

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
