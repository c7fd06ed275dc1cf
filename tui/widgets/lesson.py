"""The lesson's caption: the step, what it does, the post's figure beside ours, the keys."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

from engine.protocol import LessonView
from tui.widgets.styles import legible

# On the caption's top rule, where a long step or a note on other data never pushes them out
MOVES = "] next · [ back · L leaves"


class LessonCaption(Widget):
    """A few lines under the panels, so that it never covers the figure it talks about."""

    VIEW = LessonView

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: LessonView | None = None
        self.display = False
        self.border_title = MOVES

    def show(self, view: LessonView) -> None:
        self.view = view
        if self.display != view.open:
            self.display = view.open
        self.refresh(layout=True)

    def on_resize(self) -> None:
        self.refresh(layout=True)  # what fits its lines depends on its width

    def render(self) -> Text:
        view = self.view
        if view is None or not view.open:
            return Text()
        accent = legible("cyan", self.app)
        head = Text.assemble(
            (f" Lesson {view.step + 1}/{view.steps} · {view.title} ", "bold black on yellow"),
            " ",
            view.text,
        )
        figures = Text.assemble(
            (f" {view.source}: ", "bold"),
            view.post,
            "\n",
            (f" {'here:':<{len(view.source) + 1}} ", "bold"),
            (view.ours, f"bold {accent}"),
        )
        keys = Text(f" {view.keys}", style="dim") if view.keys else None
        note = Text(f" {view.note}", style=legible("orange", self.app)) if view.note else None
        return self._fitted(head, figures, keys, note)

    def _fitted(self, head: Text, figures: Text, keys: Text | None, note: Text | None) -> Text:
        """The parts, one under another, in the caption's lines: where they do not fit (a
        narrow terminal), the keys go first, then the end of the step's text, cut with "…";
        the figures and the note on other data stay whole."""
        width, height = self.size.width, int(self.styles.max_height.value) - 1  # its top rule
        parts = [head, figures, keys, note]
        if width <= 1:  # not laid out yet
            return Text("\n").join(p for p in parts if p is not None)

        def wrapped(text: Text | None) -> list[Text]:
            lines = [] if text is None else list(text.wrap(self.app.console, width))
            for line in lines:
                line.rstrip()
            return lines

        rows = [wrapped(p) for p in parts]
        if sum(map(len, rows)) > height:
            rows[2] = []
            room = max(1, height - len(rows[1]) - len(rows[3]))
            if len(rows[0]) > room:
                last = rows[0][room - 1]
                last.truncate(width - 1)
                rows[0] = [*rows[0][: room - 1], last + "…"]
        return Text("\n").join(line for part in rows for line in part)
