"""What the store keeps for its administrators (issue 9): the audit log of admin
changes and the college's rules, both inside the store folder, both the owner's only.

- ``audit/admin.jsonl``: one JSON object a line, appended under ``locks/audit.lock``
  with a single ``write`` of the whole line and an fsync, so a line is either all there
  or not there; never rewritten (append-only).  ``credx audit`` lists it.
- ``rules.json``: every rules file applied with ``credx rules apply``, numbered 1, 2, ...
  with its SHA-256 and text.  The newest one is what every credx process decides with,
  so two terminals can never apply different review chains or ratios.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, Field, ValidationError

from credx_tui.store.files import (
    FILE_MODE,
    StoreError,
    atomic_write_bytes,
    encode,
    locked,
    make_dirs,
    read_file,
    write_failure,
)

if TYPE_CHECKING:
    from credx_tui.store.store import Store

AUDIT_FILE = Path("audit") / "admin.jsonl"
RULES_FILE = "rules.json"


class AuditEvent(BaseModel):
    """One admin change: who (OS account, uid, and who became it), when, what, on what."""

    at: datetime
    action: str = Field(min_length=1, max_length=40, description="e.g. user.add, rules.apply")
    target: str = Field(default="", max_length=400, description="the account, file or version")
    os_user: str = Field(min_length=1, max_length=64, description="effective OS account")
    uid: int
    invoked_by: str = Field(
        default="", max_length=64, description="the real account that became the owner (root)"
    )
    via: str = Field(default="", max_length=200, description="SSH key user or connection")
    detail: dict[str, Any] = Field(default_factory=dict)


def append_audit(store: Store, event: AuditEvent) -> None:
    """Append one event to the audit log (one write of one whole line, under a lock)."""
    path = store.root / AUDIT_FILE
    line = orjson.dumps(event.model_dump(mode="json")) + b"\n"
    with locked(store.root / "locks" / "audit.lock"):
        make_dirs(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise write_failure(path, exc) from None
        try:
            os.fchmod(fd, FILE_MODE)
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(0, f"short write ({written} of {len(line)} bytes)")
            os.fsync(fd)
        except OSError as exc:
            raise write_failure(path, exc) from None
        finally:
            os.close(fd)


def audit_events(store: Store) -> list[AuditEvent]:
    """Every audit event, oldest first; a damaged line stops with its line number."""
    path = store.root / AUDIT_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"{path}: cannot read it: {exc.strerror}") from None
    events: list[AuditEvent] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(AuditEvent.model_validate(orjson.loads(line)))
        except (orjson.JSONDecodeError, ValidationError):
            raise StoreError(
                f"{path}: line {number} is damaged; restore it from a backup"
            ) from None
    return events


@dataclass(frozen=True)
class StoredRules:
    """One version of the rules kept in the store."""

    version: int
    sha256: str
    text: str
    source: str
    applied_at: str


def _rules_docs(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    table = (data or {}).get("rules", {})
    return [d for d in table.values() if isinstance(d, dict)]


def stored_rules(store: Store) -> StoredRules | None:
    """The newest rules applied to the store; None for a store that has none (made
    before rules lived in the store: the bundled default then applies)."""
    path = store.root / RULES_FILE
    docs = _rules_docs(store.cache.get(path))
    if not docs:
        return None
    newest = max(docs, key=lambda d: d.get("version", 0))
    try:
        return StoredRules(
            version=int(newest["version"]),
            sha256=str(newest["sha256"]),
            text=str(newest["text"]),
            source=str(newest.get("source", "")),
            applied_at=str(newest.get("applied_at", "")),
        )
    except (KeyError, TypeError, ValueError):
        raise StoreError(f"{path}: a rules version is damaged; apply the rules again") from None


def put_rules(store: Store, text: str, source: str) -> StoredRules:
    """Store ``text`` (already validated by the caller) as the next version; the same
    text as the newest version is not stored twice."""
    path = store.root / RULES_FILE
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with locked(store.root / "locks" / "rules.lock"):
        data = read_file(path) or {}
        docs = _rules_docs(data)
        newest = max(docs, key=lambda d: d.get("version", 0)) if docs else None
        if newest is not None and newest.get("sha256") == digest:
            store.cache.forget(path)
            found = stored_rules(store)
            assert found is not None
            return found
        version = int(newest["version"]) + 1 if newest is not None else 1
        applied_at = datetime.now(UTC).isoformat()
        doc = {
            "version": version,
            "sha256": digest,
            "text": text,
            "source": source,
            "applied_at": applied_at,
        }
        data.setdefault("rules", {})[str(version)] = doc
        atomic_write_bytes(path, encode(data))
        store.cache.forget(path)
    return StoredRules(version, digest, text, source, applied_at)
