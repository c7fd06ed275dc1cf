"""Names from the current model, growing letter by letter, each with its tag and log-probability."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from engine.protocol import GeneratorView, Names, Sample
from tui.widgets.panels import LOADING, retitle
from tui.widgets.strips import cut, fit, tail, to_strip

# Each tag in its colour and a weight of its own: legible without colour too (NO_COLOR)
TAG_STYLES = {
    "new": "bold green",
    "train": "yellow",
    "val": "italic magenta",
    "test": "underline magenta",
}


class NameList(Widget):
    """Drawn line by line: a new letter (15 a second while training) redraws only the growing
    names' lines; the finished ones are drawn once, when a name finishes."""

    VIEW = GeneratorView
    can_focus = True  # Tab moves between the panels; z maximises the focused one
    ALLOW_MAXIMIZE = True

    COMPONENT_CLASSES = {"name-list--hint"}
    DEFAULT_CSS = "NameList > .name-list--hint { color: $text-muted; }"
    # While the panel has the focus (Tab): pick a name and copy it (OSC 52: over SSH too)
    BINDINGS = [
        Binding("up", "select(-1)", "Previous name", show=False),
        Binding("down", "select(1)", "Next name", show=False),
        Binding("enter", "copy", "Copy the name", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.growing: list[str] = []
        self.finished: deque[Sample] = deque(maxlen=500)  # more than a screen can show
        self.ready = False
        self.selected: int | None = None  # a finished name, 0 the newest
        self._finished_lines: tuple[tuple[object, ...], list[Strip]] | None = None

    def on_mount(self) -> None:
        retitle(self, "Generator", LOADING)

    def show(self, view: GeneratorView) -> None:
        if not self.ready:
            self.ready = True
            self.refresh()
        top_k = view.top_k or "all"
        prefix = f" prefix {view.prefix!r}" if view.prefix else ""
        drawn = "greedy" if view.greedy else f"T {view.temperature:.1f} top-k {top_k}"
        seed = f" seed {view.seed}" if view.seed is not None and not view.greedy else ""
        retitle(self, f"Generator · {view.model}", f"{drawn}{seed}{prefix}")

    def update_names(self, names: Names) -> None:
        if names.clear:
            self.finished.clear()
            self.selected = None
        elif self.selected is not None:  # the same name stays selected as new ones come
            self.selected = min(self.selected + len(names.finished), len(self.finished) - 1)
        was_empty = not self.growing and not self.finished  # a hint of two lines, maybe
        self.growing = names.growing
        self.finished.extendleft(names.finished)
        if names.finished or not names.growing or was_empty:
            self._finished_lines = None
            self.refresh()
        else:  # a letter more: only the growing names' rows, at the top, change
            self.refresh(Region(0, 0, self.size.width, len(names.growing)))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if not self.ready or (not self.growing and not self.finished):
            hint = Text(
                "press g to generate names from the current model" if self.ready else LOADING
            )
            hint.stylize(self.get_component_rich_style("name-list--hint"))  # wrap keeps spans
            wrapped = hint.wrap(self.app.console, width)
            return self._strip(wrapped[y] if y < len(wrapped) else Text(), width)
        if y < len(self.growing):
            name = self.growing[y]
            return self._strip(Text(f"{tail(name, self._name_width())}▌", style="bold"), width)
        finished = self._lines_of_finished(width)
        index = y - len(self.growing)
        return finished[index] if index < len(finished) else self._strip(Text(), width)

    def _name_width(self) -> int:
        return max(8, self.size.width - 16)

    def action_select(self, move: int) -> None:
        shown = min(len(self.finished), max(0, self.size.height - len(self.growing)))
        if shown:
            start = (
                -1
                if self.selected is None and move > 0
                else shown
                if self.selected is None
                else self.selected
            )
            self.selected = max(0, min(shown - 1, start + move))
            self._finished_lines = None
            self.refresh()

    def chosen(self) -> str:
        """The name picked with the arrows, else the newest finished one; "" if none."""
        if not self.finished:
            return ""
        return self.finished[min(self.selected or 0, len(self.finished) - 1)].text

    def action_copy(self) -> None:
        if self.selected is None or self.selected >= len(self.finished):
            self.notify("Tab to this panel, pick a name with the arrows, then Enter copies it.")
            return
        name = self.finished[self.selected]
        self.app.copy_to_clipboard(name.copy or name.text)
        self.notify(f"Copied '{name.text}' to the clipboard.", markup=False)  # as shown

    def _lines_of_finished(self, width: int) -> list[Strip]:
        key = (width, self.selected, self.rich_style)  # the style: the theme's colours
        if self._finished_lines is None or self._finished_lines[0] != key:
            name_width = self._name_width()
            lines = []
            for index, s in enumerate(list(self.finished)[: self.size.height]):
                line = Text(style="reverse" if index == self.selected else "")
                shown = fit(cut(s.text, name_width, s.cut), name_width)
                line.append(shown, style="bold" if s.tag == "new" else "")
                line.append(f" {s.logprob:6.1f} ", style="dim")
                line.append(f"{s.tag:<5}", style=TAG_STYLES[s.tag])
                lines.append(self._strip(line, width))
            self._finished_lines = (key, lines)
        return self._finished_lines[1]

    def _strip(self, text: Text, width: int) -> Strip:
        return to_strip(text, self.app.console, width, self.rich_style)
