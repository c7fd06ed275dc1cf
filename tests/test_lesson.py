"""The lesson walked as a learner would, forward and back, over the real engine on makemore's
names.txt: each step's figure, measured here, beside the post's where they must agree."""

from __future__ import annotations

import asyncio
import math

import pytest
from conftest import SEED_NAMES
from tui_helpers import press, settle, until

from engine.lesson import STEPS
from tui.app import create_app
from tui.screens.confirm import ConfirmScreen

pytestmark = pytest.mark.slow

# What the caption's "here" says at these steps (1-based, as the caption numbers them)
AGREE = {
    1: "(32,033 items)",
    2: "27 symbols",
    3: "n→. 6,763",
    4: ".a 4,410",
    8: "loss 3.296",
    9: "X 228,146x3",
    12: "3,481 parameters",
    17: "2.454577 over 228,146 pairs",
    22: "76,579 parameters",
}
TRAINING = 14  # the post's 1,000 full-batch steps
ASKS = 20  # past the post, a new net: the trained post's net is replaced once the learner says


def test_the_lesson_forward_and_back_on_names_txt():
    async def scenario(app, pilot):
        caption, status = app.lesson, app.status

        def at(step: int) -> bool:
            return caption.view is not None and caption.view.open and caption.view.step == step - 1

        await press(pilot, "L")
        await until(pilot, lambda: at(1))
        assert caption.view.note == ""  # names.txt: no word of other figures
        for step in range(1, len(STEPS) + 1):
            if step > 1:
                await press(pilot, "right_square_bracket")
                if step == ASKS:
                    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
                    await press(pilot, "y")
                await until(pilot, lambda step=step: at(step))
            if step in AGREE:
                assert AGREE[step] in caption.view.ours, (step, caption.view.ours)
            if step == TRAINING:
                await pilot.press("space")  # it runs, so is never idle until it pauses
                await until(pilot, lambda: status.view.step >= 1000, timeout=900)
                await settle(pilot)
                assert not status.view.running and status.view.step == 1000
                assert "step 1,000/1,000" in str(status.render())
                assert math.isclose(status.view.loss, 2.53, abs_tol=0.1)  # the post: 2.5312
                assert "step 1,000/1,000" in caption.view.ours
        for step in range(len(STEPS) - 1, 0, -1):
            await press(pilot, "left_square_bracket")
            await until(pilot, lambda step=step: at(step))
        assert AGREE[1] in caption.view.ours
        await press(pilot, "L")  # left, everything as it is; and back at the same step
        await until(pilot, lambda: not caption.display)
        await press(pilot, "L")
        await until(pilot, lambda: at(1))

    async def main():
        app = create_app(data=str(SEED_NAMES))
        async with app.run_test(size=(100, 32), notifications=True) as pilot:
            await settle(pilot)
            await scenario(app, pilot)

    asyncio.run(main())
