"""The one store interface the services use (issue 16), and how a location names a store.

Two implementations: :class:`credx_tui.store.store.Store`, a folder of JSON files (the
embedded default, one college on one server), and :class:`credx_tui.store.pg.PgStore`,
a PostgreSQL database (many colleges, a standby server, lab machines that are not the
server).  Services, policy and screens see only :class:`DocumentStore`: the reads, the
transactions of one use case each (``hot``, ``hot_at``, ``account_tx``, ``bulk``,
``numbering``), attachments, rules, and ``verify``.  Each transaction holds the lock
that makes a guarantee hold (credits spent once: the student's hot bucket; one decision
per revision: the same), reloads inside it, and writes all or nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from policy.models import (
    Account,
    CourseRecord,
    CreditCertificate,
    ExchangeApplication,
    Programme,
    ReviewEvent,
    Student,
    Transcript,
)

if TYPE_CHECKING:
    from credx_tui.store.admin import StoredRules
    from credx_tui.store.schema import LinkRecord, UploadRecord

R = TypeVar("R")

PG_SCHEMES = ("postgresql://", "postgres://")
"""A ``--db`` (or ``CREDX_DB``) starting with one of these names a PostgreSQL store."""


def is_database_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL store rather than a folder."""
    return str(location).startswith(PG_SCHEMES)


class HotTx(Protocol):
    """Applications, events, uploads and links of one student's hot bucket, locked."""

    def applications(self, student_id: str | None = None) -> list[ExchangeApplication]: ...
    def application(self, app_id: str) -> ExchangeApplication | None: ...
    def put_application(self, app: ExchangeApplication) -> None: ...
    def delete_application(self, app_id: str) -> None: ...
    def insert_many(
        self, apps: list[ExchangeApplication], events: list[ReviewEvent] | None = None
    ) -> None: ...
    def add_upload(self, upload: UploadRecord) -> None: ...
    def uploads(self, student_id: str) -> list[UploadRecord]: ...
    def link(self, token_sha256: str) -> LinkRecord | None: ...
    def links(self) -> list[LinkRecord]: ...
    def put_link(self, link: LinkRecord) -> None: ...
    def drop_links(self, before: datetime) -> None: ...
    def add_event(self, event: ReviewEvent) -> None: ...
    def events(self, app_id: str | None = None) -> list[ReviewEvent]: ...


class AccountTx(Protocol):
    """One account, locked for a read-modify-write."""

    def get(self, username: str) -> Account | None: ...
    def put(self, account: Account) -> None: ...


class BulkTx(Protocol):
    """Programmes, students and transcripts (imports); True when anything changed."""

    def put_programme(self, programme: Programme) -> bool: ...
    def put_student(self, student: Student) -> bool: ...
    def put_transcript(self, transcript: Transcript) -> bool: ...


@runtime_checkable
class DocumentStore(Protocol):
    """What the services need of a store, whichever one it is."""

    @property
    def location(self) -> str:
        """The folder or the database (password left out), for messages."""
        ...

    # reads (each sees every committed write at once)
    def programmes(self) -> list[Programme]: ...
    def programme(self, major: str, grade_year: int) -> Programme | None: ...
    def student(self, student_id: str) -> Student | None: ...
    def students(self) -> Iterator[Student]: ...
    def transcript(self, student_id: str) -> Transcript | None: ...
    def transcript_entries(
        self, student_id: str, refs: set[str]
    ) -> dict[str, CourseRecord | CreditCertificate] | None: ...
    def account(self, username: str) -> Account | None: ...
    def accounts(self) -> list[Account]: ...
    def colleges(self) -> list[str]: ...
    def applications(
        self, college: str, student_id: str | None = None
    ) -> list[ExchangeApplication]: ...
    def events(
        self, college: str, app_id: str | None = None, student_id: str | None = None
    ) -> list[ReviewEvent]: ...
    def find_application(self, college: str, app_id: str) -> ExchangeApplication | None: ...
    def application_of(self, college: str, student_id: str, app_id: str) -> ExchangeApplication: ...
    def queue_rows(self, college: str, make: Callable[[list[Any]], R]) -> list[R]: ...
    def highest_number(self, prefix: str) -> int: ...

    # transactions, one per use case
    def numbering(self) -> contextlib.AbstractContextManager[Callable[[str], str]]: ...
    def hot(self, college: str, student_id: str) -> contextlib.AbstractContextManager[Any]: ...
    def hot_at(self, key: str, bucket: str) -> contextlib.AbstractContextManager[Any]: ...
    def account_tx(self, username: str) -> contextlib.AbstractContextManager[Any]: ...
    def bulk(self) -> contextlib.AbstractContextManager[Any]: ...

    # attachments
    def put_attachment(self, payload: bytes) -> str: ...
    def read_attachment(self, sha256: str) -> bytes: ...
    def has_attachment(self, sha256: str) -> bool: ...

    # rules and who may administer
    def stored_rules(self) -> StoredRules | None: ...
    def put_rules(self, text: str, source: str) -> StoredRules: ...
    def owned_by_this_process(self) -> bool: ...

    # health
    def verify(self) -> list[str]: ...
    def content_digest(self) -> str: ...


def open_store(location: str | Path, create: bool = False) -> DocumentStore:
    """The store ``location`` names: a PostgreSQL URL or a folder (the default).

    ``create`` makes an empty one (a folder, or the schema in an empty database)."""
    if is_database_url(location):
        from credx_tui.store.pg import PgStore

        return PgStore.create(str(location)) if create else PgStore(str(location))
    from credx_tui.store.store import Store

    return Store.create(location) if create else Store(location)


def store_exists(location: str | Path) -> bool:
    """Whether ``location`` holds a store (a folder with its marker, or a database with
    credx's schema)."""
    if is_database_url(location):
        from credx_tui.store.pg import PgStore

        return PgStore.exists(str(location))
    from credx_tui.store.store import Store

    return Store.exists(location)
