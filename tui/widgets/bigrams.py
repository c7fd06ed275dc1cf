"""A text heatmap of the bigrams: the whole |V|x|V| grid when it fits, else the top pairs."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from engine.protocol import BigramView
from tui.widgets.panels import LOADING, retitle
from tui.widgets.strips import to_strip

# From the background to a bright heat, readable in 256 colours and in 16.
SHADES = ["#1c1c2e", "#262a4e", "#2e3f7a", "#3f5fa8", "#4f86c6", "#6fb0d9", "#a7d7e8", "#f2f2b0"]


def shade(fraction: float) -> Style:
    index = min(len(SHADES) - 1, max(0, int(fraction**0.5 * (len(SHADES) - 1) + 0.5)))
    return Style(bgcolor=SHADES[index], color="black" if index >= 5 else "white")


def compact(count: int) -> str:
    """A count in at most 3 characters: 7, 42, 998, 1k2, 12k, 0.1M."""
    if count < 1000:
        return str(count)
    if count < 10_000:
        return f"{count // 1000}k{count % 1000 // 100}"
    if count < 1_000_000:
        return f"{count // 1000}k"
    return f"{count / 1e6:.0f}M"


class BigramHeatmap(Widget):
    """Drawn line by line from lines kept for each view (counts or probabilities, at a size),
    until the bigrams change: a toggle, or a repaint while the MLP trains, costs no redraw."""

    VIEW = BigramView

    COMPONENT_CLASSES = {"bigram-heatmap--hint"}
    DEFAULT_CSS = "BigramHeatmap > .bigram-heatmap--hint { color: $text-muted; }"

    show_probabilities: reactive[bool] = reactive(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: BigramView | None = None
        self._lines: dict[tuple[bool, int, int], list[Strip]] = {}

    def on_mount(self) -> None:
        retitle(self, "Bigrams", LOADING)

    def show(self, view: BigramView) -> None:
        """The engine sends a view only when it changed: while the MLP trains, none comes."""
        self.view = view
        self._lines.clear()
        self.refresh()
        self._retitle()

    def watch_show_probabilities(self) -> None:
        self._retitle()

    def _retitle(self) -> None:
        view = self.view
        if view is None:
            return
        if not view.top:
            retitle(self, "Bigrams", "c toggles")
            return
        shown = "probabilities" if self.show_probabilities or view.counts is None else "counts"
        retitle(self, f"Bigrams · {shown}", "c toggles")

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        key = (self.show_probabilities, width, height)
        if key not in self._lines:
            console, base = self.app.console, self.rich_style
            self._lines[key] = [
                to_strip(line, console, width, base) for line in self._text().wrap(console, width)
            ]
        lines = self._lines[key]
        return lines[y] if y < len(lines) else Strip.blank(width, self.rich_style)

    def _text(self) -> Text:
        view = self.view
        if view is None:
            return self._hint(LOADING)
        if not view.top:
            if view.model == "bigram":
                hint = (
                    "Nothing counted yet. The bigram model counts which character follows "
                    "which; press n to step or space to run, and watch the table fill up."
                )
            else:
                hint = (
                    "No bigram has trained yet. Switch to it with m and run it: its table "
                    "is what the other models are compared with."
                )
            return self._hint(hint)
        if self.show_probabilities or view.counts is None:
            values = view.probabilities
        else:
            values = view.counts
        size = len(view.symbols)
        if values is not None and self.size.width >= 2 + 4 * size and self.size.height >= size + 1:
            return self._grid(view, values)
        return self._top(view)

    def _hint(self, hint: str) -> Text:
        text = Text(hint)
        text.stylize(self.get_component_rich_style("bigram-heatmap--hint"))  # wrap keeps spans
        return text

    def _cell(self, count: int | None, probability: float) -> str:
        if self.show_probabilities or count is None:
            return f"{probability:.2f}"[1:] if probability < 1 else "1.0"
        return compact(count)

    def _grid(self, view: BigramView, values: list[list[float]]) -> Text:
        """The whole matrix, as in the lecture's plot: row = first character, column = next."""
        peak = max(max(row) for row in values) or 1
        text = Text("  " + "".join(f"{s:^4}" for s in view.symbols) + "\n", style="bold")
        for i, row in enumerate(values):
            text.append(f"{view.symbols[i]} ", style="bold")
            for j, value in enumerate(row):
                count = view.counts[i][j] if view.counts is not None else None
                cell = self._cell(count, view.probabilities[i][j])
                text.append(f"{cell:>3} ", style=shade(value / peak))
            text.append("\n")
        text.rstrip()
        return text

    def _top(self, view: BigramView) -> Text:
        """The most frequent pairs as cells 'ab 1234', most first, as many as fit."""
        width = 9  # "ab 12k " plus a gap
        columns = max(1, self.size.width // width)
        rows = max(1, self.size.height)
        pairs = view.top[: columns * rows]
        by_count = view.counts is not None and not self.show_probabilities
        peak = max((b.count if by_count else b.probability) for b in pairs) or 1
        text = Text()
        for r in range(rows):
            line = pairs[r * columns : (r + 1) * columns]
            if not line:
                break
            for b in line:
                value = b.count if by_count else b.probability
                cell = self._cell(b.count if by_count else None, b.probability)
                text.append(f"{b.first}{b.second} {cell:>4}", style=shade(value / peak))
                text.append(" " * (width - 8))
            text.append("\n")
        text.rstrip()
        return text
