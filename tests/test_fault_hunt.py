"""The fault hunt (issue 28): what a hostile page, file, checkpoint or environment did to
`serve`, the app and the CLI, and what a burst of keys did to the app. Each test failed
before its fix."""

from __future__ import annotations

import os
import random
import re
import select
import sys
import time
from pathlib import Path

import pytest
from conftest import PEAK_AT_EXIT
from fake_engine import THREE_RUNS
from recording import load
from textual import events
from tui_helpers import drive, press, settle, until

ROOT = Path(__file__).resolve().parents[1]
NAMES300 = ROOT / "tests" / "fixtures" / "names300.txt"
RECORDED = load()


# 8. Two Enters in one read


@pytest.mark.parametrize(
    ("opening", "key"),
    [(["o", *"names.txt"], "enter"), (["t"], "enter"), (["ctrl+p"], "escape")],
    ids=["open", "runs", "palette"],
)
def test_two_keys_in_one_read_dismiss_the_dialog_once(opening, key):
    """Textual's dismiss() pops whatever is on top: the second Enter popped the main screen
    (ScreenStackError, the app gone). The palette's own Enter waits on its search, which
    Textual can lose under load ("No matches found"): its Escape dismisses it at once."""

    async def scenario(app, pilot):
        await press(pilot, *opening)
        app.engine.play([THREE_RUNS])  # for the runs table
        await settle(pilot)
        for _ in range(2):  # one read: no wait between them
            app._driver.process_message(events.Key(key, "\r" if key == "enter" else "\x1b"))
        await settle(pilot)  # both keys handled: the second pop, had there been one, too
        assert app.is_running and app.screen_stack[0].id == "_default"

    drive(scenario, RECORDED["start"])


# The app in a terminal, under random keys

# Keys a user may press at any moment; not q, ctrl+c, ctrl+q (they quit), nor ctrl+s and
# ctrl+z (the terminal's flow control and job control).
KEYS = [
    *"abcdefghijklmnoprstuvwxyz0123456789+-?.,/ ",
    "\r",
    "\t",
    "\x7f",  # backspace
    "\x1b",  # escape
    "\x1b[A",
    "\x1b[B",
    "\x1b[C",
    "\x1b[D",
    "\x10",  # ctrl+p: the palette
]


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_a_thousand_random_keys_while_training_leave_the_app_alive(tmp_path, seed):
    from bench.terminal import Terminal

    terminal = Terminal(100, 30)
    app = str(Path(sys.executable).with_name("makemore-tui"))
    terminal.start([app, str(NAMES300)], cwd=tmp_path)  # files it may write go there
    try:
        terminal.wait_for("paused")
        terminal.send(" ")
        terminal.wait_for("running")
        rng, sent = random.Random(seed), 0
        while sent < 1000:
            burst = rng.randint(1, 10)
            terminal.send("".join(rng.choice(KEYS) for _ in range(burst)))
            sent += burst
            select.select([], [], [], 0.02)  # as a fast typist: the app reads a burst at a time
            assert _alive(terminal.pid), bytes(terminal.output[-2000:]).decode(errors="replace")
        for _ in range(12):  # out of any dialogs (one over another), then quit
            terminal.send("\x1b")
            _until_quiet(terminal)  # a q right after an escape would be alt+q
        terminal.send("q")
        _until_quiet(terminal)
        if _alive(terminal.pid):  # it asked first: a run not saved; q again quits
            terminal.send("q")
        deadline = time.monotonic() + 30
        while _alive(terminal.pid) and time.monotonic() < deadline:
            select.select([], [], [], 0.05)
        pid, status = os.waitpid(terminal.pid, os.WNOHANG)
        last = bytes(terminal.output[-3000:]).decode(errors="replace")
        assert pid == terminal.pid and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, last
    finally:
        terminal.stop()


def _until_quiet(terminal, seconds: float = 0.5) -> None:
    """Until the app has drawn nothing for a while."""
    with terminal.arrived:
        while True:
            at = len(terminal.output)
            terminal.arrived.wait_for(lambda at=at: len(terminal.output) > at, timeout=seconds)
            if len(terminal.output) == at:
                return


def _alive(pid: int) -> bool:
    """Running, not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# 3, 4, 10, 21. The runs table's file


def _trained(dataset, steps: int = 3):
    from engine.families import preset
    from engine.trainer import Trainer

    trainer = Trainer(dataset, preset("bigram"))
    trainer.run(steps)
    return trainer


def test_the_runs_export_asks_before_replacing_and_never_writes_through_a_link(small, tmp_path):
    from engine.files import Exists, FileRefused
    from engine.session import Session

    session = Session(small)
    session.train(3)
    target = tmp_path / "runs.csv"
    target.write_text("precious\n")
    with pytest.raises(Exists):
        session.export_runs(str(target))
    assert target.read_text() == "precious\n"
    session.export_runs(str(target), replace=True)
    assert target.read_text().startswith("id,dataset,model")
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "elsewhere.csv")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for refused in (link, fifo, Path("/dev/null")):
        with pytest.raises(FileRefused):  # at once: a FIFO never blocks the engine
            session.export_runs(str(refused), replace=True)
    assert not (tmp_path / "elsewhere.csv").exists()


def test_a_path_that_ends_in_a_slash_names_a_folder_not_a_file(small, tmp_path):
    """'out/' typed in s or in the runs table's x wrote a file named 'out' (a path drops its
    last slash): it names a folder, as Tab completes one, so it is refused, as a folder
    that exists is."""
    from engine.files import FileRefused
    from engine.session import Session

    session = Session(small)
    session.train(3)
    for write in (session.save_checkpoint, session.export_runs):
        with pytest.raises(FileRefused, match="a directory; name a file in it"):
            write(f"{tmp_path / 'out'}/")
        assert not (tmp_path / "out").exists()


def test_two_sessions_sharing_the_runs_file_keep_each_others_runs(small, runs_home):
    from engine.runs import RunLog, runs_path

    first, second = RunLog(runs_path()), RunLog(runs_path())  # two apps, both started
    first.record(_trained(small))
    second.record(_trained(small))
    first.save()
    second.save()  # it rewrote the whole file from memory: the first's run was gone
    first.save()
    kept = RunLog(runs_path()).runs
    assert set(kept) == set(first.runs) | set(second.runs) and len(kept) == 2
    assert first.runs.keys() == second.runs.keys() == kept.keys()  # each sees the other's


@pytest.mark.slow
def test_sessions_quitting_at_once_keep_every_run(runs_home):
    """Four processes recording runs into one file at the same moment."""
    import subprocess

    script = (
        "import sys; from engine.dataset import Dataset; from engine.runs import RunLog, runs_path;"
        "from engine.families import preset; from engine.trainer import Trainer;"
        "data = Dataset.from_items(['emma','ava','mia','ella','luna'] * 4, name='x');"
        "log = RunLog(runs_path()); runs = [Trainer(data, preset('bigram')) for _ in range(5)];"
        "[t.run(1) and log.record(t) for t in runs];"
        "sys.stdin.read(); log.save()"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE)
        for _ in range(4)
    ]
    for process in processes:  # all of them at once
        process.stdin.close()
    assert [process.wait(timeout=120) for process in processes] == [0] * 4
    from engine.runs import RunLog, runs_path

    assert len(RunLog(runs_path()).runs) == 20


def test_a_damaged_runs_file_is_skipped_line_by_line_and_counted(small, runs_home):
    from engine.runs import RunLog, runs_path

    good = RunLog(runs_path())
    good.record(_trained(small))
    good.save()
    path = runs_path()
    line = path.read_text().strip()
    bad = [
        b"\xff\xfe not utf-8",
        b"[" * 100_000 + b"]" * 100_000,
        line.replace('"id": "', '"id": [1], "x": "').encode(),
        re.sub(r'"steps": \d+', '"steps": "many"', line).encode(),
        b'{"id": "a"}',
        b"null",
    ]
    path.write_bytes(b"\n".join([*bad, line.encode()]) + b"\n")
    log = RunLog(path)
    assert len(log.runs) == 1 and log.skipped == len(bad) and log.failure is None
    from engine.session import Session

    view = Session(small, runs=log).runs_view()
    assert view.skipped == len(bad) and len(view.rows) == 1


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_a_runs_file_that_is_a_link_or_a_fifo_is_left_as_it_is(small, runs_home, kind):
    from engine.runs import RunLog, runs_path

    path, target = runs_path(), runs_home / "elsewhere"
    if kind == "symlink":
        target.write_text("")
        path.symlink_to(target)
    else:
        os.mkfifo(path)
    log = RunLog(path)  # a FIFO never blocks
    log.record(_trained(small))
    log.save()
    assert "the runs table is not kept" in log.failure
    assert path.is_symlink() if kind == "symlink" else path.is_fifo()
    assert not target.exists() or target.read_text() == ""


def test_an_unwritable_runs_folder_blocks_nothing_and_is_said_once(small, tmp_path, monkeypatch):
    from engine.commands import NextModel, Reset, Step

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MAKEMORE_TUI_HOME", str(blocker / "runs"))  # under a file: ENOTDIR
    notes = _engine_notes_and_answers(
        [Step(5), Reset(confirmed=True), NextModel(), Step(5), Reset(confirmed=True)]
    )
    answers = [r for r in notes if type(r).__name__ == "Answer"]
    assert [a.error for a in answers] == [None] * 5
    said = [r.text for r in notes if type(r).__name__ == "Note" and "runs table" in r.text]
    assert len(said) == 1 and "not kept" in said[0]
    assert not list(tmp_path.glob("**/*.tmp"))


@pytest.mark.slow
def test_a_full_disk_for_the_autosave_never_stops_the_run(monkeypatch, tmp_path):
    from engine import loop
    from engine.commands import ToggleRunning

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(loop, "save_checkpoint", full)
    monkeypatch.setattr(loop, "AUTOSAVE_SECONDS", 0.0)
    records = _engine_notes_and_answers(
        [ToggleRunning()], autosave=str(tmp_path / "a.pt"), until_step=40
    )
    notes = [r.text for r in records if type(r).__name__ == "Note"]
    assert sum("not saved for a restart" in n for n in notes) == 1
    assert not any(n.startswith("Stopped") for n in notes)


def test_a_run_is_saved_for_a_restart_as_it_pauses(monkeypatch, tmp_path):
    """Not only every AUTOSAVE_SECONDS while training: the steps since the last save were
    lost to a kill after a pause (or to the engine dying, for the restart)."""
    import threading
    from multiprocessing import Pipe

    from engine import checkpoint, loop
    from engine.session import Session

    monkeypatch.setattr(loop, "AUTOSAVE_SECONDS", 1e9)  # never by the clock in this test
    session = Session.open(str(NAMES300))
    session.select_model("mlp")
    autosave = tmp_path / "a.pt"
    ours, theirs = Pipe()
    engine = loop.EngineLoop(session, theirs, threading.Event(), str(autosave))
    engine._set_running(True)
    session.train(30)
    assert not autosave.exists()
    engine._set_running(False)
    assert checkpoint.read(autosave)["run"]["step"] == 30


def test_a_run_taken_step_by_step_is_saved_for_a_restart(monkeypatch, tmp_path):
    """A learner who only presses n (the lesson goes step by step) lost every step to a kill."""
    import threading
    from multiprocessing import Pipe

    from engine import checkpoint, loop
    from engine.commands import Step
    from engine.session import Session

    session = Session.open(str(NAMES300))
    session.select_model("mlp")
    autosave = tmp_path / "a.pt"
    ours, theirs = Pipe()
    engine = loop.EngineLoop(session, theirs, threading.Event(), str(autosave))
    engine._do(Step(3))
    assert checkpoint.read(autosave)["run"]["step"] == 3
    engine._do(Step(3))  # within AUTOSAVE_SECONDS of the last save: not yet
    assert checkpoint.read(autosave)["run"]["step"] == 3
    monkeypatch.setattr(loop, "AUTOSAVE_SECONDS", 0.0)
    engine._do(Step(3))
    assert checkpoint.read(autosave)["run"]["step"] == 9


def _engine_notes_and_answers(
    commands, autosave=None, until_step=None, timeout=120.0, session=None
):
    """Every Note and Answer of an engine (on `session`, else a new one) for these commands:
    until the last is answered and the engine idle, or (until_step) until its status shows
    that step."""
    import threading
    from multiprocessing import Pipe

    from engine.commands import Request
    from engine.loop import EngineLoop
    from engine.protocol import Answer, Idle, Note, StatusView
    from engine.session import Session

    ours, theirs = Pipe()
    cancel = threading.Event()
    session = session or Session.open()
    loop = threading.Thread(target=EngineLoop(session, theirs, cancel, autosave).run)
    loop.start()
    records = []
    try:
        for serial, command in enumerate(commands, 1):
            ours.send(Request(serial, command))
        while True:
            assert ours.poll(timeout), records
            record = ours.recv()
            if isinstance(record, Note | Answer):
                records.append(record)
            if until_step is None and isinstance(record, Idle) and record.serial == len(commands):
                break
            if until_step and isinstance(record, StatusView) and record.step >= until_step:
                break
    finally:
        cancel.set()
        loop.join()
    return records


# 7. Text that looks like markup


@pytest.mark.parametrize("text", ["[/]", 'Opened q[a="].txt', "notes [draft].txt", "[bold]x"])
def test_engine_text_is_never_parsed_as_markup(text):
    from tui_helpers import toast, toasts

    from engine.commands import Reconfigure
    from engine.protocol import Note

    async def scenario(app, pilot):
        app.engine.play([Note(text)])
        await toast(pilot, text)
        app.engine.errors[Reconfigure] = f"block_size must be a whole number, not {text!r}"
        app.engine.reconfigure({"block_size": text})
        await settle(pilot)
        assert app.is_running and any(text in shown for shown in toasts(app))

    drive(scenario, RECORDED["start"])


def test_a_runs_row_named_like_markup_is_shown_as_it_is():
    from dataclasses import replace

    from engine.protocol import RunsView

    rows = [replace(row, dataset="notes [draft].txt") for row in THREE_RUNS.rows]

    async def scenario(app, pilot):
        await press(pilot, "t")
        app.engine.play([RunsView(rows, "runs.jsonl", skipped=2)])
        screens = app.screens
        await until(pilot, lambda: RunsView in screens and screens[RunsView].table.row_count == 3)
        cells = [str(cell) for cell in screens[RunsView].table.get_row_at(0)]
        assert "notes [draft].txt" in cells
        assert "2 lines of the file were skipped" in str(screens[RunsView].summary.render())

    drive(scenario, RECORDED["start"])


# 12. keys.toml


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a = " + "[" * 50_000 + "]" * 50_000, "nested too deep"),
        ('quit = "ctrl+alt+shift+super+hyper+meta+f99"', "not a key"),
        ('step = "ctrl+ctrl+a"', "not a key"),
        ('step = "q"', "q is given to both quit and step"),
        ('step = "j"\ngenerate = "j"', "j is given to both step and generate"),
        ('step = "ctrl+c"', "ctrl+c always quits"),
        ('help = "f1, ctrl+p"', "ctrl+p opens the command palette"),
        ('step = "tab"', "tab moves the focus"),
        ('step = "ctrl+i"', "ctrl+i is tab to a terminal"),
    ],
    ids=["nested", "f99", "twice ctrl", "q twice", "j twice", "ctrl+c", "ctrl+p", "tab", "ctrl+i"],
)
def test_a_keymap_with_a_mistake_changes_nothing_and_says_why(tmp_path, text, problem):
    from tui.keys import load_keymap

    path = tmp_path / "keys.toml"
    path.write_text(text)
    keymap, said = load_keymap(path)
    assert keymap == {} and said is not None and problem in said


# 13. Home directories


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--data", "~nosuchuser/x.txt"],
        ["train", "--data", str(NAMES300), "--model", "bigram", "--save", "~nosuchuser/x.pt"],
        ["sample", "--checkpoint", "~nosuchuser/x.pt"],
    ],
    ids=["data", "save", "checkpoint"],
)
def test_a_home_of_no_user_is_one_error_line(capsys, argv):
    from engine.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "no user 'nosuchuser'" in err, err


def test_no_home_directory_at_all_is_no_crash(capsys, monkeypatch):
    """HOME unset, for a user the system does not know (a container's uid)."""
    import pwd

    from engine.cli import main
    from engine.session import Session
    from tui.keys import keymap_path

    def unknown(uid):
        raise KeyError(uid)

    for name in ("HOME", "MAKEMORE_TUI_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", unknown)
    with pytest.raises(RuntimeError):
        Path.home()
    argv = ["train", "--model", "bigram", "--samples", "0", "--data"]
    assert main([*argv, str(NAMES300)]) == 0
    assert main([*argv, "names"]) == 2
    assert "error: no home directory to keep names.txt in" in capsys.readouterr().err
    assert keymap_path() is None
    session = Session.open()  # the engine's start
    session.train(3)
    assert "nowhere" in session.runs_view().path


# 2. Escape sequences from files and checkpoints

OSC52 = "\x1b]52;c;aGVsbG8=\x1b\\"


def _saved_run(tmp_path, dataset_path=None, **changes):
    """A checkpoint of a short bigram run on the 300 names, its state changed as given."""
    import torch

    from engine import checkpoint
    from engine.dataset import load_dataset
    from engine.families import preset
    from engine.trainer import Trainer

    trainer = Trainer(load_dataset(NAMES300), preset("bigram"))
    trainer.run(2)
    path = tmp_path / "run.pt"
    checkpoint.save(trainer, path)
    if changes or dataset_path is not None:
        state = torch.load(path, weights_only=True)
        if dataset_path is not None:
            state["dataset"]["path"] = dataset_path
        for key, value in changes.items():
            # the run's entries are a table of their own; the envelope's and a stranger beside
            table = state if key in checkpoint.ENVELOPE or key == "payload" else state["run"]
            if key.startswith("dataset."):
                state["dataset"][key.split(".", 1)[1]] = value
            elif value is ...:
                del table[key]
            else:
                table[key] = value
        torch.save(state, path)
    return path


def test_a_crafted_checkpoints_dataset_path_reaches_no_terminal_raw(capsys, tmp_path):
    from engine.cli import main
    from engine.loop import shown
    from engine.protocol import Note

    path = _saved_run(  # without items kept: the path is what the error names
        tmp_path, dataset_path=f"/nowhere/{OSC52}\x1b[31mred.txt", **{"dataset.items": None}
    )
    assert main(["sample", "--checkpoint", str(path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b]52" in err
    assert "\x1b" not in shown(Note(f"Loaded {OSC52}")).text


def test_a_file_named_with_escapes_is_shown_escaped(capsys, tmp_path):
    from engine.cli import main

    named = tmp_path / "x\x1b]0;TITLE\x1b\\\x1b[2J.txt"
    named.write_text(NAMES300.read_text())
    assert main(["train", "--data", str(named), "--model", "bigram", "--samples", "0"]) == 0
    missing = tmp_path / "gone\x1b[2J.txt"
    assert main(["train", "--data", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\\x1b[2J" in err


# 9, 16, 23. Crafted and damaged checkpoints


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"dataset.path": 12345}, "dataset path is int"),
        ({"dataset.path": ["a"]}, "dataset path is list"),
        ({"dataset.seed": [1]}, "dataset seed is list"),
        ({"dataset": {"name": "x", "seed": 42}}, "dataset has no path"),
        ({"vocab": 5}, "vocabulary is not a list"),
        ({"vocab": [["a"], ["b"]]}, "vocabulary is not a list"),
        ({"step": "many"}, "step is not a count"),
        ({"seconds": float("nan")}, "seconds is not a duration"),
        ({"seconds": "5"}, "seconds is not a duration"),
        ({"dataset.items": ["an\nna"]}, "dataset items are not lines of text"),
        ({"dataset.items": ["", "x"]}, "dataset items are not lines of text"),
        ({"dataset.items": "anna"}, "dataset items are not lines of text"),
        ({"config": ...}, "missing config"),
        ({"payload": [1, 2]}, "it holds 'payload'"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_a_crafted_checkpoint_is_one_line(capsys, tmp_path, changes, said):
    from engine.cli import main

    path = _saved_run(tmp_path, **changes)
    assert main(["sample", "--checkpoint", str(path), "--data", str(NAMES300)]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and said in err and "Traceback" not in err, err


def test_a_checkpoint_that_unpacks_to_far_more_than_its_size_is_refused(tmp_path):
    import zipfile

    from engine.checkpoint import CheckpointError, read

    path = _saved_run(tmp_path)
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("run/data/99", b"\0" * 2**28, zipfile.ZIP_DEFLATED)  # 256 MiB
    assert bomb.stat().st_size < 2**20
    with pytest.raises(CheckpointError, match="unpacks to 256 MiB"):
        read(bomb)


def test_a_bit_flipped_checkpoint_is_refused(tmp_path):
    from engine.checkpoint import CheckpointError, read

    path = _saved_run(tmp_path)
    import zipfile

    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:  # flip a bit inside the largest entry's data
        info = max(archive.infolist(), key=lambda i: i.compress_size)
    header = info.header_offset
    name, extra = (int.from_bytes(raw[header + i : header + i + 2], "little") for i in (26, 28))
    raw[header + 30 + name + extra + 8] ^= 0x10
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="CRC error"):
        read(path)


# 11. The boundary's symbol


def test_data_holding_every_boundary_symbol_is_drawn_with_another(small):
    from engine.dataset import Dataset
    from engine.session import Session

    dataset = Dataset.from_items([".·¶␃ab", "ab·.", "¶ba", *small.items], name="symbols")
    symbol = dataset.vocab.boundary_symbol
    assert symbol not in dataset.vocab.chars and symbol == "\u2400"
    session = Session(dataset)
    session.train(1)
    assert session.views(False, None)


# 15, 24. The app's side of the engine


def test_sending_never_waits_for_a_busy_engine_and_stop_needs_no_lock():
    """An engine that reads nothing (a long val pass): the pipe filled after about 300
    requests and the UI's thread blocked in send; the SIGTERM watchdog's stop() waited for
    the same lock."""
    import threading

    from tui.client import EngineClient

    client = EngineClient()  # never started: nobody reads the pipe
    done = threading.Event()

    def press_keys() -> None:
        for _ in range(2000):
            client.step(1)
        client.stop()
        done.set()

    threading.Thread(target=press_keys, daemon=True).start()
    assert done.wait(30), "the UI's thread blocked"


def test_leftovers_of_apps_that_died_are_removed_at_the_next_start(tmp_path):
    from tui.client import ENGINE_LOG, WORKDIR, remove_leftovers

    dead = _finished_pid()
    theirs = tmp_path / f"{WORKDIR}{dead}-abc"
    theirs.mkdir()
    (theirs / "autosave.pt").write_bytes(b"x")
    log = tmp_path / f"{ENGINE_LOG}{dead}-xyz.log"
    log.write_text("")
    ours = tmp_path / f"{WORKDIR}{os.getpid()}-def"
    ours.mkdir()
    other = tmp_path / f"{WORKDIR}rescued-1.pt"  # the CLI's rescued checkpoint: kept
    other.write_bytes(b"x")
    remove_leftovers(tmp_path)
    assert not theirs.exists() and not log.exists() and ours.exists() and other.exists()


def test_the_run_of_a_terminal_app_that_was_killed_is_kept_at_the_next_start(tmp_path):
    """A kill, or an SSH session dropped, with no time to ask: the app's folder is marked
    (a terminal's app, not a browser's), and the next terminal start moves the run as last
    saved into the data directory, the newest KEPT_RUNS of them; a start that keeps nothing
    (a browser's) leaves the folder for one that does."""
    from tui.client import KEEP_MARK, KEPT_RUNS, WORKDIR, remove_leftovers

    dead = _finished_pid()

    def killed(runs: int, keep_in: Path) -> list[Path]:
        """Folders of `runs` killed apps, two saved in each second."""
        for run in range(runs):
            folder = tmp_path / f"{WORKDIR}{dead}-{keep_in.name}-{run}"
            folder.mkdir()
            (folder / KEEP_MARK).touch()
            (folder / "autosave.pt").write_bytes(bytes([run]))
            os.utime(folder / "autosave.pt", (1_800_000_000 + run // 2,) * 2)
        assert remove_leftovers(tmp_path) == []  # a browser's start: left for a terminal's
        assert len(list(tmp_path.glob(f"{WORKDIR}*"))) == runs
        return remove_leftovers(tmp_path, keep_in)

    browsers = tmp_path / f"{WORKDIR}{dead}-web"  # no mark: removed, as before
    browsers.mkdir()
    (browsers / "autosave.pt").write_bytes(b"x")
    three = killed(3, tmp_path / "a")
    assert not browsers.exists() and not list(tmp_path.glob(f"{WORKDIR}*"))
    assert sorted(p.read_bytes()[0] for p in three) == [0, 1, 2]  # same second: both kept
    newest = killed(KEPT_RUNS + 2, tmp_path / "b")
    assert sorted(p.read_bytes()[0] for p in newest) == list(range(2, KEPT_RUNS + 2))
    assert set(newest) == set((tmp_path / "b").iterdir())
    # An app of another data directory (MAKEMORE_TUI_HOME): its run goes to its own
    theirs = tmp_path / f"{WORKDIR}{dead}-theirs"
    theirs.mkdir()
    (theirs / KEEP_MARK).write_text(str(tmp_path / "c"))
    (theirs / "autosave.pt").write_bytes(b"c")
    (kept,) = remove_leftovers(tmp_path, tmp_path / "a")
    assert kept.parent == tmp_path / "c" and kept.read_bytes() == b"c"


def test_another_users_leftovers_are_neither_kept_nor_removed(tmp_path, monkeypatch):
    """On a shared machine a folder in the temporary directory may be anyone's: one made to
    look like a killed app's must not push the user's own kept runs out."""
    from tui.client import KEEP_MARK, WORKDIR, remove_leftovers

    folder = tmp_path / f"{WORKDIR}{_finished_pid()}-planted"
    folder.mkdir()
    (folder / KEEP_MARK).touch()
    (folder / "autosave.pt").write_bytes(b"x")
    monkeypatch.setattr(os, "getuid", lambda: folder.stat().st_uid + 1)
    assert remove_leftovers(tmp_path, tmp_path / "home") == []
    assert (folder / "autosave.pt").exists() and not (tmp_path / "home").exists()


def test_a_kill_keeps_the_run_a_quit_does_not(tmp_path, monkeypatch):
    """The client's side: stopped after a kill, a marked folder with a run saved stays for
    the next start; stopped by quitting (the run asked about), it goes."""
    from tui.client import EngineClient

    monkeypatch.setenv("MAKEMORE_TUI_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))  # no other app's leftovers
    (tmp_path / "tmp").mkdir()
    for keep_run in (True, False):
        client = EngineClient(workdir=tmp_path / f"work-{keep_run}")
        client.autosave.parent.mkdir()
        assert client.tidy_leftovers(keep=True) == []
        client.autosave.write_bytes(b"x")
        client.stop(keep_run=keep_run)
        assert client.autosave.exists() == keep_run


def test_the_client_knows_how_long_its_oldest_unanswered_request_has_waited(tmp_path):
    from engine.commands import Step
    from tui.client import EngineClient

    client = EngineClient(workdir=tmp_path / "work")
    try:
        assert client.waited() == 0.0
        first, second = client.send(Step()), client.send(Step())
        assert client.waited() > 0.0
        client.answered(second)
        assert client.waited() > 0.0  # the first still waits
        client.answered(first)
        assert client.waited() == 0.0
    finally:
        client.stop()


def test_a_start_that_kept_runs_says_where(tmp_path):
    from tui_helpers import toast, toasts

    async def scenario(app, pilot):
        await toast(pilot, "An earlier session ended without quitting")
        assert any(f"{tmp_path / 'unsaved-1.pt'} (l loads it)" in t for t in toasts(app))

    drive(scenario, RECORDED["start"], runs_kept=[tmp_path / "unsaved-1.pt"])


def _finished_pid() -> int:
    import subprocess

    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


# 25. Smaller


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--seed", str(2**64)], "--seed must be a whole number from 0 to 2**63 - 1"),
        (["--temperature", "10.0000001"], "not 10.0000001"),
        (["--data", "/dev/zero"], "/dev/zero: not a regular file"),
    ],
    ids=["seed", "temperature", "device"],
)
def test_sample_says_what_is_wrong(capsys, tmp_path, argv, said):
    from engine.cli import main

    path = _saved_run(tmp_path)
    assert main(["sample", "--checkpoint", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and said in err, err


def test_the_app_without_a_terminal_on_stdin_says_so_and_ends():
    import subprocess

    done = subprocess.run(
        [str(Path(sys.executable).with_name("makemore-tui"))],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.startswith("error: the app needs a terminal")


# 14. Long lines


@pytest.mark.slow
@pytest.mark.parametrize("model", ["bigram", "ngram"])
def test_a_few_very_long_lines_are_counted_in_bounded_memory(tmp_path, model):
    """6 lines of 400,000 letters: one step counted them all, a row of |V| float64 for every
    letter (the issue's 60 MB file took 17.9 GB)."""
    import subprocess

    rng = random.Random(0)
    long_lines = tmp_path / "long.txt"
    long_lines.write_text(
        "\n".join("".join(rng.choice("abcdefghij") for _ in range(400_000)) for _ in range(6))
    )
    peak = tmp_path / "peak"
    process = subprocess.Popen(
        [sys.executable, "-c", PEAK_AT_EXIT, str(peak), "train", "--data", str(long_lines)]
        + ["--model", model, "--samples", "0"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    err = process.stderr.read().decode()
    assert process.wait() == 0, err
    assert "counted all 1,600,004" in err or "counted all 2,000,005" in err, err
    assert int(peak.read_text()) < 900 * 1024  # KiB: torch itself takes about 300 MiB
