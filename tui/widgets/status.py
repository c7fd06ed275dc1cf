"""One line: dataset, model and its hyperparameters, step, speed, losses, running or paused."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

if TYPE_CHECKING:
    from engine.records import Snapshot


class StatusLine(Widget):
    """A Widget that renders, not a Static: Static.update lays out the whole screen again,
    and this line changes four times a second while training."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.line = Text(" loading torch…", style="dim")

    def render(self) -> Text:
        return self.line

    def show(self, snap: Snapshot, running: bool, steps_per_second: float | None) -> None:
        text = Text()
        text.append(
            " ▶ running " if running else " ⏸ paused ",
            style="bold black on green" if running else "bold black on yellow",
        )
        text.append(f" {snap.model}", style="bold")
        text.append(f" step {snap.step:,}")
        if running and steps_per_second:
            text.append(f" {steps_per_second:,.0f}/s")
        text.append(f" ep {snap.epoch:.2f}")
        if not math.isnan(snap.loss):
            text.append(f" │ train {snap.loss:.3f}", style="cyan")
        if snap.val_loss is not None:
            text.append(f" val {snap.val_loss:.3f}", style="magenta")
        text.append(f" │ {snap.description}", style="dim")
        text.append(f" │ {snap.dataset} {snap.items:,} items |V| {snap.vocab_size}", style="dim")
        self.line = text
        self.refresh()
