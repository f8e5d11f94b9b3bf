"""A plain install (no source checkout) carries the demo college and the scenarios.

README's deployment installs credx with pip into ``/opt/credx/.venv``; ``credx demo`` and
``credx train --list`` must work from there, not only from the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with credx installed from a wheel built of this checkout."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    # Build from a copy without .venv and caches, as a release would.
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info", "__pycache__", "build"),
    )
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        check=True,
        timeout=300,
    )
    wheels = list(dist.glob("credx-*.whl"))
    assert len(wheels) == 1, wheels
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheels[0])], check=True, timeout=600
    )
    return venv


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "CREDX_DB"}}
    return subprocess.run(
        [str(venv / "bin" / "credx"), *args],
        cwd=cwd,  # not the checkout: nothing may be found through the working folder
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_and_train_list_from_a_wheel(installed: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    demo = _run(installed, "--db", str(store), "demo", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    check = _run(installed, "--db", str(store), "check", "--student", "2018110101", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "高等数学(2-1)" in check.stdout
    listing = _run(installed, "train", "--list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "guide-example" in listing.stdout


def test_every_shipped_data_file_is_in_the_wheel(installed: Path) -> None:
    """Every file beside the code (rules, demo college, scenarios, screenshot, 正方
    mapping, stylesheet, web page) is installed: a data file left out of pyproject's
    package-data would work from the checkout and fail only in a deployment."""
    [site] = list((installed / "lib").glob("python3*/site-packages"))
    wanted = sorted(
        path.relative_to(REPO)
        for top in ("credx_tui", "policy", "fixtures")
        for path in (REPO / top).rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    )
    assert wanted, "no data files found in the checkout"
    missing = [str(p) for p in wanted if not (site / p).is_file()]
    assert missing == []
