"""The app over the real engine process: training, files, a dead engine, quitting; and the
import boundaries that keep torch out of the app and Textual out of the engine. All in the
slow tier: each starts processes that import torch (test_app.py drives the UI over a fake
engine, test_session.py the engine's loop in a thread)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tui_helpers import press, settle, toast, toasts, train, until

from tui.app import create_app

pytestmark = pytest.mark.slow


def drive(scenario, size=(100, 30), **app_args):
    """Run one async scenario against a fresh app and its engine, headless."""

    async def main():
        app = create_app(**app_args)
        async with app.run_test(size=size, notifications=True) as pilot:
            await settle(pilot)
            await scenario(app, pilot)
        return app

    return asyncio.run(main())


def test_step_switch_reset_and_run():
    async def scenario(app, pilot):
        status = app.status
        assert status.view.model == "bigram" and status.view.step == 0
        await press(pilot, "n")
        assert status.view.step == 1
        await press(pilot, "m", "m")
        assert status.view.model == "mlp"
        await press(pilot, "n", "n")
        assert status.view.step == 2
        await press(pilot, "r")
        assert status.view.step == 2  # a trained run, not saved: the engine asks first
        await press(pilot, "y")
        assert status.view.step == 0
        await pilot.press("space")
        await until(pilot, lambda: status.view.running and status.view.step > 0)
        await press(pilot, "space")
        assert not status.view.running
        step = status.view.step
        assert app.loss.view.val_curves["mlp"][0][-1] == step  # val for the step shown
        await press(pilot, "n")
        assert status.view.step == step + 1  # paused means paused: only the step asked for
        await press(pilot, "m")
        assert status.view.model == "ngram"
        from engine.families import NAMES

        await press(pilot, *["m"] * (len(NAMES) - NAMES.index("ngram")))
        assert status.view.model == "bigram"  # and round again

    drive(scenario)


def test_open_a_dataset_good_and_bad(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the engine starts there: short paths to type
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
        await pilot.press(*"bad.txt", "enter")
        await settle(pilot)
        assert "not UTF-8" in str(app.screen.query_one("#form-error").render())  # in the dialog
        assert app.status.view.dataset == "first-names.txt" and app.status.view.step == 3
        await pilot.press(*["backspace"] * 7, *"cities.txt", "enter")  # the path mended
        await settle(pilot)
        assert app.status.view.dataset == "cities.txt" and app.status.view.items == 12
        assert app.status.view.step == 0

    drive(scenario)


def test_save_load_and_export(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the engine starts there: short paths to type
    checkpoint = tmp_path / "run.pt"

    async def scenario(app, pilot):
        await press(pilot, "m", "m")
        await train(pilot, 20)
        await press(pilot, "s")
        await pilot.press("ctrl+u", *"run.pt", "enter")
        await settle(pilot)
        assert checkpoint.is_file()
        await press(pilot, "r")
        assert app.status.view.step == 0
        await press(pilot, "l")
        await pilot.press(*"run.pt", "enter")
        await settle(pilot)
        assert app.status.view.step == 20 and app.status.view.model == "mlp"
        await press(pilot, "l")
        await pilot.press(*"missing.pt", "enter")
        await settle(pilot)
        assert app.status.view.step == 20  # a bad checkpoint changes nothing
        await press(pilot, "escape")  # its dialog, open with why
        await press(pilot, "g", "x")
        await pilot.press("ctrl+u", *"out/run", "enter")
        await settle(pilot)
        names = (tmp_path / "out" / "run-names.tsv").read_text().splitlines()
        loss = (tmp_path / "out" / "run-loss.csv").read_text().splitlines()
        assert (
            names[0] == "name\tlogprob\ttag\tmodel\tstep\ttemperature\ttop_k\tprefix"
            and len(names) > 4
        )
        assert loss[0] == "model,split,step,loss,run,run_id" and any(
            r.startswith("mlp,train,") for r in loss
        )

    drive(scenario)


def test_resume_from_the_command_line(tmp_path):
    from engine import checkpoint
    from engine.families import preset
    from engine.sources import open_dataset
    from engine.trainer import Trainer

    path = tmp_path / "run.pt"
    trainer = Trainer(open_dataset(), preset("lecture"))
    trainer.run(42)
    checkpoint.save(trainer, path)

    async def scenario(app, pilot):
        assert (app.status.view.model, app.status.view.step) == ("mlp", 42)

    drive(scenario, checkpoint=str(path))


def test_a_bad_dataset_at_start_opens_the_default(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("\n\n")

    async def scenario(app, pilot):
        assert app.status.view.dataset == "first-names.txt"
        await toast(pilot, "no items")

    drive(scenario, data=str(bad))


def test_an_engine_that_dies_is_reported():
    async def scenario(app, pilot):
        os.kill(app.engine.pid, signal.SIGKILL)
        await toast(pilot, "engine ended (killed by signal 9)")
        await pilot.press("n")  # a command to an engine that is gone changes nothing
        assert app.status.view.step == 0 and len(toasts(app)) == 1
        await until(pilot, lambda: "engine stopped" in str(app.status.render()))

    drive(scenario)


async def _train_kill_and_restart(app, pilot):
    """Train the MLP until it is autosaved, kill its engine, say yes to a restart; returns
    the dead engine's client once the new engine shows the MLP."""
    await pilot.press("m", "m", "space")  # the MLP, training
    await until(pilot, lambda: app.engine.autosave.exists() and app.status.view.step > 0)
    await pilot.press("space")
    await until(pilot, lambda: not app.status.view.running)
    first = app.engine
    os.kill(first.pid, signal.SIGKILL)
    await until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
    await pilot.press("y")
    await until(pilot, lambda: app.engine is not first and app.status.view.model == "mlp")
    return first


def test_an_engine_that_dies_while_training_starts_again_from_its_autosave():
    async def scenario(app, pilot):
        first = await _train_kill_and_restart(app, pilot)
        assert app.status.view.step > 0 and app.engine.pid != first.pid
        workdir = first.autosave.parent
        await pilot.press("q")
        return workdir

    app = drive(scenario)
    assert app.engine.stopped and not app.engine.autosave.parent.exists()  # nothing left


def test_quitting_while_training_ends_the_engine_cleanly():
    async def scenario(app, pilot):
        await pilot.press("space")
        await until(pilot, lambda: app.status.view.running)
        await pilot.press("q")

    app = drive(scenario)
    assert app.return_code == 0 and app.engine.stopped
    assert app.engine.wait(10) == 0  # the engine process ended, and cleanly


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_engine_imports_no_textual():
    modules = _modules_after(
        "import engine.cli, engine.session, engine.checkpoint, engine.views, engine.sources, "
        "engine.server"
    )
    assert "torch" in modules
    assert not {m for m in modules if m.split(".")[0] in ("textual", "textual_plotext", "rich")}


def test_the_app_imports_no_torch_and_only_the_protocol_and_entry_of_the_engine():
    """So that the first frame comes before torch's second of importing; engine.files (the
    standard library's alone) says where the user's data directory is, for runs kept, and
    engine.words (none) words a count as the engine does."""
    modules = _modules_after("import tui.app, tui.cli, tui.screens.form, tui.widgets.plots")
    assert "textual" in modules and "torch" not in modules
    engine = {m for m in modules if m.startswith("engine")}
    assert engine == {
        "engine",
        "engine.commands",
        "engine.protocol",
        "engine.process",
        "engine.files",
        "engine.errors",
        "engine.words",
    }


def test_the_app_process_never_loads_torch():
    """Training runs in the engine process; the app only reads its records."""
    script = f"""
import asyncio, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import pytest
from tui_helpers import press, settle, train
from tui.app import create_app

async def main():
    async with create_app().run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "m", "m")
        await train(pilot, 50)
        await press(pilot, "g", "p")
        assert pilot.app.status.view.step == 50

asyncio.run(main())
print("torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_kill_or_a_dropped_session_restores_the_terminal(signum):
    """Cooked mode, the main screen, no mouse reporting: as after q; and both processes end."""
    import termios

    from bench.terminal import Terminal

    terminal = Terminal(100, 30)
    terminal.start()
    terminal.wait_for("Loss")
    terminal.wait_for("paused")  # the engine is up
    os.kill(terminal.pid, signum)
    _, status = os.waitpid(terminal.pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + signum
    lflag = termios.tcgetattr(terminal.fd)[3]
    assert lflag & termios.ICANON and lflag & termios.ECHO
    with terminal.arrived:  # the reader may still be taking the last bytes from the terminal
        restored = terminal.arrived.wait_for(
            lambda: b"\x1b[?1049l" in terminal.raw[-2000:], timeout=10
        )
    assert restored and b"\x1b[?1000l" in terminal.raw[-2000:]
    terminal.stop()


@pytest.mark.slow
def test_a_dropped_session_keeps_its_run_for_the_next_start(tmp_path, monkeypatch):
    """SIGHUP leaves no time to ask: the run, as the engine last saved it, is found by the
    next start in a terminal, kept in the data directory, and said; l loads it."""
    from bench.terminal import Terminal
    from bench.web import wait_until

    monkeypatch.setenv("MAKEMORE_TUI_HOME", str(tmp_path / "home"))
    first = Terminal(100, 30, tmpdir=tmp_path)  # the two starts' own: no other test's
    first.start()
    first.wait_for("paused")
    first.send("mm ")  # the mlp, training: the engine saves it for a restart at once
    wait_until(lambda: any(tmp_path.glob("makemore-tui-*/autosave.pt")), 60, "a save")
    os.kill(first.pid, signal.SIGHUP)
    os.waitpid(first.pid, 0)
    first.stop()
    second = Terminal(100, 30, tmpdir=tmp_path)
    second.start()
    second.wait_for("An earlier session")
    second.stop()
    (kept,) = (tmp_path / "home").glob("unsaved-*.pt")
    from engine.session import Session

    session = Session.open(checkpoint_path=str(kept))
    assert session.active == "mlp" and session.trainer.step >= 1


def test_a_restart_after_another_file_was_opened_resumes_on_that_file(tmp_path):
    """The restart took the command line's dataset: the run on the opened file was lost."""
    names300 = Path(__file__).resolve().parent / "fixtures" / "names300.txt"
    opened = tmp_path / "few.txt"
    opened.write_text(names300.read_text())

    async def scenario(app, pilot):
        app.engine.open_dataset(str(opened))
        await until(pilot, lambda: app.status.view and app.status.view.dataset == "few.txt")
        await _train_kill_and_restart(app, pilot)
        assert app.status.view.dataset == "few.txt" and app.status.view.step > 0

    drive(scenario)
