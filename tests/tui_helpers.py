"""Driving the app in tests: training by steps, and waiting for the engine, never for a clock."""

from __future__ import annotations

from textual.pilot import Pilot

from tui.app import MakemoreApp


async def settle(pilot: Pilot, timeout: float = 60.0) -> None:
    """Wait until the engine has loaded, done every command sent and reported it all."""
    app: MakemoreApp = pilot.app
    waited = 0.0
    while waited < timeout:
        await pilot.pause(0.02)
        waited += 0.02
        if app.engine.idle.is_set():
            break
    else:
        raise TimeoutError("the engine did not settle")
    await pilot.pause(0.05)  # handle what it posted last


async def press(pilot: Pilot, *keys: str) -> None:
    """Press keys one by one, letting the engine finish what each asks."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def train(pilot: Pilot, steps: int) -> None:
    pilot.app.train_steps(steps)
    await settle(pilot)
