"""The app's handle on the engine process: typed calls go out as requests, records come back.

It imports only the protocol, never torch: the engine process (engine/server.py) does that.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from pathlib import Path

from engine.commands import (
    CloseLesson,
    Command,
    CompareRuns,
    EndLearningRateSearch,
    Export,
    ExportRuns,
    FindLearningRate,
    ForgetRuns,
    Generate,
    Lesson,
    ListRuns,
    Load,
    NextModel,
    NudgeTemperature,
    OpenDataset,
    Quit,
    Reconfigure,
    Request,
    Reset,
    RestoreRun,
    RunSteps,
    Save,
    SelectModel,
    SetSampling,
    Step,
    ToggleRunning,
    TraceName,
    TryChange,
    WatchDiagnostics,
    WatchInside,
)
from engine.files import data_dir
from engine.process import engine_main
from engine.protocol import Idle, Note, Record

QUIT_SECONDS = 2.0  # after this, an engine that has not ended is killed
WORKDIR = "makemore-tui-"  # then the app's pid: the autosave's folder in the temporary one
ENGINE_LOG = "makemore-tui-engine-"  # then the app's pid: the engine's output


KEEP_MARK = "keep"  # in a terminal app's folder, naming its data directory: a later start
# keeps its autosave there
KEPT_RUNS = 5  # the newest runs kept that way; older ones go


def remove_leftovers(directory: Path | None = None, keep_in: Path | None = None) -> list[Path]:
    """The autosave folders and engine logs of apps that are no longer running (killed, out
    of memory, their SSH session dropped), in the temporary directory. A terminal app's run,
    as last saved, is moved to `keep_in` first (a browser's are not: a class shares it);
    without `keep_in`, such a folder stays for a start that keeps it. Returns the runs kept."""
    directory = directory or Path(tempfile.gettempdir())
    kept = []
    for prefix in (ENGINE_LOG, WORKDIR):
        for path in directory.glob(f"{prefix}*"):
            pid = path.name[len(prefix) :].split("-")[0]
            if not pid.isdigit() or _running(int(pid)) or path.is_symlink():
                continue
            with suppress(OSError):
                if path.lstat().st_uid != os.getuid():  # another user's, on a shared machine
                    continue
                if path.is_dir():
                    autosave, mark = path / "autosave.pt", path / KEEP_MARK
                    if mark.exists() and autosave.is_file():
                        if keep_in is None:
                            continue
                        kept.append(_keep_in_its_home(autosave, mark, keep_in))
                    shutil.rmtree(path)
                elif path.name.endswith(".log"):
                    path.unlink()
    return [path for path in kept if path.exists()]  # the newest KEPT_RUNS


def _keep_in_its_home(autosave: Path, mark: Path, keep_in: Path) -> Path:
    """Kept in the data directory of the app that saved it (another MAKEMORE_TUI_HOME than
    this start's, maybe), or in keep_in where the mark names none or none that can be used."""
    try:
        return _keep(autosave, Path(mark.read_text(encoding="utf-8").strip() or keep_in))
    except (OSError, ValueError):  # not written there, or a mark that is no path
        return _keep(autosave, keep_in)


def _keep(autosave: Path, keep_in: Path) -> Path:
    """The autosave as keep_in/unsaved-DATE-TIME.pt, named by when it was saved; the oldest
    beyond KEPT_RUNS removed."""
    keep_in.mkdir(parents=True, exist_ok=True)
    saved = time.strftime("%Y-%m-%d-%H%M%S", time.localtime(autosave.stat().st_mtime))
    target, same_second = keep_in / f"unsaved-{saved}.pt", 1
    while target.exists():  # another app's, saved in the same second
        same_second += 1
        target = keep_in / f"unsaved-{saved}-{same_second}.pt"
    shutil.move(autosave, target)  # /tmp is often another file system than the home
    for old in sorted(keep_in.glob("unsaved-*.pt"))[:-KEPT_RUNS]:
        old.unlink(missing_ok=True)
    return target


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


class EngineClient:
    """Start it with reports(), in a thread of its own; every other call returns at once."""

    def __init__(
        self, data: str | None = None, checkpoint: str | None = None, workdir: Path | None = None
    ) -> None:
        self._data, self._checkpoint = data, checkpoint
        # Where the engine saves the run while training, for a restart if it dies; removed
        # when the app stops the engine, or at a later start if the app was killed (its pid
        # in the name says whose it is).
        self._workdir = workdir or Path(tempfile.mkdtemp(prefix=f"{WORKDIR}{os.getpid()}-"))
        self.autosave = self._workdir / "autosave.pt"
        # spawn: a fresh interpreter, not a fork of this threaded one. Its helper process has
        # to start now, while sys.stderr is still a file: Textual replaces it with one that
        # has no file descriptor, which the helper's start-up cannot pass on.
        self._context = multiprocessing.get_context("spawn")
        resource_tracker.ensure_running()
        self._connection, self._child_connection = self._context.Pipe()
        self._process: multiprocessing.process.BaseProcess | None = None
        # Set once reports() has reaped the engine: the one thread that calls waitpid, as two
        # at once race and the loser reads no exit code.
        self._ended = threading.Event()
        # Every request sent is answered and the app has drawn what it changed: tests and
        # scripts wait on it, never on a clock.
        self.idle = threading.Event()
        self._serial = 0
        self._unanswered: dict[int, float] = {}  # serial: when it was sent
        self._lock = threading.Lock()  # serial and idle change together; never held to send
        self.stopped = False
        # Requests go to the pipe from a thread of their own: with the engine busy (a long
        # val pass) the pipe fills up, and a send from the UI's thread would freeze the UI.
        self._outbox: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        threading.Thread(target=self._send_all, name="engine requests", daemon=True).start()

    # The commands: each returns the serial its Answer will carry.

    def toggle_running(self) -> int:
        return self.send(ToggleRunning())

    def step(self, steps: int = 1) -> int:
        return self.send(Step(steps))

    def lesson(self, move: int = 0, confirmed: bool = False) -> int:
        return self.send(Lesson(move, confirmed))

    def close_lesson(self) -> int:
        return self.send(CloseLesson())

    def run_steps(self, steps: int) -> int:
        return self.send(RunSteps(steps))

    def next_model(self) -> int:
        return self.send(NextModel())

    def select_model(self, model: str) -> int:
        return self.send(SelectModel(model))

    def reset(self, confirmed: bool = False) -> int:
        return self.send(Reset(confirmed))

    def generate(self, count: int) -> int:
        return self.send(Generate(count))

    def nudge_temperature(self, up: bool) -> int:
        return self.send(NudgeTemperature(up))

    def set_sampling(self, values: dict[str, str], draw: int = 0) -> int:
        return self.send(SetSampling(values, draw))

    def reconfigure(self, values: dict[str, str], confirmed: bool = False) -> int:
        return self.send(Reconfigure(values, confirmed))

    def open_dataset(self, path: str) -> int:
        return self.send(OpenDataset(path))

    def save(self, path: str, replace: bool = False) -> int:
        return self.send(Save(path, replace))

    def load(self, path: str) -> int:
        return self.send(Load(path))

    def export(self, stem: str, replace: bool = False) -> int:
        return self.send(Export(stem, replace))

    def find_learning_rate(self) -> int:
        return self.send(FindLearningRate())

    def end_learning_rate_search(self) -> int:
        return self.send(EndLearningRateSearch())

    def list_runs(self) -> int:
        return self.send(ListRuns())

    def restore_run(self, run_id: str) -> int:
        return self.send(RestoreRun(run_id))

    def export_runs(self, path: str, replace: bool = False) -> int:
        return self.send(ExportRuns(path, replace))

    def compare_runs(self, run_ids: tuple[str, ...]) -> int:
        return self.send(CompareRuns(run_ids))

    def forget_runs(self, run_ids: tuple[str, ...], confirmed: bool = False) -> int:
        return self.send(ForgetRuns(run_ids, confirmed))

    def try_change(self, index: int) -> int:
        return self.send(TryChange(index))

    def trace_name(self, name: str) -> int:
        return self.send(TraceName(name))

    def watch_diagnostics(self, on: bool) -> int:
        return self.send(WatchDiagnostics(on))

    def watch_inside(self, on: bool, name: str = "") -> int:
        return self.send(WatchInside(on, name))

    def send(self, command: Command) -> int:
        """Queue a command; it never waits for the engine (requests sent before the engine
        runs wait in the pipe)."""
        with self._lock:
            self._serial += 1
            self.idle.clear()
            serial = self._serial
            self._unanswered[serial] = time.monotonic()
        self._outbox.put(Request(serial, command))
        return serial

    def answered(self, serial: int) -> None:
        """The engine has answered this request."""
        with self._lock:
            self._unanswered.pop(serial, None)

    def waited(self) -> float:
        """Seconds the oldest request not yet answered has waited; 0 if none waits."""
        with self._lock:
            oldest = min(self._unanswered.values(), default=None)
        return 0.0 if oldest is None else time.monotonic() - oldest

    def _send_all(self) -> None:
        while (request := self._outbox.get()) is not None:
            with suppress(BrokenPipeError, OSError):  # the engine has ended, and said so
                self._connection.send(request)

    # The process

    def reports(self) -> Iterator[Record]:
        """Start the engine, then yield what it reports until it ends. It blocks."""
        fd, log = tempfile.mkstemp(prefix=f"{ENGINE_LOG}{os.getpid()}-", suffix=".log")
        os.close(fd)
        try:
            with self._lock:
                if self.stopped:
                    return
                self._process = self._context.Process(
                    target=engine_main,
                    args=(
                        self._child_connection,
                        self._data,
                        self._checkpoint,
                        log,
                        str(self.autosave),
                    ),
                    name="makemore-tui engine",
                    daemon=True,
                )
                self._process.start()
                self._child_connection.close()  # once the engine has gone, reads meet EOF
            yield from self._read(self._connection)
            self._process.join()
            self._ended.set()
            if not self.stopped and self._process.exitcode != 0:
                yield Note(self._obituary(self._process.exitcode, log), "error")
        finally:
            os.unlink(log)

    @staticmethod
    def _read(connection: Connection) -> Iterator[Record]:
        while True:
            try:
                yield connection.recv()
            except (EOFError, OSError):
                return

    def drawn(self, idle: Idle) -> None:
        """The app has drawn all that came before this Idle record."""
        with self._lock:
            if idle.serial == self._serial:
                self.idle.set()

    @staticmethod
    def _obituary(code: int | None, log: str) -> str:
        with open(log, errors="replace") as file:
            lines = file.read().strip().splitlines()
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        why = f": {lines[-1]}" if lines else ""
        return f"The engine ended ({how}){why}."

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def wait(self, timeout: float) -> int | None:
        """The engine's exit code once it has ended; None if it still runs after `timeout`."""
        if self._process is None or not self._ended.wait(timeout):
            return None
        return self._process.exitcode

    def autosave_age(self) -> float | None:
        """Seconds since the engine last saved the run for a restart; None if it never did."""
        try:
            return time.time() - self.autosave.stat().st_mtime
        except OSError:
            return None

    def restarted(self) -> EngineClient:
        """A client for a new engine that starts from the run the dead one saved last."""
        restart = self.autosave.with_name("restart.pt")
        os.replace(self.autosave, restart)
        # Its own dataset, which the checkpoint names: the command line's may have been
        # replaced by another file since (o).
        return EngineClient(None, str(restart), self._workdir)

    def tidy_leftovers(self, keep: bool) -> list[Path]:
        """What apps no longer running left (remove_leftovers), once a start; `keep` (a
        terminal's app, not a browser's): should this app end without quitting, its run as
        last saved is kept by the next start, and the runs so left before are kept now, in
        the data directory (returned)."""
        if keep:
            with suppress(OSError):
                (self._workdir / KEEP_MARK).write_text(str(data_dir()), encoding="utf-8")
        return remove_leftovers(keep_in=data_dir() if keep else None)

    def stop(self, keep_run: bool = False) -> None:
        """The engine stops within one training step, and its process ends; one that does not
        end within QUIT_SECONDS is killed. `keep_run` (a kill, a dropped SSH session): the
        run as last saved stays for the next start."""
        with self._lock:
            if self.stopped:
                return
            self.stopped = True
            process = self._process
        if not (keep_run and (self._workdir / KEEP_MARK).exists() and self.autosave.is_file()):
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._outbox.put(Request(0, Quit()))
        self._outbox.put(None)  # the sender ends after it
        if process is not None and process.pid is not None:
            with suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)  # cancels a step under way
            threading.Thread(target=self._kill_late, args=(process,), daemon=True).start()

    def _kill_late(self, process: multiprocessing.process.BaseProcess) -> None:
        if not self._ended.wait(QUIT_SECONDS):
            process.kill()
