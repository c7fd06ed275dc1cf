"""The engine in a process of its own: it owns the session, trains, samples and saves on
command, and reports what it did as records (engine/records.py) over a pipe.

A process, not a thread: a training step is about half Python, and a thread shares the GIL
with the UI's drawing (training ran at 0.84x the engine alone that way). The UI holds an
EngineProcess: it sends commands by name (the public methods of EngineLoop) and reads the
reports in a thread of its own. Nothing here imports Textual, and the UI side no torch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from engine.records import Done, Names, Note, Sample, Update

if TYPE_CHECKING:
    from engine.session import Session

CHUNK_SECONDS = 0.03  # training time between two looks at the commands
SNAPSHOT_SECONDS = 0.33  # panels refresh 3 times a second while training
EVAL_SECONDS = 5.0  # val loss while training: a pass over val (~80 ms) is 1.6% of the time
BIGRAM_STEP_SECONDS = 0.04  # the counting bigram, paced so its table visibly fills up
LETTER_SECONDS = 0.066  # names grow at 15 letters a second: readable, and light on the UI
AUTO_NAME_SECONDS = 0.5  # while training, a new name this often
# When the cores are short, a key press goes first: the UI needs little, but needs it now.
ENGINE_NICENESS = 10
POLL_SECONDS = 0.1  # how long an idle engine waits for a command before looking again


class EngineProcess:
    """The UI's handle on the engine process: commands go out, reports come back."""

    def __init__(self, data: str | None = None, checkpoint: str | None = None) -> None:
        self._data, self._checkpoint = data, checkpoint
        self.process: subprocess.Popen[bytes] | None = None
        self.idle = threading.Event()  # every command sent is done and reported: tests wait
        self._sent = 0
        self._lock = threading.Lock()  # _sent and idle change together; so do start and stop
        self.stopped = False
        # Commands written before the process runs wait in the pipe.
        self._command_fd, command_fd = os.pipe()
        self._commands = Connection(command_fd, readable=False)

    def reports(self) -> Iterator[Update | Names | Note]:
        """Start the engine, then yield what it reports until it ends.
        It blocks: a thread of the UI's runs it."""
        with tempfile.TemporaryFile() as stderr:  # and stdout: the terminal is the UI's
            with self._lock:
                if self.stopped:
                    return
                reports = self._start(stderr)
            with reports:
                while True:
                    try:
                        report = reports.recv()
                    except EOFError:
                        break
                    if isinstance(report, Done):
                        with self._lock:
                            if report.command == self._sent:
                                self.idle.set()
                    else:
                        yield report
            assert self.process is not None
            if not self.stopped and self.process.wait() != 0:
                stderr.seek(0)
                lines = stderr.read().decode(errors="replace").strip().splitlines()
                code = self.process.returncode
                how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                why = f": {lines[-1]}" if lines else ""
                yield Note(f"The engine ended ({how}){why}. Press q and start again.", "error")

    def _start(self, stderr: IO[bytes]) -> Connection:
        """A fresh interpreter (not a fork of this threaded one), with this engine package."""
        report_fd, child_report_fd = os.pipe()
        fds = (self._command_fd, child_report_fd)
        root = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine.process",
                *map(str, fds),
                self._data or "",
                self._checkpoint or "",
            ],
            pass_fds=fds,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            env={**os.environ, "PYTHONPATH": path},
        )
        for fd in fds:  # the child's ends: once it has gone, its reports read as EOF
            os.close(fd)
        return Connection(report_fd, writable=False)

    def send(self, command: str, *args: Any) -> None:
        """Queue a command: the name of an EngineLoop method, and its arguments."""
        with self._lock:
            self._sent += 1
            self.idle.clear()
        with suppress(BrokenPipeError):  # the engine has ended, and said so
            self._commands.send((command, args))

    def stop(self) -> None:
        """The engine stops within one training step, and its process ends."""
        with self._lock:
            if not self.stopped and self.process is not None:
                self.process.terminate()  # its SIGTERM handler cancels the step loop
            self.stopped = True


def main(command_fd: int, report_fd: int, data: str | None, checkpoint: str | None) -> None:
    """The engine process's body: open the session, then serve commands until stopped."""
    commands = Connection(command_fd, writable=False)
    reports = Connection(report_fd, readable=False)
    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c belongs to the UI, which stops us
    os.nice(ENGINE_NICENESS)
    import torch

    from engine.session import Session

    torch.set_num_threads(1)  # faster for these small models; the UI keeps the other core
    try:
        try:
            session = Session.open(data, checkpoint)
        except ValueError as error:  # a bad dataset or checkpoint: say so, open the default
            reports.send(Note(f"{error}. Opened the embedded names instead.", "error"))
            session = Session.open()
        EngineLoop(session, commands, reports, cancel).run()
    except (EOFError, BrokenPipeError):  # the UI has gone
        pass
    finally:
        reports.close()


class EngineLoop:
    """Trains in chunks of about CHUNK_SECONDS and serves commands between them, so a command
    waits at most that long. Its public methods are the commands."""

    def __init__(
        self, session: Session, commands: Connection, reports: Connection, cancel: threading.Event
    ) -> None:
        self.session = session
        self._commands, self._reports, self._cancel = commands, reports, cancel
        self._running = False
        self._stream: Iterator[Any] | None = None
        self._chunk = 1  # steps per chunk, sized to take CHUNK_SECONDS
        self._steps_per_second: float | None = None  # while running only: no clock otherwise
        self._dirty = True  # the panels need a new snapshot
        self._done = 0  # commands done
        self._done_reported = -1

    def run(self) -> None:
        session = self.session
        last_snapshot = last_eval = last_letter = last_name = 0.0
        while not self._cancel.is_set():
            busy = self._running or self._stream is not None
            self._serve_commands(block=not busy and not self._dirty)
            now = time.perf_counter()
            if self._running:
                self._train_chunk()
                if now - last_eval >= EVAL_SECONDS:
                    session.evaluate()
                    last_eval = now
                if self._stream is None and now - last_name >= AUTO_NAME_SECONDS:
                    self._stream = session.stream_names(1)
                    last_name = now
            if self._stream is not None and now - last_letter >= LETTER_SECONDS:
                self._advance_stream()
                last_letter = now
            if self._dirty or (self._running and now - last_snapshot >= SNAPSHOT_SECONDS):
                update = Update(session.snapshot(), self._running, self._steps_per_second)
                self._reports.send(update)
                self._dirty = False
                last_snapshot = now
            if self._stream is not None and not self._running:
                time.sleep(LETTER_SECONDS / 4)  # only letters to stream: wait for the next
            elif not self._running and self._done != self._done_reported:
                self._reports.send(Done(self._done))
                self._done_reported = self._done

    def _serve_commands(self, block: bool) -> None:
        """Do every command waiting; if `block`, wait a little for one."""
        if not self._commands.poll(POLL_SECONDS if block else 0):
            return
        while True:
            name, args = self._commands.recv()
            try:
                getattr(self, name)(*args)
            except Exception as error:  # a bad file, value or checkpoint: say so, carry on
                self._reports.send(Note(str(error), "error"))
            self._done += 1
            self._dirty = True
            if not self._commands.poll():
                return

    def _train_chunk(self) -> None:
        session = self.session
        if session.active == "bigram":  # one epoch is a blink; let the learner watch it count
            time.sleep(BIGRAM_STEP_SECONDS)
            self._chunk = 1
        report = session.train(self._chunk, self._cancel)
        if report.steps_per_second > 0:
            self._steps_per_second = report.steps_per_second
            # Size the next chunk to take about CHUNK_SECONDS (the bigram's pace is set above).
            self._chunk = max(1, min(10_000, int(report.steps_per_second * CHUNK_SECONDS)))
        if report.stopped:
            self._running = False
            session.evaluate()
            severity = "warning" if "loss became" in report.stopped else "information"
            self._reports.send(Note(report.stopped, severity))
            self._dirty = True

    def _advance_stream(self) -> None:
        assert self._stream is not None
        event = next(self._stream)
        if isinstance(event, list):  # the finished Samples
            self._reports.send(Names([], event))
            self._stream = None
        else:
            self._reports.send(Names(event.texts, []))

    # The commands

    def set_running(self, running: bool) -> None:
        stopped = self.session.trainer.stopped
        if self._running and not running:  # the val loss shown while paused is for this step
            self.session.evaluate()
        self._running = running and stopped is None
        if running and stopped:
            self._reports.send(Note(stopped))
        self._steps_per_second = None

    def step(self, steps: int) -> None:
        report = self.session.train(steps, self._cancel)
        self.session.evaluate()
        if report.stopped:
            self._reports.send(Note(report.stopped))

    def switch_model(self) -> None:
        self.session.switch_model()

    def reset(self) -> None:
        self.session.reset()

    def generate(self, n: int) -> None:
        self._stream = self.session.stream_names(n)

    def change_temperature(self, delta: float) -> None:
        value = round(min(5.0, max(0.1, self.session.options.temperature + delta)), 1)
        self.session.set_options(temperature=value)

    def set_options(self, options: dict[str, Any]) -> None:
        self.session.set_options(**options)

    def reconfigure(self, changed: dict[str, str]) -> None:
        new_model = self.session.reconfigure(changed)
        what = "new model, from step 0" if new_model else "applies from the next step"
        self._reports.send(Note(f"{', '.join(changed)}: {what}"))

    def open_dataset(self, path: str) -> None:
        session = self.session
        session.open_dataset(path)
        self._reports.send(Names([], []))
        self._reports.send(
            Note(
                f"Opened {path}: {len(session.dataset.items):,} items, "
                f"vocabulary {session.dataset.vocab.size}."
            )
        )

    def save_checkpoint(self, path: str) -> None:
        session = self.session
        session.save_checkpoint(path)
        self._reports.send(
            Note(f"Saved {session.active} at step {session.trainer.step:,} to {path}.")
        )

    def load_checkpoint(self, path: str) -> None:
        session = self.session
        session.load_checkpoint(path)
        self._reports.send(
            Note(f"Loaded {path}: {session.active} at step {session.trainer.step:,}.")
        )

    def export(self, path: str, names: list[Sample]) -> None:
        written = self.session.export(path, names)
        self._reports.send(Note("Wrote " + " and ".join(str(p) for p in written)))


if __name__ == "__main__":
    command_fd, report_fd, data, checkpoint = sys.argv[1:]
    main(int(command_fd), int(report_fd), data or None, checkpoint or None)
