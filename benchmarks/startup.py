"""Start-up (issue 13, item 4): from the process starting to a ready login screen, credx
beside a bare Textual app with the same widgets (target: at most 1.3 times as long).

Both run headless at 120x40 in a fresh process each time and print the moment their
screen is ready; the parent measures from spawning them.  ``CREDX_BENCH_STARTS`` sets
the runs (default 7; the medians are compared).
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
import credx_tui.app
from credx_tui.app import CredxApp
from credx_tui.services import make_services
from credx_tui.settings import Settings
from credx_tui.store import Store

class Timed(CredxApp):
    CSS_PATH = Path(credx_tui.app.__file__).with_name("app.tcss")  # found beside the app

    def on_ready(self) -> None:
        super().on_ready()
        self.call_after_refresh(self.done)

    def done(self) -> None:
        assert type(self.screen).__name__ == "LoginScreen"
        print("ready", time.time(), time.process_time(), flush=True)
        self.exit()

store = Store({db!r})
app = Timed(Settings(db=store.root), make_services(store))
app.run(headless=True, size=(120, 40))
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


def _once(code: str) -> tuple[float, float]:
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    ready = [line for line in out.stdout.splitlines() if line.startswith("ready ")]
    _, at, cpu = ready[-1].split()
    return float(at) - start, float(cpu)


def measure(starts: int = STARTS) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(credx, bare) (wall, CPU) seconds to a ready login screen, alternating runs."""
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
        credx, bare = [], []
        for _ in range(starts):
            credx.append(_once(credx_code))
            bare.append(_once(BARE))
    return credx, bare


def main() -> None:
    """Print both medians and their ratio beside the target."""
    credx, bare = measure()
    for label, index in (("wall", 0), ("CPU ", 1)):
        c = statistics.median(x[index] for x in credx)
        b = statistics.median(x[index] for x in bare)
        verdict = "ok" if c / b <= TARGET else "OVER"
        print(
            f"  start-up to a ready login screen ({label}): credx {c * 1000:.0f} ms, bare "
            f"Textual {b * 1000:.0f} ms, ratio {c / b:.2f}   target <= {TARGET}  {verdict}"
        )


if __name__ == "__main__":
    main()
