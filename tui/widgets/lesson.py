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

    def render(self) -> Text:
        view = self.view
        if view is None or not view.open:
            return Text()
        accent = legible("cyan", self.app)
        text = Text.assemble(
            (f" Lesson {view.step + 1}/{view.steps} · {view.title} ", "bold black on yellow"),
            " ",
            view.text,
            "\n",
            (f" {view.source}: ", "bold"),
            view.post,
            "\n",
            (f" {'here:':<{len(view.source) + 1}} ", "bold"),
            (view.ours, f"bold {accent}"),
            "\n",
        )
        if view.keys:
            text.append(f" {view.keys}\n", style="dim")
        if view.note:
            text.append(f" {view.note}\n", style=legible("orange", self.app))
        text.rstrip()
        return text
