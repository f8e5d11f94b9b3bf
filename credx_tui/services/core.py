"""The names ``credx_tui.services.core`` held before the services were split by use case
(issue 14), for code written against the old module.  New code imports from the module
that owns the name: the facade and its constructor from :mod:`.factory`, the rest from
:mod:`.context`, :mod:`.accounts`, :mod:`.applications`, :mod:`.attachments`,
:mod:`.reviewing`, :mod:`.rows` or :mod:`.attachment_check`."""

from credx_tui.services.accounts import (
    LOGIN_DELAY_CAP,
    MAX_FAILED_LOGINS,
    LoginResult,
    login_delay,
)
from credx_tui.services.applications import application_prefix, current_term
from credx_tui.services.attachment_check import refuse_same_content, same_content
from credx_tui.services.attachment_check import sniff_media_type as sniff_media_type
from credx_tui.services.context import Actor, rules_of_store
from credx_tui.services.factory import Services, make_services
from credx_tui.services.reviewing import QueueItem
from credx_tui.services.rows import summarise

__all__ = [
    "LOGIN_DELAY_CAP",
    "MAX_FAILED_LOGINS",
    "Actor",
    "LoginResult",
    "QueueItem",
    "Services",
    "application_prefix",
    "current_term",
    "login_delay",
    "make_services",
    "refuse_same_content",
    "rules_of_store",
    "same_content",
    "sniff_media_type",
    "summarise",
]
