"""Start-up (issue 13, item 4): from the process starting to a ready login screen, credx
beside a bare Textual app with the same widgets (target: at most 1.3 times as long).

Both run headless at 120x40 in a fresh process each time and print the moment their
screen is ready; the parent measures from spawning them.  ``CREDX_BENCH_STARTS`` sets
the runs (default 7; the medians are compared).

credx starts as the ``credx --db X`` command does (``credx_tui.cli.main``): the login
screen is drawn first and the services are built behind it (issue 13, item 4), so the
moment they are ready is printed too (no target: a login typed before then waits for
them).  ``CREDX_BENCH_COMPARE=FOLDER`` alternates a second checkout of credx (say the
main branch, ``git worktree add``) in the same run, for a before and after on a loaded
machine.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTS = int(os.environ.get("CREDX_BENCH_STARTS", "7"))
TARGET = 1.3

CREDX = """
import time
from pathlib import Path
import credx_tui.app as app_module

class Timed(app_module.CredxApp):
    CSS_PATH = Path(app_module.__file__).with_name("app.tcss")  # found beside the app
    # Headless: no terminal to watch for a hangup (run_app sets it for a real one).
    watch_terminal = property(lambda self: False, lambda self, value: None)
    shown = built = False

    def run(self, *args, **kwargs):
        return super().run(headless=True, size=(120, 40))

    def on_ready(self) -> None:
        super().on_ready()
        self.call_after_refresh(self.done)

    def done(self) -> None:
        assert type(self.screen).__name__ == "LoginScreen"
        print("ready", time.time(), time.process_time(), flush=True)
        self.shown = True
        if getattr(self, "services_build", None) is None:  # built before the app
            self.built = True
        self.end()

    def _services_built(self) -> None:
        super()._services_built()
        assert self.services_ready
        print("built", time.time(), time.process_time(), flush=True)
        self.built = True
        self.end()

    def end(self) -> None:
        if self.shown and self.built:
            self.exit()

app_module.CredxApp = Timed  # what make_app builds
from credx_tui.cli import main
raise SystemExit(main(["--db", {db!r}]))
"""

BARE = """
import time
from textual.app import App
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

class Login(Screen):
    def compose(self):
        yield Header(show_clock=False, icon="")
        with Vertical():
            yield Static("学分兑换 登录")
            yield Static("某某职业技术学院")
            yield Label("学号")
            yield Input(placeholder="学号")
            yield Label("密码")
            yield Input(placeholder="密码", password=True)
            yield Button("登录", variant="primary")
            yield Static("")
            yield Static("F1 帮助")
        yield Footer()

class Bare(App):
    def on_mount(self) -> None:
        self.push_screen(Login())

    def on_ready(self) -> None:
        self.call_after_refresh(self.done)

    def done(self) -> None:
        print("ready", time.time(), time.process_time(), flush=True)
        self.exit()

Bare().run(headless=True, size=(120, 40))
"""


def _env() -> dict[str, str]:
    """Bytecode cached (as an installed credx has it; this machine's environment may
    say PYTHONDONTWRITEBYTECODE, which would make every start compile every module),
    in a folder of the bench's own."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(ROOT / "bench-data" / "pycache")
    return env


Start = tuple[float, float, float]
"""Seconds from spawning to the ready login screen (wall, CPU), and to the services."""


def _once(code: str, cwd: Path = ROOT) -> Start:
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,  # its credx_tui first on sys.path (a compared checkout's)
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    lines = {line.split()[0]: line.split()[1:] for line in out.stdout.splitlines() if line}
    at, cpu = lines["ready"]
    built = lines.get("built", lines["ready"])
    return float(at) - start, float(cpu), float(built[0]) - start


def measure(
    starts: int = STARTS, compare: Path | None = None
) -> tuple[list[Start], list[Start], list[Start]]:
    """(credx, bare, compared credx) starts, alternating runs (no compared runs without
    ``compare``)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db"
        subprocess.run(
            [str(Path(sys.executable).with_name("credx")), "--db", str(db), "demo"],
            check=True,
            capture_output=True,
        )
        credx_code = CREDX.format(db=str(db))
        _once(BARE)  # warm the disk cache for both
        _once(credx_code)
        if compare is not None:
            _once(credx_code, compare)
        credx, bare, other = [], [], []
        for _ in range(starts):
            credx.append(_once(credx_code))
            bare.append(_once(BARE))
            if compare is not None:
                other.append(_once(credx_code, compare))
    return credx, bare, other


def _median(starts: list[Start], index: int) -> float:
    return statistics.median(x[index] for x in starts)


def main() -> None:
    """Print both medians and their ratio beside the target (and a compared checkout's)."""
    compare = os.environ.get("CREDX_BENCH_COMPARE")
    credx, bare, other = measure(compare=Path(compare) if compare else None)
    rows = [("credx", credx)] + ([(f"compared {compare}", other)] if other else [])
    for name, runs in rows:
        for label, index in (("wall", 0), ("CPU ", 1)):
            c, b = _median(runs, index), _median(bare, index)
            verdict = "ok" if c / b <= TARGET else "OVER"
            print(
                f"  start-up to a ready login screen ({label}): {name} {c * 1000:.0f} ms, bare "
                f"Textual {b * 1000:.0f} ms, ratio {c / b:.2f}   target <= {TARGET}  {verdict}"
            )
        ready, built = _median(runs, 0), _median(runs, 2)
        print(
            f"  {name}: services ready {built * 1000:.0f} ms after the start "
            f"({(built - ready) * 1000:+.0f} ms after the login screen; a login typed "
            "sooner waits for them)"
        )


if __name__ == "__main__":
    main()
