"""A stand-in for the engine: it keeps the commands the app sends and replays records of the
real engine (tests/recording.py) into the app, with no torch and no process."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from engine.protocol import Answer, Command, Idle, Record
from tui.client import EngineClient


class FakeEngine(EngineClient):
    def __init__(
        self,
        *played: list[Record],
        replies: list[tuple[Command, list[Record]]] = (),
        errors: dict[type, str] | None = None,
    ) -> None:
        # No process and no pipe: only what the app sees of a client.
        self.sent: list[Command] = []
        self.replies = replies  # records to play when the app sends this command
        self.errors = errors or {}  # commands of this type are answered with this error
        self.idle = threading.Event()
        self.stopped = False
        self._serial = 0
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Record | None] = queue.SimpleQueue()
        for records in played:
            self.play(records)

    def send(self, command: Command) -> int:
        with self._lock:
            self._serial += 1
            self.idle.clear()
            self.sent.append(command)
            serial = self._serial
        self._queue.put(Answer(serial, self.errors.get(type(command))))
        self.play(next((records for sent, records in self.replies if sent == command), []))
        return serial

    def play(self, records: list[Record]) -> None:
        """Report these records (their own answers left out), then that all is done."""
        with self._lock:
            self.idle.clear()
            serial = self._serial
        for record in records:
            if not isinstance(record, Answer | Idle):
                self._queue.put(record)
        self._queue.put(Idle(serial))

    def reports(self) -> Iterator[Record]:
        while (record := self._queue.get()) is not None:
            yield record

    def stop(self) -> None:
        self.stopped = True
        self._queue.put(None)
