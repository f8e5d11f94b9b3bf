"""Fixtures of the document tests: the demo college in a temporary store, and the
tools that read a PDF back (poppler-utils: pdftotext, pdffonts, pdftoppm).

The font and poppler-utils are Debian packages that `.ci/run` installs; on a machine
without them the tests that need them are skipped, except under CI, where a missing
one fails the run instead of hiding a broken install step."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from credx_tui.services import Services, make_services
from credx_tui.services.loading import load_demo
from policy.rules import Rules, load_rules


@pytest.fixture(scope="session")
def cjk_font() -> None:
    """The CJK font must be installed: skip without it (fail under CI).  Modules that
    render say ``pytestmark = pytest.mark.usefixtures("cjk_font")``."""
    from credx_tui.documents import FontMissing
    from credx_tui.documents.fonts import find_font

    try:
        find_font()
    except FontMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(exc.en)
        pytest.skip(exc.en)


@pytest.fixture(scope="session")
def rules() -> Rules:
    """The bundled default rules."""
    return load_rules()


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory, rules: Rules) -> Path:
    """The demo college, loaded once into a temporary store (read-only tests)."""
    root = tmp_path_factory.mktemp("demo") / "store"
    load_demo(root, rules)
    return root


@pytest.fixture(scope="session")
def demo(demo_root: Path, rules: Rules) -> Services:
    """Services over the shared demo store; tests that write use ``fresh_demo``."""
    from credx_tui.store import Store

    return make_services(Store(demo_root), rules)


@pytest.fixture
def fresh_demo(tmp_path: Path, rules: Rules) -> Services:
    """A demo store of this test's own, for tests that write."""
    store, _ = load_demo(tmp_path / "store", rules)
    return make_services(store, rules)
