"""The main screen's notes: lines of their own above the status line, so that a note takes a
row from the panels while it shows instead of covering a figure, as a toast would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget

SHOWN = 2  # the newest notes on screen at once; older ones go first
ROWS = 4  # the rows they may take from the panels: an older note gives way to a newer
MARKS = {"information": "·", "warning": "!", "error": "✗"}


@dataclass
class ShownNote:
    text: str
    severity: str
    timer: Timer | None = None


class NoteLines(Widget):
    """Hidden while there is no note; each note goes after its timeout."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.notes: list[ShownNote] = []
        self.display = False

    def add(self, text: str, severity: str, timeout: float) -> None:
        for same in [n for n in self.notes if (n.text, n.severity) == (text, severity)]:
            self._remove(same)  # said again: shown once, its time counted from now
        note = ShownNote(text, severity)
        note.timer = self.set_timer(timeout, lambda: self._remove(note))
        self.notes.append(note)
        for old in self.notes[:-SHOWN]:
            self._remove(old)
        self._redraw()

    def clear(self) -> None:
        for note in list(self.notes):
            self._remove(note)

    def shown(self) -> list[str]:
        return [note.text for note in self.notes]

    def _remove(self, note: ShownNote) -> None:
        if note in self.notes:
            self.notes.remove(note)
            if note.timer is not None:
                note.timer.stop()
            self._redraw()

    def _redraw(self) -> None:
        self.display = bool(self.notes)
        self.refresh(layout=True)

    def render(self) -> Text:
        """The newest note whole, and older ones while they fit in ROWS with it."""
        width = self.size.width or self.app.size.width
        shown: list[Text] = []
        rows = 0
        for note in reversed(self.notes):
            mark = MARKS.get(note.severity, MARKS["information"])
            colour = getattr(self.app.current_theme, note.severity, None)  # the theme's own
            style = f"bold {colour}" if colour and note.severity != "information" else "bold"
            text = Text.assemble((f" {mark} ", style), note.text)
            rows += len(text.wrap(self.app.console, width))
            if shown and rows > ROWS:
                break
            shown.insert(0, text)
        return Text("\n").join(shown)
