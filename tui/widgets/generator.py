"""Names from the current model, growing letter by letter, each with its tag and log-probability."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

if TYPE_CHECKING:
    from engine.records import Sample

TAG_STYLES = {"new": "bold green", "train": "yellow", "val": "magenta", "test": "magenta"}
KEEP = 200  # finished names remembered (and exported)


class NameList(Widget):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.growing: list[str] = []
        self.finished: deque[Sample] = deque(maxlen=KEEP)
        self.ready = False

    def update_names(self, growing: list[str], finished: list[Sample]) -> None:
        self.growing = growing
        self.finished.extendleft(finished)
        if finished or not growing:
            self.refresh()
        else:  # a letter more: only the growing names' rows, at the top, change
            self.refresh(Region(0, 0, self.size.width, len(growing)))

    def render(self) -> Text:
        if not self.ready:
            return Text("loading torch…", style="dim")
        if not self.growing and not self.finished:
            return Text("press g to generate names from the current model", style="dim")
        text = Text()
        width = max(8, self.size.width - 16)
        for name in self.growing:
            text.append(f"{name[-width:]}▌\n", style="bold")
        for s in list(self.finished)[: max(0, self.size.height - len(self.growing))]:
            shown = s.text[:width] or "(empty)"
            text.append(f"{shown:<{width}}", style="bold" if s.tag == "new" else "")
            text.append(f" {s.logprob:6.1f} ", style="dim")
            text.append(f"{s.tag:<5}\n", style=TAG_STYLES[s.tag])
        text.rstrip()
        return text
