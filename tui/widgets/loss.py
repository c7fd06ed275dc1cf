"""Loss curves: smoothed train and val loss of every model, and the bigram floor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.widgets.plot import Plot

if TYPE_CHECKING:
    from textual_plotext.plot import Plot as Figure

    from engine.records import Snapshot

COLORS = {"bigram": "orange", "bigram-neural": "magenta", "mlp": "cyan"}


def legend(snapshot: Snapshot) -> str:
    """Rich markup naming each curve in its colour, the active model first."""
    names = sorted(snapshot.train_curves, key=lambda n: n != snapshot.model)
    parts = [f"[{COLORS[n]}]{n}[/]" for n in names]
    return " ".join(parts) + (" · x val" if snapshot.val_curves else "")


def binned(steps: list[float], losses: list[float], bins: int) -> tuple[list[float], list[float]]:
    """Means over at most `bins` equal runs of points: that smooths the noisy batch loss, and
    plotext draws far fewer points."""
    size = -(-len(losses) // bins)  # ceiling division
    if size <= 1:
        return steps, losses
    means = [
        (
            sum(steps[i : i + size]) / len(steps[i : i + size]),
            sum(losses[i : i + size]) / len(losses[i : i + size]),
        )
        for i in range(0, len(losses), size)
    ]
    return [s for s, _ in means], [v for _, v in means]


class LossPlot(Plot):
    def draw(self, plt: Figure, snapshot: Snapshot, log_scale: bool) -> None:
        plt.yscale("log" if log_scale else "linear")
        bins = max(8, (self.size.width - 8) // 2)  # a mean per two columns shows the trend
        # No plotext legend: it would take four of the nine lines a plot has at 80x24; the
        # panel's title names each colour (legend()).
        for name, (steps, losses) in snapshot.train_curves.items():
            # "hd" half-blocks: a smooth line at 2.5x less time than braille
            plt.plot(*binned(steps, losses, bins), color=COLORS[name], marker="hd")
        for name, (steps, losses) in snapshot.val_curves.items():
            plt.scatter(steps, losses, color=COLORS[name], marker="x")
        if snapshot.bigram_floor is not None:
            plt.hline(snapshot.bigram_floor, "gray")
