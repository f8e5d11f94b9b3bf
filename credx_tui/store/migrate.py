"""Older stores brought to the current schema when they are opened (issue 12, item 4).

Every data file carries its schema version in ``_meta``; a file of a newer credx is
refused (:func:`credx_tui.store.files.decode`), and the store's marker file
``credx-store.json`` carries the version the whole store was last brought to.  When a
store whose marker is older is opened, :func:`migrate` runs each step once, then
stamps the marker; a step is written so that running it again changes nothing (a crash
in the middle is finished by the next open).

Steps:

- **1 -> 2**: applications keep the fingerprint of the transcript they were submitted
  against (``submitted_transcript``, :mod:`policy.fingerprint`), so the reviewer sees
  when it changed since.  An application submitted before version 2 has none: it gets
  the fingerprint of its student's transcript as it is now, the first one credx knows
  it by (as an import does, :func:`policy.fingerprint.for_import`).  Other files need
  no change (version 1 files read as they are; each is stamped 2 when next written).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from credx_tui.store.files import (
    META_TABLE,
    SCHEMA_VERSION,
    StoreError,
    atomic_write_bytes,
    encode,
    locked,
    read_file,
)
from credx_tui.store.layout import MARKER
from credx_tui.store.schema import HOT_TABLES, check_before_write
from policy.fingerprint import SUBMITTED, fingerprint
from policy.models import ExchangeApplication

if TYPE_CHECKING:
    from credx_tui.store.store import Store

_SUBMITTED_VALUES = frozenset(status.value for status in SUBMITTED)


def store_version(marker_data: dict) -> int:
    """The schema version the store was last brought to (its marker's stamp)."""
    meta = marker_data.get(META_TABLE, {}).get("1")
    version = meta.get("schema") if isinstance(meta, dict) else None
    return version if isinstance(version, int) else 1


def migrate(store: Store, marker_data: dict) -> list[str]:
    """Bring the store at ``store.root`` to :data:`SCHEMA_VERSION`; what was done, one
    sentence each (nothing when it is current).  Under the store lock, so two
    processes opening an old store at once migrate it once."""
    if store_version(marker_data) >= SCHEMA_VERSION:
        return []
    done: list[str] = []
    marker = store.root / MARKER
    with locked(store.root / "locks" / "store.lock"):
        data = read_file(marker) or marker_data
        if store_version(data) >= SCHEMA_VERSION:
            return []  # another process did it meanwhile
        if store_version(data) < 2:
            done.append(_fingerprints(store))
        atomic_write_bytes(marker, encode(data))  # stamped with the current version
    return done


def _fingerprints(store: Store) -> str:
    """Step 1 -> 2: a fingerprint for every submitted application without one."""
    count = 0
    for path in sorted((store.root / "hot").glob("*/*.json")):
        lock = store.root / "locks" / f"hot-{path.parent.name}-{path.stem}.lock"
        with locked(lock):
            data = read_file(path)
            if not data:
                continue
            changed = False
            for doc in data.get("applications", {}).values():
                if (
                    not isinstance(doc, dict)
                    or doc.get("status") not in _SUBMITTED_VALUES
                    or doc.get("submitted_transcript") is not None
                ):
                    continue
                try:
                    app = ExchangeApplication.model_validate(doc)
                except ValueError:
                    continue  # a damaged document is left as it is; verify names it
                transcript = store.transcript(app.student_id)
                if transcript is None:
                    continue
                doc["submitted_transcript"] = fingerprint(transcript, app).model_dump(mode="json")
                changed = True
                count += 1
            if changed:
                try:
                    check_before_write(path, data, HOT_TABLES)
                except StoreError:
                    continue  # a damaged file is never rewritten; verify names it
                atomic_write_bytes(path, encode(data))
    store.cache.clear()
    return (
        f"store brought to schema 2: {count} submitted application(s) now keep the "
        "fingerprint of their transcript"
    )


__all__ = ["migrate", "store_version"]
