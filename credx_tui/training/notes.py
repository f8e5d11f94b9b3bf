"""Presenter notes on a second terminal (issue 15): ``credx train --notes``.

The trainer's app writes where the walk is (scenario, step, the step's ``notes``, the
next step's title, in the app's language) into ``walk.json`` in its sandbox folder,
whenever that changes.  A small pointer file in the system's temporary folder, named
by the OS account's uid and readable by it alone, says which sandbox is the current
one.  ``credx train --notes``, run by the same account in another terminal (the
presenter's laptop screen, while the projector shows the first), follows that file
and shows the current step's notes, which the class never sees.

Neither file holds anything of the store: the sandbox is a throwaway copy of the demo
college, and the notes come from the scenario file.  This module imports neither
Textual nor Rich."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from credx_tui.i18n import t
from credx_tui.training.walk import Walk

STATE_FILE = "walk.json"
"""Where the walk is, in the sandbox folder."""


def pointer_path() -> Path:
    """The file naming the current sandbox of this OS account."""
    return Path(tempfile.gettempdir()) / f"credx-train-{os.getuid()}.json"


def _write(path: Path, data: dict[str, object]) -> None:
    """Write ``data`` as JSON atomically, readable by the owner only (the rename
    replaces whatever was at ``path``, a link included, instead of following it)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: Path) -> dict[str, object] | None:
    """The JSON object in ``path`` if this account owns it; None otherwise."""
    try:
        if path.stat().st_uid != os.getuid():
            return None  # planted by someone else in the shared temporary folder
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def announce(sandbox: Path) -> None:
    """Make ``sandbox`` the one ``credx train --notes`` follows."""
    _write(pointer_path(), {"sandbox": str(sandbox), "pid": os.getpid()})


def retract(sandbox: Path) -> None:
    """Forget ``sandbox`` (the session ended), unless another session took over."""
    data = _read(pointer_path())
    if data is not None and data.get("sandbox") == str(sandbox):
        with contextlib.suppress(OSError):
            pointer_path().unlink()


def walk_state(walk: Walk, lang: str) -> dict[str, object]:
    """What the notes terminal shows of the walk now, in ``lang``."""
    steps = walk.scenario.steps
    following = steps[walk.index + 1] if walk.index + 1 < len(steps) else None
    return {
        "scenario": walk.scenario.title.text(lang),
        "n": walk.index + 1,
        "total": len(steps),
        "step": walk.step.id,
        "title": walk.step.title.text(lang),
        "notes": walk.step.notes,
        "next": following.title.text(lang) if following else "",
        "lang": lang,
    }


def write_state(sandbox: Path, state: dict[str, object]) -> None:
    """Publish ``state`` in the sandbox folder."""
    _write(sandbox / STATE_FILE, state)


def render(state: dict[str, object]) -> str:
    """The notes screen for ``state``."""
    lang = str(state.get("lang", "zh"))
    lines = [
        t("notes.title", lang, scenario=state.get("scenario", "")),
        "",
        t(
            "walk.position", lang, n=state.get("n"), total=state.get("total"), procedure="", name=""
        ).rstrip()
        + f"  {state.get('title', '')}",
        "",
        str(state.get("notes") or t("notes.none", lang)),
        "",
        t("notes.next", lang, title=state["next"]) if state.get("next") else t("notes.last", lang),
    ]
    return "\n".join(lines)


def follow(
    out: TextIO,
    lang: str = "zh",
    interval: float = 0.3,
    keep_going: Callable[[], bool] = lambda: True,
) -> int:
    """Show the current step's notes on ``out`` each time they change, until
    ``keep_going()`` says stop or the followed session ends; returns the exit code."""
    clear = "\x1b[2J\x1b[H" if out.isatty() else ""
    shown: str | None = None
    followed: Path | None = None
    while keep_going():
        pointer = _read(pointer_path())
        folder = Path(str(pointer["sandbox"])) if pointer and pointer.get("sandbox") else None
        if folder is not None and not folder.exists():
            folder = None
        if folder is None and followed is not None:
            out.write(f"{clear}{t('notes.ended', lang)}\n")
            out.flush()
            return 0
        state = _read(folder / STATE_FILE) if folder is not None else None
        text = render(state) if state else t("notes.waiting", lang)
        if state:
            followed = folder
        if text != shown:
            out.write(f"{clear}{text}\n" + ("" if clear else "\n"))
            out.flush()
            shown = text
        time.sleep(interval)
    return 0
