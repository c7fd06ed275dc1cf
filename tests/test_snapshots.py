"""Snapshot tests over the fake engine, which replays records of the real one: seeded, no
clocks, no process. Look at each SVG before committing it (see README)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fake_engine import THREE_RUNS, FakeEngine
from recording import error_of, load
from tui_helpers import press, settle, show_runs

from engine.commands import Reconfigure
from engine.protocol import StatusView, TraceView
from tui.app import create_app

# The inner loop (make test-fast) draws each screen at 80x24; the whole suite at 160x48 too.
SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((160, 48), id="160x48", marks=pytest.mark.slow),
]
RECORDED = load()
# The generator panel has 9 rows at 80x24 and 21 at 160x48: g asks for that many names.
NAMES = {(80, 24): "mlp 1500 steps, 9 names", (160, 48): "mlp 1500 steps, 21 names"}


def replaying(*scenarios: str, **fake_args) -> object:
    return create_app(engine=FakeEngine(*(RECORDED[s] for s in scenarios), **fake_args))


@pytest.mark.parametrize("size", SIZES)
def test_start_screen(snap_compare, size):
    assert snap_compare(replaying("start"), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_after_bigram_steps(snap_compare, size):
    assert snap_compare(replaying("bigram 120 steps"), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_after_mlp_steps(snap_compare, size):
    # The bigram counted first: its floor and curve for comparison.
    assert snap_compare(replaying("mlp 600 steps"), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_generator_with_names(snap_compare, size):
    assert snap_compare(replaying(NAMES[size]), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")

    assert snap_compare(replaying("start"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_quit_asks_about_a_run_not_saved(snap_compare, size):
    status = next(r for r in RECORDED["mlp"] if isinstance(r, StatusView) and r.model == "mlp")
    unsaved = replace(status, step=3000, unsaved="the mlp's 3,000 steps (1 min 4 s of training)")

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.engine.play([unsaved])
        await settle(pilot)
        await press(pilot, "q")

    assert snap_compare(replaying("mlp"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_hyperparameter_form_with_an_error(snap_compare, size):
    error = error_of(RECORDED["mlp, block_size 0"])

    async def run_before(pilot):
        await settle(pilot)
        await press(pilot, "e")
        await pilot.press("tab", "backspace", "0", "enter")  # block_size 0
        await settle(pilot)

    app = replaying("mlp", errors={Reconfigure: error})
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_a_traced_name(snap_compare, size):
    recorded = RECORDED["counted, mlp 600 steps, emma traced"]

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("w")
        pilot.app.engine.play([r for r in recorded if isinstance(r, TraceView)])
        await settle(pilot)

    assert snap_compare(replaying("start"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_three_runs_side_by_side(snap_compare, size):
    assert snap_compare(replaying("three runs compared"), terminal_size=size, run_before=settle)


def test_too_small(snap_compare):
    assert snap_compare(replaying("start"), terminal_size=(50, 14), run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_both_bars_and_the_best_val_loss(snap_compare, size):
    # The bigram and the ngram counted: two lines in their colours; the MLP's best val marked.
    app = replaying("counted, then mlp 600 steps")
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_overfitting_status(snap_compare):
    app = replaying("300 names, overfitting")
    assert snap_compare(app, terminal_size=(200, 30), run_before=settle)


def test_the_seed_presets_curve(snap_compare):
    """The seed post's net starts in the tens: the loss axis goes log by itself."""
    app = replaying("seed preset 40 steps")
    assert snap_compare(app, terminal_size=(100, 30), run_before=settle)


def test_learning_rate_finder(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f")
        pilot.app.engine.play(RECORDED["small preset, lr finder"])
        await settle(pilot)
        pilot.app.clear_notifications()

    app = replaying("mlp")
    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


@pytest.mark.parametrize("keys", [(), ("c",)], ids=["N", "P"])
def test_the_full_bigram_grid_maximised(snap_compare, keys):
    """At 100x32 the maximised Bigrams panel holds the whole 27x27 grid, N or P."""

    async def run_before(pilot):
        await settle(pilot)
        await press(pilot, "tab", "tab", "tab", "z", *keys)
        pilot.app.clear_notifications()  # the note of the count would hide a corner

    app = replaying("bigram counted")
    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_runs_table(snap_compare, size):
    """The runs on the data open, then one on other data: lower, and dimmed."""
    other = replace(
        THREE_RUNS.rows[1], id="2026-11-24T09:00", dataset="cities.txt", best_val=1.8123
    )
    view = replace(THREE_RUNS, rows=[*THREE_RUNS.rows, replace(other, same_data=False)])

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("t")
        await show_runs(pilot, view)

    assert snap_compare(replaying("start"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "run",
    [
        "diagnostics, lecture",
        "diagnostics, randn init and tanh",
        "diagnostics, batchnorm",
        "diagnostics, wavenet",
    ],
)
def test_diagnostics(snap_compare, size, run):
    """A healthy run, and a saturated one: tanh on the seed's randn init; BatchNorm's
    statistics, and the WaveNet's tree."""
    assert snap_compare(replaying("mlp"), terminal_size=size, run_before=_inside(run))


def _inside(run: str):
    """d pressed, then the views of the recorded run, as they come to the screen it opens."""

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("d")
        pilot.app.engine.play(RECORDED[run])
        await settle(pilot)
        pilot.app.clear_notifications()

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("run", ["inside, transformer", "inside, gru"])
def test_inside_a_sequence_model(snap_compare, size, run):
    """The Transformer's heads over 'emma', letter by letter (one head fits at 80x24, all
    four of a layer at 160x48); the GRU's state and gates at each letter."""
    assert snap_compare(replaying(run), terminal_size=size, run_before=_inside(run))


def test_no_color(snap_compare, monkeypatch):
    """Without colour every meaning survives: markers on the curves, bold val, underlined
    vowels and test tags."""
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.clear_notifications()

    app = replaying("counted, then mlp 600 steps")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_sixteen_colours(snap_compare, monkeypatch):
    """TERM=xterm over SSH, no COLORTERM: the heatmap's shades keep their order (greys)."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM")

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.clear_notifications()

    app = replaying("counted, then mlp 600 steps")
    assert app.console.color_system == "standard"
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_a_light_theme(snap_compare):
    """Legend, status line and plots in colours that read on a light background."""

    async def run_before(pilot):
        pilot.app.theme = "solarized-light"
        await settle(pilot)
        pilot.app.clear_notifications()

    app = replaying("counted, then mlp 600 steps")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


LESSON = [
    "lesson, counting",
    "lesson, N",
    "lesson, P",
    "lesson, first loss",
    "lesson, scatter",
    "lesson, BatchNorm",
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scenario", LESSON)
def test_lesson_steps(snap_compare, size, scenario):
    """The lesson's caption under the panel it talks about, on names.txt: at 160x48 the N grid
    shows its counts in full (.a 4410)."""

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.clear_notifications()  # the notes of the setup would hide a corner

    assert snap_compare(replaying(scenario), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize(
    ("picture", "snapshot"),
    [
        ("screenshot.svg", "test_generator_with_names[160x48]"),
        ("screenshot-80x24.svg", "test_after_mlp_steps[80x24]"),
        ("lr-finder.svg", "test_learning_rate_finder"),
        ("bigram-grid.svg", "test_the_full_bigram_grid_maximised[N]"),
    ],
)
def test_the_readmes_pictures_are_todays_snapshots(picture, snapshot):
    """Copied by hand, they showed the app of weeks before."""
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    copied = (tests.parent / "docs" / picture).read_bytes()
    assert copied == (tests / "__snapshots__" / "test_snapshots" / f"{snapshot}.svg").read_bytes()
