"""One line: running or paused, model, step, speed, losses, hyperparameters, dataset."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

from engine.protocol import StatusView


class StatusLine(Widget):
    """A Widget that renders, not a Static: Static.update lays out the whole screen again,
    and this line changes a few times a second while training."""

    VIEW = StatusView

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.line = Text(" loading torch…", style="dim")
        self.view: StatusView | None = None

    def render(self) -> Text:
        return self.line

    def show(self, view: StatusView) -> None:
        self.view = view
        text = Text()
        text.append(
            " ▶ running " if view.running else " ‖ paused ",
            style="bold black on green" if view.running else "bold black on yellow",
        )
        text.append(f" {view.model}", style="bold")
        text.append(f" step {view.step:,}")
        if view.steps_per_second:
            text.append(f" {view.steps_per_second:,.0f}/s")
        text.append(f" ep {view.epoch:.2f}")
        if view.loss is not None:
            text.append(f" │ train {view.loss:.3f}", style="cyan")
        if view.val_loss is not None:
            text.append(f" val {view.val_loss:.3f}", style="magenta")
            if view.val_step is not None and view.val_step < view.step:
                text.append(f" ({_steps(view.step - view.val_step)} steps ago)", style="dim")
        if view.best_val is not None and view.best_step is not None:
            text.append(f" best {view.best_val:.3f}@{_steps(view.best_step)}", style="bold")
        if view.overfitting_since is not None:
            text.append(
                f" overfitting since step {view.overfitting_since:,}", style="bold black on red"
            )
        text.append(f" │ {view.description}", style="dim")
        text.append(f" │ {view.dataset} {view.items:,} items |V| {view.vocab_size}", style="dim")
        self.line = text
        self.refresh()

    def engine_ended(self) -> None:
        """The engine has died: nothing runs, and keys can do nothing but quit."""
        self.line = Text.assemble(
            (" ✖ engine stopped ", "bold white on red"),
            " the engine process has ended (the note says why); q quits",
        )
        self.refresh()


def _steps(count: int) -> str:
    """A step count in a few characters: 950, 12.3k."""
    return f"{count:,}" if count < 10_000 else f"{count / 1000:.1f}k"
