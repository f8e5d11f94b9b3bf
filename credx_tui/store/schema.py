"""Which model each table of each data file holds, and the check every writer runs.

The readers of :mod:`credx_tui.store.store` turn documents into models; a writer that
wrote something those readers refuse would lock people out (a 201-character 备注 once
did: the student, every reviewer of the college and the admin queue).  So every writer
validates the whole file it is about to write with the same models, and refuses to
touch a file that already holds a damaged document: a damaged file is reported, never
rewritten (``credx verify`` names it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from credx_tui.store.files import META_TABLE, StoreError, TinyData
from policy.models import (
    Account,
    ExchangeApplication,
    Instant,
    Line,
    Programme,
    ReviewEvent,
    Student,
    Transcript,
)
from policy.validation import first_error


class CollegeName(BaseModel):
    """The one document of a hot file's ``college`` table: whose file it is."""

    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=40)


class UploadRecord(BaseModel):
    """An attachment a student stored (``uploads`` table of their hot file): the proof
    that :meth:`Services.save` asks for before it lets an application name that file, so
    nobody can attach another student's file by its digest, nor a made-up one."""

    model_config = ConfigDict(extra="forbid")

    student_id: str = Field(pattern=r"^[0-9A-Za-z]{4,20}$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    media_type: str = Field(pattern=r"^(image/png|image/jpeg|application/pdf)$")
    size: int = Field(strict=True, ge=1)
    at: Instant


class LinkRecord(BaseModel):
    """A one-time link (upload or download) of a person (``links`` table of their hot
    file, :mod:`credx_tui.services.links`).  Only the SHA-256 of the token is kept, so a
    copy of the store holds no usable link."""

    model_config = ConfigDict(extra="forbid")

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    kind: str = Field(pattern=r"^(upload|download)$")
    student_id: str = Field(pattern=r"^[0-9A-Za-z]{4,20}$")
    application_id: str = Field(default="", max_length=40)
    document: str = Field(default="", max_length=120)
    holder: str = Field(default="", max_length=40)
    """The account the link was made for when it is not the student (a reviewer taking
    home a form or an attachment of this student's application); empty: the student."""
    created_at: Instant
    expires_at: Instant
    uses: int = Field(strict=True, default=0, ge=0)
    max_uses: int = Field(strict=True, default=1, ge=1)
    spent: bool = False


class SchemaDoc(BaseModel):
    """The schema version document of ``_meta``."""

    model_config = ConfigDict(extra="forbid")

    schema_: int = Field(alias="schema", strict=True, ge=1)


HOT_TABLES: dict[str, type[BaseModel]] = {
    "applications": ExchangeApplication,
    "events": ReviewEvent,
    "college": CollegeName,
    "uploads": UploadRecord,
    "links": LinkRecord,
}
STUDENT_TABLES: dict[str, type[BaseModel]] = {"students": Student, "transcripts": Transcript}
PROGRAMME_TABLES: dict[str, type[BaseModel]] = {"programmes": Programme}
ACCOUNT_TABLES: dict[str, type[BaseModel]] = {"accounts": Account}


def tables_for(root: Path, path: Path) -> dict[str, type[BaseModel]] | None:
    """The table models of the data file ``path`` of the store at ``root``; None for a
    file credx does not know (left alone by writers, reported by verify)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    if len(parts) == 3 and parts[0] == "hot":
        return HOT_TABLES
    if len(parts) == 3 and parts[:2] == ("bulk", "students"):
        return STUDENT_TABLES
    if parts == ("bulk", "programmes.json"):
        return PROGRAMME_TABLES
    if len(parts) == 2 and parts[0] == "accounts":
        return ACCOUNT_TABLES
    return None


def document_problems(path: Path, data: TinyData, tables: dict[str, type[BaseModel]]) -> list[str]:
    """Every document of ``data`` that its table's model refuses, named by file, table,
    document id and field."""
    problems: list[str] = []
    for table, docs in data.items():
        if table == META_TABLE:
            continue
        model = tables.get(table)
        if model is None:
            problems.append(f"{path}: unknown table {table!r} (written by another program?)")
            continue
        for doc_id, doc in docs.items():
            try:
                model.model_validate(doc)
            except ValidationError as exc:
                first, more = first_error(exc)
                problems.append(
                    f"{path}: table {table!r} document {doc_id} ({model.__name__}) "
                    f"{first.invalid()}{f' (and {more} more)' if more else ''}"
                )
    return problems


def check_before_write(path: Path, data: TinyData, tables: dict[str, type[BaseModel]]) -> None:
    """Refuse to write ``data`` to ``path`` if any document would not read back: the
    writer's own change, or damage already in the file (which is then left as it is)."""
    problems = document_problems(path, data, {**tables, **_anything_else(data, tables)})
    if problems:
        raise StoreError(
            problems[0]
            + "; nothing was written"
            + (
                f" ({len(problems) - 1} more problem(s); run credx verify)"
                if len(problems) > 1
                else ""
            )
        )


def _anything_else(data: TinyData, tables: dict[str, type[BaseModel]]) -> dict[str, Any]:
    # Writers leave alone tables they do not know (another credx feature's), so they
    # are not counted as damage here; verify reports them.
    return {t: _Any for t in data if t not in tables and t != META_TABLE}


class _Any(BaseModel):
    model_config = ConfigDict(extra="allow")
