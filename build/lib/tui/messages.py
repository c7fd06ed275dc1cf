"""Messages from the engine worker to the UI: small dataclasses, plain data only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from textual.message import Message

if TYPE_CHECKING:
    from engine.sampling import Sample
    from engine.session import Snapshot


@dataclass
class SessionUpdated(Message):
    """What the panels show has changed."""

    snapshot: Snapshot
    running: bool
    steps_per_second: float | None


@dataclass
class NamesUpdated(Message):
    """Names growing letter by letter, or the finished ones with tag and log-probability."""

    growing: list[str]
    finished: list[Sample]


@dataclass
class Notice(Message):
    """A line for the user: an error that changed nothing, or what a command did."""

    text: str
    severity: Literal["information", "warning", "error"] = "information"
