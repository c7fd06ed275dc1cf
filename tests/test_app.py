"""Pilot tests: every key action, bad inputs that keep the session, and the import boundaries."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from tui_helpers import press, settle, train

from tui.app import create_app
from tui.widgets.bigrams import BigramHeatmap
from tui.widgets.generator import NameList
from tui.widgets.loss import LossPlot


def drive(scenario, size=(100, 30), **app_args):
    """Run one async scenario against a fresh app, headless."""

    async def main():
        app = create_app(**app_args)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(app, pilot)
        return app

    return asyncio.run(main())


def test_step_switch_reset_and_run():
    async def scenario(app, pilot):
        assert app.snapshot.model == "bigram" and app.snapshot.step == 0
        await press(pilot, "n")
        assert app.snapshot.step == 1
        await press(pilot, "m")
        assert app.snapshot.model == "bigram-neural"
        await press(pilot, "m")
        assert app.snapshot.model == "mlp"
        await press(pilot, "n", "n")
        assert app.snapshot.step == 2
        await press(pilot, "r")
        assert app.snapshot.step == 0
        await pilot.press("space")
        for _ in range(200):
            await pilot.pause(0.02)
            if app.running and app.snapshot.step > 0:
                break
        assert app.running and app.snapshot.step > 0
        await press(pilot, "space")
        assert not app.running
        step = app.snapshot.step
        assert app.snapshot.val_curves["mlp"][0][-1] == step  # val for the step shown
        await pilot.pause(0.2)
        assert app.snapshot.step == step  # paused means paused
        await press(pilot, "m")
        assert app.snapshot.model == "bigram"  # and round again

    drive(scenario)


def test_generate_and_temperature():
    async def scenario(app, pilot):
        await press(pilot, "m", "m")
        await train(pilot, 300)
        await press(pilot, "g")
        names = app.query_one(NameList)
        assert len(names.finished) >= 4 and not names.growing
        assert {s.tag for s in names.finished} <= {"new", "train", "val", "test"}
        await press(pilot, "plus", "plus")
        assert app.snapshot.temperature == pytest.approx(1.2)
        await press(pilot, "minus")
        assert app.snapshot.temperature == pytest.approx(1.1)
        for _ in range(15):
            await press(pilot, "minus")
        assert app.snapshot.temperature == pytest.approx(0.1)  # floored, never 0

    drive(scenario)


def test_sampling_form_sets_prefix_and_top_k():
    async def scenario(app, pilot):
        await press(pilot, "p")
        await pilot.press("tab", "3", "tab", *"ma", "enter")
        await settle(pilot)
        assert (app.snapshot.top_k, app.snapshot.prefix) == (3, "ma")
        await press(pilot, "g")
        assert all(s.text.startswith("ma") for s in app.query_one(NameList).finished)
        await press(pilot, "p")
        await pilot.press("tab", "tab", "Z", "enter")  # Z is not in the vocabulary
        await pilot.pause(0.1)
        assert "not in the vocabulary" in str(app.screen.query_one("#form-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.snapshot.prefix == "ma"

    drive(scenario)


def test_hyperparameter_form_applies_or_refuses():
    async def scenario(app, pilot):
        await press(pilot, "m", "m")
        await train(pilot, 5)
        await press(pilot, "e")
        await pilot.press("backspace", "x", "enter")  # block_size "x"
        await pilot.pause(0.1)
        error = str(app.screen.query_one("#form-error").render())
        assert "block_size must be a whole number" in error
        await pilot.press("escape")
        await settle(pilot)
        assert app.snapshot.step == 5 and app.snapshot.config["block_size"] == 6  # unchanged
        await press(pilot, "e")
        for _ in range(5):
            await pilot.press("tab")  # to learning_rate
        await pilot.press("ctrl+u", *"0.01", "enter")
        await settle(pilot)
        assert app.snapshot.config["learning_rate"] == 0.01 and app.snapshot.step == 5
        await press(pilot, "e")
        await pilot.press("tab", "ctrl+u", "8", "enter")  # n_embd: a new model
        await settle(pilot)
        assert app.snapshot.config["n_embd"] == 8 and app.snapshot.step == 0

    drive(scenario)


def test_toggles_counts_and_log_scale():
    async def scenario(app, pilot):
        heatmap, loss = app.query_one(BigramHeatmap), app.query_one("#loss")
        await train(pilot, 10)
        assert not heatmap.show_probabilities and "counts" in heatmap.border_title
        await press(pilot, "c")
        assert heatmap.show_probabilities and "probabilities" in heatmap.border_title
        await press(pilot, "y")
        assert app.log_scale and "log" in loss.border_title
        assert isinstance(app.plots[0], LossPlot)

    drive(scenario)


def test_plots_built_in_a_thread_match_those_built_in_place():
    async def scenario(app, pilot):
        await press(pilot, "m", "m")
        await train(pilot, 200)
        for plot, args in zip(app.plots, [(app.snapshot, False), (app.snapshot,)], strict=True):
            plot.show(*args)
            await pilot.pause()  # the repaint builds the lines in place
            in_place = plot._lines
            plot.show(*args, background=True)  # as while training
            for _ in range(100):
                await pilot.pause(0.02)
                if plot._lines is not in_place:
                    break
            assert plot._lines is not in_place, "the thread never delivered its lines"
            assert plot._lines[1] == in_place[1]
            text = "".join(line.text for line in in_place[1])
            assert "x" in text or "a" in text  # a figure, not an empty panel

    drive(scenario)


def test_open_a_dataset_good_and_bad(tmp_path):
    good = tmp_path / "cities.txt"
    good.write_text(
        "\n".join(
            [
                "paris",
                "berlin",
                "roma",
                "wien",
                "oslo",
                "bern",
                "riga",
                "praha",
                "lisboa",
                "madrid",
                "dublin",
                "sofia",
            ]
        ),
        encoding="utf-8",
    )
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"anna\n\xff\xfe\n")

    async def scenario(app, pilot):
        await train(pilot, 3)
        await press(pilot, "o")
        await pilot.press(*str(bad), "enter")
        await settle(pilot)
        assert app.snapshot.dataset == "names.txt" and app.snapshot.step == 3  # kept
        assert any("not UTF-8" in n.message for n in app._notifications)
        await press(pilot, "o")
        await pilot.press(*str(good), "enter")
        await settle(pilot)
        assert app.snapshot.dataset == "cities.txt" and app.snapshot.items == 12
        assert app.snapshot.step == 0

    drive(scenario)


def test_save_load_and_export(tmp_path):
    checkpoint = tmp_path / "run.pt"

    async def scenario(app, pilot):
        await press(pilot, "m", "m")
        await train(pilot, 20)
        await press(pilot, "s")
        await pilot.press("ctrl+u", *str(checkpoint), "enter")
        await settle(pilot)
        assert checkpoint.is_file()
        await press(pilot, "r")
        assert app.snapshot.step == 0
        await press(pilot, "l")
        await pilot.press(*str(checkpoint), "enter")
        await settle(pilot)
        assert app.snapshot.step == 20 and app.snapshot.model == "mlp"
        await press(pilot, "l")
        await pilot.press(*str(tmp_path / "missing.pt"), "enter")
        await settle(pilot)
        assert app.snapshot.step == 20  # a bad checkpoint changes nothing
        await press(pilot, "g", "x")
        await pilot.press("ctrl+u", *str(tmp_path / "out" / "run"), "enter")
        await settle(pilot)
        names = (tmp_path / "out" / "run-names.tsv").read_text().splitlines()
        loss = (tmp_path / "out" / "run-loss.csv").read_text().splitlines()
        assert names[0] == "name\tlogprob\ttag" and len(names) > 4
        assert loss[0] == "model,split,step,loss" and any(r.startswith("mlp,train,") for r in loss)

    drive(scenario)


def test_resume_from_the_command_line(tmp_path):
    from engine import checkpoint
    from engine.config import PRESETS
    from engine.sources import open_dataset
    from engine.trainer import Trainer

    path = tmp_path / "run.pt"
    trainer = Trainer(open_dataset(), PRESETS["lecture"])
    trainer.run(42)
    checkpoint.save(trainer, path)

    async def scenario(app, pilot):
        assert (app.snapshot.model, app.snapshot.step) == ("mlp", 42)

    drive(scenario, checkpoint=str(path))


def test_a_bad_dataset_at_start_opens_the_default(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("\n\n")

    async def scenario(app, pilot):
        assert app.snapshot.dataset == "names.txt"
        assert any("no items" in n.message for n in app._notifications)

    drive(scenario, data=str(bad))


def test_help_and_quit_keys():
    async def scenario(app, pilot):
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "Screen"
        await pilot.press("space")  # quitting while training is clean too
        await pilot.pause(0.2)
        await pilot.press("q")
        await pilot.pause(0.1)

    app = drive(scenario)
    assert app.return_code == 0 and app.engine.stopped
    assert app.engine.process.wait(10) == 0  # the engine process ended, and cleanly


def test_an_engine_that_dies_is_reported():
    async def scenario(app, pilot):
        app.engine.process.kill()
        for _ in range(100):
            await pilot.pause(0.05)
            if app._notifications:
                break
        assert any("engine ended (killed by signal 9)" in n.message for n in app._notifications)
        await pilot.press("n")  # a command to an engine that is gone changes nothing
        await pilot.pause(0.1)
        assert app.snapshot.step == 0

    drive(scenario)


def test_ctrl_c_quits():
    async def scenario(app, pilot):
        await pilot.press("ctrl+c")
        await pilot.pause(0.1)

    assert drive(scenario).return_code == 0


def test_every_binding_is_in_the_command_palette():
    async def scenario(app, pilot):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for binding in app.BINDINGS:
            if binding.key not in ("ctrl+c", "q"):
                assert binding.description in titles

    drive(scenario)


def test_too_small_says_the_size_it_needs_and_recovers():
    async def scenario(app, pilot):
        await pilot.resize_terminal(50, 14)
        await pilot.pause(0.1)
        assert app.screen.has_class("too-small")
        assert "needs at least 64x20" in str(app.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.1)
        assert not app.screen.has_class("too-small")

    drive(scenario)


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_engine_imports_no_textual():
    modules = _modules_after(
        "import engine.cli, engine.session, engine.checkpoint, engine.views, engine.sources, "
        "engine.process"
    )
    assert "torch" in modules
    assert not {m for m in modules if m.split(".")[0] in ("textual", "textual_plotext", "rich")}


def test_the_app_module_imports_no_torch():
    """So that the first frame comes before torch's second of importing."""
    modules = _modules_after("import tui.app, tui.cli")
    assert "textual" in modules and "torch" not in modules


def test_the_app_process_never_loads_torch():
    """Training runs in the engine process; the UI's only reads its plain records."""
    script = f"""
import asyncio, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from tui_helpers import press, settle, train
from tui.app import create_app

async def main():
    async with create_app().run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "m", "m")
        await train(pilot, 50)
        await press(pilot, "g", "p")
        assert pilot.app.snapshot.step == 50

asyncio.run(main())
print("torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False"
