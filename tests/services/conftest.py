"""Fixtures of the store and service tests: a fresh test college per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_college import make_store

from credx_tui.services import Services
from credx_tui.store import Store
from policy.rules import Rules, load_rules


@pytest.fixture(scope="session")
def rules() -> Rules:
    """The bundled default rules."""
    return load_rules()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store holding the test college (service_college.py)."""
    return make_store(tmp_path / "db")


@pytest.fixture
def services(store: Store, rules: Rules) -> Services:
    """Services over the test store."""
    return Services(store, rules)
