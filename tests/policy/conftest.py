"""Fixtures of the policy tests; the builders live in ``policy_helpers``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from policy_helpers import make_dossier

from policy.dossier import Dossier
from policy.rules import Rules, load_rules


@pytest.fixture(scope="session")
def rules() -> Rules:
    """The bundled default rules (one review step, ratio 1.0, 专业核心课 1.5)."""
    return load_rules()


@pytest.fixture
def dossier_factory() -> Callable[..., Dossier]:
    """``make_dossier`` as a fixture, for tests that build several."""
    return make_dossier
