"""Printing, as use cases: the 学业成绩单 (S1) and the application form as PDF files.

Each function reads through :class:`~credx_tui.services.Services`, so the same checks
hold as on screen: a student prints only their own transcript and applications, a
reviewer only their colleges'.  The file appears complete or not at all: it is drawn
into a temporary file beside ``out`` and renamed, and nothing is written when the
font is missing or lacks a character (:class:`~credx_tui.documents.DocumentError`).

ReportLab is imported on first use, so importing this module costs nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from credx_tui.documents.errors import DocumentError
from credx_tui.services.context import Actor
from credx_tui.services.factory import Services

if TYPE_CHECKING:
    from credx_tui.documents.fonts import CheckedFont

PDF_MODE = 0o600
"""A printed 学业成绩单 or application form holds one person's grades: readable by the
account that wrote it only, whatever the umask (issue 9)."""


def render_transcript_pdf(
    services: Services,
    actor: Actor,
    student_id: str | None = None,
    *,
    a3: bool = False,
    passing_only: bool = False,
    personal: bool = True,
    out: Path | str,
    today: date | None = None,
) -> Path:
    """Write the 学业成绩单 of ``student_id`` (a student: their own, ``None`` will do)
    to the PDF file ``out`` and return its path.

    ``a3``: A3 landscape with every 正考, 补考 and 重修 result ("A3 打印").
    ``passing_only``: leave failing grades out ("只打印及格等级考试成绩和专业拓展课（选修）、
    通识选修课（选修）").  ``personal``: print the header block (个人信息).

    Raises AccessDenied or NotFound (services) and DocumentError (font, file)."""
    from credx_tui.documents.transcript import render_transcript
    from credx_tui.printing import PrintOptions

    dossier = services.dossier(actor, student_id)
    options = PrintOptions(a3=a3, passing_only=passing_only, personal=personal)
    day = today or services.clock().astimezone().date()
    return _write(
        Path(out),
        lambda path, font: render_transcript(dossier, services.rules, path, font, options, day),
    )


def render_application_pdf(
    services: Services,
    actor: Actor,
    app_id: str,
    *,
    out: Path | str,
    today: date | None = None,
) -> Path:
    """Write the form of application ``app_id`` (student, target course, sources and
    credits, ratio, 认定关系, attachments with SHA-256, 流程跟踪, signature lines) to the
    PDF file ``out`` and return its path.

    Raises AccessDenied or NotFound (services) and DocumentError (font, file)."""
    from credx_tui.documents.application import ApplicationForm, render_application

    app = services.application(actor, app_id)
    trail = services.trail(actor, app_id)
    dossier = services.dossier(actor, app.student_id)
    names = {}
    for event in trail:
        account = services.store.account(event.actor)
        names[event.actor] = account.display_name if account else ""
    form = ApplicationForm(
        application=app, dossier=dossier, trail=trail, actor_names=names, rules=services.rules
    )
    day = today or services.clock().astimezone().date()
    return _write(Path(out), lambda path, font: render_application(form, path, font, day))


def _write(out: Path, draw: Callable[[Path, CheckedFont], None]) -> Path:
    from credx_tui.documents.fonts import RENDER_LOCK, check_glyphs, load_font

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise DocumentError(
            f"无法写入 {out}：{exc.strerror}", f"cannot write {out}: {exc.strerror}"
        ) from None
    tmp = Path(name)
    try:
        with RENDER_LOCK:
            font = load_font()
            try:
                draw(tmp, font)
            except (DocumentError, OSError):
                raise
            except Exception as exc:  # a ReportLab failure: one clear message, chained
                raise DocumentError(
                    f"无法生成 PDF：{type(exc).__name__}: {exc}",
                    f"cannot make the PDF: {type(exc).__name__}: {exc}",
                ) from exc
            check_glyphs(font)
        os.chmod(tmp, PDF_MODE)
        os.replace(tmp, out)
    except OSError as exc:
        raise DocumentError(
            f"无法写入 {out}：{exc.strerror}", f"cannot write {out}: {exc.strerror}"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


def default_pdf_name(kind: str, key: str, now: datetime | None = None) -> str:
    """A file name for a printed document: ``transcript-2018110101-20260320-101500.pdf``."""
    now = now or datetime.now()
    return f"{kind}-{key}-{now:%Y%m%d-%H%M%S}.pdf"
