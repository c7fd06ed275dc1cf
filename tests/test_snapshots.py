"""Snapshot tests: seeded, no clocks, training driven by the test. Look at each SVG before
committing it (see README)."""

from __future__ import annotations

import pytest
from tui_helpers import press, settle, train

from tui.app import create_app

SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_start_screen(snap_compare, size):
    assert snap_compare(create_app(), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_after_bigram_steps(snap_compare, size):
    async def run_before(pilot):
        await settle(pilot)
        await train(pilot, 120)

    assert snap_compare(create_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_after_mlp_steps(snap_compare, size):
    async def run_before(pilot):
        await settle(pilot)
        await train(pilot, 210)  # the bigram, counted: its floor and curve for comparison
        await press(pilot, "m", "m")
        for _ in range(6):
            await train(pilot, 100)

    assert snap_compare(create_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_generator_with_names(snap_compare, size):
    async def run_before(pilot):
        await settle(pilot)
        await press(pilot, "m", "m")
        await train(pilot, 1500)
        await press(pilot, "g")

    assert snap_compare(create_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_help_screen(snap_compare, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.1)

    assert snap_compare(create_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_hyperparameter_form_with_an_error(snap_compare, size):
    async def run_before(pilot):
        await settle(pilot)
        await press(pilot, "m", "m", "e")
        await pilot.press("backspace", "0", "enter")  # block_size 0
        await pilot.pause(0.1)

    assert snap_compare(create_app(), terminal_size=size, run_before=run_before)


def test_too_small(snap_compare):
    assert snap_compare(create_app(), terminal_size=(50, 14), run_before=settle)
