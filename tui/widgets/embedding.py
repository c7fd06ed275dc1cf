"""Every character's embedding as a labelled point, moving as the MLP trains."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.widgets.plot import Plot

if TYPE_CHECKING:
    from textual_plotext.plot import Plot as Figure

    from engine.records import Snapshot


class EmbeddingPlot(Plot):
    def draw(self, plt: Figure, snapshot: Snapshot) -> None:
        if snapshot.embedding:
            xs = [x for _, x, _ in snapshot.embedding]
            ys = [y for _, _, y in snapshot.embedding]
            plt.scatter(xs, ys, marker="dot", color="gray")
            for label, x, y in snapshot.embedding:
                # vowels stand out: the lectures' plot shows them clustering together
                color = "orange" if label.lower() in "aeiouy" else "cyan"
                plt.text(label, x, y, color=color, style="bold")
