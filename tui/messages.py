"""Messages from threads to the UI. The engine process reports plain records; the thread that
reads them posts each as an EngineReported message. A plot's thread posts the lines it built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from textual.strip import Strip

    from engine.records import Names, Note, Update


@dataclass
class EngineReported(Message):
    """The engine sent an Update (the panels), Names (the generator) or a Note (for the user)."""

    report: Update | Names | Note


@dataclass
class FigureBuilt(Message):
    """A plot's thread has built its lines for these data, at this size, theme and style."""

    bubble = False  # for the plot alone
    key: tuple[Any, ...]
    args: tuple[Any, ...]
    lines: list[Strip]
