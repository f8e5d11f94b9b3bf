"""Trainer mode (issue 15): how long Ctrl+G (skip ahead) and Ctrl+T (role switch) take
to settle, and how many frames they paint on the way that are not the final screen
(the "flash": the portal, the exchange page or a screen without its panel drawn for a
moment).

Headless (Pilot) at the projector's 100x30, on a fresh sandbox of the demo college.
"Settled" means: the screen stack is final, no loader worker is running, and the top
screen has its walk panel mounted and drawn.  A frame counts as a flash when Textual
would have painted it (not inside a batch) while the screen shown is not the final one
or has no panel yet.

Run: ``.venv/bin/python -m benchmarks.trainer`` (also part of ``make bench``)."""

from __future__ import annotations

import asyncio
import statistics
import time


async def _walk(keys: list[str]) -> list[tuple[str, float, float, int, int]]:
    from credx_tui.app import make_app
    from credx_tui.settings import Settings
    from credx_tui.training.sandbox import Sandbox
    from credx_tui.training.session import Training, find_scenario
    from credx_tui.widgets.walk_panel import WalkPanel
    from policy.rules import load_rules

    rules = load_rules()
    results: list[tuple[str, float, float, int, int]] = []
    with Sandbox(rules) as sandbox:
        scenario, _ = find_scenario("guide-example")
        training = Training(scenario, rules, sandbox=sandbox)
        app = make_app(Settings(db=sandbox.root), training.services, training=training)
        frames: list[tuple[object, bool]] = []
        original = app._display

        def display(screen, renderable):  # wraps Textual's private hook
            if renderable is not None and not app._batch_count:
                panels = [p for p in screen.query(WalkPanel) if p.is_mounted]
                frames.append((screen, bool(panels)))
            return original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

        def settled() -> bool:
            if any(w.is_running for w in app.workers):
                return False
            screen = app.mode.walk_screen()
            if screen is None or screen is not app.screen:
                return False
            panels = list(screen.query(WalkPanel))
            if not panels or not panels[0].is_mounted:
                return False
            return bool(str(panels[0].query_one("#walk-position").render()))

        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.pause(0.3)
                frames.clear()
                start = time.perf_counter()
                cpu = time.process_time()
                await pilot.press(key)
                deadline = start + 20
                while not settled() and time.perf_counter() < deadline:
                    await asyncio.sleep(0.002)
                took = time.perf_counter() - start
                cpu = time.process_time() - cpu
                await pilot.pause(0.1)
                final = app.screen
                flashes = sum(1 for screen, panel in frames if screen is not final or not panel)
                results.append((key, took, cpu, flashes, len(frames)))
    return results


def measure() -> None:
    """Print Ctrl+G and Ctrl+T settle times and flashing frames."""
    keys = ["ctrl+g"] * 8 + ["ctrl+t", "ctrl+t", "ctrl+t", "ctrl+t"]
    results = asyncio.run(_walk(keys))
    for name in ("ctrl+g", "ctrl+t"):
        rows = [r for r in results if r[0] == name]
        times = sorted(r[1] * 1000 for r in rows)
        cpu = sorted(r[2] * 1000 for r in rows)
        flashes = sum(r[3] for r in rows)
        frames = sum(r[4] for r in rows)
        print(
            f"trainer {name} at 100x30 ({len(rows)} presses): settle median "
            f"{statistics.median(times):.0f} ms (CPU {statistics.median(cpu):.0f} ms), "
            f"max {times[-1]:.0f} ms (CPU {cpu[-1]:.0f} ms); "
            f"frames painted that were not the final screen: {flashes} of {frames}"
        )


if __name__ == "__main__":
    measure()
