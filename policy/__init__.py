"""credx policy: what the college's credit-exchange rules decide (procedure.md S1–S5, R1–R11).

Pure Python and pydantic: models and the rules file go in, decisions with reasons come
out.  Nothing here imports Textual, Rich, TinyDB or ``credx_tui``; services load a
:class:`~policy.dossier.Dossier` and ask :mod:`policy.eligibility`, :mod:`policy.offers`,
:mod:`policy.grades` and :mod:`policy.workflow`.
"""

from policy.dossier import Dossier
from policy.reasons import Reason
from policy.rules import Rules, load_rules

__all__ = ["Dossier", "Reason", "Rules", "load_rules"]
