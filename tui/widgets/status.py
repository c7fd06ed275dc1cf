"""One line: running or paused, model, step, speed, losses, hyperparameters, dataset."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

from engine.protocol import StatusView
from engine.words import plural
from tui.widgets.numbers import compact
from tui.widgets.styles import legible

# Shown while a request waits on the engine (the app checks, MakemoreApp._show_working)
WORKING = Text(" working… ", style="bold black on cyan")  # no rare glyph: any font has it


class StatusLine(Widget):
    """A Widget that renders, not a Static: Static.update lays out the whole screen again,
    and this line changes a few times a second while training."""

    VIEW = StatusView

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.line = Text(" loading torch…", style="dim")
        # The line's fields, each with how soon it goes when the line is too narrow: 0 never
        # (the run's state, step, train, val, best), then the val's age, the speed and epoch,
        # the hyperparameters, the dataset.
        self.parts: list[tuple[int, Text]] = []
        self.view: StatusView | None = None
        self.busy = False  # a request the engine has not answered for a while

    def working(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.refresh()

    def render(self) -> Text:
        if not self.parts:
            return self.line
        parts = [*self.parts[:1], (0, WORKING), *self.parts[1:]] if self.busy else self.parts
        width = self.size.width
        for keep in range(max(p for p, _ in parts), -1, -1):
            line = Text().join(text for p, text in parts if p <= keep)
            if line.cell_len <= width:
                return line
        return line

    def show(self, view: StatusView) -> None:
        self.view = view
        state = (
            Text(" ▶ running ", style="bold black on green")
            if view.running
            else Text(" ‖ paused ", style="bold black on yellow")
        )
        parts = [(0, state), (0, Text(f" {view.model}", style="bold"))]
        budget = f"/{view.budget:,}" if view.budget else ""
        parts.append((0, Text(f" step {view.step:,}{budget}")))
        if view.steps_per_second:
            parts.append((2, Text(f" {view.steps_per_second:,.0f}/s")))
        parts.append((2, Text(f" ep {view.epoch:.2f}")))
        if view.loss is not None:
            train = Text(f" │ train {view.loss:.3f}", style=legible("cyan", self.app))
            parts.append((0, train))
        if view.val_loss is not None:
            val = Text(f" val {view.val_loss:.3f}", style=f"bold {legible('magenta', self.app)}")
            parts.append((0, val))
            if view.val_step is not None and view.val_step < view.step:
                ago = view.step - view.val_step
                age = f" ({compact(ago, 5)} {plural('step', ago)} ago)"
                parts.append((1, Text(age, style="dim")))
        if view.best_val is not None and view.best_step is not None:
            best = f" best {view.best_val:.3f}@{compact(view.best_step, 5)}"
            parts.append((0, Text(best, style="bold")))
        if view.overfitting_since is not None:
            since = f" overfitting since step {view.overfitting_since:,}"
            parts.append((0, Text(since, style="bold black on red")))
        parts.append((3, Text(f" │ {view.description}", style="dim")))
        dataset = f" │ {view.dataset} {view.items:,} items |V| {view.vocab_size}"
        parts.append((4, Text(dataset, style="dim")))
        self.parts = parts
        self.refresh()

    def restarting(self) -> None:
        self.parts = []
        self.line = Text(" starting the engine again…", style="dim")
        self.refresh()

    def engine_ended(self) -> None:
        """The engine has died: nothing runs, and keys can do nothing but quit."""
        self.parts = []
        self.line = Text.assemble(
            (" ✖ engine stopped ", "bold white on red"),
            " the engine process has ended (the note says why); q quits",
        )
        self.refresh()
