"""A stand-in for the engine: it keeps the commands the app sends and replays records of the
real engine (tests/recording.py) into the app, with no torch and no process."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

from engine.commands import Command, Export, ForgetRuns, Reconfigure, Reset, Save
from engine.protocol import Answer, Idle, Record, RunRow, RunsView
from tui.client import EngineClient


class FakeEngine(EngineClient):
    def __init__(
        self,
        *played: list[Record],
        errors: dict[type, str] | None = None,
        questions: dict[type, str] | None = None,
        runs_kept: list[Path] | None = None,
    ) -> None:
        # No process and no pipe: only what the app sees of a client.
        self.sent: list[Command] = []
        self.errors = errors or {}  # commands of this type are answered with this error
        self.questions = questions or {}  # ... or this question, until sent confirmed
        self.idle = threading.Event()
        self.stopped = False
        self.saved_age: float | None = None  # as if the engine had saved the run this long ago
        self.restarts: list[FakeEngine] = []  # the engines started again after a death
        self.runs_kept = runs_kept or []  # as if apps killed before had left these runs
        self.lock = threading.Lock()
        self.records: queue.SimpleQueue[Record | None] = queue.SimpleQueue()
        for records in played:
            self.play(records)

    def send(self, command: Command) -> int:
        with self.lock:
            self.idle.clear()
            self.sent.append(command)
            serial = len(self.sent)
        agreed = (isinstance(command, Save | Export) and command.replace) or (
            isinstance(command, Reset | Reconfigure | ForgetRuns) and command.confirmed
        )
        question = None if agreed else self.questions.get(type(command))
        self.records.put(Answer(serial, self.errors.get(type(command)), question))
        self.records.put(Idle(serial))
        return serial

    def play(self, records: list[Record]) -> None:
        """Report these records (their own answers left out), then that all is done."""
        with self.lock:
            self.idle.clear()
            serial = len(self.sent)
        for record in records:
            if not isinstance(record, Answer | Idle):
                self.records.put(record)
        self.records.put(Idle(serial))

    def answered(self, serial: int) -> None:
        """Every command is answered at once (Answer records, above)."""

    def waited(self) -> float:
        return 0.0

    def drawn(self, idle: Idle) -> None:
        with self.lock:
            if idle.serial == len(self.sent):
                self.idle.set()

    def reports(self) -> Iterator[Record]:
        while (record := self.records.get()) is not None:
            yield record

    def stop(self, keep_run: bool = False) -> None:
        self.stopped, self.kept_run = True, keep_run
        self.records.put(None)

    def tidy_leftovers(self, keep: bool) -> list[Path]:
        return self.runs_kept if keep else []

    def die(self) -> None:
        """The engine process ends, unasked."""
        self.records.put(None)

    def autosave_age(self) -> float | None:
        return self.saved_age

    def restarted(self) -> FakeEngine:
        self.restarts.append(FakeEngine())
        return self.restarts[-1]


# A runs table made by hand: a real one has times and ids that never repeat.
def _run(id, model, preset, changes, steps, seconds, val, test, parameters, current=False):
    return RunRow(
        id, "names.txt", model, preset, changes, steps, seconds, val, test, parameters, current
    )


THREE_RUNS = RunsView(
    [
        _run("2026-11-25T10:02", "mlp", "default", {}, 30_000, 61.0, 2.0213, 2.0275, 23_253, True),
        _run(
            "2026-11-25T10:01",
            "mlp",
            "lecture",
            {"n_hidden": "300"},
            20_000,
            30.0,
            2.1744,
            2.1805,
            17_697,
        ),
        _run("2026-11-25T10:00", "mlp", "seed", {}, 1_000, 90.4, 2.5097, 2.5188, 3_481),
    ],
    "/home/you/.local/share/makemore-tui/runs.jsonl",
)
