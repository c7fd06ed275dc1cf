"""Messages to the app. The engine process reports plain records; the thread that reads them
posts each as an EngineReported message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from engine.records import Names, Note, Update


@dataclass
class EngineReported(Message):
    """The engine sent an Update (the panels), Names (the generator) or a Note (for the user)."""

    report: Update | Names | Note
