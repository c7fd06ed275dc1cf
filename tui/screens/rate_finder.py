"""The learning-rate finder: the engine sweeps the rate on a copy of the model, this screen
draws the loss against the rate as it comes, and one key applies the suggested rate."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from engine.protocol import RateSweepView
from tui.screens.dialog import ViewScreen
from tui.widgets.plots import RateSweepPlot

APPLY_AND_CLOSE = "a applies the suggested rate · Escape closes"
HELP = (
    "One training step at each rate, rising from 1e-4, on a copy of the model: the run is "
    "untouched. Too low and the loss hardly moves; too high and it blows up."
)


class RateFinderScreen(ViewScreen[RateSweepView]):
    VIEW = RateSweepView
    BINDINGS = [
        Binding("escape,f", "dismiss", "Close"),
        Binding("a", "apply", "Apply the rate"),
    ]

    def __init__(self, apply: Callable[[float], object]) -> None:
        super().__init__()
        self.apply = apply
        self.plot = RateSweepPlot(id="sweep-plot")
        self.summary = Static("Sweeping…", id="sweep-summary")
        self.box = self.frame(Vertical, "rate-finder", "Learning-rate finder", APPLY_AND_CLOSE)

    def compose(self) -> ComposeResult:
        with self.box:
            yield Static(HELP, classes="form-help")
            yield self.plot
            yield self.summary

    def draw(self, view: RateSweepView) -> None:
        self.plot.show(view, background=not view.done)
        if not view.done:
            summary = f"Sweeping the {view.model}'s rate: {len(view.rates)} steps so far…"
        elif view.suggested is None:
            summary = f"{view.reason}. No rate to suggest."
            self.box.border_subtitle = "Escape closes"
        else:
            summary = (
                f"Suggested: [b]{view.suggested:g}[/b] (the orange line): {view.rule}. "
                f"{view.reason[0].upper()}{view.reason[1:]}."
            )
        self.summary.update(summary)

    def action_apply(self) -> None:
        if self.view is None or self.view.suggested is None:
            done = self.view is not None and self.view.done
            why = "the sweep suggested none" if done else "the sweep has not ended"
            self.notify(f"No rate to apply: {why}.", severity="warning")
            return
        self.apply(self.view.suggested)
        self.dismiss()
