"""Driving the app in tests: on conditions (the engine idle, a toast shown), never on a clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

from engine.protocol import RunsView
from tui.app import MakemoreApp, create_app


def drive(scenario, *played, size=(100, 30), **fake_args):
    """Run one async scenario against a fresh app over a fake engine (tests/fake_engine.py)
    that replays these records, headless."""
    from fake_engine import FakeEngine

    engine = FakeEngine(*played, **fake_args)

    async def main():
        app = create_app(engine=engine)
        async with app.run_test(size=size, notifications=True) as pilot:
            await settle(pilot)
            await scenario(app, pilot)
        return app

    return asyncio.run(main())


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Let the app run until `condition` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"never came true: {condition}")
        await asyncio.sleep(0.002)


async def settle(pilot: Pilot) -> None:
    """Until the engine has answered every request and the app has drawn it all."""
    app: MakemoreApp = pilot.app
    await until(pilot, app.engine.idle.is_set)
    await pilot.pause()  # let the widgets repaint what they were told


async def show_runs(pilot: Pilot, view: RunsView) -> None:
    """The open runs table given this view, until its rows are drawn: that waits for the
    table's width, which may be known only a refresh later."""
    pilot.app.engine.play([view])
    await settle(pilot)
    await until(pilot, lambda: pilot.app.screen.table.row_count == len(view.rows))
    await pilot.pause()


async def press(pilot: Pilot, *keys: str) -> None:
    """Press keys one by one, letting the engine finish what each asks."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def train(pilot: Pilot, steps: int) -> None:
    pilot.app.engine.step(steps)
    await settle(pilot)


def toasts(app: MakemoreApp) -> list[str]:
    """The notes on screen: the main screen's lines, or a dialog's toasts."""
    return [*app.notes.shown(), *(str(toast.render()) for toast in app.screen.query("Toast"))]


async def toast(pilot: Pilot, text: str) -> None:
    """Until a notification with this text is on screen."""
    await until(pilot, lambda: any(text in shown for shown in toasts(pilot.app)))
