"""The services facade and the one place it is built.

:class:`Services` is the object every caller holds (the app, the CLI, the trainer, the
web doors, the tests): the use cases of :mod:`.accounts`, :mod:`.applications`,
:mod:`.attachments` and :mod:`.reviewing` joined on the base they share
(:class:`~credx_tui.services.context.ServiceContext`), so a caller writes
``services.submit(...)`` whichever module the use case lives in.  Nothing else is
defined on the facade: a use case belongs in its module.

:func:`make_services` is its only constructor, so what a process decides with (the
store's rules, followed as they change, or a rules file a dry run, the trainer or a
test names) is chosen in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from credx_tui.services import context
from credx_tui.services.accounts import Accounts
from credx_tui.services.applications import Applications
from credx_tui.services.attachments import Attachments
from credx_tui.services.context import rules_of_store
from credx_tui.services.reviewing import Reviewing
from credx_tui.store.base import DocumentStore
from policy.rules import Rules


class Services(Accounts, Applications, Attachments, Reviewing):
    """Every use case of credx, bound to one store and one rules file; build it with
    :func:`make_services`."""


def make_services(
    store: DocumentStore,
    rules: Rules | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> Services:
    """The services on ``store``, an open store of either kind (a folder or PostgreSQL:
    the caller opened it and reported its errors).

    - ``rules`` None: the rules stored in ``store`` (the bundled default when it has
      none), followed: a version applied with ``credx rules apply`` while this process
      runs is used from the next call on.  Every process of one store decides alike.
      A stored rules file that no longer loads raises :class:`policy.rules.RulesError`.
    - ``rules`` given: exactly those, never replaced (a dry run's ``--rules`` file, the
      trainer's sandbox, a test's college).
    - ``clock``: what "now" is (tests and the trainer control time); default UTC now.
    """
    clock = clock or context.utc_now
    if rules is not None:
        return Services(store, rules, clock=clock)
    stored, version = rules_of_store(store)
    return Services(store, stored, clock=clock, rules_version=version, follow_store_rules=True)
