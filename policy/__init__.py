"""credx policy: what the college's credit-exchange rules decide (procedure.md S1–S5, R1–R11).

Pure Python and pydantic: models and the rules file go in, decisions with reasons come
out.  Nothing here imports Textual, Rich, TinyDB or ``credx_tui``; services load a
:class:`~policy.dossier.Dossier` and ask :mod:`policy.eligibility`, :mod:`policy.offers`,
:mod:`policy.grades` and :mod:`policy.workflow`.

The names below are imported when first asked for (issue 13, item 4): importing a light
module of the package (:mod:`policy.text`, :mod:`policy.bilingual`, which the login
screen uses) must not build every pydantic model first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policy.dossier import Dossier
    from policy.reasons import Reason
    from policy.rules import Rules, load_rules

__all__ = ["Dossier", "Reason", "Rules", "load_rules"]

_HOME = {
    "Dossier": "policy.dossier",
    "Reason": "policy.reasons",
    "Rules": "policy.rules",
    "load_rules": "policy.rules",
}
"""Where each public name lives."""


def __getattr__(name: str) -> Any:
    """``from policy import Rules``: the module that defines it, imported now."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'policy' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
