"""Use cases: the only layer that writes (architecture.md, "Layers")."""

from credx_tui.services.accounts import LoginResult
from credx_tui.services.applications import current_term
from credx_tui.services.context import Actor
from credx_tui.services.errors import (
    AccessDenied,
    BadAttachment,
    BadText,
    Conflict,
    DuplicateAttachment,
    LoginFailed,
    NotFound,
    Refused,
    ServiceError,
    SessionEnded,
    StorageFailed,
)
from credx_tui.services.factory import Services, make_services
from credx_tui.services.reviewing import QueueItem

__all__ = [
    "AccessDenied",
    "Actor",
    "BadAttachment",
    "BadText",
    "Conflict",
    "DuplicateAttachment",
    "LoginFailed",
    "LoginResult",
    "NotFound",
    "QueueItem",
    "Refused",
    "ServiceError",
    "Services",
    "SessionEnded",
    "StorageFailed",
    "current_term",
    "make_services",
]

# credx_tui/__init__.py held the garbage collector while the modules loaded; every
# entry point (the app, the CLI's commands, the benches) has them by now.
from credx_tui import heap as _heap

_heap.imports_done()
