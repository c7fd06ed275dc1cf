"""The plotext plots: loss curves, and the characters' embedding. Imported with the first
view, never for the first frame."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tui.widgets.numbers import compact
from tui.widgets.plot import Plot
from tui.widgets.styles import style

if TYPE_CHECKING:
    from textual_plotext.plot import Plot as Figure

    from engine.protocol import Curve, Histogram, LossView, RateSweepView


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
        drawn = {name: binned(*curve, bins) for name, curve in view.train_curves.items()}
        for name, curve in drawn.items():
            color, marker = style(name, view.models)
            plt.plot(*curve, color=color, marker=marker)
        for name, (steps, losses) in view.val_curves.items():
            plt.scatter(*binned(steps, losses, bins), color=style(name, view.models)[0], marker="x")
        for name, loss in view.references.items():
            plt.hline(loss, style(name, view.models)[0])
        if view.best is not None:
            step, loss = view.best
            plt.scatter([step], [loss], color=self.ink, marker="◆")
        last = max(steps[-1] for steps, _ in view.train_curves.values())
        ticks = round_ticks(last, max(2, (self.size.width - 8) // 12))
        plt.xticks(ticks, [compact(round(t), 4) for t in ticks])
        if self.size.height >= 14:
            plt.xlabel("step")
        low, high = -math.inf, math.inf
        if not log_scale:
            low, high = settled_range(view, drawn)
            if high > low:
                low, high = low - 0.02 * (high - low), high + 0.02 * (high - low)
                plt.ylim(low, high)
        first = view.first_loss  # its own point, never binned; plotext would pin one above
        if first is not None and math.isfinite(first) and low <= first <= high:
            plt.scatter([0], [first], color=self.ink, marker="●")


def round_ticks(last: float, most: int) -> list[int]:
    """Whole, round steps from 0 to about `last`: 0, 5k, 10k... at most `most` of them."""
    for digits in range(0, 12):
        for unit in (1, 2, 5):
            spacing = unit * 10**digits
            if last / spacing <= most:
                return list(range(0, int(last) + 1, spacing))
    return [0]


def settled_range(view: LossView, drawn: dict[str, Curve]) -> tuple[float, float]:
    """The losses worth the height of the plot: those each curve drew after its own first 5%
    of steps (the first batches and val points, far above the rest, would squash the curves
    into a row; a short run beside a long one lies wholly in the long one's first 5%), the
    bars and the best."""
    values: list[float] = []
    for steps, losses in [*drawn.values(), *view.val_curves.values()]:
        start = 0.05 * steps[-1] if steps else 0.0
        values += [v for s, v in zip(steps, losses, strict=True) if s >= start and math.isfinite(v)]
    values += list(view.references.values()) + ([view.best[1]] if view.best else [])
    return (min(values), max(values)) if values else (0.0, 0.0)


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


class HistogramPlot(Plot):
    """A histogram as bars: the lecture's plt.hist of activations or gradients."""

    def draw(self, plt: Figure, histogram: Histogram, color: str) -> None:
        low, high, counts = histogram
        width = (high - low) / len(counts)
        plt.bar([low + width * (i + 0.5) for i in range(len(counts))], counts, color=color)
        plt.yticks([])
        ticks = [low, (low + high) / 2, high]
        plt.xticks(ticks, [f"{t:.2g}" for t in ticks])


class UpdateRatioPlot(Plot):
    """log10(update / data) of each weight over the steps, with the lectures' guide at -3."""

    def draw(self, plt: Figure, history: dict[str, list[tuple[int, float]]]) -> None:
        palette = ["cyan", "orange", "magenta", "green", "yellow", "red"]
        for i, (name, points) in enumerate(history.items()):
            finite = [(s, v) for s, v in points if math.isfinite(v)]
            if finite:
                steps, values = zip(*finite, strict=True)
                plt.plot(steps, values, color=palette[i % len(palette)], marker="hd", label=name)
        plt.hline(-3, self.ink)
        last = max((points[-1][0] for points in history.values() if points), default=0)
        ticks = round_ticks(last, max(2, (self.size.width - 8) // 12))
        plt.xticks(ticks, [compact(round(t), 4) for t in ticks])
