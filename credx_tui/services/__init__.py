"""Use cases: the only layer that writes (architecture.md, "Layers")."""

from credx_tui.services.core import Actor, LoginResult, QueueItem, Services, current_term
from credx_tui.services.errors import (
    AccessDenied,
    BadAttachment,
    BadText,
    Conflict,
    LoginFailed,
    NotFound,
    Refused,
    ServiceError,
)

__all__ = [
    "AccessDenied",
    "Actor",
    "BadAttachment",
    "BadText",
    "Conflict",
    "LoginFailed",
    "LoginResult",
    "NotFound",
    "QueueItem",
    "Refused",
    "ServiceError",
    "Services",
    "current_term",
]
