"""Messages from threads to the UI: what the engine reported, and a plot's lines built off the
UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from textual.strip import Strip

    from engine.protocol import Record


@dataclass
class EngineReported(Message):
    """A record from the engine: a view, names, a note or an answer."""

    report: Record


@dataclass
class FigureBuilt(Message):
    """A plot's thread has built its lines for these data, at this size, theme and style."""

    bubble = False  # for the plot alone
    key: tuple[Any, ...]
    args: tuple[Any, ...]
    lines: list[Strip]


@dataclass
class EngineEnded(Message):
    """The engine process has ended: quit, or died."""
