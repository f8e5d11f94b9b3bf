"""What the services hand the screens about one application: the application with
what may happen to it now, worked out by :mod:`policy` (issue 14).

A screen renders a view and computes nothing: which keys to offer comes from
``.actions``, where it stands from ``.step``, the ratio from ``.needed``.  Pure
functions over what the services loaded after checking who asks; no Textual, no store.
"""

from __future__ import annotations

from dataclasses import dataclass

from policy import workflow
from policy.dossier import Dossier
from policy.eligibility import needed_credits
from policy.models import ExchangeApplication, ReviewAction, Role
from policy.rules import ReviewStep, Rules
from policy.sources import offered_credits


@dataclass(frozen=True)
class ApplicationView:
    """One application as 流程跟踪 shows it, with what its reader may do now."""

    application: ExchangeApplication
    actions: frozenset[ReviewAction]
    """What the reader may do now (:func:`policy.workflow.available_actions`); the
    services decide again under the lock."""
    step: ReviewStep | None
    """The review step waiting for a decision; None when not under review."""
    needed: float | None
    """R8: the credits the sources must reach; None when the target course is not on
    the transcript."""
    offered: float
    """The credits the sources add up to, as the transcript has them now."""


def application_view(
    app: ExchangeApplication, dossier: Dossier, rules: Rules, role: Role
) -> ApplicationView:
    """The view of ``app`` for a reader of ``role`` (the caller checked they may see it)."""
    record = dossier.transcript.record(app.target)
    return ApplicationView(
        application=app,
        actions=frozenset(workflow.available_actions(app, role)),
        step=workflow.current_step(app, rules),
        needed=needed_credits(record, rules) if record is not None else None,
        offered=offered_credits(dossier.transcript, app.sources),
    )
