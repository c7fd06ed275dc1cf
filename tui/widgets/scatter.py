"""The embedding scatter: each character written at its point, as the post's plot does, and
none hidden: a letter whose cell is taken moves to the nearest free one."""

from __future__ import annotations

import math
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from engine.protocol import EmbeddingView
from tui.widgets.strips import fit, to_strip
from tui.widgets.styles import legible

Point = tuple[str, float, float]
Bounds = tuple[float, float, float, float]  # x low, x high, y low, y high
# Zoomed in, a point this many times the upper quartile of the distances from the middle (the
# median point) is left out
FAR = 3.0
TALL = 2.0  # a terminal cell is about twice as tall as wide: distances between cells weigh so


def bounds(points: list[Point], zoomed: bool) -> tuple[Bounds, list[str]]:
    """The region drawn, with a margin, and the labels of the points left out of it: none,
    unless `zoomed`, which leaves out the points far from the rest (a `q` out on its own
    squashes the others into a few cells)."""
    xs, ys = [x for _, x, _ in points], [y for _, _, y in points]
    kept, far = points, []
    if zoomed and len(points) > 4:
        mx, my = _median(xs), _median(ys)
        distance = [math.hypot(x - mx, y - my) for _, x, y in points]
        typical = sorted(distance)[3 * len(distance) // 4] or 1.0  # the upper quartile
        kept = [p for p, d in zip(points, distance, strict=True) if d <= FAR * typical]
        far = [p[0] for p, d in zip(points, distance, strict=True) if d > FAR * typical]
        xs, ys = [x for _, x, _ in kept], [y for _, _, y in kept]
    region = []
    for low, high in ((min(xs), max(xs)), (min(ys), max(ys))):
        margin = 0.05 * (high - low or 1.0)
        region += [low - margin, high + margin]
    return (region[0], region[1], region[2], region[3]), far


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def place(points: list[Point], region: Bounds, width: int, height: int) -> dict[int, str]:
    """Each point's label in a cell of a width x height grid (key row * width + column): its
    own cell, else the nearest free one; the first points (the commonest) go first. A label
    that finds no room (more labels than cells) is left out."""
    x0, x1, y0, y1 = region
    taken: dict[int, str] = {}
    for label, x, y in points:
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            continue
        column = round((x - x0) / (x1 - x0 or 1.0) * (width - 1))
        row = round((y1 - y) / (y1 - y0 or 1.0) * (height - 1))
        cell = _free_cell(taken, column, row, width, height, cell_len(label))
        if cell is not None:
            taken[cell] = label
    return taken


def _free_cell(
    taken: dict[int, str], column: int, row: int, width: int, height: int, cells: int
) -> int | None:
    """The free cell nearest (column, row) for a label `cells` wide, or None."""
    busy = set(taken)
    for cell, label in taken.items():  # a wide label takes the cell to its right too
        busy.update(range(cell, cell + cell_len(label)))
    best: tuple[float, int] | None = None
    for radius in range(max(width, height)):
        for r in range(row - radius, row + radius + 1):
            for c in range(column - radius, column + radius + 1):
                if max(abs(r - row), abs(c - column)) != radius:
                    continue  # inside: looked at already
                if not (0 <= r < height and 0 <= c <= width - cells):
                    continue
                if any(r * width + c + i in busy for i in range(cells)):
                    continue
                distance = (c - column) ** 2 + (TALL * (r - row)) ** 2
                if best is None or distance < best[0]:
                    best = (distance, r * width + c)
        # a cell of the next ring is at least `radius + 1` away
        if best is not None and best[0] <= (radius + 1) ** 2:
            return best[1]
    return None if best is None else best[1]


def nice_ticks(low: float, high: float, most: int) -> list[float]:
    """Round values between low and high, at most `most` of them: -1, -0.5, 0, 0.5..."""
    span = high - low
    for exponent in range(-6, 7):
        for unit in (1, 2, 5):
            spacing = unit * 10.0**exponent
            if span / spacing <= most:
                first = math.ceil(low / spacing)
                return [
                    round(i * spacing, 10) for i in range(first, math.floor(high / spacing) + 1)
                ]
    return [low, high]


def _tick(value: float) -> str:
    return f"{value:.2g}" if value else "0"


class EmbeddingMap(Widget):
    """Drawn line by line from lines kept for each view and size: every label on a grid of
    cells with round ticks on the left and at the bottom; vowels stand out, as they gather
    together in the lectures' plot."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._args: tuple[EmbeddingView, bool] | None = None
        self._lines: tuple[tuple[Any, ...], list[Strip]] | None = None

    def show(self, view: EmbeddingView, zoomed: bool = False, background: bool = False) -> None:
        self._args = (view, zoomed)
        self._lines = None
        self.refresh()

    @property
    def lines(self) -> list[Strip] | None:
        return self._lines[1] if self._lines else None

    def render_line(self, y: int) -> Strip:
        key = (self.size, self.rich_style, self._args)
        if self._lines is None or self._lines[0] != key:
            self._lines = (key, self._build())
        lines = self._lines[1]
        return lines[y] if y < len(lines) else Strip.blank(self.size.width, self.rich_style)

    def _build(self) -> list[Strip]:
        width, height = self.size
        if self._args is None or not self._args[0].points or width < 8 or height < 3:
            return []
        view, zoomed = self._args
        points = view.points or []
        region, _ = bounds(points, zoomed)
        x0, x1, y0, y1 = region
        rows = height - 1  # the last line holds the x ticks
        y_ticks = nice_ticks(y0, y1, max(2, rows // 3))
        gutter = max(cell_len(_tick(t)) for t in y_ticks) + 1
        columns = width - gutter
        labels = place(points, region, columns, rows)
        tick_rows = {round((y1 - t) / (y1 - y0) * (rows - 1)): _tick(t) for t in y_ticks}
        vowel = f"bold underline {legible('orange', self.app)}"
        other = f"bold {legible('cyan', self.app)}"
        console, base = self.app.console, self.rich_style
        lines = []
        for row in range(rows):
            text = Text(fit(tick_rows.get(row, ""), gutter - 1, ">") + "│", style="dim")
            covered = 0  # the cells up to here are drawn (a wide label takes two)
            for column in range(columns):
                if column < covered:
                    continue
                label = labels.get(row * columns + column)
                if label is None:
                    text.append(" ")
                    continue
                # underlined too: legible without colour
                text.append(label, style=vowel if label in view.vowels else other)
                covered = column + cell_len(label)
            lines.append(to_strip(text, console, width, base))
        axis = [" "] * columns
        for t in nice_ticks(x0, x1, max(2, columns // 8)):
            start = round((t - x0) / (x1 - x0) * (columns - 1))
            label = _tick(t)
            start = min(max(0, start - len(label) // 2), columns - len(label))
            if all(c == " " for c in axis[max(0, start - 1) : start + len(label) + 1]):
                axis[start : start + len(label)] = label
        bottom = Text(" " * (gutter - 1) + "└" + "".join(axis), style="dim")
        lines.append(to_strip(bottom, console, width, base))
        return lines
