"""Files of the demo college that are not import documents, and the check that what
``credx demo`` and ``credx train`` read was installed with credx (package data)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fixtures import DEMO_DIR

DEMO_SCREENSHOT = Path(str(files(__name__) / "grade-screenshot.png"))
"""The invented grade screenshot every submitted demo application carries (S4: the demo
college follows the rule that an application needs an attachment); the trainer's
skip-ahead attaches it too."""


class PackageDataMissing(Exception):
    """credx is installed without files it ships (a build or a copy that left its
    package data out); the message names each missing file and what to do."""

    def __init__(self, missing: list[Path]) -> None:
        self.missing = missing
        """The files or folders that are not there (a folder: or is empty)."""
        names = ", ".join(str(p) for p in missing)
        super().__init__(
            f"credx is installed without its package data: {names} missing; "
            "reinstall credx from its wheel (pip install --force-reinstall credx-*.whl)"
        )


def require_package_data(*paths: Path) -> None:
    """Raise :class:`PackageDataMissing` naming every path in ``paths`` that is missing
    (a folder counts as missing when it holds nothing), before anything is started."""
    missing = [p for p in paths if not p.exists() or (p.is_dir() and not any(p.iterdir()))]
    if missing:
        raise PackageDataMissing(missing)


def require_demo_data() -> None:
    """The demo college's files (``credx demo``, the trainer's sandbox) are installed."""
    require_package_data(DEMO_DIR, DEMO_SCREENSHOT)
