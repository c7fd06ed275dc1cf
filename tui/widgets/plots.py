"""The plotext plots: loss curves, and the characters' embedding. Imported with the first
view, never for the first frame."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tui.widgets.panels import COLORS
from tui.widgets.plot import Plot

if TYPE_CHECKING:
    from textual_plotext.plot import Plot as Figure

    from engine.protocol import EmbeddingView, LossView, RateSweepView


def binned(steps: list[float], losses: list[float], bins: int) -> tuple[list[float], list[float]]:
    """Means over at most `bins` equal runs of points: that smooths the noisy batch loss, and
    plotext draws far fewer points. The runs end at the last point, so the newest mean is never
    one of a few points."""
    size = -(-len(losses) // bins)  # ceiling division
    if size <= 1:
        return steps, losses
    edges = [0, *range(len(losses) % size or size, len(losses) + 1, size)]
    runs = [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]
    return (
        [sum(steps[a:b]) / (b - a) for a, b in runs],
        [sum(losses[a:b]) / (b - a) for a, b in runs],
    )


class LossPlot(Plot):
    """Smoothed train curves of every model, val points, the active model's best val loss, and
    the counting models' val losses as lines: the bars to clear."""

    def draw(self, plt: Figure, view: LossView, log_scale: bool) -> None:
        plt.yscale("log" if log_scale else "linear")
        bins = max(8, (self.size.width - 8) // 2)  # a mean per two columns shows the trend
        # No plotext legend: it would take four of the nine lines a plot has at 80x24; the
        # panel's title names each colour.
        for name, (steps, losses) in view.train_curves.items():
            # "hd" half-blocks: a smooth line, cheaper to build than braille
            plt.plot(*binned(steps, losses, bins), color=COLORS[name], marker="hd")
        for name, (steps, losses) in view.val_curves.items():
            plt.scatter(*binned(steps, losses, bins), color=COLORS[name], marker="x")
        for name, loss in view.references.items():
            plt.hline(loss, COLORS[name])
        if view.best is not None:
            step, loss = view.best
            plt.scatter([step], [loss], color="white", marker="◆")


class EmbeddingPlot(Plot):
    """Every character's embedding as a labelled point, moving as the MLP trains."""

    def draw(self, plt: Figure, view: EmbeddingView) -> None:
        if view.points:
            plt.scatter(
                [x for _, x, _ in view.points],
                [y for _, _, y in view.points],
                marker="dot",
                color="gray",
            )
            for label, x, y in view.points:
                # vowels stand out: the lectures' plot shows them clustering together
                color = "orange" if label.lower() in "aeiouy" else "cyan"
                plt.text(label, x, y, color=color, style="bold")


class RateSweepPlot(Plot):
    """The learning-rate finder: each step's loss and their smoothed curve against log10 of
    the rate, and the suggested rate as a vertical line."""

    def draw(self, plt: Figure, view: RateSweepView) -> None:
        if not view.rates:
            return
        exponents = [math.log10(rate) for rate in view.rates]
        plt.scatter(exponents, view.losses, color="gray", marker="dot")
        plt.plot(exponents, view.smoothed, color="cyan", marker="hd")
        # The sweep ends where the loss has grown a few times its lowest: show where it falls.
        lowest = min(view.smoothed)
        top = max(view.smoothed[0], lowest) * 1.2
        plt.ylim(lowest * 0.97, min(top, max(view.losses)))
        first, last = math.floor(exponents[0]), math.ceil(exponents[-1])
        ticks = list(range(first, last + 1))
        plt.xticks(ticks, [f"{10.0**t:g}" for t in ticks])
        plt.xlabel("learning rate (log scale)")
        if view.suggested is not None:
            plt.vline(math.log10(view.suggested), "orange")
