"""Reading a PDF back in the document tests: poppler-utils' pdftotext and pdffonts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from credx_tui.services import Actor
from policy.models import Role

ADMIN = Actor(username="admin", role=Role.ADMIN)
"""The store's operator, as the command line acts."""


def need(tool: str) -> str:
    """The path of a command-line tool; skip (or, under CI, fail) without it."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (Debian: apt-get install poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def pdf_text(path: Path) -> str:
    """The PDF's text in content order (``pdftotext -raw``): a wrapped cell's lines
    come out one after the other."""
    out = subprocess.run(
        [need("pdftotext"), "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def flat(text: str) -> str:
    """``text`` without any whitespace, so wrapped lines and cell gaps do not matter."""
    return re.sub(r"\s+", "", text)


def pdf_fonts(path: Path) -> list[dict[str, str]]:
    """The font resources of the PDF as ``pdffonts`` lists them."""
    out = subprocess.run(
        [need("pdffonts"), str(path)], check=True, capture_output=True, text=True
    ).stdout
    lines = out.splitlines()[2:]
    fonts = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni object-id generation
        fonts.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return fonts
