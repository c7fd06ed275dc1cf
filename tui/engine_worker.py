"""The thread that owns the engine session: trains, samples, saves, and posts what it did.

The UI thread never touches torch: it queues commands here and draws the messages that come
back. Training runs in chunks of about 30 ms, so a command waits at most that long.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tui.messages import NamesUpdated, Notice, SessionUpdated

if TYPE_CHECKING:
    from engine.session import Session

Command = Callable[["Session"], Any]

CHUNK_SECONDS = 0.03  # training time between two looks at the command queue
SNAPSHOT_SECONDS = 0.33  # panels refresh 3 times a second while training
EVAL_SECONDS = 5.0  # val loss while training: a pass over val (~80 ms) is 1.6% of the time
BIGRAM_STEP_SECONDS = 0.04  # the counting bigram, paced so its table visibly fills up
LETTER_SECONDS = 0.066  # names grow at 15 letters a second: readable, and light on the UI
AUTO_NAME_SECONDS = 0.5  # while training, a new name this often


class EngineWorker:
    def __init__(self, post: Callable[[Any], object], cancel: threading.Event) -> None:
        self.post = post
        self.cancel = cancel
        self.commands: queue.Queue[Command] = queue.Queue()
        self.idle = threading.Event()  # nothing queued, running or streaming: tests wait on it
        self.running = False
        self.session: Session | None = None
        self._stream: Iterator[Any] | None = None
        self._chunk = 1  # steps per chunk, sized to take CHUNK_SECONDS
        self._steps_per_second: float | None = None  # while running only: no clock otherwise
        self._dirty = True  # the panels need a new snapshot

    def submit(self, command: Command) -> None:
        self.idle.clear()
        self.commands.put(command)

    def run(self, open_session: Callable[[], Session]) -> None:
        """The thread's body: open the session, then serve commands and train until cancelled."""
        self.session = session = open_session()
        last_snapshot = last_eval = last_letter = last_name = 0.0
        while not self.cancel.is_set():
            busy = self.running or self._stream is not None
            self._serve_commands(session, block=not busy and not self._dirty)
            now = time.perf_counter()
            if self.running:
                self._train_chunk(session)
                if now - last_eval >= EVAL_SECONDS:
                    session.evaluate()
                    last_eval = now
                if self._stream is None and now - last_name >= AUTO_NAME_SECONDS:
                    self._stream = session.stream_names(1)
                    last_name = now
            if self._stream is not None and now - last_letter >= LETTER_SECONDS:
                self._advance_stream()
                last_letter = now
            if self._dirty or (self.running and now - last_snapshot >= SNAPSHOT_SECONDS):
                self.post(SessionUpdated(session.snapshot(), self.running, self._steps_per_second))
                self._dirty = False
                last_snapshot = now
            if not self.running and self._stream is None and self.commands.empty():
                self.idle.set()
            elif self._stream is not None and not self.running:
                time.sleep(LETTER_SECONDS / 4)

    def _serve_commands(self, session: Session, block: bool) -> None:
        try:
            command = self.commands.get(timeout=0.1) if block else self.commands.get_nowait()
        except queue.Empty:
            return
        while True:
            try:
                command(session)
            except Exception as error:  # a bad file, value or checkpoint: say so, carry on
                self.post(Notice(str(error), "error"))
            self._dirty = True
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return

    def _train_chunk(self, session: Session) -> None:
        if session.active == "bigram":  # one epoch is a blink; let the learner watch it count
            time.sleep(BIGRAM_STEP_SECONDS)
            self._chunk = 1
        report = session.train(self._chunk, self.cancel)
        if report.steps_per_second > 0:
            self._steps_per_second = report.steps_per_second
            # Size the next chunk to take about CHUNK_SECONDS (the bigram's pace is set above).
            self._chunk = max(1, min(10_000, int(report.steps_per_second * CHUNK_SECONDS)))
        if report.stopped:
            self.running = False
            session.evaluate()
            self.post(
                Notice(
                    report.stopped, "warning" if "loss became" in report.stopped else "information"
                )
            )
            self._dirty = True

    def _advance_stream(self) -> None:
        assert self._stream is not None
        event = next(self._stream)
        if isinstance(event, list):  # the finished Samples
            self.post(NamesUpdated([], event))
            self._stream = None
        else:
            self.post(NamesUpdated(event.texts, []))

    # Commands, queued from the UI thread.

    def set_running(self, running: bool) -> None:
        def command(session: Session) -> None:
            self.running = running and session.trainer.stopped is None
            if running and session.trainer.stopped:
                self.post(Notice(f"{session.trainer.stopped}", "information"))
            self._steps_per_second = None

        self.submit(command)

    def step(self, steps: int = 1) -> None:
        def command(session: Session) -> None:
            report = session.train(steps, self.cancel)
            session.evaluate()
            if report.stopped:
                self.post(Notice(report.stopped, "information"))

        self.submit(command)

    def generate(self, n: int) -> None:
        def command(session: Session) -> None:
            self._stream = session.stream_names(n)

        self.submit(command)
